"""The dashboard in a real browser: Debian's chromium, headless, driven by Playwright, against a collector
fed by the agent's transport — log in, overview, a card to its filtered list, a finding to its asset, CSV
export, a hostile host name inert, charts drawn under the CSP, and a new sighting appearing without a reload."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.collector.serve.web.conftest import XSS
from tests.conftest import TEST_TOKEN, run_cli

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "a browser passphrase"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (`make sysdeps` as root installs it)")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Any]:
    """A collector with its dashboard (polling every second), an estate reported through it, user 'ann'."""
    from collector.config import ServeConfig, default_rules_dir
    from collector.serve.server import BackgroundCollector
    from collector.serve.web.passwords import hash_password
    from collector.store import users as users_sql
    from tests.e2e.test_pipeline import REGISTER, host, send
    from tests.e2e.test_software_findings import BASE, TEAMVIEWER

    config = ServeConfig(db=tmp_path / "nc.duckdb", listen="127.0.0.1:0", rules_dirs=(default_rules_dir(),),
                         ghost_after=timedelta(0), refresh_interval=timedelta(0), admin_token=TEST_TOKEN,
                         open_enrolment=True, ui_listen="127.0.0.1:0", ui_poll=timedelta(seconds=1))
    with BackgroundCollector(config) as running:
        target = running.target
        send(target, tmp_path / "a", host("fin-lt-014", "00:1b:21:0a:00:01", "192.0.2.11", "5CG1234ABC",
                                          (*BASE, TEAMVIEWER)))
        send(target, tmp_path / "c", host(XSS, "00:1b:21:99:99:99", "192.0.2.66", software=(TEAMVIEWER,)))
        register = tmp_path / "register.csv"
        register.write_text(REGISTER, encoding="utf-8")
        assert run_cli("netcensus", "import", str(register), "--format", "snipeit", "--collector", target).code == 0
        running.collector.refresh()
        users_sql.add_user(running.collector.store, "ann", "reader", hash_password(PASSWORD, n=2**10),
                           datetime.now(UTC))
        running.send_host = lambda name, mac, ip: send(target, tmp_path / name, host(name, mac, ip))
        yield running


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


def test_dashboard_end_to_end_in_chromium(served: Any, browser: Any, tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{served.collector.ui_port}"
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    # Log in: the first page asked for is where the login goes on to.
    page.goto(base + "/findings?kind=ghost")
    assert page.url.startswith(base + "/login")
    page.fill("input[name=name]", "ann")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/findings?kind=ghost")
    page.goto(base + "/")
    assert page.inner_text("h1") == "Overview"
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)

    # A card leads to the list it counts.
    card = page.locator("a.card", has_text="Unauthorised software")
    count = int(card.locator(".value").inner_text())
    card.click()
    page.wait_for_url("**/findings?kind=unauthorised-software")
    assert page.locator("#t-findings tbody tr").count() == count == 2

    # Export the list as CSV: the rows and columns shown.
    with page.expect_download() as download:
        page.locator("#t-findings .export a", has_text="CSV").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert len(rows) == 3 and rows[0][:3] == ["severity", "kind", "hostname"]
    assert {r[1] for r in rows[1:]} == {"unauthorised-software"}

    # Follow a finding to its asset.
    page.locator("#t-findings a", has_text="fin-lt-014").first.click()
    page.wait_for_url("**/assets/**")
    assert "Finding timeline" in page.content() and "teamviewer" in page.inner_text("#t-software")
    page.screenshot(path=str(tmp_path / "asset.png"), full_page=True)

    # The hostile host name shows as text and runs nothing.
    page.goto(base + "/assets")
    assert XSS in page.inner_text("#t-assets")
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.locator("#t-assets img").count() == 0 and dialogs == []

    # Every view opens; a filter chosen in the form lands in the URL (a link for a ticket).
    for href in page.eval_on_selector_all("header nav a", "links => links.map(a => a.getAttribute('href'))"):
        response = page.goto(base + href)
        assert response is not None and response.status == 200, href
        assert page.locator("h1").count() == 1, href
    page.goto(base + "/findings")
    page.select_option("select[name=kind]", "ghost")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/findings?*kind=ghost*")
    assert page.locator("#t-findings tbody tr").count() >= 1
    assert set(page.locator("#t-findings tbody td[data-label=Kind]").all_inner_texts()) == {"ghost"}

    # Charts are drawn by the vendored uPlot under the Content-Security-Policy.
    page.goto(base + "/trends?since=7d")
    page.wait_for_selector(".chart canvas", timeout=10_000)
    assert not [m for m in console if "Content Security Policy" in m or "Refused" in m], console

    # A new sighting appears without a reload: the page keeps its state while htmx swaps the content.
    page.goto(base + "/assets?q=new-host")
    assert "new-host-01" not in page.inner_text("#content")
    page.evaluate("window.__kept = 'same page'")
    served.send_host("new-host-01", "00:1b:21:0a:0b:0c", "192.0.2.77")
    served.collector.refresh()
    # (A locator, not wait_for_function: the CSP forbids the eval a string predicate needs.)
    page.locator("#content", has_text="new-host-01").wait_for(timeout=15_000)
    assert page.evaluate("window.__kept") == "same page"
    context.close()
