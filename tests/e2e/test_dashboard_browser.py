"""The dashboard in a real browser: Debian's chromium, headless, driven by Playwright, against a collector
fed by the agent's transport — log in, overview, a card to its filtered list, a finding to its asset, CSV
export, a hostile host name inert, charts drawn under the CSP, and a new sighting appearing without a reload."""

from __future__ import annotations

import csv
import io
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.collector.serve.web.conftest import XSS
from tests.conftest import BIN, TEST_TOKEN, run_cli

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "a browser passphrase"
ADMIN_PASSWORD = "an admin's passphrase"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (`make sysdeps` as root installs it)")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Any]:
    """A collector with its dashboard (polling every second), an estate reported through it, an imported OSV
    feed (`send_vulnerable` reports a server with Heartbleed), users 'ann' (reader) and 'root' (admin)."""
    from collector.config import ServeConfig, default_rules_dir
    from collector.serve.server import BackgroundCollector
    from collector.serve.web.passwords import hash_password
    from collector.store import users as users_sql
    from tests.collector.vulns.vulns_support import OSV
    from tests.e2e.test_pipeline import REGISTER, host, send
    from tests.e2e.test_software_findings import BASE, TEAMVIEWER
    from tests.e2e.test_vulnerable_software import _openssl, _report

    assert run_cli("netcensus", "vulns", "import", str(OSV), "--db", str(tmp_path / "nc.duckdb")).code == 0
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
        users_sql.add_user(running.collector.store, "root", "admin", hash_password(ADMIN_PASSWORD, n=2**10),
                           datetime.now(UTC))
        running.send_host = lambda name, mac, ip: send(target, tmp_path / name, host(name, mac, ip))
        running.send_vulnerable = lambda: _report(target, tmp_path / "v", _openssl("1.0.1e-2+deb7u4"))  # web-07
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


def _lab_possible() -> bool:
    return os.geteuid() == 0 and shutil.which("ip") is not None


@pytest.mark.skipif(not _lab_possible(), reason="the namespace lab needs root and iproute2")
def test_the_real_agent_and_a_namespace_lab_sweep_appear_live_in_chromium(tmp_path: Path, browser: Any) -> None:
    """The collector fed by the real agent binaries: this machine's `netcensus-agent report --once`, then a
    `netcensus-agent lab` sweep of hosts in network namespaces (ARP, SNMP, nmap), each appearing on an
    open page without a reload; a lab host's page names the scanner's methods."""
    from collector.config import ServeConfig, default_rules_dir
    from collector.serve.server import BackgroundCollector
    from collector.serve.web.passwords import hash_password
    from collector.store import users as users_sql

    config = ServeConfig(db=tmp_path / "nc.duckdb", listen="127.0.0.1:0", rules_dirs=(default_rules_dir(),),
                         ghost_after=timedelta(0), refresh_interval=timedelta(0), admin_token=TEST_TOKEN,
                         open_enrolment=True, ui_listen="127.0.0.1:0")
    with BackgroundCollector(config) as running:
        users_sql.add_user(running.collector.store, "ann", "reader", hash_password(PASSWORD, n=2**10),
                           datetime.now(UTC))
        base = f"http://127.0.0.1:{running.collector.ui_port}"
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(base + "/assets")
        page.fill("input[name=name]", "ann")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(base + "/assets")
        page.evaluate("window.__kept = 'same page'")

        def agent(*args: str) -> None:
            done = subprocess.run([str(BIN / "netcensus-agent"), *args, "--collector", running.target],
                                  capture_output=True, text=True, timeout=300, check=False)
            assert done.returncode == 0, done.stderr[-2000:]

        agent("report", "--once", "--state-dir", str(tmp_path / "agent"))
        page.locator("#content", has_text=socket.gethostname()).wait_for(timeout=30_000)
        agent("lab", "--state-dir", str(tmp_path / "scanner"))
        page.locator("#content", has_text="lab-h1").wait_for(timeout=30_000)
        assert page.evaluate("window.__kept") == "same page"  # swapped in by htmx, not reloaded

        page.locator("#t-assets a", has_text="lab-h1").first.click()
        page.wait_for_url("**/assets/**")
        identifiers = page.inner_text("#t-identifiers")
        assert "snmp" in identifiers and "arp" in identifiers, identifiers


def _log_in(page: Any, base: str, name: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def test_admin_suppresses_a_finding_and_a_reader_sees_no_action(served: Any, browser: Any) -> None:
    base = f"http://127.0.0.1:{served.collector.ui_port}"
    vulnerable = "/findings?kind=vulnerable-software"
    served.send_vulnerable()
    assert served.collector.settle(60)

    # A reader: the same pages, no action anywhere.
    reader = browser.new_context()
    page = reader.new_page()
    _log_in(page, base, "ann", PASSWORD)
    for path in (vulnerable, "/sources", "/exceptions", "/assets"):
        page.goto(base + path)
        assert page.locator("td.actions, a[href^='/admin/'], form[action^='/admin/']").count() == 0, path
    page.goto(base + vulnerable)
    assert "web-07" in page.inner_text("#t-findings")  # the finding an admin could suppress is shown
    reader.close()

    # An admin suppresses the finding from the list: a small form, then it is gone from the open findings
    # and listed under Exceptions with the reason; ending the exception brings it back.
    admin = browser.new_context()
    page = admin.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    _log_in(page, base, "root", ADMIN_PASSWORD)
    page.goto(base + vulnerable)
    row = page.locator("#t-findings tbody tr", has_text="web-07")
    assert row.count() == 1
    row.locator("a", has_text="Suppress…").click()
    page.wait_for_url("**/admin/suppress?**")
    page.click("button[type=submit]:has-text('Accept the risk')")  # no reason yet: the browser asks for one
    assert page.url.startswith(base + "/admin/suppress")
    page.fill("input[name=reason]", "isolated VLAN until the rebuild")
    page.click("button[type=submit]:has-text('Accept the risk')")
    page.wait_for_url(base + vulnerable)
    assert page.locator("#t-findings tbody tr", has_text="web-07").count() == 0
    page.goto(base + "/exceptions")
    active = page.inner_text("#t-active")
    assert "isolated VLAN until the rebuild" in active and "CVE-2014-0160" in active and "root" in active
    page.locator("#t-active tbody tr", has_text="CVE-2014-0160").locator("button", has_text="End").click()
    page.wait_for_url(base + "/exceptions")
    page.goto(base + vulnerable)
    assert page.locator("#t-findings tbody tr", has_text="web-07").count() == 1
    assert not [m for m in console if "Content Security Policy" in m or "Refused" in m], console
    admin.close()
