"""Stock pages, transfer, receipt, hand-out and cancellation forms; permissions."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ledger import custody
from ledger.models import Booklet, EventKind, Pass, PassEvent, PassStatus, Transfer
from organisations.models import Organisation, Role
from passnum.testing import make_member, make_org, make_user

from .test_custody_helpers import chain, down_to_prescriber

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_stock_pages_of_each_level():
    c = chain(booklets=3)
    t = custody.transfer_booklets(
        c.booklets()[:1], c.municipality, by=c.funder_user, from_holder=c.funder
    )
    funder_page = client_for(c.funder_user).get(reverse("ledger:stock", args=[c.funder.pk]))
    assert funder_page.status_code == 200
    html = funder_page.content.decode()
    assert "Stock de carnets" in html and c.order.reference in html
    assert "en stock depuis 0 jour" in html
    assert "200,00\u00a0€" in html  # 20 passes of 10 € still held by the funder
    assert "Fin de validité des commandes" in html and "Arrêt de la distribution" in html
    assert "Ville d&#x27;Aubervilliers" in html  # holders below

    town = client_for(c.municipality_user)
    html = town.get(reverse("ledger:stock", args=[c.municipality.pk])).content.decode()
    assert "Accuser réception" in html and "Réception à confirmer" in html
    response = town.post(reverse("ledger:acknowledge", args=[c.municipality.pk, t.pk]))
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.acknowledged_by == c.municipality_user

    detail = town.get(reverse("organisations:detail", args=[c.municipality.pk]))
    assert reverse("ledger:stock", args=[c.municipality.pk]) in detail.content.decode()


def test_empty_stock_and_dormant_alert():
    c = chain(booklets=2)
    empty = client_for(c.prescriber_user).get(reverse("ledger:stock", args=[c.prescriber.pk]))
    assert "Aucun carnet en stock." in empty.content.decode()
    with time_machine.travel(timezone.now() + timedelta(days=63), tick=False):
        html = (
            client_for(c.funder_user)
            .get(reverse("ledger:stock", args=[c.funder.pk]))
            .content.decode()
        )
    assert "Alerte : stock dormant" in html
    assert "en stock depuis 63 jours" in html
    assert "Dormant" in html


def test_transfer_form_with_range_and_errors():
    c = chain(booklets=3)
    b = c.booklets()
    client = client_for(c.funder_user)
    url = reverse("ledger:transfer", args=[c.funder.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Ville d&#x27;Aubervilliers" in page.content.decode()
    events = PassEvent.objects.count()
    bad = client.post(
        url, {"to_holder": c.municipality.pk, "booklets": f"{b[2].serial}-{b[0].serial}"}
    )
    assert bad.status_code == 200
    assert "à l&#x27;envers" in bad.content.decode()
    outsider = client.post(url, {"to_holder": c.prescriber.pk, "booklets": b[0].serial})
    assert "Choisissez une organisation dans la liste" in outsider.content.decode()
    assert PassEvent.objects.count() == events
    ok = client.post(
        url,
        {
            "to_holder": c.municipality.pk,
            "booklets": f"{b[0].serial}-{b[1].serial}",
            "note": "Lot A",
        },
    )
    assert ok.status_code == 302
    assert Booklet.objects.filter(holder=c.municipality).count() == 2


def test_municipality_names_a_prescriber_then_return_and_reallocation():
    c = chain(booklets=2)
    b = c.booklets()
    t = custody.transfer_booklets(b, c.municipality, by=c.funder_user, from_holder=c.funder)
    custody.acknowledge_transfer(t, by=c.municipality_user)
    town = client_for(c.municipality_user)
    response = town.post(
        reverse("ledger:transfer", args=[c.municipality.pk]),
        {"to_holder": c.prescriber.pk, "to_person": c.named.pk, "booklets": b[0].serial},
    )
    assert response.status_code == 302
    assert Booklet.objects.get(pk=b[0].pk).holder_person == c.named
    response = town.post(
        reverse("ledger:return", args=[c.municipality.pk]),
        {"to_holder": c.funder.pk, "booklets": b[1].serial},
    )
    assert response.status_code == 302
    assert PassEvent.objects.filter(kind=EventKind.RETURNED).count() == 1
    custody.acknowledge_transfer(Transfer.objects.get(kind="RETURN"), by=c.funder_user)
    response = client_for(c.funder_user).post(
        reverse("ledger:reallocate", args=[c.funder.pk]),
        {"from_holder": c.funder.pk, "to_holder": c.prescriber.pk, "booklets": b[1].serial},
    )
    assert response.status_code == 302
    assert Booklet.objects.get(pk=b[1].pk).holder == c.prescriber


def test_hand_out_form_shows_the_beneficiary_reference():
    c = chain(booklets=1)
    booklets = down_to_prescriber(c)
    client = client_for(c.prescriber_user)
    url = reverse("ledger:hand_out", args=[c.prescriber.pk])
    assert booklets[0].serial in client.get(url).content.decode()
    response = client.post(url, {"booklet": booklets[0].serial, "count": 4})
    assert response.status_code == 200
    html = response.content.decode()
    passes = Pass.objects.filter(status=PassStatus.DISTRIBUTED)
    assert passes.count() == 4
    assert passes[0].beneficiary.reference in html
    # Again for the same person, by serials; then an error that changes nothing.
    serial = Pass.objects.filter(status=PassStatus.IN_STOCK).first().serial
    ref = passes[0].beneficiary.reference
    response = client.post(url, {"serials": serial, "beneficiary": ref.lower()})
    assert Pass.objects.filter(beneficiary__reference=ref).count() == 5
    events = PassEvent.objects.count()
    response = client.post(url, {"booklet": booklets[0].serial, "count": 9})
    assert "n&#x27;a plus que 5 pass" in response.content.decode()
    response = client.post(url, {"serials": "12345"})
    assert "mal formé" in response.content.decode()
    assert PassEvent.objects.count() == events
    # Only a prescriber structure hands out.
    funder_client = client_for(c.funder_user)
    assert funder_client.get(reverse("ledger:hand_out", args=[c.funder.pk])).status_code == 404


def test_cancel_form():
    c = chain(booklets=2)
    booklets = down_to_prescriber(c, c.booklets()[:1])
    client = client_for(c.prescriber_user)
    url = reverse("ledger:cancel", args=[c.prescriber.pk])
    assert client.get(url).status_code == 200
    serial = Pass.objects.filter(booklet=booklets[0]).first().serial
    missing_reason = client.post(url, {"serials": serial})
    assert missing_reason.status_code == 200
    assert Pass.objects.filter(status=PassStatus.CANCELLED).count() == 0
    response = client.post(url, {"reason": "STOLEN", "details": "Sac volé", "serials": serial})
    assert response.status_code == 302
    assert PassEvent.objects.get(kind=EventKind.CANCELLED).reason == "Volé — Sac volé"
    # The funder cancels a whole booklet it holds.
    other = c.booklets()[1]
    response = client_for(c.funder_user).post(
        reverse("ledger:cancel", args=[c.funder.pk]), {"reason": "LOST", "booklets": other.serial}
    )
    assert response.status_code == 302
    assert Pass.objects.filter(booklet=other, status=PassStatus.CANCELLED).count() == 10


def all_urls(c, transfer_pk):
    org = c.prescriber.pk
    return [
        ("get", reverse("ledger:stock", args=[org])),
        ("get", reverse("ledger:transfer", args=[org])),
        ("get", reverse("ledger:return", args=[org])),
        ("get", reverse("ledger:hand_out", args=[org])),
        ("get", reverse("ledger:cancel", args=[org])),
        ("post", reverse("ledger:acknowledge", args=[org, transfer_pk])),
    ]


def test_member_of_another_organisation_gets_404_everywhere():
    c = chain(booklets=1)
    t = custody.transfer_booklets(
        c.booklets(), c.municipality, by=c.funder_user, from_holder=c.funder
    )
    custody.acknowledge_transfer(t, by=c.municipality_user)
    t = custody.transfer_booklets(
        c.booklets(), c.prescriber, by=c.municipality_user, from_holder=c.municipality
    )
    stranger = make_member(make_org("Autre CCAS", kind=Organisation.Kind.PRESCRIBER)).user
    client = client_for(stranger)
    for method, url in all_urls(c, t.pk):
        assert getattr(client, method)(url).status_code == 404, url
    assert client.get(reverse("ledger:reallocate", args=[c.funder.pk])).status_code == 404
    # The municipality cannot acknowledge a transfer addressed to the prescriber either.
    town = client_for(c.municipality_user)
    url = reverse("ledger:acknowledge", args=[c.municipality.pk, t.pk])
    assert town.post(url).status_code == 404
    t.refresh_from_db()
    assert t.acknowledged_at is None


def test_readonly_member_reads_but_cannot_write():
    c = chain(booklets=1)
    t = custody.transfer_booklets(
        c.booklets(), c.municipality, by=c.funder_user, from_holder=c.funder
    )
    custody.acknowledge_transfer(t, by=c.municipality_user)
    t = custody.transfer_booklets(
        c.booklets(), c.prescriber, by=c.municipality_user, from_holder=c.municipality
    )
    reader = make_user()
    make_member(c.prescriber, Role.READONLY, user=reader)
    client = client_for(reader)
    urls = all_urls(c, t.pk)
    assert client.get(urls[0][1]).status_code == 200
    assert "Accuser réception" not in client.get(urls[0][1]).content.decode()
    for method, url in urls[1:]:
        assert getattr(client, method)(url).status_code == 403, url
    t.refresh_from_db()
    assert t.acknowledged_at is None


def test_anonymous_is_sent_to_login():
    c = chain(booklets=1)
    response = Client().get(reverse("ledger:stock", args=[c.funder.pk]))
    assert response.status_code == 302


def test_hand_out_form_preselects_the_beneficiary_from_the_person_page(client):
    from ledger.tests.test_custody_helpers import chain

    c = chain()
    client.force_login(c.prescriber_user)
    url = f"/pass/stock/{c.prescriber.pk}/remise-beneficiaire/?beneficiaire=B-7K3M-9QX2"
    body = client.get(url).content.decode()
    assert 'value="B-7K3M-9QX2"' in body
