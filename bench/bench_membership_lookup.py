"""The object-level permission check every view runs: our helper against raw SQL.

Sizes: 2 000 organisations with 5 members each (10 000 memberships); 3 000 look-ups.
"""

import time

from django.db import connection

from accounts.models import User
from organisations.models import Membership, Organisation, Role
from organisations.queries import get_membership

ORGS, MEMBERS, LOOKUPS = 2_000, 5, 3_000


def _setup() -> list[tuple[int, int]]:
    orgs = Organisation.objects.bulk_create(
        Organisation(kind=Organisation.Kind.PRESCRIBER, name=f"Structure {i}") for i in range(ORGS)
    )
    users = User.objects.bulk_create(
        User(email=f"bench{i}@exemple.fr", password="!") for i in range(ORGS * MEMBERS)
    )
    Membership.objects.bulk_create(
        Membership(user=users[i], organisation=orgs[i // MEMBERS], role=Role.MEMBER)
        for i in range(ORGS * MEMBERS)
    )
    return [(users[i].pk, orgs[i // MEMBERS].pk) for i in range(0, ORGS * MEMBERS, 3)][:LOOKUPS]


def run() -> None:
    pairs = _setup()
    users = {u.pk: u for u in User.objects.filter(pk__in=[p[0] for p in pairs])}
    sql = (
        "SELECT m.id, m.role, o.id, o.name FROM organisations_membership m "
        "JOIN organisations_organisation o ON o.id = m.organisation_id "
        "WHERE m.user_id = %s AND m.organisation_id = %s AND m.is_active AND o.is_active"
    )
    for _ in range(2):  # warm-up round, then the measured one
        start = time.perf_counter()
        with connection.cursor() as cursor:
            for user_id, org_id in pairs:
                cursor.execute(sql, [user_id, org_id])
                assert cursor.fetchone() is not None
        raw = time.perf_counter() - start
        start = time.perf_counter()
        for user_id, org_id in pairs:
            assert get_membership(users[user_id], org_id) is not None
        ours = time.perf_counter() - start
    print(f"tailles : {ORGS} organisations, {ORGS * MEMBERS} adhésions, {len(pairs)} vérifications")
    print(f"SQL brut : {raw * 1000:.1f} ms ({raw / len(pairs) * 1e6:.0f} µs par vérification)")
    print(f"Passnum (get_membership) : {ours * 1000:.1f} ms ({ours / len(pairs) * 1e6:.0f} µs)")
    print(f"ratio Passnum / SQL brut : {ours / raw:.2f}")
