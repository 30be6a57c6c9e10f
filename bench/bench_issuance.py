"""Issuing the Grand Paris 2021 order (15 500 carnets, 155 000 passes): ledger.services.issue_order
against inserting the same rows in the same tables with raw COPY (PostgreSQL) or executemany
(SQLite). Target on PostgreSQL: at most 3× the raw time."""

import time
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from ledger import codes, services
from ledger.models import Booklet, Order, Pass, PassStatus
from organisations.models import Organisation
from programmes.models import Programme

BOOKLETS, PER_BOOKLET = 15_500, 10


def _order(programme: Programme) -> Order:
    order = services.create_order(
        programme, by=None, booklet_count=BOOKLETS, valid_until=date(2022, 12, 31)
    )
    return services.confirm_order(order, by=None)


def _raw_insert(order: Order) -> float:
    """The same rows, precomputed, written with the database's fastest bulk path."""
    with transaction.atomic():
        first_booklet = services._reserve_numbers("booklet", BOOKLETS)
        first_pass = services._reserve_numbers("pass", BOOKLETS * PER_BOOKLET)
    now = timezone.now()
    booklets = [
        (
            order.pk,
            first_booklet + i,
            codes.booklet_serial(first_booklet + i),
            order.funder_id,
            now,
            now,
        )
        for i in range(BOOKLETS)
    ]
    elapsed = 0.0
    atomic = transaction.atomic()
    atomic.__enter__()
    with connection.cursor() as cursor:
        t0 = time.perf_counter()
        _write(cursor, "ledger_booklet", services.BOOKLET_COLUMNS, booklets)
        ids = dict(Booklet.objects.filter(order=order).values_list("number", "pk"))
        elapsed += time.perf_counter() - t0
        passes = [  # row preparation is not counted for the raw side
            (
                order.pk,
                ids[first_booklet + i],
                first_pass + i * PER_BOOKLET + j,
                codes.pass_serial(first_pass + i * PER_BOOKLET + j),
                PassStatus.ISSUED,
                order.funder_id,
                False,
            )
            for i in range(BOOKLETS)
            for j in range(PER_BOOKLET)
        ]
        t0 = time.perf_counter()
        _write(cursor, "ledger_pass", services.PASS_COLUMNS, passes)
        elapsed += time.perf_counter() - t0
    t0 = time.perf_counter()
    atomic.__exit__(None, None, None)  # the commit is counted too
    return elapsed + (time.perf_counter() - t0)


def _write(cursor, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Raw side: precomputed rows, COPY (PostgreSQL) or executemany (SQLite)."""
    names = ", ".join(columns)
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608


def run() -> None:
    funder = Organisation.objects.create(kind="FUNDER", name="Métropole du Grand Paris")
    issuer = Organisation.objects.create(kind="ISSUER", name="Émetteur")
    programme = Programme.objects.create(
        funder=funder,
        issuer=issuer,
        name="Bench",
        starts_on=date(2021, 1, 1),
        ends_on=date(2022, 12, 31),
    )
    ours_order, raw_order = _order(programme), _order(programme)

    start = time.perf_counter()
    result = services.issue_order(ours_order.pk)
    ours = time.perf_counter() - start
    assert result["passes"] == BOOKLETS * PER_BOOKLET

    raw = _raw_insert(raw_order)
    assert Pass.objects.filter(order=raw_order).count() == BOOKLETS * PER_BOOKLET
    path = "COPY" if connection.vendor == "postgresql" else "executemany"
    print(f"tailles : {BOOKLETS} carnets, {BOOKLETS * PER_BOOKLET} pass ({connection.vendor})")
    print(f"Passnum issue_order : {ours:.2f} s ({BOOKLETS * PER_BOOKLET / ours:,.0f} pass/s)")
    print(f"brut ({path}, mêmes lignes, mêmes tables) : {raw:.2f} s")
    print(f"ratio Passnum / brut : {ours / raw:.2f} (objectif sur PostgreSQL : ≤ 3)")
