"""Platform jobs that belong to no domain app: the reference data refresh."""

import dataclasses
import importlib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.formats import number_format

from .services import JobError, job_task

IMPORT_COMMUNES_KIND = "geo.import_communes"
IMPORT_COMMUNES_LABEL = "Mise à jour du référentiel des communes"


def default_communes_source_dir() -> Path:
    return settings.BASE_DIR / "node_modules/@etalab/decoupage-administratif/data"


@job_task()
def import_communes_job(progress, source_dir: str) -> dict[str, Any]:
    """Import the official communes dataset with ``geo.services.import_communes(source_dir,
    progress=…)``, which calls ``progress(rows written, rows to write)``."""
    geo_services = importlib.import_module("geo.services")
    user_errors = tuple(
        cls
        for cls in (getattr(geo_services, "ReferenceDataError", None), FileNotFoundError)
        if isinstance(cls, type)
    )
    path = Path(source_dir)
    progress(0, 0, "Lecture et vérification du découpage administratif…")
    try:
        outcome = geo_services.import_communes(path, progress=_with_message(progress))
    except user_errors as exc:
        # Expected failures (missing or invalid source): nothing was changed, say why in French.
        raise JobError(f"Import des communes impossible, rien n'a été modifié : {exc}") from exc
    return import_result(outcome, progress)


def _with_message(progress):
    def report(done: int, total: int) -> None:
        progress(done, total, "Écriture des communes…")

    return report


def import_result(outcome: Any, progress) -> dict[str, Any]:
    """Whatever ``import_communes`` returns (its ImportResult, a dict, a count or nothing)
    becomes a JSON result with a French « summary »."""
    summary = ""
    if callable(getattr(outcome, "summary", None)):
        summary = str(outcome.summary())
    if callable(getattr(outcome, "details", None)):
        result = dict(outcome.details())
    elif dataclasses.is_dataclass(outcome) and not isinstance(outcome, type):
        result = dataclasses.asdict(outcome)
    elif isinstance(outcome, dict):
        result = dict(outcome)
    elif isinstance(outcome, int) and not isinstance(outcome, bool):
        result = {"communes": outcome}
    else:
        result = {}
    if summary:
        result["summary"] = summary
    elif not isinstance(result.get("summary"), str):
        count = progress.total or progress.current
        result["summary"] = (
            "Référentiel des communes mis à jour : "
            f"{number_format(count, force_grouping=True)} ligne{'s' if count > 1 else ''} écrite"
            f"{'s' if count > 1 else ''}."
        )
    return result
