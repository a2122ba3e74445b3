"""The desk in a real browser: Debian's chromium, headless, driven by Playwright (the
system browser through ``executable_path``; ``.ci/ensure-chromium`` installs it in
``make unit``). Locally without chromium the tests skip; under CI=true they fail.

Screenshots at 1280 and 390 px are written to ``tests/artifacts/`` (git-ignored) for a
person to look at."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from syncd.desk.access import sign_link
from syncd.desk.svg import WIDTH
from tests.desk.scene import SECRET, desk_scenario, served
from tests.e2e.scenario import DEFAULT_NOW, Scenario
from tests.support.reference import missing

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def _chromium() -> str:
    path = os.environ.get("SYNCD_TEST_CHROMIUM") or shutil.which("chromium") or ""
    if not path or not Path(path).exists():
        missing("chromium not installed (bash .ci/ensure-chromium installs it)")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright not installed (pip install -e '.[dev]')")
    with sync_playwright() as pw:
        # --no-sandbox: CI containers run as root, where chromium's sandbox cannot start.
        # The rest keep chromium off the network (a closed network refuses its background
        # connections, many at a time, and slows every start).
        args = [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ]
        browser = pw.chromium.launch(executable_path=executable, args=args)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def sc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    yield from desk_scenario(tmp_path_factory.mktemp("desk-browser"))


@pytest.fixture(scope="module")
def base_url(sc: Scenario) -> Iterator[str]:
    with served(sc) as client:
        yield str(client.base_url).rstrip("/")


def _page(browser: Any, base_url: str, manager: str, width: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{base_url}/desk/login/{sign_link(SECRET, manager, DEFAULT_NOW, 30)}")
    assert page.url == f"{base_url}/desk/"  # the link became a cookie; the token is gone
    return page


def test_login_by_link_shows_the_managers_clients_only(browser: Any, base_url: str) -> None:
    page = _page(browser, base_url, "Olga", 1280)
    text = page.inner_text("main")
    assert "Смартфон-маркет" in text
    assert "SHOP-1" in text
    assert "Ads Co" not in text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "desk-overview-1280.png"), full_page=True)
    page.goto(f"{base_url}/desk/timeline")
    page.screenshot(path=str(ARTIFACTS / "desk-timeline-1280.png"), full_page=True)
    page.context.close()


def test_hostile_title_is_shown_as_text(browser: Any, base_url: str) -> None:
    page = _page(browser, base_url, "Boris", 1280)
    assert page.evaluate("document.querySelectorAll('script').length") == 0
    assert "<script>alert(1)</script>" in page.inner_text("main")
    page.context.close()


def test_checkpoint_mark_is_drawn_where_the_rule_puts_it(browser: Any, base_url: str) -> None:
    page = _page(browser, base_url, "Olga", 1280)
    page.goto(f"{base_url}/desk/timeline")
    svg = page.locator("svg.timeline").bounding_box()
    mark = page.locator('g[data-key="SHOP-2"] line.cp')
    box = mark.bounding_box()
    x = float(mark.get_attribute("data-x") or "nan")
    assert svg is not None
    assert box is not None
    # Drawn: the line's centre, in screen pixels, is at its share of the chart's width.
    centre = box["x"] + box["width"] / 2 - svg["x"]
    assert centre == pytest.approx(x / WIDTH * svg["width"], abs=1.5)
    page.context.close()


def test_phone_width_needs_no_horizontal_scrolling(browser: Any, base_url: str) -> None:
    page = _page(browser, base_url, "Olga", 390)
    ARTIFACTS.mkdir(exist_ok=True)
    for path, name in (("/desk/", "overview"), ("/desk/timeline", "timeline")):
        page.goto(base_url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, path
        page.screenshot(path=str(ARTIFACTS / f"desk-{name}-390.png"), full_page=True)
    why = base_url + "/desk/why?source=agency&key=SHOP-1"
    page.goto(why)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.context.close()


def test_print_view_hides_the_navigation(browser: Any, base_url: str) -> None:
    page = _page(browser, base_url, "Olga", 1280)
    page.goto(f"{base_url}/desk/report?client=Смартфон-маркет&month=2026-11")
    assert page.locator("nav").is_visible()
    page.emulate_media(media="print")
    assert not page.locator("nav").is_visible()
    assert page.locator("table.report").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.pdf(path=str(ARTIFACTS / "desk-report.pdf"))
    assert (ARTIFACTS / "desk-report.pdf").stat().st_size > 1000
    page.context.close()
