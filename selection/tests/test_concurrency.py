"""Races on the committee's decisive steps, with real threads and separate connections.

On PostgreSQL the attempts start together (a barrier); the lock on the call row serialises
them. SQLite's in-memory test database serialises writers, so there they run one after the
other in separate threads; the assertions are the same.
"""

from datetime import date

import pytest

from ami.models import ApplicationStatus
from passnum.testing import run_in_threads
from programmes.models import Territory
from selection import services
from selection.models import BureauVote, Proposal, Score
from selection.services import SelectionError, VoteInput

from .factories import declare_all, world

pytestmark = pytest.mark.django_db(transaction=True)


def _vote(w, number: str, selected) -> BureauVote:
    return services.record_bureau_vote(
        w.call,
        VoteInput(
            voted_on=date(2021, 11, 17),
            deliberation_number=number,
            votes_for=30,
            votes_against=2,
            votes_abstaining=3,
            selected_ids=[a.pk for a in selected],
        ),
        by=w.admin,
    )


def test_two_bureau_votes_recorded_at_once_give_one_vote_and_one_territory_each():
    w = world()
    montreuil, ivry, _ = w.applications
    services.save_proposal(w.call, {montreuil.pk: 450}, comment="", by=w.president.user)
    services.validate_proposal(w.call, by=w.president.user)

    results = run_in_threads(
        [
            lambda: _vote(w, "CB2021/11/17-03", [montreuil]),
            lambda: _vote(w, "CB2021/11/17-04", [montreuil, ivry]),
        ],
        refusal=SelectionError,
    )

    votes = [r for r in results if isinstance(r, BureauVote)]
    refused = [r for r in results if isinstance(r, SelectionError)]
    assert len(votes) == 1 and len(refused) == 1, results
    assert "déjà enregistré" in str(refused[0])
    assert BureauVote.objects.count() == 1
    assert Territory.objects.filter(commune=montreuil.commune).count() == 1
    winner = BureauVote.objects.get()
    ivry.refresh_from_db()
    expected = (
        ApplicationStatus.SELECTED
        if winner.deliberation_number.endswith("04")
        else ApplicationStatus.NOT_SELECTED
    )
    assert ivry.status == expected


def test_a_score_racing_the_validation_is_either_before_it_or_refused():
    """Validation freezes the scores: a member scoring at the same moment either lands first
    (and the validated proposal was made with it) or is refused; never a score after."""
    w = world()
    montreuil, ivry, _ = w.applications
    declare_all(w.vice, w.applications)
    services.save_proposal(w.call, {montreuil.pk: 450}, comment="", by=w.president.user)
    values = [services.ScoreInput(c.pk, 3, "") for c in w.criteria]

    results = run_in_threads(
        [
            lambda: services.validate_proposal(w.call, by=w.president.user),
            lambda: services.record_scores(w.vice, ivry, values, by=w.vice.user),
        ],
        refusal=SelectionError,
    )

    validated, scored = results
    assert isinstance(validated, Proposal), results
    proposal = Proposal.objects.get(call=w.call)
    scores = list(Score.objects.filter(member=w.vice, application=ivry))
    if isinstance(scored, SelectionError):
        assert scores == []
    else:
        assert len(scores) == len(w.criteria)
        assert all(s.updated_at <= proposal.validated_at for s in scores)
