"""A real estate for the dashboard tests: a collector fed by the agent's transport, a register, a hostile host."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_TOKEN, run_cli

#: A host name that would run script if a page printed it raw.
XSS = "<script>pwned=1</script><img src=x onerror=pwned=2>"  # no dot: agents send the short host name
READER_PASSWORD = "correct horse battery"
ADMIN_PASSWORD = "staple-admin-2026!"


def build_estate(db: Path, work: Path) -> Path:
    """Agents report (one with TeamViewer, one with a hostile host name), a register is imported, a refresh
    persists the findings: what a collector's file holds after a first day."""
    from collector.config import ServeConfig, default_rules_dir
    from collector.serve.server import BackgroundCollector
    from tests.e2e.test_pipeline import REGISTER, host, send
    from tests.e2e.test_software_findings import BASE, TEAMVIEWER

    config = ServeConfig(db=db, listen="127.0.0.1:0", rules_dirs=(default_rules_dir(),), ghost_after=timedelta(0),
                         refresh_interval=timedelta(0), admin_token=TEST_TOKEN, open_enrolment=True)
    with BackgroundCollector(config) as running:
        target = running.target
        send(target, work / "a", host("fin-lt-014", "00:1b:21:0a:00:01", "192.0.2.11", "5CG1234ABC",
                                      (*BASE, TEAMVIEWER)))
        send(target, work / "b", host("mkt-mb-007", "3c:22:fb:99:00:02", "192.0.2.12", "C02G7XYZMD6R"))
        send(target, work / "c", host(XSS, "00:1b:21:99:99:99", "192.0.2.66", software=(TEAMVIEWER,)))
        register = work / "register.csv"
        register.write_text(REGISTER, encoding="utf-8")
        imported = run_cli("netcensus", "import", str(register), "--format", "snipeit", "--collector", target)
        assert imported.code == 0, imported.err
        running.collector.refresh()
    return db


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The estate's database file (built once per module; tests copy it when they write)."""
    work = tmp_path_factory.mktemp("estate")
    return build_estate(work / "nc.duckdb", work)


class Audit:
    """An audit sink that keeps the rows (the collector's writer commits them to audit_log)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, object]] = []

    async def __call__(self, entry: dict[str, object]) -> None:
        self.rows.append(entry)


@pytest.fixture
def web(estate: Path, tmp_path: Path) -> Iterator[Any]:
    """A TestClient over a copy of the estate with users alice (reader) and root (admin)."""
    import shutil

    from starlette.testclient import TestClient

    from collector.inventory.refresh import refresh
    from collector.serve.access import TokenBook
    from collector.serve.web.app import build_app
    from collector.serve.web.auth import Authenticator
    from collector.serve.web.context import SnapshotCache, WebContext
    from collector.serve.web.passwords import hash_password
    from collector.store import users as users_sql
    from collector.store.duckdb import Store

    db = tmp_path / "copy.duckdb"
    shutil.copy(estate, db)
    store = Store.open(db)
    now = datetime.now(UTC)
    users_sql.add_user(store, "alice", "reader", hash_password(READER_PASSWORD, n=2**10), now)
    users_sql.add_user(store, "root", "admin", hash_password(ADMIN_PASSWORD, n=2**10), now)
    ctx = WebContext(store=store, snapshot=SnapshotCache(
        lambda: refresh(store, now=datetime.now(UTC), ghost_after=timedelta(0), persist=False), 0),
        clock=lambda: datetime.now(UTC), ghost_after=timedelta(days=14))
    audit = Audit()
    auth = Authenticator(users=lambda n: users_sql.login_record(store, n), tokens=TokenBook({}, bootstrap=TEST_TOKEN))
    app = build_app(ctx, auth=auth, audit=audit, tls=False)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        client.nc_audit = audit  # type: ignore[attr-defined]
        client.nc_auth = auth  # type: ignore[attr-defined]
        yield client
    store.close()


def login(client: Any, name: str = "alice", password: str = READER_PASSWORD, token: str = "") -> Any:
    """Log in through the form (its CSRF cookie and field included); returns the final response."""
    import re

    form = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    return client.post("/login", data={"name": name, "password": password, "token": token, "csrf": csrf,
                                       "next": "/"}, follow_redirects=False)
