from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.models import Job
from jobs.tests import demo_tasks
from organisations.models import Organisation, Role
from passnum.testing import make_member, make_org, make_user


@pytest.fixture(autouse=True)
def _reset_demo_calls():
    demo_tasks.CALLS.clear()
    yield
    demo_tasks.CALLS.clear()


@pytest.fixture
def org_a(db) -> Organisation:
    return make_org("Ville d'Aubervilliers", kind=Organisation.Kind.MUNICIPALITY)


@pytest.fixture
def org_b(db) -> Organisation:
    return make_org("Ville de Bobigny", kind=Organisation.Kind.MUNICIPALITY)


@pytest.fixture
def member_a(org_a):
    return make_member(org_a, role=Role.MEMBER)


@pytest.fixture
def member_b(org_b):
    return make_member(org_b, role=Role.MEMBER)


@pytest.fixture
def staff(db):
    return make_user(is_staff=True)


@pytest.fixture
def make_job(db):
    """``make_job(status=..., organisation=..., **fields)``: a job row in a consistent state."""

    def build(status: str = Job.Status.PENDING, **fields) -> Job:
        now = timezone.now()
        defaults = {"kind": "demo.count", "label": "Comptage de démonstration"}
        if status != Job.Status.PENDING:
            defaults["started_at"] = now - timedelta(seconds=5)
        if status in Job.FINISHED_STATUSES:
            defaults["finished_at"] = now
        if status == Job.Status.FAILED:
            defaults["error"] = "Le fichier est introuvable."
        defaults.update(fields)
        return Job.objects.create(status=status, **defaults)

    return build
