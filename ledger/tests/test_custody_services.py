"""Custody services: the chain, acknowledgement, return, reallocation, refusals, hand-out and
cancellation. Refusals change nothing (PassEvent count and holders unchanged)."""

import threading
from datetime import date, timedelta

import pytest
import time_machine
from django.db import close_old_connections, connection

from beneficiaries.models import Beneficiary
from journal.models import JournalEntry
from ledger import codes, custody
from ledger.custody import CustodyError
from ledger.models import Booklet, EventKind, Pass, PassEvent, PassStatus, Transfer, TransferKind
from organisations.models import Organisation
from passnum.testing import make_org, make_user

from .test_custody_helpers import chain, down_to_prescriber

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        PassEvent.objects.count(),
        Transfer.objects.count(),
        sorted(Booklet.objects.values_list("pk", "holder_id", "pending_transfer_id")),
        sorted(Pass.objects.values_list("pk", "holder_id", "status")),
    )


def test_chain_down_to_a_named_prescriber():
    c = chain(booklets=3)
    booklets = c.booklets()[:2]
    t1 = custody.transfer_booklets(
        booklets, c.municipality, by=c.funder_user, from_holder=c.funder, note="Lot 1"
    )
    assert t1.booklet_count == 2
    assert set(Booklet.objects.filter(pending_transfer=t1).values_list("pk", flat=True)) == {
        b.pk for b in booklets
    }
    assert Pass.objects.filter(holder=c.municipality, status=PassStatus.IN_STOCK).count() == 20
    events = list(PassEvent.objects.filter(transfer=t1))
    # The two booklets are consecutive: one event covers their 20 passes.
    assert [(e.kind, e.pass_count, e.from_holder_id, e.to_holder_id) for e in events] == [
        (EventKind.TRANSFERRED, 20, c.funder.pk, c.municipality.pk)
    ]
    assert JournalEntry.objects.filter(action=JournalEntry.Action.BOOKLETS_TRANSFERRED).exists()

    custody.acknowledge_transfer(t1, by=c.municipality_user)
    t1.refresh_from_db()
    assert t1.acknowledged_by == c.municipality_user
    assert not Booklet.objects.filter(pending_transfer__isnull=False).exists()
    assert PassEvent.objects.filter(transfer=t1, kind=EventKind.RECEIVED).count() == 1
    assert JournalEntry.objects.filter(action=JournalEntry.Action.BOOKLETS_RECEIVED).exists()

    t2 = custody.transfer_booklets(
        booklets[:1],
        c.prescriber,
        by=c.municipality_user,
        from_holder=c.municipality,
        to_person=c.named,
    )
    custody.acknowledge_transfer(t2, by=c.named)
    b = Booklet.objects.get(pk=booklets[0].pk)
    assert (b.holder_id, b.holder_person_id, b.pending_transfer_id) == (
        c.prescriber.pk,
        c.named.pk,
        None,
    )
    assert Pass.objects.filter(holder=c.prescriber).count() == 10
    # A second booklet can be named later inside the structure.
    t3 = custody.transfer_booklets(
        booklets[1:], c.prescriber, by=c.municipality_user, from_holder=c.municipality
    )
    custody.acknowledge_transfer(t3, by=c.prescriber_user)
    custody.assign_to_person(booklets[1:], c.named, holder=c.prescriber, by=c.prescriber_user)
    assert Booklet.objects.get(pk=booklets[1].pk).holder_person == c.named


def test_acknowledge_only_once_and_only_by_the_receiver():
    c = chain(booklets=1)
    t = custody.transfer_booklets(
        c.booklets(), c.municipality, by=c.funder_user, from_holder=c.funder
    )
    with pytest.raises(CustodyError) as exc:
        custody.acknowledge_transfer(t, by=c.funder_user)
    assert exc.value.code == "forbidden"
    custody.acknowledge_transfer(t, by=c.municipality_user)
    before = snapshot()
    with pytest.raises(CustodyError, match="déjà confirmée"):
        custody.acknowledge_transfer(t, by=c.municipality_user)
    assert snapshot() == before


def test_return_and_reallocation():
    c = chain(booklets=2)
    booklets = down_to_prescriber(c)
    # Return: prescriber → its municipality only.
    with pytest.raises(CustodyError) as exc:
        custody.transfer_booklets(
            booklets, c.funder, by=c.prescriber_user, from_holder=c.prescriber,
            kind=TransferKind.RETURN,
        )  # fmt: skip
    assert exc.value.code == "wrong_level"
    t = custody.transfer_booklets(
        booklets[:1], c.municipality, by=c.prescriber_user, from_holder=c.prescriber,
        kind=TransferKind.RETURN,
    )  # fmt: skip
    assert PassEvent.objects.get(transfer=t).kind == EventKind.RETURNED
    custody.acknowledge_transfer(t, by=c.municipality_user)
    # Reallocation by the funder to another municipality's prescriber.
    other_town = make_org("Saint-Denis", kind=Organisation.Kind.MUNICIPALITY, parent=c.funder)
    other_pres = make_org("Mission locale", kind=Organisation.Kind.PRESCRIBER, parent=other_town)
    t = custody.transfer_booklets(
        booklets[1:], other_pres, by=c.funder_user, from_holder=c.prescriber,
        kind=TransferKind.REALLOCATION,
    )  # fmt: skip
    assert PassEvent.objects.get(transfer=t).kind == EventKind.REALLOCATED
    assert Booklet.objects.get(pk=booklets[1].pk).holder == other_pres
    # A municipality cannot reallocate; nor to an organisation outside the programme.
    stranger = make_org("Ailleurs", kind=Organisation.Kind.MUNICIPALITY)
    before = snapshot()
    with pytest.raises(CustodyError, match="commanditaire"):
        custody.transfer_booklets(
            booklets[:1], c.prescriber, by=c.municipality_user, from_holder=c.municipality,
            kind=TransferKind.REALLOCATION,
        )  # fmt: skip
    with pytest.raises(CustodyError, match="ne fait pas partie"):
        custody.transfer_booklets(
            booklets[:1], stranger, by=c.funder_user, from_holder=c.municipality,
            kind=TransferKind.REALLOCATION,
        )  # fmt: skip
    assert snapshot() == before


@pytest.mark.parametrize("case", ["wrong_level", "not_held", "pending", "skip_level", "person"])
def test_refusals_change_nothing(case):
    c = chain(booklets=2)
    booklets = c.booklets()
    other_town = make_org("Pantin", kind=Organisation.Kind.MUNICIPALITY)  # not in the programme
    if case == "pending":
        custody.transfer_booklets(
            booklets[:1], c.municipality, by=c.funder_user, from_holder=c.funder
        )
    before = snapshot()
    journal = JournalEntry.objects.count()
    kwargs = {"by": c.funder_user, "from_holder": c.funder}
    with pytest.raises(CustodyError) as exc:
        if case == "wrong_level":
            custody.transfer_booklets(booklets, other_town, **kwargs)
        elif case == "skip_level":
            custody.transfer_booklets(booklets, c.prescriber, **kwargs)
        elif case == "not_held":
            custody.transfer_booklets(
                booklets, c.prescriber, by=c.municipality_user, from_holder=c.municipality
            )
        elif case == "pending":
            custody.transfer_booklets(booklets, c.municipality, **kwargs)
        else:
            custody.transfer_booklets(booklets, c.municipality, to_person=c.named, **kwargs)
    expected = {
        "wrong_level": "wrong_level",
        "skip_level": "wrong_level",
        "not_held": "not_held",
        "pending": "pending_transfer",
        "person": "bad_person",
    }[case]
    assert exc.value.code == expected
    assert snapshot() == before
    assert JournalEntry.objects.count() == journal


def test_booklet_without_stock_is_refused():
    c = chain(booklets=1)
    booklets = down_to_prescriber(c)
    passes = list(Pass.objects.filter(booklet=booklets[0]))
    custody.hand_out(passes, prescriber=c.prescriber, by=c.prescriber_user)
    before = snapshot()
    with pytest.raises(CustodyError) as exc:
        custody.transfer_booklets(
            booklets, c.municipality, by=c.prescriber_user, from_holder=c.prescriber,
            kind=TransferKind.RETURN,
        )  # fmt: skip
    assert exc.value.code == "no_stock"
    assert snapshot() == before


def test_started_booklet_returns_with_its_stock_only():
    c = chain(booklets=1)
    booklets = down_to_prescriber(c)
    first3 = list(Pass.objects.filter(booklet=booklets[0]).order_by("number")[:3])
    custody.hand_out(first3, prescriber=c.prescriber, by=c.prescriber_user)
    t = custody.transfer_booklets(
        booklets, c.municipality, by=c.prescriber_user, from_holder=c.prescriber,
        kind=TransferKind.RETURN,
    )  # fmt: skip
    assert Pass.objects.filter(holder=c.municipality, status=PassStatus.IN_STOCK).count() == 7
    assert Pass.objects.filter(holder=c.prescriber, status=PassStatus.DISTRIBUTED).count() == 3
    event = PassEvent.objects.get(transfer=t)
    assert (event.first_number, event.pass_count) == (first3[-1].number + 1, 7)


def test_select_booklets_range_list_and_errors():
    c = chain(booklets=4)
    b = c.booklets()
    spec = f"{b[0].serial}-{b[2].serial}"
    assert [x.pk for x in custody.select_booklets(c.funder, spec)] == [x.pk for x in b[:3]]
    assert [x.pk for x in custody.select_booklets(c.funder, f"{b[0].serial} – {b[1].serial}")] == [
        x.pk for x in b[:2]
    ]
    listed = f"{b[3].serial}, {b[1].serial}\n{b[1].serial}\r\n"
    assert [x.pk for x in custody.select_booklets(c.funder, listed)] == [b[1].pk, b[3].pk]

    bad = b[0].serial[:-1] + str((int(b[0].serial[-1]) + 1) % 10)
    with pytest.raises(CustodyError, match=bad) as exc:
        custody.select_booklets(c.funder, f"{b[1].serial}, {bad}")
    assert exc.value.code == "bad_serial"
    for malformed in (f"{b[2].serial}-{b[0].serial}", f"{b[0].serial}--{b[1].serial}"):
        with pytest.raises(CustodyError) as exc:
            custody.select_booklets(c.funder, malformed)
        assert exc.value.code == "malformed_range"
    with pytest.raises(CustodyError) as exc:
        custody.select_booklets(c.funder, "C123")
    assert exc.value.code == "bad_serial"
    with pytest.raises(CustodyError, match="Indiquez"):
        custody.select_booklets(c.funder, "  ")
    unknown = codes.booklet_serial(b[3].number + 1)
    with pytest.raises(CustodyError, match=unknown) as exc:
        custody.select_booklets(c.funder, f"{b[2].serial}-{unknown}")
    assert exc.value.code == "not_held"
    with pytest.raises(CustodyError, match=b[0].serial):
        custody.select_booklets(c.municipality, b[0].serial)


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_transfer_moves_once():
    """Two transfers of the same booklets: one succeeds, the other is refused. On PostgreSQL in
    two threads (each with its own connection); on SQLite, one after the other."""
    c = chain(booklets=2)
    booklets = c.booklets()
    results: list[str] = []

    def attempt():
        try:
            custody.transfer_booklets(
                booklets, c.municipality, by=c.funder_user, from_holder=c.funder
            )
            results.append("ok")
        except CustodyError as exc:
            results.append(exc.code)

    if connection.vendor == "postgresql":
        barrier = threading.Barrier(2)

        def run():
            barrier.wait()
            try:
                attempt()
            finally:
                close_old_connections()
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:
        attempt()
        attempt()
    assert sorted(results) == ["ok", "pending_transfer"]
    assert Transfer.objects.count() == 1
    assert PassEvent.objects.filter(kind=EventKind.TRANSFERRED).count() == 1
    assert Pass.objects.filter(holder=c.municipality).count() == 20


def test_hand_out_whole_booklet_and_some_passes():
    c = chain(booklets=2)
    booklets = down_to_prescriber(c)
    passes = custody.select_passes(c.prescriber, booklet_serial=booklets[0].serial, count=3)
    beneficiary = custody.hand_out(passes, prescriber=c.prescriber, by=c.prescriber_user)
    assert beneficiary.prescriber == c.prescriber
    assert beneficiary.reference.startswith("B-")
    handed = Pass.objects.filter(beneficiary=beneficiary)
    assert handed.count() == 3
    assert all(p.status == PassStatus.DISTRIBUTED and p.distributed_at for p in handed)
    event = PassEvent.objects.get(kind=EventKind.DISTRIBUTED)
    assert (event.pass_count, event.beneficiary_id) == (3, beneficiary.pk)
    # The next 3 are the following passes; serials may be typed too, for the same person.
    nxt = custody.select_passes(c.prescriber, booklet_serial=booklets[0].serial, count=3)
    assert nxt[0].number == passes[-1].number + 1
    whole = custody.select_passes(
        c.prescriber, serials=" ".join(p.serial for p in Pass.objects.filter(booklet=booklets[1]))
    )
    custody.hand_out(whole, prescriber=c.prescriber, by=c.prescriber_user, beneficiary=beneficiary)
    assert Pass.objects.filter(beneficiary=beneficiary).count() == 13

    # Refusals: already handed out, too many, another structure's beneficiary.
    before = snapshot()
    beneficiaries = Beneficiary.objects.count()
    with pytest.raises(CustodyError, match=passes[0].serial):
        custody.hand_out(passes, prescriber=c.prescriber, by=c.prescriber_user)
    with pytest.raises(CustodyError, match="n'a plus que 7"):
        custody.select_passes(c.prescriber, booklet_serial=booklets[0].serial, count=8)
    with pytest.raises(CustodyError, match="non disponible"):
        custody.select_passes(c.prescriber, serials=passes[0].serial)
    other = Beneficiary.objects.create(prescriber=make_org("Autre CCAS"))
    with pytest.raises(CustodyError, match="autre structure"):
        custody.hand_out(nxt, prescriber=c.prescriber, by=c.prescriber_user, beneficiary=other)
    assert snapshot() == before
    assert Beneficiary.objects.count() == beneficiaries + 1


def test_hand_out_refused_while_receipt_pending_and_after_j_minus_15():
    c = chain(booklets=1, valid_until=date(2030, 6, 30))
    booklets = c.booklets()
    t1 = custody.transfer_booklets(booklets, c.municipality, by=c.funder_user, from_holder=c.funder)
    custody.acknowledge_transfer(t1, by=c.municipality_user)
    custody.transfer_booklets(
        booklets, c.prescriber, by=c.municipality_user, from_holder=c.municipality
    )
    passes = list(Pass.objects.filter(booklet=booklets[0])[:1])
    with pytest.raises(CustodyError, match="Accusez d'abord réception"):
        custody.hand_out(passes, prescriber=c.prescriber, by=c.prescriber_user)
    custody.acknowledge_transfer(Transfer.objects.get(to_holder=c.prescriber), by=c.prescriber_user)
    before = snapshot()
    with (
        time_machine.travel(date(2030, 6, 15), tick=False),
        pytest.raises(CustodyError, match="arrêtée depuis le 15/06/2030") as exc,
    ):
        custody.hand_out(passes, prescriber=c.prescriber, by=c.prescriber_user)
    assert exc.value.code == "distribution_stopped"
    assert snapshot() == before
    with time_machine.travel(date(2030, 6, 14), tick=False):
        custody.hand_out(passes, prescriber=c.prescriber, by=c.prescriber_user)


def test_validity_steps():
    c = chain(booklets=1, valid_until=date(2030, 6, 30))
    steps = custody.validity_steps(c.order, date(2030, 6, 10))
    assert [(s.code, s.on, s.reached) for s in steps] == [
        ("ALERT", date(2030, 5, 31), True),
        ("STOP_DISTRIBUTION", date(2030, 6, 15), False),
        ("CONFIRMATION", date(2030, 6, 23), False),
        ("END", date(2030, 6, 30), False),
        ("EXPIRY", date(2030, 6, 30) + timedelta(days=32), False),
    ]


def test_cancellation_by_holder_and_by_funder():
    c = chain(booklets=3)
    booklets = down_to_prescriber(c, c.booklets()[:2])
    handed = list(Pass.objects.filter(booklet=booklets[0]).order_by("number")[:2])
    custody.hand_out(handed, prescriber=c.prescriber, by=c.prescriber_user)
    in_stock = list(Pass.objects.filter(booklet=booklets[0], status=PassStatus.IN_STOCK)[:2])

    # The prescriber cancels passes it handed out and passes it holds.
    n = custody.cancel_passes(
        [handed[0], in_stock[0]], by=c.prescriber_user, organisation=c.prescriber, reason="Perdu"
    )
    assert n == 2
    # Passes 1 and 3 of the booklet: two runs, two events.
    events = PassEvent.objects.filter(kind=EventKind.CANCELLED)
    assert [(e.reason, e.to_status, e.pass_count) for e in events] == [
        ("Perdu", "CANCELLED", 1),
        ("Perdu", "CANCELLED", 1),
    ]
    assert JournalEntry.objects.filter(action=JournalEntry.Action.PASSES_CANCELLED).count() == 1

    # Refusals: no reason; the municipality does not hold them; already cancelled.
    before = snapshot()
    with pytest.raises(CustodyError, match="motif"):
        custody.cancel_passes(
            [in_stock[1]], by=c.prescriber_user, organisation=c.prescriber, reason=" "
        )
    with pytest.raises(CustodyError) as exc:
        custody.cancel_passes(
            [in_stock[1]], by=c.municipality_user, organisation=c.municipality, reason="Volé"
        )
    assert exc.value.code == "not_cancellable"
    with pytest.raises(CustodyError):
        custody.cancel_passes([handed[0]], by=c.funder_user, organisation=c.funder, reason="Volé")
    assert snapshot() == before

    # The funder cancels any pass of its orders, and a whole booklet at once.
    custody.cancel_passes([in_stock[1]], by=c.funder_user, organisation=c.funder, reason="Volé")
    n = custody.cancel_booklets(
        [c.booklets()[2]], by=c.funder_user, organisation=c.funder, reason="Détruit"
    )
    assert n == 10
    assert Pass.objects.filter(status=PassStatus.CANCELLED).count() == 13


def test_a_user_who_is_not_a_member_cannot_acknowledge():
    c = chain(booklets=1)
    t = custody.transfer_booklets(
        c.booklets(), c.municipality, by=c.funder_user, from_holder=c.funder
    )
    with pytest.raises(CustodyError):
        custody.acknowledge_transfer(t, by=make_user())


def test_queries_dormant_stock_pending_receipts_and_holders_below(settings):
    from django.utils import timezone

    from ledger import custody_queries as q

    c = chain(booklets=3)
    booklets = c.booklets()
    t = custody.transfer_booklets(
        booklets[:1], c.municipality, by=c.funder_user, from_holder=c.funder
    )
    assert list(q.pending_receipts(c.municipality)) == [t]
    assert list(q.pending_sent(c.funder)) == [t]
    below = {org.pk: (org.booklet_count, org.pass_count) for org in q.holders_below(c.funder)}
    assert below == {c.municipality.pk: (1, 10), c.prescriber.pk: (0, 0)}
    assert [line.passes for line in q.stock_by_order(c.funder)] == [20]
    later = timezone.now() + timedelta(days=61)
    assert q.dormant_booklets(c.funder, later).count() == 2
    settings.DORMANT_STOCK_DAYS = 90
    assert q.dormant_booklets(c.funder, later).count() == 0
    assert q.format_euros(123456) == "1\u00a0234,56\u00a0€"
