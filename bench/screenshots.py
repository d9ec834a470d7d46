"""The README's dashboard screenshots, taken by Debian's chromium (headless, via Playwright).

What it shows: a generated estate (bench/bigdb.py: machines with synthetic names, their software, a
register, scanners and a year of finding history, so the charts have a year to draw), served
read-only as `netcensus ui --db FILE` serves it, with the clock at the estate's own "now". Nothing
in the pictures comes from the machine that takes them.

Pictures (PNG, into OUTDIR): overview.png and asset.png at a laptop's 1280 px, overview-phone.png
at a phone's 390 px.

Run (needs chromium: `make sysdeps` as root installs it):
    .venv/bin/python -m bench.screenshots OUTDIR [--machines 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import bigdb  # noqa: E402
from collector.serve.web.passwords import hash_password  # noqa: E402
from collector.serve.web.serving import over_file  # noqa: E402
from collector.store import users as users_sql  # noqa: E402
from collector.store.duckdb import Store  # noqa: E402

USER, PASSWORD = "screenshots", "a passphrase for pictures only"
NOW = bigdb.NOW + timedelta(minutes=5)


def _serve(store: Store, ready: threading.Event, port: list[int], stop: asyncio.Event,
           loop_box: list[asyncio.AbstractEventLoop]) -> None:
    """Serve the read-only dashboard on a loopback port until `stop` is set (on a thread of its own)."""
    async def main() -> None:
        loop_box.append(asyncio.get_running_loop())
        dashboard = over_file(store, "127.0.0.1:0", tls_cert=None, tls_key=None, clock=lambda: NOW)
        port.append(await dashboard.start())
        ready.set()
        await stop.wait()
        await dashboard.stop()

    asyncio.run(main())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.screenshots", description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--machines", type=int, default=2000)
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium")
    if chromium is None:
        print("screenshots: Debian's chromium is not installed (`make sysdeps` as root installs it)", file=sys.stderr)
        return 1
    args.outdir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="nc-screenshots-"))
    try:
        db = work / "estate.duckdb"
        bigdb.build(db, machines=args.machines)
        store = Store.open(db)
        users_sql.add_user(store, USER, "reader", hash_password(PASSWORD, n=2**10), NOW)
        asset = store.query("SELECT f.asset_id FROM findings f JOIN assets a USING (asset_id) "
                            "WHERE a.record_key IS NOT NULL AND f.resolved_at IS NULL "
                            "AND f.kind = 'unauthorised-software' "
                            "ORDER BY f.asset_id LIMIT 1")
        store.close()
        store = Store.open(db, read_only=True)
        ready, port, stop, loop_box = threading.Event(), [], asyncio.Event(), []
        server = threading.Thread(target=_serve, args=(store, ready, port, stop, loop_box), daemon=True)
        server.start()
        if not ready.wait(60):
            print("screenshots: the dashboard did not start", file=sys.stderr)
            return 1
        try:
            _shoot(chromium, f"http://127.0.0.1:{port[0]}", asset[0]["asset_id"] if asset else None, args.outdir)
        finally:
            loop_box[0].call_soon_threadsafe(stop.set)
            server.join(30)
            store.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for name in sorted(p.name for p in args.outdir.glob("*.png")):
        print(args.outdir / name)
    return 0


def _shoot(chromium: str, base: str, asset_id: str | None, outdir: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        try:
            for name, viewport, pages in (
                    ("", {"width": 1280, "height": 800}, [("overview", "/")] + (
                        [("asset", f"/assets/{asset_id}")] if asset_id else [])),
                    ("-phone", {"width": 390, "height": 844}, [("overview", "/")])):
                context = browser.new_context(viewport=viewport, device_scale_factor=1)
                page = context.new_page()
                page.goto(base + "/login")
                page.fill("input[name=name]", USER)
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url(base + "/")
                for label, path in pages:
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=str(outdir / f"{label}{name}.png"), full_page=label == "overview")
                context.close()
        finally:
            browser.close()


if __name__ == "__main__":
    raise SystemExit(main())
