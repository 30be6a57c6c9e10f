"""Run every benchmark in bench/ (files named bench_*.py) against a throw-away database.

Each benchmark prints the sizes it used, the times measured in this single run and a ratio:
ours against the raw database doing the same work, or large against small.
Usage: make bench   (SQLite)   or   DATABASE_URL=postgres://… make bench
"""

import importlib.util
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "passnum.settings")
os.environ.setdefault("DEBUG", "1")


def main() -> int:
    import django
    from django.db import connection

    django.setup()
    names = sorted(p for p in (ROOT / "bench").glob("bench_*.py"))
    only = sys.argv[1:]
    db_name = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, keepdb=False, serialize=False
    )
    print(f"Base de test : {connection.vendor} ({db_name})")
    try:
        for path in names:
            if only and path.stem not in only:
                continue
            spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            print(f"\n== {path.stem} ==")
            module.run()
    finally:
        connection.creation.destroy_test_db(db_name, verbosity=0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
