"""Browser fixtures: Debian's Chromium driven by Playwright (never a downloaded browser), one
browser per module, a fresh context per test, against pytest-django's live server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import DEMO_PASSWORD

# Patients due for their next dose (the planner story uses them).
from tests.planning.conftest import due_ocrevus, due_tysabri  # noqa: F401, E402
from tests.services import which_chromium

# The sync Playwright API runs an event loop in this thread; Django's ORM calls from the test
# body are still plain synchronous calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=which_chromium(), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """new_page() -> a page in its own context (own cookies), 1280 px wide."""
    contexts = []

    def make(width: int = 1280, height: int = 900):
        context = browser.new_context(
            viewport={"width": width, "height": height}, base_url=live_server.url
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def screenshot(page, name: str, **kw) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, **kw)
    return path


def _axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


AXE_RESULTS: dict[str, dict[str, int]] = {}


def axe_check(page, name: str) -> dict[str, int]:
    """Run axe-core on the page; fail on any serious or critical violation; record the counts."""
    # Evaluated through the DevTools protocol, not as an inline <script>: the pages' CSP
    # (script-src 'self') blocks inline scripts, axe's included.
    page.evaluate(_axe_source() + "\n;undefined")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    counts: dict[str, int] = {}
    for v in result["violations"]:
        counts[v["impact"]] = counts.get(v["impact"], 0) + len(v["nodes"])
    AXE_RESULTS[name] = counts
    ids = sorted({f"{v['id']}:{v['impact']}" for v in result["violations"]})
    print(f"axe {name}: {counts or 'no violations'} {ids}")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"axe on {name}:\n" + "\n".join(bad)
    return counts
