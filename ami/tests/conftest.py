import pytest
import time_machine

from .helpers import DURING_CALL, build_world


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings.MEDIA_ROOT


@pytest.fixture
def during_call():
    with time_machine.travel(DURING_CALL, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(db, during_call):
    return build_world()
