"""The dashboard's views over a real estate: counts that agree with their lists, URL filters, exports of
exactly what is shown, hostile values escaped, the asset page, bad filters as one-line errors."""

from __future__ import annotations

import csv
import html
import io
import re
from typing import Any

import pytest

from tests.collector.serve.web.conftest import XSS, login


def _rows(page: str, table: str) -> int:
    section = page.split(f'id="t-{table}"', 1)[1].split("</section>", 1)[0]
    return section.count("<tr>") - 1 if "<tbody>" in section else 0


def _card(page: str, label: str) -> tuple[int, str]:
    m = re.search(r'<a class="card" href="([^"]+)">\s*<span class="label">' + re.escape(label)
                  + r'</span>\s*<span class="value">(\d+)</span>', page)
    assert m, label
    return int(m.group(2)), html.unescape(m.group(1))


def test_overview_counts_link_to_lists_of_exactly_that_many(web: Any) -> None:
    login(web)
    page = web.get("/").text
    checked = 0
    for label in ("Ghosts", "Zombies", "Mismatches", "Unauthorised software"):
        count, href = _card(page, label)
        listed = web.get(href + "&format=json").json()
        assert len(listed) == count, label
        checked += count
    assert checked >= 4  # the estate has a ghost, zombies, a mismatch and two TeamViewers
    assert _card(page, "Unauthorised software")[0] == 2


def test_filters_are_in_the_url_and_exports_hold_exactly_the_rows_shown(web: Any) -> None:
    login(web)
    page = web.get("/findings?kind=unauthorised-software")
    shown = _rows(page.text, "findings")
    assert shown == 2
    exported = list(csv.reader(io.StringIO(web.get("/findings?kind=unauthorised-software&format=csv").text)))
    header = re.findall(r'<th scope="col">([^<]+)</th>', page.text.split('id="t-findings"')[1])
    assert len(exported) == shown + 1 and len(exported[0]) == len(header)
    assert exported[0][:3] == ["severity", "kind", "hostname"]
    as_json = web.get("/findings?kind=unauthorised-software&format=json").json()
    assert {row["kind"] for row in as_json} == {"unauthorised-software"} and len(as_json) == shown
    assert all(row["software_name"] == "teamviewer" for row in as_json)
    # Another table of a page by name; the page's filters kept in its export links.
    assert 'href="/findings?kind=unauthorised-software&amp;table=findings&amp;format=csv"' in page.text
    hosts = web.get("/software?q=teamview&table=hosts&format=json").json()
    assert len(hosts) == 2 and {h["version"] for h in hosts} == {"15.48.4"}


def test_hostile_host_names_are_inert_everywhere(web: Any) -> None:
    login(web)
    asset = re.search(r'href="(/assets/[^"]+)">' + re.escape(html.escape(XSS)), web.get("/assets").text)
    assert asset, "the hostile host is listed, escaped, with a link to its page"
    for path in ("/assets", "/findings?state=all", "/software?name=teamviewer", asset.group(1), "/changes?since=7d"):
        text = web.get(path).text
        assert "<script>pwned" not in text and "<img src=x" not in text, path
        assert "&lt;script&gt;pwned=1&lt;/script&gt;" in text, path
    exported = web.get("/findings?state=all&format=csv").text
    assert XSS in exported  # CSV carries the value as data (it starts with no formula character)


def test_the_asset_page_is_the_asset_document(web: Any) -> None:
    login(web)
    listing = web.get("/assets?q=fin-lt-014").text
    ref = re.search(r'href="/assets/([^"]+)">fin-lt-014<', listing).group(1)  # type: ignore[union-attr]
    page = web.get(f"/assets/{ref}").text
    for part in ("Register beside what was seen", "Identifiers per source", "How it was matched", "teamviewer",
                 "Finding timeline", "NC-1"):
        assert part in page, part
    doc = web.get(f"/assets/{ref}?format=json").json()
    assert doc["asset"]["asset_id"] == ref and doc["record"]["asset_tag"] == "NC-1"
    assert any(f["kind"] == "unauthorised-software" for f in doc["findings"])
    software = web.get(f"/assets/{ref}?table=software&format=json").json()
    assert {s["name"] for s in software} == {"bash", "falcon-sensor", "teamviewer"}
    assert list(software[0]) == ["name", "version", "source", "installed_at", "first_seen", "last_seen", "findings"]
    by_name = web.get("/assets/fin-lt-014")  # any REF `netcensus asset` takes
    assert by_name.status_code == 200 and ref in by_name.text
    missing = web.get("/assets/no-such-host")
    assert missing.status_code == 404 and "no asset matches" in missing.text and "Traceback" not in missing.text


@pytest.mark.parametrize(("path", "says"), [
    ("/findings?state=closed", "state='closed': use one of open, resolved, all"),
    ("/trends?since=forever", "is not a duration"),
    ("/coverage?by=planet", "by='planet'"),
    ("/findings?format=xml", "use csv or json"),
    ("/findings?table=nope&format=csv", "no table"),
])
def test_bad_filters_are_one_line_errors(web: Any, path: str, says: str) -> None:
    login(web)
    r = web.get(path)
    assert r.status_code in (400, 404)
    assert says in html.unescape(r.text)
    assert "Traceback" not in r.text


def test_every_view_renders_and_polls_itself(web: Any) -> None:
    login(web)
    for path in ("/", "/findings", "/trends", "/changes", "/coverage", "/coverage?by=subnet", "/ghosts", "/software",
                 "/assets", "/breakdown", "/sources", "/exceptions"):
        r = web.get(path)
        assert r.status_code == 200, path
        assert 'hx-trigger="netcensus:changed"' in r.text and 'hx-select="#content"' in r.text, path
        assert re.search(r'data-pulse="\d+" data-generation="\d+"', r.text), path
        if "<table>" in r.text:
            assert "format=csv" in r.text and "format=json" in r.text, path


def test_ghost_ageing_and_changes_and_sources_show_the_estate(web: Any) -> None:
    login(web)
    ghosts = web.get("/ghosts?format=json").json()
    # With the estate's window 0, NC-1 (seen minutes ago) is a ghost too: the buckets tell them apart.
    assert {g["asset_tag"]: g["bucket"] for g in ghosts}["NC-3"] == "never seen"
    assert all(g["bucket"] == "under 7 days" for g in ghosts if g["asset_tag"] != "NC-3")
    page = web.get("/ghosts?bucket=never+seen")
    assert _rows(page.text, "ghosts") == 1 and "NC-3" in page.text
    changes = web.get("/changes?since=7d&format=json").json()
    assert {("asset", "appeared")} <= {(c["section"], c["change"]) for c in changes}
    sources = web.get("/sources?format=json").json()
    assert len(sources) == 3 and all(s["kind"] == "agent" and s["reports_24h"] == 1 for s in sources)
    trends = web.get("/trends?since=7d").text
    assert 'class="chart" data-chart="' in trends and "unauthorised-software" in trends
