"""Production settings pass `manage.py check --deploy`; missing secrets fail loudly."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*args, **env):
    hidden = {"DEBUG", "SECRET_KEY", "PASS_CODE_KEYS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if k not in hidden}
    base.update(env, PASSNUM_VAR_DIR=str(ROOT / "var" / "check"))
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        check=False,
    )


PROD = {
    "DEBUG": "0",
    "SECRET_KEY": "x7Gq2-production-like-secret-key-for-the-check-9aZ3kLmN0pQrStUvWx",
    "PASS_CODE_KEYS": "k2026:another-long-secret-for-pass-codes-0123456789abcdef",
    "ALLOWED_HOSTS": "passnum.example.org",
    "DATABASE_URL": "sqlite:///" + str(ROOT / "var" / "check" / "db.sqlite3"),
}


def test_check_deploy_passes_with_production_settings():
    result = _run("check", "--deploy", "--fail-level", "WARNING", **PROD)
    assert result.returncode == 0, result.stdout + result.stderr


def test_missing_secret_key_fails_in_production():
    env = dict(PROD)
    env["SECRET_KEY"] = ""
    result = _run("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY doit être défini" in result.stderr


def test_missing_pass_code_key_fails_in_production():
    env = dict(PROD)
    env["PASS_CODE_KEYS"] = ""
    result = _run("check", **env)
    assert result.returncode != 0
    assert "PASS_CODE_KEYS doit être défini" in result.stderr


def test_pass_code_key_equal_to_secret_key_is_refused():
    env = dict(PROD)
    env["PASS_CODE_KEYS"] = "k1:" + PROD["SECRET_KEY"]
    result = _run("check", "--deploy", **env)
    assert result.returncode != 0
    assert "passnum.E001" in result.stderr
