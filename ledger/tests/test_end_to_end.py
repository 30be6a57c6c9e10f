"""One pass's whole life, through the real services: order → confirm → issue → activate → print
(PDF parsed, QR decoded with zxing-cpp) → funder to municipality → prescriber → hand-out →
redemption → verify_ledger clean. Mirrors pass Culture's finance integration test."""

import io
import uuid
from datetime import date

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from ledger import codes, custody, printing, redemption, services
from ledger.models import Booklet, EventKind, Pass, PassEvent, PassStatus
from ledger.tests import factories
from ledger.verification import verify_ledger
from organisations.models import Organisation, Role
from passnum.testing import make_member, make_org
from programmes.models import Territory

pytestmark = pytest.mark.django_db


def _decode_qr_codes(pdf: bytes, page_index: int) -> set[str]:
    document = pypdfium2.PdfDocument(pdf)
    image = document[page_index].render(scale=200 / 72).to_pil()
    return {result.text for result in zxingcpp.read_barcodes(image)}


def test_a_pass_from_order_to_redemption():
    programme = factories.programme()
    funder = programme.funder
    funder_admin = make_member(funder, Role.ADMIN)
    town = make_org("Ville d'Aubervilliers", kind=Organisation.Kind.MUNICIPALITY, parent=funder)
    Territory.objects.create(
        programme=programme,
        municipality=town,
        commune=factories.commune(),
        joined_on=date(2021, 3, 1),
    )
    town_member = make_member(town, Role.MEMBER)
    ccas = make_org("CCAS d'Aubervilliers", kind=Organisation.Kind.PRESCRIBER, parent=town)
    prescriber = make_member(ccas, Role.MEMBER)
    operator, place, service = factories.operator()
    mediator = make_member(operator, Role.MEMBER)

    # Order, confirmation, issuance, activation.
    order = services.create_order(
        programme,
        by=funder_admin.user,
        booklet_count=3,
        valid_until=date(2099, 12, 31),
        print_text="Bon numérique",
    )
    services.confirm_order(order, by=funder_admin.user)
    services.issue_order(order.pk, by=funder_admin.user)
    order.refresh_from_db()
    order = services.activate_order(order, "MANDAT-2021-0042", by=funder_admin.user)
    assert Pass.objects.filter(order=order, status=PassStatus.IN_STOCK).count() == 30

    # Print: the right page count, and the QR of the first pass decodes to its URL.
    out = io.BytesIO()
    result = printing.write_order_pdf(order, out)
    pdf = out.getvalue()
    assert len(PdfReader(io.BytesIO(pdf)).pages) == result["pages"] == printing.page_count(order)
    first = Pass.objects.filter(order=order).order_by("number").first()
    code = codes.pass_code(order.key_id, first.serial)
    decoded = _decode_qr_codes(pdf, 1)  # page 0 is the first booklet's cover
    assert codes.qr_payload(first.serial, code) in decoded

    # Chain of custody: funder → municipality → prescriber structure, each acknowledged.
    booklet = Booklet.objects.filter(order=order).order_by("number").first()
    transfer = custody.transfer_booklets([booklet], town, by=funder_admin.user, from_holder=funder)
    custody.acknowledge_transfer(transfer, by=town_member.user)
    transfer = custody.transfer_booklets([booklet], ccas, by=town_member.user, from_holder=town)
    custody.acknowledge_transfer(transfer, by=prescriber.user)
    assert set(booklet.passes.values_list("holder_id", flat=True)) == {ccas.pk}

    # Hand-out of two passes to a person, then redemption of one at a qualified place.
    passes = list(booklet.passes.order_by("number")[:2])
    beneficiary = custody.hand_out(passes, prescriber=ccas, by=prescriber.user)
    assert Pass.objects.filter(beneficiary=beneficiary, status=PassStatus.DISTRIBUTED).count() == 2
    outcome = redemption.redeem(
        operator=operator,
        place=place,
        service=service,
        items=[(passes[0].serial, code)],
        idempotency_key=str(uuid.uuid4()),
        by=mediator.user,
    )
    assert outcome.amount_cents == 1000 and outcome.serials == [passes[0].serial]
    passes[0].refresh_from_db()
    assert passes[0].status == PassStatus.REDEEMED

    # The ledger tells the same story as the cached states.
    history = list(PassEvent.objects.for_pass(passes[0]).values_list("kind", flat=True))
    assert history == [
        EventKind.ISSUED,
        EventKind.ACTIVATED,
        EventKind.TRANSFERRED,
        EventKind.RECEIVED,
        EventKind.TRANSFERRED,
        EventKind.RECEIVED,
        EventKind.DISTRIBUTED,
        EventKind.REDEEMED,
    ]
    report = verify_ledger()
    assert report.ok, [str(m) for m in report.mismatches]
    assert report.passes == 30
