"""The register bundled for `netcensus demo` parses, and says what the demo relies on."""

from __future__ import annotations

from collector.domain.model import StatusClass
from collector.register import SAMPLE_REGISTER, parse_register


def test_sample_register_parses_as_the_demo_expects() -> None:
    records = parse_register(SAMPLE_REGISTER.read_bytes(), "snipeit", filename=SAMPLE_REGISTER.name)
    assert len(records) == 10
    first_four = [(r.macs, r.status, r.status_class, bool(r.assigned_to)) for r in records[:4]]
    assert first_four == [
        (("00:1b:21:0a:00:01",), "Deployed", StatusClass.IN_USE, True),
        (("3c:22:fb:0a:00:02",), "Lost/Stolen", StatusClass.LOST, False),
        (("00:1e:c9:0a:00:03",), "Archived", StatusClass.RETIRED, False),
        (("00:80:77:0a:00:04",), "Ready to Deploy", StatusClass.IN_STOCK, False),
    ]
    # Rows 5-8 are in use, so the demo reports them as ghosts when the lab does not show them.
    assert all(r.status_class is StatusClass.IN_USE and r.macs and r.assigned_to for r in records[4:8])
    assert {r.status for r in records} >= {"Deployed", "Ready to Deploy", "Pending", "Archived", "Lost/Stolen",
                                           "Broken - Not Fixable"}
    macs = [m for r in records for m in r.macs]
    assert len(macs) == len(set(macs))
    assert not any(int(m[:2], 16) & 0x02 for m in macs), "no locally administered MACs in the sample"
    assert all(r.asset_tag.startswith("NC-") and r.hostname and r.serial for r in records)
    assert "MAC Address" in SAMPLE_REGISTER.read_text().splitlines()[0]
