import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from geo.models import Commune, Intercommunality, Qpv
from geo.services import ImportResult, import_communes

FIXTURES = Path(__file__).parent / "fixtures"
DECOUPAGE_DIR = FIXTURES / "decoupage"
QPV_CSV = FIXTURES / "qpv.csv"


@pytest.fixture
def decoupage_dir() -> Path:
    return DECOUPAGE_DIR


@pytest.fixture
def qpv_csv() -> Path:
    return QPV_CSV


@pytest.fixture
def communes(db) -> ImportResult:
    """The test extract of the découpage administratif, imported."""
    return import_communes(DECOUPAGE_DIR)


@pytest.fixture
def source_copy(tmp_path) -> Callable[..., Path]:
    """A writable copy of the extract; `edit(name, change)` rewrites one of its files, where
    `change` receives the parsed JSON and returns the new JSON (or a str written as is)."""
    target = tmp_path / "decoupage"
    shutil.copytree(DECOUPAGE_DIR, target)

    def edit(name: str | None = None, change: Callable | None = None) -> Path:
        if name is not None and change is not None:
            path = target / name
            new = change(json.loads(path.read_text(encoding="utf-8")))
            text = new if isinstance(new, str) else json.dumps(new, ensure_ascii=False)
            path.write_text(text, encoding="utf-8")
        return target

    return edit


@pytest.fixture
def snapshot() -> Callable[[], dict]:
    """Everything the imports may write, to check that a failed import changed nothing."""
    from journal.models import JournalEntry

    def take() -> dict:
        return {
            "communes": list(Commune.objects.order_by("insee_code").values()),
            "intercommunalities": list(Intercommunality.objects.order_by("code").values()),
            "qpvs": list(Qpv.objects.order_by("code").values()),
            "qpv_links": sorted(Qpv.communes.through.objects.values_list("qpv_id", "commune_id")),
            "journal": JournalEntry.objects.count(),
        }

    return take


@pytest.fixture
def user_client(client, db):
    from accounts.models import User

    user = User.objects.create_user(email="agent@example.org", password="mot-de-passe-solide-42")
    client.force_login(user)
    return client
