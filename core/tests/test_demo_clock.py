from datetime import timedelta

import pytest
from django.utils import timezone

from core import demo_clock


def test_the_demo_clock_dates_a_step_in_the_past_and_only_there():
    before = timezone.now() - timedelta(days=100)
    with demo_clock.at(before) as frozen:
        assert timezone.now() == frozen == before
        assert timezone.localdate() == timezone.localtime(before).date()
    assert timezone.now() - before > timedelta(days=99)


def test_the_demo_clock_refuses_the_future_and_naive_dates():
    with (
        pytest.raises(demo_clock.DemoClockError),
        demo_clock.at(timezone.now() + timedelta(days=1)),
    ):
        pass
    with (
        pytest.raises(demo_clock.DemoClockError),
        demo_clock.at(timezone.now().replace(tzinfo=None) - timedelta(days=1)),
    ):
        pass
