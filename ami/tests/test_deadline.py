"""The deadline, with the clock frozen: 19:59:59 Paris is accepted, 20:00:00 and 20:00:01 are
refused; dates are typed and compared in Europe/Paris, across both DST changes."""

from datetime import UTC, datetime

import pytest
import time_machine
from django import forms
from django.urls import reverse

from ami import queries, services
from ami.forms import parse_paris_datetime
from ami.models import Application, ApplicationStatus, Call
from ami.queries import PARIS

from .helpers import snapshot


def _submit_at(world, moment):
    application = world.complete()
    with time_machine.travel(moment, tick=False):
        return services.submit_application(application, by=world.pantin.user)


@pytest.mark.django_db
def test_one_second_before_the_deadline_is_accepted(world):
    application = _submit_at(world, datetime(2021, 10, 15, 19, 59, 59, tzinfo=PARIS))
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.submitted_at == datetime(2021, 10, 15, 17, 59, 59, tzinfo=UTC)


@pytest.mark.django_db
@pytest.mark.parametrize("second", [0, 1])
def test_at_and_after_the_deadline_submission_is_refused(world, second):
    application = world.complete()
    before = snapshot()
    with (
        time_machine.travel(datetime(2021, 10, 15, 20, 0, second, tzinfo=PARIS), tick=False),
        pytest.raises(services.AmiRefused) as refused,
    ):
        services.submit_application(application, by=world.pantin.user)
    assert "15/10/2021 à 20:00" in refused.value.message
    assert snapshot() == before
    assert Application.objects.get().status == ApplicationStatus.DRAFT


@pytest.mark.django_db
def test_the_view_refuses_at_the_deadline_with_the_date_in_french(world, client):
    application = world.complete()
    url = reverse("ami:application_submit", args=[world.pantin.organisation.pk, application.pk])
    with time_machine.travel(datetime(2021, 10, 15, 20, 0, 0, tzinfo=PARIS), tick=False):
        client.force_login(world.pantin.user)
        response = client.post(url, follow=True)
        assert "La date limite de dépôt était le 15/10/2021 à 20:00" in response.content.decode()
        page = client.get(
            reverse("ami:application", args=[world.pantin.organisation.pk, application.pk])
        ).content.decode()
    assert "La date limite de dépôt est passée (15/10/2021 à 20:00)" in page
    assert Application.objects.get().status == ApplicationStatus.DRAFT


@pytest.mark.django_db
def test_a_draft_shows_the_time_left(world, client):
    application = world.application()
    with time_machine.travel(datetime(2021, 10, 12, 16, 0, tzinfo=PARIS), tick=False):
        client.force_login(world.pantin.user)
        page = client.get(
            reverse("ami:application", args=[world.pantin.organisation.pk, application.pk])
        ).content.decode()
    assert "Il reste 3 jours et 4 heures pour déposer" in page


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2021, 10, 15, 19, 0, tzinfo=PARIS), "Il reste 1 heure pour déposer"),
        (datetime(2021, 10, 15, 17, 30, tzinfo=PARIS), "Il reste 2 heures et 30 minutes"),
        (datetime(2021, 10, 15, 19, 59, 30, tzinfo=PARIS), "Il reste moins d'une minute"),
        (datetime(2021, 10, 14, 20, 0, tzinfo=PARIS), "Il reste 1 jour pour déposer"),
    ],
)
def test_time_left_wording(now, expected):
    call = Call(deadline=datetime(2021, 10, 15, 20, 0, tzinfo=PARIS))
    assert queries.time_left_message(call, now).startswith(expected)


# --- Daylight saving time -----------------------------------------------------------------------


def test_typed_dates_are_paris_time_across_dst():
    # 31 October 2021: after the switch from CEST (+02:00) to CET (+01:00).
    assert parse_paris_datetime("31/10/2021 20:00") == datetime(2021, 10, 31, 19, 0, tzinfo=UTC)
    # Before it, the same wall-clock time is two hours ahead of UTC.
    assert parse_paris_datetime("30/10/2021 20:00") == datetime(2021, 10, 30, 18, 0, tzinfo=UTC)
    # March 2021: 27 March is CET, 28 March is CEST.
    assert parse_paris_datetime("27/03/2021 20:00") == datetime(2021, 3, 27, 19, 0, tzinfo=UTC)
    assert parse_paris_datetime("28/03/2021 20:00") == datetime(2021, 3, 28, 18, 0, tzinfo=UTC)
    assert parse_paris_datetime("15/10/2021 20:00") == datetime(2021, 10, 15, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("28/03/2021 02:30", "nonexistent"),  # the hour skipped in spring
        ("31/10/2021 02:30", "ambiguous"),  # the hour lived twice in autumn
        ("31/10/2021", "invalid"),
        ("2021/10/31 20:00", "invalid"),
    ],
)
def test_impossible_or_ambiguous_times_are_refused(raw, code):
    with pytest.raises(forms.ValidationError) as error:
        parse_paris_datetime(raw)
    assert error.value.code == code


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "last_second_utc", "deadline_utc"),
    [
        # After the autumn change: 20:00 Paris is 19:00 UTC.
        (
            "31/10/2021 20:00",
            datetime(2021, 10, 31, 18, 59, 59, tzinfo=UTC),
            datetime(2021, 10, 31, 19, 0, 0, tzinfo=UTC),
        ),
        # After the spring change: 20:00 Paris is 18:00 UTC.
        (
            "30/03/2021 20:00",
            datetime(2021, 3, 30, 17, 59, 59, tzinfo=UTC),
            datetime(2021, 3, 30, 18, 0, 0, tzinfo=UTC),
        ),
    ],
)
def test_deadline_typed_in_the_form_across_dst(world, client, typed, last_second_utc, deadline_utc):
    """The funder types the deadline in the call form; the server compares aware datetimes."""
    application = world.complete()  # prepared before the deadline moves
    client.force_login(world.funder_admin)
    edit = reverse("ami:call_edit", args=[world.funder.pk, world.call.pk])
    form = client.get(edit).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data["hub"] = world.hub.pk
    data["opens_at"] = "01/01/2021 09:00"
    data["deadline"] = typed
    response = client.post(edit, data)
    assert response.status_code == 302, response.context["form"].errors
    world.call.refresh_from_db()
    assert world.call.deadline == deadline_utc
    assert queries.format_paris(world.call.deadline) == typed.replace(" ", " à ")

    with time_machine.travel(deadline_utc, tick=False), pytest.raises(services.AmiRefused):
        services.submit_application(application, by=world.pantin.user)
    with time_machine.travel(last_second_utc, tick=False):
        services.submit_application(application, by=world.pantin.user)
    assert Application.objects.get().status == ApplicationStatus.SUBMITTED
