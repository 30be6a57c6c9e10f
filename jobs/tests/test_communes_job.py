"""The first real job: refreshing the communes reference data (geo.services.import_communes)."""

import sys
import types
from pathlib import Path

import pytest
from django.conf import settings

from jobs.models import Job
from jobs.services import ProgressReporter, start_job
from jobs.tasks import (
    IMPORT_COMMUNES_KIND,
    IMPORT_COMMUNES_LABEL,
    import_communes_job,
    import_result,
)

GEO_FIXTURES = Path(settings.BASE_DIR) / "geo/tests/fixtures/decoupage"


def start(staff, source_dir) -> Job:
    job = start_job(
        IMPORT_COMMUNES_KIND,
        IMPORT_COMMUNES_LABEL,
        organisation=None,
        user=staff,
        task=import_communes_job,
        args=[str(source_dir)],
    )
    job.refresh_from_db()
    return job


@pytest.mark.django_db(transaction=True)
def test_a_missing_file_fails_the_job_with_a_french_message(staff, monkeypatch, tmp_path):
    def import_communes(source_dir, progress=None):
        raise FileNotFoundError(2, "No such file", str(source_dir / "communes.json"))

    monkeypatch.setitem(
        sys.modules, "geo.services", types.SimpleNamespace(import_communes=import_communes)
    )
    job = start(staff, tmp_path)
    assert job.status == Job.Status.FAILED
    assert job.error.startswith("Import des communes impossible, rien n'a été modifié")


def test_import_result_accepts_what_import_communes_may_return(make_job):
    reporter = ProgressReporter("unused")
    reporter.total = 1200

    class Outcome:
        def summary(self):
            return "Référentiel importé."

        def details(self):
            return {"communes": 1100, "arrondissements": 100}

    assert import_result(Outcome(), reporter) == {
        "communes": 1100,
        "arrondissements": 100,
        "summary": "Référentiel importé.",
    }
    assert import_result(None, reporter)["summary"] == (
        "Référentiel des communes mis à jour : 1\xa0200 lignes écrites."
    )
    assert import_result(35, reporter)["communes"] == 35


@pytest.mark.django_db(transaction=True)
def test_the_real_import_runs_as_a_job(staff):
    from geo.models import Commune

    job = start(staff, GEO_FIXTURES)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.progress_total > 0 and job.progress_current == job.progress_total
    assert job.result["summary"].startswith("Référentiel des communes importé")
    assert Commune.objects.count() > 0

    failed = start(staff, GEO_FIXTURES / "absent")
    assert failed.status == Job.Status.FAILED
    assert "introuvable" in failed.error
