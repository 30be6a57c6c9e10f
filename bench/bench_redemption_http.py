"""Redemptions over HTTP (gunicorn, POST /api/v1/redemptions, 16 concurrent clients) against the
same work in raw SQL over 16 connections (INSERT redemption, conditional UPDATE of the pass,
INSERT line, INSERT event, one transaction each).

PostgreSQL only: gunicorn serves the SAME throw-away database as bench/run.py (its name is passed
through DATABASE_URL), with production settings (DEBUG=0) and CONN_MAX_AGE=60 (persistent
connections, as in production). Sizes: one pass per redemption (service price 1); at most
HTTP_COUNT requests or TIME_LIMIT seconds per side. Target: HTTP ≥ 15 % of the raw rate. Then,
in process: the SQL statements of one redemption and its CPU time (over the spare passes); if
short, one request is profiled with cProfile (CPU time).
"""

import cProfile
import http.client
import io
import json
import os
import pstats
import queue
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from django.db import connection
from django.utils import timezone

CLIENTS = 16
HTTP_COUNT = 3_000
RAW_COUNT = 3_000
TIME_LIMIT = 30.0  # seconds per side
BOOKLETS = (HTTP_COUNT + RAW_COUNT + 200) // 10 + 1
ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.15


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    s = connection.settings_dict
    auth = quote(s.get("USER") or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{s['NAME']}"


def _setup():
    from api import services as api_services
    from ledger.events import record_events
    from ledger.models import EventKind, Pass, PassStatus
    from ledger.tests import factories
    from organisations.models import Role
    from passnum.testing import make_member, make_user

    order = factories.order(booklets=BOOKLETS)
    now = timezone.now()
    Pass.objects.filter(order=order).update(status=PassStatus.DISTRIBUTED, distributed_at=now)
    numbers = list(Pass.objects.filter(order=order).values_list("number", flat=True))
    record_events(
        order, EventKind.DISTRIBUTED, numbers, to_status=PassStatus.DISTRIBUTED, created_at=now
    )
    org, place, service = factories.operator("Opérateur du banc d'essai")
    user = make_user()
    make_member(org, Role.MEMBER, user=user)
    _, token = api_services.create_token(user, "Banc d'essai", actor=user)
    passes = list(Pass.objects.filter(order=order).order_by("number").values_list("id", "serial"))
    return order, org, place, service, user, token, passes


# CPU time of the processes at work (Linux /proc): gunicorn's workers, the PostgreSQL backends of
# the throw-away database, and this process (the clients). Unlike the rates, the CPU time per
# redemption hardly depends on what else the machine runs.
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(entry.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def _backends() -> dict[int, float]:
    """CPU seconds of the client backends connected to the throw-away database (not the
    autovacuum workers that the bulk setup may wake)."""
    import psycopg

    s = connection.settings_dict
    params = {
        "dbname": s["NAME"],
        "user": s.get("USER") or None,
        "password": s.get("PASSWORD") or None,
        "host": s.get("HOST") or "127.0.0.1",
        "port": s.get("PORT") or 5432,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as conn:
        pids = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ).fetchall()
    return {pid: _cpu_seconds(pid) for (pid,) in pids}


raw_backends_cpu = [0.0]  # CPU seconds of the raw side's backends (they close at its end)


class _CpuMeter:
    """CPU seconds used between start() and stop() by some processes and the PG backends."""

    def __init__(self, pids: list[int] | None = None):
        self.pids = pids or []

    def start(self) -> None:
        self.own = time.process_time()
        self.procs = {pid: _cpu_seconds(pid) for pid in self.pids}
        self.backends = _backends()

    def stop(self) -> dict[str, float]:
        backends = _backends()
        return {
            "clients": time.process_time() - self.own,
            "gunicorn": sum(_cpu_seconds(pid) - cpu for pid, cpu in self.procs.items()),
            "postgres": sum(cpu - self.backends.get(pid, 0.0) for pid, cpu in backends.items()),
        }


def _cpu_line(name: str, used: dict[str, float], count: int) -> float:
    total = sum(used.values())
    if not count:
        return 0.0
    parts = [f"{key} {value / count * 1000:.2f} ms" for key, value in used.items() if value]
    print(f"CPU par encaissement, {name} : {total / count * 1000:.2f} ms ({', '.join(parts)})")
    return total / count


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _start_gunicorn(port: int) -> subprocess.Popen:
    from django.conf import settings

    env = dict(os.environ)
    env.update(
        # Production settings (no DEBUG query logging), over plain HTTP on the loopback, with
        # the same pass-code keys as this process so that the codes it computes are valid.
        DATABASE_URL=_database_url(),
        DEBUG="0",
        HTTPS="0",
        SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        PASS_CODE_KEYS=";".join(f"{k}:{v}" for k, v in settings.PASS_CODE_KEYS.items()),
        PASS_CODE_CURRENT_KEY_ID=settings.PASS_CODE_CURRENT_KEY_ID,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        CONN_MAX_AGE="60",
        DJANGO_SETTINGS_MODULE="passnum.settings",
        LOG_LEVEL="WARNING",
    )
    workers = int(os.environ.get("BENCH_GUNICORN_WORKERS", max(2, (os.cpu_count() or 1) * 2)))
    cmd = [
        str(Path(sys.executable).with_name("gunicorn")),
        "passnum.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        "4",
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)  # noqa: S603
    deadline = time.monotonic() + 120  # a loaded 2-core machine boots 4 workers slowly
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/openapi.json")
            conn.getresponse().read()
            conn.close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("gunicorn n'a pas démarré en 120 s.")


def _http_side(port, token, org, place, service, order, passes) -> tuple[int, float, list, dict]:
    from ledger import codes

    work: queue.Queue = queue.Queue()
    for _pk, serial in passes:
        work.put(serial)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + TIME_LIMIT
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, counts = [], {}
        while time.monotonic() < stop_at:
            try:
                serial = work.get_nowait()
            except queue.Empty:
                break
            body = json.dumps(
                {
                    "operator_id": org.pk,
                    "place_id": place.pk,
                    "service_id": service.pk,
                    "passes": [{"serial": serial, "code": codes.pass_code(order.key_id, serial)}],
                }
            )
            start = time.perf_counter()
            conn.request(
                "POST",
                "/api/v1/redemptions",
                body=body,
                headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
            )
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - start)
            counts[response.status] = counts.get(response.status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for k, v in counts.items():
                statuses[k] = statuses.get(k, 0) + v

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return statuses.get(201, 0), elapsed, latencies, statuses


def _raw_side(org, place, service, order, user, passes) -> tuple[int, float, list]:
    import psycopg

    s = connection.settings_dict
    params = {
        "dbname": s["NAME"],
        "user": s.get("USER") or None,
        "password": s.get("PASSWORD") or None,
        "host": s.get("HOST") or "127.0.0.1",
        "port": s.get("PORT") or 5432,
    }
    work: queue.Queue = queue.Queue()
    for pk, _serial in passes:
        work.put(pk)
    numbers = _numbers(order)
    latencies: list[float] = []
    done = [0]
    raw_backends_cpu[0] = 0.0
    lock = threading.Lock()
    stop_at = time.monotonic() + TIME_LIMIT

    def client():
        mine, ok = [], 0
        with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as conn:
            while time.monotonic() < stop_at:
                try:
                    pk = work.get_nowait()
                except queue.Empty:
                    break
                start = time.perf_counter()
                with conn.transaction(), conn.cursor() as cur:
                    now = timezone.now()
                    cur.execute(
                        "INSERT INTO ledger_redemption (operator_id, place_id, service_id, "
                        "idempotency_key, pass_count, amount_cents, created_by_id, created_at) "
                        "VALUES (%s, %s, %s, %s, 1, %s, %s, %s) RETURNING id",
                        [
                            org.pk,
                            place.pk,
                            service.pk,
                            uuid.uuid4().hex,
                            order.face_value_cents,
                            user.pk,
                            now,
                        ],
                    )
                    redemption_id = cur.fetchone()[0]
                    cur.execute(
                        "UPDATE ledger_pass SET status = 'REDEEMED', redemption_id = %s, "
                        "redeemed_at = %s, redeemed_from_stock = (status = 'IN_STOCK') "
                        "WHERE id = %s AND status IN ('DISTRIBUTED', 'IN_STOCK')",
                        [redemption_id, now, pk],
                    )
                    assert cur.rowcount == 1
                    cur.execute(
                        "INSERT INTO ledger_redemptionline (redemption_id, pass_id, amount_cents) "
                        "VALUES (%s, %s, %s)",
                        [redemption_id, pk, order.face_value_cents],
                    )
                    cur.execute(
                        "INSERT INTO ledger_passevent (created_at, kind, order_id, first_number, "
                        "last_number, pass_count, to_status, actor_id, redemption_id, reason, "
                        "details, signature) VALUES (%s, 'REDEEMED', %s, %s, %s, 1, 'REDEEMED', "
                        "%s, %s, '', '{}', %s)",
                        [now, order.pk, numbers[pk], numbers[pk], user.pk, redemption_id, "0" * 64],
                    )
                mine.append(time.perf_counter() - start)
                ok += 1
            backend_cpu = _cpu_seconds(conn.info.backend_pid)  # read before it closes
        with lock:
            raw_backends_cpu[0] += backend_cpu
            latencies.extend(mine)
            done[0] += ok

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done[0], time.perf_counter() - start, latencies


def _numbers(order) -> dict[int, int]:
    from ledger.models import Pass

    return dict(Pass.objects.filter(order=order).values_list("id", "number"))


def _in_process(token, org, place, service, order, serials, *, profile: bool) -> None:
    """In this process, through Django's test client (no HTTP, no gunicorn), with DEBUG off:
    the SQL statements of one redemption, the CPU time per redemption (process time, so less
    sensitive to the other processes of the machine than the rates) and, with ``profile``, a
    cProfile of one request (CPU time)."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from ledger import codes

    client = Client(headers={"Authorization": f"Bearer {token}"}, SERVER_NAME="127.0.0.1")

    def post(serial):
        body = json.dumps(
            {
                "operator_id": org.pk,
                "place_id": place.pk,
                "service_id": service.pk,
                "passes": [{"serial": serial, "code": codes.pass_code(order.key_id, serial)}],
            }
        )
        return client.post(
            "/api/v1/redemptions",
            body,
            content_type="application/json",
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )

    with override_settings(DEBUG=False):
        post(serials[0])  # warm-up: imports, URL resolver, first connection
        with CaptureQueriesContext(connection) as queries:
            post(serials[1])
        statements = [(q["sql"] or "?").split(None, 1)[0].upper() for q in queries.captured_queries]
        print(f"requêtes SQL d'un encaissement : {len(statements)} ({', '.join(statements)})")
        measured = serials[3:]
        start = time.process_time()
        for serial in measured:
            post(serial)
        cpu = (time.process_time() - start) / len(measured)
        print(
            f"temps CPU d'un encaissement dans ce processus (client de test Django, sans HTTP, "
            f"moyenne sur {len(measured)}) : {cpu * 1000:.1f} ms"
        )
        if not profile:
            return
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        response = post(serials[2])
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(r"passnum|ledger|api|organisations|ninja", 25)
    stats.sort_stats("tottime").print_stats(12)
    print(
        f"profil d'une requête, temps CPU (réponse {response.status_code}), 25 premières lignes :"
    )
    print(out.getvalue())


def _line(name, count, elapsed, latencies) -> float:
    rate = count / elapsed if elapsed else 0.0
    print(
        f"{name} : {count} encaissements en {elapsed:.2f} s → {rate:.0f}/s ; "
        f"p50 {_percentile(latencies, 50) * 1000:.1f} ms, "
        f"p99 {_percentile(latencies, 99) * 1000:.1f} ms"
    )
    return rate


def run() -> None:
    if connection.vendor != "postgresql":
        print(
            "Ce banc d'essai n'a de sens que sur PostgreSQL : relancez avec "
            "DATABASE_URL=postgres://… make bench (ignoré sur SQLite)."
        )
        return
    order, org, place, service, user, token, passes = _setup()
    http_passes = passes[:HTTP_COUNT]
    raw_passes = passes[HTTP_COUNT : HTTP_COUNT + RAW_COUNT]
    spare = passes[HTTP_COUNT + RAW_COUNT :]
    connection.close()  # gunicorn and the raw clients use their own connections
    port = _free_port()
    print(
        f"tailles : {len(passes)} pass distribués ; {CLIENTS} clients concurrents ; au plus "
        f"{HTTP_COUNT} encaissements HTTP et {RAW_COUNT} en SQL brut, {TIME_LIMIT:.0f} s chacun ; "
        f"1 pass par encaissement ; gunicorn gthread, {max(2, (os.cpu_count() or 1) * 2)} "
        f"workers × 4 threads, port {port}"
    )
    proc = _start_gunicorn(port)
    try:
        meter = _CpuMeter([proc.pid, *_children(proc.pid)])
        meter.start()
        count, elapsed, latencies, statuses = _http_side(
            port, token, org, place, service, order, http_passes
        )
        http_cpu = meter.stop()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    if set(statuses) - {201}:
        print(f"réponses HTTP inattendues : {statuses}")
    http_rate = _line("HTTP (gunicorn, API)", count, elapsed, latencies)
    meter = _CpuMeter()
    meter.start()
    raw_count, raw_elapsed, raw_latencies = _raw_side(org, place, service, order, user, raw_passes)
    raw_cpu = meter.stop()
    raw_cpu["postgres"] += raw_backends_cpu[0]
    raw_rate = _line("SQL brut (16 connexions)", raw_count, raw_elapsed, raw_latencies)
    ratio = http_rate / raw_rate if raw_rate else 0.0
    verdict = "objectif atteint" if ratio >= TARGET_RATIO else "objectif NON atteint"
    print(f"ratio HTTP / SQL brut : {ratio:.2f} ({verdict} : ≥ {TARGET_RATIO:.2f})")
    per_http = _cpu_line("HTTP", http_cpu, count)
    per_raw = _cpu_line("SQL brut", raw_cpu, raw_count)
    if per_http:
        print(
            f"ratio des temps CPU SQL brut / HTTP : {per_raw / per_http:.2f} (indicatif : le "
            "ratio des débits si les deux côtés n'étaient limités que par le processeur)"
        )
    _in_process(
        token,
        org,
        place,
        service,
        order,
        [serial for _pk, serial in spare],
        profile=ratio < TARGET_RATIO,
    )
