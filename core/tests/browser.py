"""Helpers for the real-browser tests: Debian's Chromium driven by Playwright, axe-core checks.

The fixtures that use them (``browser``, ``page``, ``axe_check``) live in the root conftest.py.
This module imports no Django model at import time, so the root conftest can import it early.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page, Playwright

BASE_DIR = Path(__file__).resolve().parents[2]

# Debian's package: a browser downloaded by `playwright install` is not allowed (nor possible).
CHROMIUM_PATH = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # the tests run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_PATH = BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS_DIR = BASE_DIR / "test-artifacts"
SCREENSHOTS_ENV = "PASSNUM_SCREENSHOTS"

# What fails a test: axe's impacts are minor < moderate < serious < critical.
BLOCKING_IMPACTS = ("serious", "critical")
MAX_NODES_SHOWN = 5  # per rule, in failure messages

CONTEXT_OPTIONS = {
    "locale": "fr-FR",
    "timezone_id": "Europe/Paris",
    "viewport": {"width": 1280, "height": 800},
}
# Generous waiting limits: the 2-core CI machine runs the live server, Chromium and the test in
# parallel, and htmx polling pages update on their own schedule. These are upper bounds on
# waiting, never timing assertions.
DEFAULT_TIMEOUT_MS = 30_000


class ChromiumMissing(RuntimeError):
    pass


def launch_chromium(playwright: Playwright):
    """Launch Debian's Chromium, or raise a clear error (browser tests never skip)."""
    if not (CHROMIUM_PATH.is_file() and os.access(CHROMIUM_PATH, os.X_OK)):
        raise ChromiumMissing(
            f"Chromium est introuvable ({CHROMIUM_PATH}) : les tests navigateur en ont besoin. "
            "Installez le paquet Debian avec `make chromium` (ou `apt-get install chromium`). "
            "N'utilisez pas `playwright install`."
        )
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM_PATH), args=CHROMIUM_ARGS, headless=True
    )


_axe_source: str | None = None


def _axe_script() -> str:
    global _axe_source
    if _axe_source is None:
        if not AXE_PATH.is_file():
            raise RuntimeError(
                f"axe-core est introuvable ({AXE_PATH}) : lancez `make assets` (npm ci)."
            )
        _axe_source = AXE_PATH.read_text(encoding="utf-8")
    return _axe_source


def inject_axe(page: Page) -> None:
    """Load axe-core into the page without weakening its CSP.

    ``page.evaluate`` runs through the DevTools protocol, which the page's Content-Security-Policy
    does not govern, so the site keeps its strict ``script-src 'self'`` during the test.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_script())
    if not page.evaluate("() => typeof window.axe === 'object'"):
        raise RuntimeError("axe-core n'a pas pu être chargé dans la page.")


def axe_violations(page: Page, *, disable_rules: Iterable[str] = ()) -> list[dict]:
    """Run axe-core on the page as it is now and return all its violations (any impact)."""
    inject_axe(page)
    options = {"rules": {rule: {"enabled": False} for rule in disable_rules}}
    results = page.evaluate(
        """async (options) => {
            const results = await window.axe.run(document, options);
            return results.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                helpUrl: v.helpUrl,
                nodes: v.nodes.map((n) => ({
                    target: n.target.map((t) => (Array.isArray(t) ? t.join(" >>> ") : t)),
                    summary: n.failureSummary,
                    html: n.html,
                })),
            }));
        }""",
        options,
    )
    return results


def format_violations(violations: list[dict], *, url: str = "") -> str:
    """A readable report: one block per rule, with its impact, help and target selectors."""
    lines = [f"{len(violations)} violation(s) axe-core" + (f" sur {url}" if url else "") + " :"]
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']} : {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:MAX_NODES_SHOWN]:
            lines.append(f"    cible : {', '.join(node['target'])}")
            summary = " ".join((node.get("summary") or "").split())
            if summary:
                lines.append(f"      {summary[:400]}")
        if len(v["nodes"]) > MAX_NODES_SHOWN:
            lines.append(f"    … et {len(v['nodes']) - MAX_NODES_SHOWN} autre(s) élément(s)")
    return "\n".join(lines)


def assert_accessible(
    page: Page,
    *,
    impacts: Iterable[str] = BLOCKING_IMPACTS,
    disable_rules: Iterable[str] = (),
) -> list[dict]:
    """Fail when axe finds a violation of one of ``impacts`` (serious or critical by default).

    Returns every violation found (including minor and moderate ones) so a test may look further.
    """
    violations = axe_violations(page, disable_rules=disable_rules)
    blocking = [v for v in violations if v["impact"] in set(impacts)]
    assert not blocking, format_violations(blocking, url=page.url)
    return violations


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path | None:
    """Save a PNG into test-artifacts/ when PASSNUM_SCREENSHOTS is set; return its path."""
    if not os.environ.get(SCREENSHOTS_ENV):
        return None
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS_DIR / f"{safe_filename(name)}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def safe_filename(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_")[:150] or "page"


def log_in(page: Page, email: str, password: str) -> None:
    """Log in through the real form (the page's context has the live server as base URL)."""
    page.goto("/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
