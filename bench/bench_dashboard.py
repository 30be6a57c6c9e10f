"""The funder's dashboard (« Tableau de bord du programme ») with 100 000 passes against
10 000 000, on PostgreSQL.

Both programmes have the same shape (20 territories of 2 prescriber structures each, the same
hand-out and redemption calendar over 300 days, the same mix of states), only the number of
passes differs. The ledger rows (booklets, passes, custody events, beneficiaries, redemptions)
are generated with set-based SQL (INSERT … SELECT generate_series, foreign-key triggers
skipped as in a restore). Then:

- the rollup of each programme is computed (``steering.services.refresh_programme``, the
  background job: linear in passes by design; printed for information);
- the full dashboard page is rendered through the Django test client (login, view, queries,
  template with its SVG charts), best of 5 after a warm-up, for each size.

Prints both sizes, both page times and the ratio (target ≤ 3×).
"""

import os
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from geo.models import Commune
from ledger.models import Order
from operators.models import OperatorProfile, Place, Qualification, Service
from organisations.models import Membership, Organisation, Role
from programmes.models import Programme, Territory

TERRITORIES = 20
PRESCRIBERS_PER_TERRITORY = 2
BENEFICIARIES = 2_000
REDEMPTIONS = 200
SIZES = tuple(int(n) for n in os.environ.get("BENCH_DASHBOARD_SIZES", "100000,10000000").split(","))
PAGE_RUNS = 5
START = datetime(2021, 3, 1, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))


def _setup(label: str, size: int, first_number: int, user) -> tuple[Programme, dict]:
    """Organisations, territories, an order and its rows generated in SQL."""
    funder = Organisation.objects.create(kind="FUNDER", name=f"Commanditaire {label}")
    issuer = Organisation.objects.create(kind="ISSUER", name=f"Émetteur {label}")
    Membership.objects.create(user=user, organisation=funder, role=Role.ADMIN)
    programme = Programme.objects.create(
        funder=funder,
        issuer=issuer,
        name=f"Banc d'essai {label}",
        starts_on=date(2021, 1, 1),
        ends_on=date(2022, 12, 31),
    )
    holders = []  # (holder id, municipality id) for every prescriber, then municipalities
    municipalities = []
    for i in range(TERRITORIES):
        code = f"9{len(label) % 10}{i:03d}"
        commune, _ = Commune.objects.get_or_create(
            insee_code=code, defaults={"name": f"Commune {label} {i}", "department": code[:2]}
        )
        town = Organisation.objects.create(kind="MUNICIPALITY", name=f"Ville {label} {i}")
        Territory.objects.create(
            programme=programme, municipality=town, commune=commune, joined_on=date(2021, 1, 1)
        )
        municipalities.append(town.pk)
        for j in range(PRESCRIBERS_PER_TERRITORY):
            p = Organisation.objects.create(
                kind="PRESCRIBER", name=f"Structure {label} {i}-{j}", parent=town
            )
            holders.append(p.pk)
    operators = []
    for k, category in enumerate(["ASSOCIATION", "COMPANY"]):
        op = Organisation.objects.create(
            kind="OPERATOR", name=f"Opérateur {label} {k}", legal_category=category
        )
        OperatorProfile.objects.create(
            organisation=op, qualification=Qualification.QUALIFIED, decided_at=START
        )
        place = Place.objects.create(
            operator=op,
            name=f"Lieu {label} {k}",
            address="1 rue",
            postal_code="93000",
            commune=commune,
            qualification=Qualification.QUALIFIED,
        )
        service = Service.objects.create(
            operator=op, title="Atelier", theme=Service.Theme.AIDE_DEMARCHES, price_in_passes=1
        )
        operators.append((op.pk, place.pk, service.pk))
    booklets = size // 10
    first_booklet = first_number // 10
    order = Order.objects.create(
        programme=programme,
        funder=funder,
        issuer=issuer,
        reference=f"BENCH-{label}",
        booklet_count=booklets,
        valid_until=date(2022, 12, 31),
        status="ACTIVATED",
        payment_reference="MANDAT-BENCH",
        key_id="default",
        first_pass_number=first_number,
        first_booklet_number=first_booklet,
        issued_at=START,
        confirmed_at=START,
        activated_at=START,
    )
    ids = {"order": order.pk, "funder": funder.pk}
    with transaction.atomic(), connection.cursor() as cursor:
        t0 = time.perf_counter()
        # Bulk load like a restore: rows are consistent by construction, so the deferred
        # foreign-key triggers are skipped for this transaction (indexes are still maintained).
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "CREATE TEMP TABLE bench_holder (k int PRIMARY KEY, holder_id bigint, town_id bigint)"
        )
        rows = [
            (k, h, municipalities[k // PRESCRIBERS_PER_TERRITORY]) for k, h in enumerate(holders)
        ]
        cursor.executemany("INSERT INTO bench_holder VALUES (%s, %s, %s)", rows)
        n_holders = len(holders)
        # People: PIC and QPV for some of them.
        cursor.execute(
            """
            INSERT INTO beneficiaries_beneficiary (reference, prescriber_id, programme_id,
              created_at, updated_at, age_band, gender, social_status, diploma_level, job_seeker,
              lives_in_qpv, contact_consent, phone, email, notes, pic_eligible, pic_basis,
              diagnostic_answers, needs, autonomy_level)
            SELECT 'B-' || %s || '-' || lpad(g::text, 6, '0'), h.holder_id, %s, now(), now(),
              CASE WHEN g %% 3 = 0 THEN 'dix_huit_vingt_quatre' ELSE 'quarante_cinquante_neuf' END,
              'non_communique', 'sans_emploi',
              CASE g %% 4 WHEN 0 THEN 'sans_diplome' WHEN 1 THEN 'cap_bep' WHEN 2 THEN 'bac'
                ELSE 'bac_2' END,
              g %% 2 = 0, CASE WHEN g %% 5 < 2 THEN 'oui' ELSE 'non' END, false, '', '', '',
              false, '{}', '{}', '[]', ''
            FROM generate_series(0, %s - 1) g JOIN bench_holder h ON h.k = g %% %s
            """,
            [label[:1], programme.pk, BENEFICIARIES, n_holders],
        )
        cursor.execute(
            "SELECT min(id) FROM beneficiaries_beneficiary WHERE programme_id = %s",
            [programme.pk],
        )
        first_beneficiary = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO ledger_redemption (operator_id, place_id, service_id, idempotency_key,
              pass_count, amount_cents, created_at)
            SELECT CASE WHEN g %% 4 = 0 THEN %s ELSE %s END,
                   CASE WHEN g %% 4 = 0 THEN %s ELSE %s END,
                   CASE WHEN g %% 4 = 0 THEN %s ELSE %s END,
                   'bench-' || %s || '-' || g, 1, 1000, now()
            FROM generate_series(0, %s - 1) g
            """,
            [
                operators[1][0],
                operators[0][0],
                operators[1][1],
                operators[0][1],
                operators[1][2],
                operators[0][2],
                label,
                REDEMPTIONS,
            ],
        )
        cursor.execute(
            "SELECT min(id) FROM ledger_redemption WHERE idempotency_key LIKE %s",
            [f"bench-{label}-%"],
        )
        first_redemption = cursor.fetchone()[0]
        # Booklets: 10 % stay with the funder, 10 % with a municipality, the rest with a
        # prescriber structure; custody and last movement spread over 300 days.
        cursor.execute(
            """
            INSERT INTO ledger_booklet (order_id, number, serial, holder_id, held_since,
              last_moved_at)
            SELECT %s, %s + b, 'C' || lpad((%s + b)::text, 8, '0'),
              CASE WHEN b %% 10 = 0 THEN %s WHEN b %% 10 = 1 THEN h.town_id ELSE h.holder_id END,
              %s::timestamptz + (b %% 90) * interval '1 day',
              %s::timestamptz + (b %% 300) * interval '1 day'
            FROM generate_series(0, %s - 1) b JOIN bench_holder h ON h.k = b %% %s
            """,
            [
                order.pk,
                first_booklet,
                first_booklet,
                funder.pk,
                START,
                START,
                booklets,
                n_holders,
            ],
        )
        # Passes: by g % 100 — 0-29 in stock, 30-54 handed out, 55-89 used, 90-94 reimbursed,
        # 95-97 cancelled, 98-99 expired (stock passes of funder-held booklets stay in stock).
        cursor.execute(
            """
            INSERT INTO ledger_pass (order_id, booklet_id, number, serial, status, holder_id,
              beneficiary_id, distributed_at, redeemed_at, redemption_id, redeemed_from_stock)
            SELECT %(order)s, b.id, %(first)s + g, lpad((%(first)s + g)::text, 10, '0'), s.status,
              b.holder_id,
              CASE WHEN s.handed THEN %(ben)s + g %% %(bens)s END,
              CASE WHEN s.handed THEN %(start)s::timestamptz + (g %% 300) * interval '1 day' END,
              CASE WHEN s.used THEN %(start)s::timestamptz + (g %% 300 + g %% 37) * interval '1 day'
                + interval '3 hours' END,
              CASE WHEN s.used THEN %(red)s + g %% %(reds)s END,
              false
            FROM generate_series(0, %(size)s - 1) g
            JOIN ledger_booklet b ON b.number = %(first_booklet)s + g / 10
            CROSS JOIN LATERAL (
              SELECT CASE
                WHEN b.holder_id = %(funder)s OR g %% 100 < 30 THEN 'IN_STOCK'
                WHEN g %% 100 < 55 THEN 'DISTRIBUTED'
                WHEN g %% 100 < 90 THEN 'REDEEMED'
                WHEN g %% 100 < 95 THEN 'REIMBURSED'
                WHEN g %% 100 < 98 THEN 'CANCELLED'
                ELSE 'EXPIRED' END AS status
            ) st
            CROSS JOIN LATERAL (
              SELECT st.status,
                st.status IN ('DISTRIBUTED', 'REDEEMED', 'REIMBURSED') AS handed,
                st.status IN ('REDEEMED', 'REIMBURSED') AS used
            ) s
            """,
            {
                "order": order.pk,
                "first": first_number,
                "first_booklet": first_booklet,
                "ben": first_beneficiary,
                "bens": BENEFICIARIES,
                "start": START,
                "red": first_redemption,
                "reds": REDEMPTIONS,
                "size": size,
                "funder": funder.pk,
            },
        )
        # Custody events: one allocation (funder → municipality) per booklet outside the funder.
        cursor.execute(
            """
            INSERT INTO ledger_passevent (created_at, kind, order_id, first_number, last_number,
              pass_count, to_status, from_holder_id, to_holder_id, reason, details, signature)
            SELECT %s::timestamptz + (b %% 60) * interval '1 day', 'TRANSFERRED', %s,
              %s + b * 10, %s + b * 10 + 9, 10, '', %s, h.town_id, '', '{}', 'bench'
            FROM generate_series(0, %s - 1) b JOIN bench_holder h ON h.k = b %% %s
            WHERE b %% 10 <> 0
            """,
            [START, order.pk, first_number, first_number, funder.pk, booklets, n_holders],
        )
        cursor.execute("DROP TABLE bench_holder")
        ids["generate_s"] = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return programme, ids


def _page_time(client: Client, url: str) -> float:
    response = client.get(url, HTTP_HOST="localhost")
    assert response.status_code == 200, response.status_code
    best = float("inf")
    for _ in range(PAGE_RUNS):
        t0 = time.perf_counter()
        response = client.get(url, HTTP_HOST="localhost")
        best = min(best, time.perf_counter() - t0)
        assert response.status_code == 200
    return best


def run() -> None:
    if connection.vendor != "postgresql":
        print(
            "Ce banc d'essai n'a de sens que sur PostgreSQL : relancez avec "
            "DATABASE_URL=postgres://… make bench (ignoré sur SQLite)."
        )
        return
    from accounts.models import User
    from steering.services import refresh_programme

    user = User.objects.create_user(email="bench-steering@passnum.example", password="x")
    client = Client()
    client.force_login(user)
    results = {}
    number = 10**8
    for size in SIZES:
        label = "petit" if size == SIZES[0] else "grand"
        programme, ids = _setup(label, size, number, user)
        number += size + 10
        t0 = time.perf_counter()
        refresh = refresh_programme(programme)
        refresh_s = time.perf_counter() - t0
        url = reverse("steering:programme", args=[programme.pk])
        results[size] = (programme, url, ids["generate_s"], refresh_s, refresh.pass_count)
    # Pages timed once both programmes exist (same database, same caches).
    for size, (programme, url, generate_s, refresh_s, passes) in results.items():
        page = _page_time(client, url)
        results[size] = (programme, url, generate_s, refresh_s, passes, page)
        print(
            f"{passes:>12,} pass : génération SQL {generate_s:.1f} s ; calcul des chiffres "
            f"(tâche de fond) {refresh_s:.1f} s ; page « Tableau de bord du programme » "
            f"{page * 1000:.1f} ms (meilleur de {PAGE_RUNS})".replace(",", " ")
        )
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(client.get, results[SIZES[-1]][1], HTTP_HOST="localhost")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    small, large = (results[s][5] for s in SIZES)
    print(
        f"ratio page {SIZES[1]:,} / {SIZES[0]:,} pass : {large / small:.2f} (objectif ≤ 3)".replace(
            ",", " "
        )
    )
    print(
        f"ratio du calcul en tâche de fond : {results[SIZES[1]][3] / results[SIZES[0]][3]:.1f} "
        "(tâche de fond, hors page)"
    )
