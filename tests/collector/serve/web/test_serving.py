"""Serving the dashboard for real: from a collector (`serve --ui`), as `netcensus ui` over a file, over TLS;
plaintext off loopback refused; users created with `netcensus users add` reading the password from stdin."""

from __future__ import annotations

import re
import shutil
import signal
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from netcensus.v1 import ingest_pb2

from collector.errors import UsageError
from collector.serve.web.serving import bind_socket
from tests.collector.serve.helpers import enroll, report_stream
from tests.collector.serve.test_live_ack import host_report
from tests.conftest import BIN, TEST_TOKEN, run_cli


def _login(client: httpx.Client, **form: str) -> httpx.Response:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    return client.post("/login", data={"csrf": csrf, "next": "/", **form})


def test_plaintext_off_loopback_is_refused() -> None:
    with pytest.raises(UsageError, match="refusing to serve the dashboard in plaintext"):
        bind_socket("0.0.0.0:0", tls=False)
    out = run_cli("netcensus", "ui", "--db", "/nonexistent.duckdb", "--listen", "0.0.0.0:0")
    assert out.code == 1 and len(out.err.strip().splitlines()) == 1 and "Traceback" not in out.err


def test_the_collector_serves_the_dashboard_and_audits_it(make_collector: Any) -> None:
    running = make_collector(ui_listen="127.0.0.1:0")
    c = running.collector
    assert c.ui_port > 0
    with httpx.Client(base_url=f"http://127.0.0.1:{c.ui_port}", follow_redirects=True, timeout=30) as client:
        first = client.get("/findings")
        assert first.url.path == "/login"
        assert _login(client, token=TEST_TOKEN).url.path == "/"
        page = client.get("/sources")
        assert page.status_code == 200 and "bootstrap (admin)" in page.text
    rows = c.store.audit_entries()
    assert any(r["who"] == "bootstrap" and r["action"] == "web GET" and r["target"] == "/sources" for r in rows)
    assert any(r["who"] == "-" and r["target"] == "/findings" and str(r["outcome"]).startswith("401") for r in rows)


def test_the_collector_serves_it_over_tls_with_its_certificate(make_collector: Any, tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    assert run_cli("netcensus", "certs", "ca", "--dir", str(certs)).code == 0
    assert run_cli("netcensus", "certs", "server", "--dir", str(certs)).code == 0
    running = make_collector(ui_listen="127.0.0.1:0", tls_cert=certs / "server.pem", tls_key=certs / "server-key.pem")
    port = running.collector.ui_port
    with httpx.Client(base_url=f"https://localhost:{port}", verify=ssl.create_default_context(cafile=certs / "ca.pem"),
                      timeout=30) as client:
        login = client.get("/login")
        assert login.status_code == 200 and login.headers["strict-transport-security"].startswith("max-age=")
        assert "secure" in login.headers["set-cookie"].lower()
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)  # no plaintext on the TLS port


def test_users_add_from_stdin_then_netcensus_ui_serves_the_file_read_only(tmp_path: Path, estate: Path) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copy(estate, db)
    add = subprocess.run([str(BIN / "netcensus"), "users", "add", "carol", "--role", "reader", "--db", str(db)],
                         input="a fine passphrase\n", capture_output=True, text=True, timeout=60, check=False)
    assert add.returncode == 0, add.stderr
    assert "a fine passphrase" not in add.stdout + add.stderr
    short = subprocess.run([str(BIN / "netcensus"), "users", "add", "dave", "--role", "reader", "--db", str(db)],
                           input="short\n", capture_output=True, text=True, timeout=60, check=False)
    assert short.returncode == 1 and "too short" in short.stderr and len(short.stderr.strip().splitlines()) == 1
    again = subprocess.run([str(BIN / "netcensus"), "users", "add", "carol", "--role", "admin", "--db", str(db)],
                           input="another passphrase\n", capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode == 1 and "exists already" in again.stderr
    listed = run_cli("netcensus", "users", "list", "--db", str(db))
    assert "carol" in listed.out and "reader" in listed.out and "scrypt" not in listed.out

    proc = subprocess.Popen([sys.executable, "-m", "collector.cli", "ui", "--db", str(db), "--listen", "127.0.0.1:0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        port = int(re.search(r"127\.0\.0\.1:(\d+)/", line).group(1))  # type: ignore[union-attr]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=True, timeout=30) as client:
            assert _login(client, name="carol", password="wrong passphrase").url.params.get("error") == "1"
            assert _login(client, name="carol", password="a fine passphrase").url.path == "/"
            page = client.get("/")
            assert "read-only copy" in page.text and "carol (reader)" in page.text
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "who=carol" in err and "target='/'" in err  # the access log of a read-only dashboard: its log lines


def test_demo_keep_serves_its_dashboard_with_the_printed_login(tmp_path: Path) -> None:
    proc = subprocess.Popen([str(BIN / "netcensus"), "demo", "--no-lab", "--keep", "--dir", str(tmp_path / "demo")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        found = None
        for line in proc.stdout:  # type: ignore[union-attr]
            found = re.search(r"dashboard: (http://127\.0\.0\.1:\d+/)\s+\(log in as demo / (\S+)\)", line)
            if found:
                break
        assert found, "the demo printed no dashboard URL and login"
        with httpx.Client(base_url=found.group(1), follow_redirects=True, timeout=30) as client:
            assert _login(client, name="demo", password=found.group(2)).url.path == "/"
            page = client.get("/findings?state=all")
            assert page.status_code == 200 and "demo (reader)" in page.text
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    assert proc.returncode == 0


def test_the_asset_page_shows_a_report_as_soon_as_the_collector_settled_it(make_collector: Any) -> None:
    """The asset page reads the live state, not a refresh kept for a minute: a renamed host shows at once."""
    running = make_collector(ui_listen="127.0.0.1:0")
    c = running.collector
    with grpc.insecure_channel(running.target) as channel, \
            httpx.Client(base_url=f"http://127.0.0.1:{c.ui_port}", follow_redirects=True, timeout=30) as client:
        assert _login(client, token=TEST_TOKEN).url.path == "/"
        source, key = enroll(channel)
        for seq, host in enumerate(["desk-7", "desk-7-renamed"], start=1):
            acks, err = report_stream(channel, [host_report(source, seq, host=host, mac="00:1b:21:00:00:07",
                                                            software=["bash"])], key)
            assert err is None and acks[0].status == ingest_pb2.ACK_STATUS_STORED
            assert c.settle(timeout=60)
            (member,) = c.store.query("SELECT asset_id FROM asset_members WHERE subject = ?", [f"agent:{source}"])
            page = client.get(f"/assets/{member['asset_id']}")
            assert page.status_code == 200
            assert f"<h1>{host}</h1>" in page.text, (host, re.findall(r"<h1>[^<]*</h1>", page.text))


def test_open_pages_ask_the_pulse_which_moves_with_each_live_update_and_is_not_audited(make_collector: Any) -> None:
    running = make_collector(ui_listen="127.0.0.1:0")
    c = running.collector
    with grpc.insecure_channel(running.target) as channel, \
            httpx.Client(base_url=f"http://127.0.0.1:{c.ui_port}", follow_redirects=False, timeout=30) as client:
        assert client.get("/pulse").status_code == 401  # a session like every page
        _login(client, token=TEST_TOKEN)
        assert c.settle(timeout=60)
        before = int(client.get("/pulse").text)
        page = client.get("/findings")
        assert f'data-generation="{before}"' in page.text
        source, key = enroll(channel)
        acks, err = report_stream(channel, [host_report(source, 1, host="desk-9", mac="00:1b:21:00:00:09",
                                                        software=["bash"])], key)
        assert err is None and acks[0].status == ingest_pb2.ACK_STATUS_STORED
        assert c.settle(timeout=60)
        assert int(client.get("/pulse").text) > before  # the open page fetches its content again
    targets = [r["target"] for r in c.store.audit_entries() if r["who"] == "bootstrap"]
    assert "/findings" in targets and "/pulse" not in targets
