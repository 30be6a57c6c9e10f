"""The printer's PDF: booklets per second and peak memory, for 100 and for 1 000 booklets.

Orders are created through ledger.services (create, confirm, issue; no activation needed). Each
PDF is written to a temporary file, as the print job does. Peak memory is tracemalloc's peak of
Python allocations during the run (ReportLab, segno, the ORM), measured in a separate pass so that
tracing does not slow the timed one; the ratio large/small shows whether memory stays flat.
Target: ≥ 100 booklets (1 000 passes) per second, memory flat.
"""

import tempfile
import time
import tracemalloc
from datetime import date

from ledger import printing, services
from ledger.models import Order
from organisations.models import Organisation
from passnum.testing import make_org, make_user
from programmes.models import Programme

SIZES = (100, 1_000)


def _order(programme: Programme, booklets: int, by) -> Order:
    order = services.create_order(
        programme,
        by=by,
        booklet_count=booklets,
        valid_until=date(2022, 12, 31),
        print_text="Offert par la Métropole du Grand Paris pour vous accompagner au numérique.",
    )
    services.confirm_order(order, by=by)
    services.issue_order(order.pk, by=by)
    return Order.objects.select_related("funder", "programme").get(pk=order.pk)


def _write(order: Order) -> tuple[float, int, int]:
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        result = printing.write_order_pdf(order, out)
        elapsed = time.perf_counter() - start
        size = out.tell()
    return elapsed, size, result["pages"]


def _peak(order: Order) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        with tempfile.TemporaryFile() as out:
            printing.write_order_pdf(order, out)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run() -> None:
    funder = make_org("Métropole du Grand Paris (bench)", kind=Organisation.Kind.FUNDER)
    issuer = make_org("Émetteur (bench)", kind=Organisation.Kind.ISSUER)
    programme = Programme.objects.create(
        funder=funder,
        issuer=issuer,
        name="Pass numérique Grand Paris 2021",
        starts_on=date(2021, 1, 1),
        ends_on=date(2022, 12, 31),
    )
    user = make_user("bench-print@exemple.fr")
    orders = {size: _order(programme, size, user) for size in SIZES}
    _write(orders[SIZES[0]])  # warm-up (imports, fonts, caches)
    figures = {}
    for size, order in orders.items():
        elapsed, file_size, pages = _write(order)
        peak = _peak(order)
        figures[size] = (elapsed, peak)
        print(
            f"{size} carnets ({order.pass_count} pass, {pages} pages, "
            f"{file_size / 1e6:.1f} Mo) : {elapsed:.2f} s, {size / elapsed:.0f} carnets/s "
            f"({order.pass_count / elapsed:.0f} pass/s), pic mémoire {peak / 1e6:.1f} Mo"
        )
    (small_t, small_m), (large_t, large_m) = figures[SIZES[0]], figures[SIZES[-1]]
    print(f"ratio temps {SIZES[-1]}/{SIZES[0]} : {large_t / small_t:.1f} (linéaire : 10)")
    print(f"ratio mémoire {SIZES[-1]}/{SIZES[0]} : {large_m / small_m:.2f} (plat : 1)")
