import pytest

from steering import demo
from steering.models import Figure, Refresh

from .scenario import build

pytestmark = pytest.mark.django_db


def test_demo_load_is_idempotent():
    s = build()
    first = demo.load(s.programme)
    rows = sorted(Figure.objects.values_list("metric", "bucket", "value"))
    second = demo.load(s.programme)
    assert sorted(Figure.objects.values_list("metric", "bucket", "value")) == rows
    assert Refresh.objects.filter(programme=s.programme).count() == 1
    assert "/pilotage/programme/" in first["lines"][0] and second["logins"] == []
