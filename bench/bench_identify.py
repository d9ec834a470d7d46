"""Identification accuracy on a labelled corpus of real device recordings, ours beside FusionInventory's.

What it does: serves every NAME.snmprec of a corpus folder (built by bench/corpus.py: dev/ or
holdout/, each with labels.json) with snmpsim-command-responder-lite on its own address in a
namespace lab (198.18.0.0/20, RFC 2544 benchmarking range; loopback-only lab, nothing else is
contacted), sweeps them all with agent.scan.sweep() in the scanner namespace (`--methods snmp`,
default options) at both SNMP depths, and prints per field -- vendor, type, model, serial,
firmware -- right / wrong / empty out of the devices that have a label for it, plus the wall time.
With --fusion, Debian's fusioninventory-netdiscovery scans the same simulators in the same run and
its figures are printed beside ours, with its wall time. --misses lists every wrong or empty answer
with why the scanner gave it (the observation's vendorEvidence, typeEvidence or identityEvidence).

How answers are compared (the same for us and for FusionInventory):
* vendor: lowercased, every non-alphanumeric dropped after removing corporate words (inc, corp,
  co, ltd, gmbh, ag, sa, llc, plc, technologies, systems, networks, communications, electronics,
  international, enterprise, ... see _CORPORATE) and mapping a few documented aliases
  (_VENDOR_ALIASES: HP/HPE/Hewlett-Packard, APC/American Power Conversion, ...); right when one
  normalised name contains the other (at least 3 characters), so "Hangzhou Hikvision Digital
  Technology" matches "Hikvision".
* type: right when our type is one of the label's acceptable types (a label lists several when
  its source is coarser than our vocabulary, e.g. LibreNMS "network" = switch or router); "" and
  "unknown" count as empty. FusionInventory's TYPE has a coarser scale (NETWORKING, POWER,
  COMPUTER, STORAGE, PRINTER, PHONE, VIDEO): each acceptable type of the label is mapped to it
  with bench_scan.COARSE (switch/router/firewall/wireless -> NETWORKING, ups -> POWER,
  server/workstation/laptop/virtual -> COMPUTER, camera -> VIDEO, ...; bmc and iot have no
  FusionInventory word) and FusionInventory is scored only on devices whose label maps to at
  least one coarse type; ours is printed on that coarse scale too, for a like-for-like row.
* model: lowercased, non-alphanumerics dropped; right when equal or one contains the other (at
  least 3 characters), e.g. "WS-C2960-24TT-L" vs "ws-c2960-24tt-l (C2960-LANBASEK9-M)", or when
  both name the same part: they share a word of at least 4 characters with a digit in it
  ("1920S 24G 2SFP JL381A" vs "JL381A HPE 1920S 24G Switch").
* serial: equal ignoring case and surrounding blanks.
* firmware: lowercased, blanks collapsed; right when equal or one contains the other (at least
  3 characters), e.g. "12.1(22)EA14" vs "Version 12.1(22)EA14". Read from the observation's
  `firmware` attribute when the scanner has one (empty otherwise).

Run (root; needs snmpsim in the venv, and fusioninventory-agent-task-network for --fusion):
    .venv/bin/python -m bench.bench_identify --corpus CORPUS/dev [--fusion] [--misses] \
        [--depth discovery|inventory|both] [--format text|json] [--sample N]
Simulator data and snmpsim's indexes of it are kept between runs under the temporary directory
(netcensus-bench-identify-UID/, private to the user, one folder per checkout and corpus folder),
so only the first run of a corpus pays for indexing its largest recordings; delete that folder to
start over.

The comparison the merger runs (baseline = main, then the merged branch), each on both folders:
    .venv/bin/python -m bench.bench_identify --corpus CORPUS/dev --fusion
    .venv/bin/python -m bench.bench_identify --corpus CORPUS/holdout --fusion
`make bench` runs it on the corpus part that can be rebuilt from the installed snmpsim-data
package (bench/corpus.py, no network) and skips it cleanly when snmpsim-data is absent.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import ipaddress
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from agent.lab.namespaces import BENCH_NET, Lab, LabHost, have_tools  # noqa: E402
from bench.bench_scan import COARSE, SIM_PROCESSES, _sim_groups, fusion_devices  # noqa: E402

FIELDS = ("vendor", "type", "model", "serial", "firmware")

# Runs inside the scanner namespace: one sweep, each SNMP observation's identification per target IP.
_SWEEP = r"""
import json, sys, time
from agent.lab.namespaces import options_from_mapping
from agent.scan.model import Method
from agent.scan.sweep import sweep
import agent.scan.snmp  # noqa: F401 - imports are start-up, not scanning
cfg = json.loads(sys.stdin.read())
opts = options_from_mapping(cfg["options"])
targets = set(cfg["targets"])
t = time.perf_counter()
found = {}
ok = 0
for b in sweep(cfg["targets"], methods=[Method.SNMP], options=opts):
    for o in b.observations:
        if o.method.value == "snmp" and o.ip in targets:
            why = dict(o.attributes)
            found[o.ip] = {"vendor": o.vendor, "type": o.device_type, "model": o.model, "serial": o.serial,
                           "firmware": getattr(o, "firmware", "") or "",
                           "why": {"vendor": why.get("vendorEvidence", ""), "type": why.get("typeEvidence", ""),
                                   "identity": why.get("identityEvidence", "")}}
    ok += sum(1 for s in b.statuses if s.ok)
print(json.dumps({"elapsed": time.perf_counter() - t, "found": found, "ok": ok}))
"""

# -- comparison --------------------------------------------------------------------------------------

_CORPORATE = frozenset({
    "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "llc", "gmbh", "ag", "sa",
    "plc", "bv", "nv", "ab", "oy", "spa", "srl", "kk", "pty", "sas", "as", "the", "technologies", "technology",
    "tech", "systems", "system", "networks", "networking", "communications", "communication", "electronics",
    "international", "enterprise", "group", "holdings", "solutions", "industries", "labs", "de", "cv", "by",
})
_VENDOR_ALIASES = {
    "hewlettpackard": "hp", "hpe": "hp", "americanpowerconversion": "apc", "schneiderelectric": "apc",
    "digitalchina": "dcn", "paloaltonetworks": "paloalto", "alcatel": "alcatellucent", "lucent": "alcatellucent",
    "netscreen": "juniper", "foundry": "brocade", "3comhuawei": "h3c", "emc": "dell", "dellemc": "dell",
    # Brands whose registry entry now carries the acquirer's name.
    "aerohive": "extreme", "enterasys": "extreme", "extremenetworksheadquarters": "extreme",
}


def norm_vendor(value: str) -> str:
    """Vendor name for comparison: lowercase, corporate words dropped, alphanumerics only, aliases applied."""
    words = [w for w in re.split(r"[^a-z0-9]+", value.lower()) if w and w not in _CORPORATE]
    key = "".join(words)
    return _VENDOR_ALIASES.get(key, key)


def _contains(a: str, b: str) -> bool:
    if not a or not b:
        return False
    return a == b or (min(len(a), len(b)) >= 3 and (a in b or b in a))


def _part_words(value: str) -> set[str]:
    """Words that look like part or model numbers: 4+ alphanumerics with at least one digit."""
    return {w for w in re.split(r"[^a-z0-9]+", value.lower()) if len(w) >= 4 and re.search(r"\d", w)}


def judge(field: str, truth: Any, ours: str) -> str:
    """'right', 'wrong' or 'empty' for one field of one device (truth is never None here)."""
    ours = (ours or "").strip()
    if field == "type":
        if ours in ("", "unknown"):
            return "empty"
        return "right" if ours in truth else "wrong"
    if not ours:
        return "empty"
    if field == "vendor":
        ok = _contains(norm_vendor(truth), norm_vendor(ours))
    elif field == "model":
        ok = _contains(re.sub(r"[^a-z0-9]", "", truth.lower()), re.sub(r"[^a-z0-9]", "", ours.lower()))
        ok = ok or bool(_part_words(truth) & _part_words(ours))
    elif field == "serial":
        ok = truth.strip().lower() == ours.lower()
    else:
        ok = _contains(" ".join(truth.lower().split()), " ".join(ours.lower().split()))
    return "right" if ok else "wrong"


def judge_coarse(truth: list[str], fi_type: str) -> str | None:
    """FusionInventory's TYPE against the label on its coarse scale; None when the label has no coarse type."""
    want = {COARSE.get(t, "") for t in truth} - {""}
    if not want:
        return None
    if not fi_type:
        return "empty"
    return "right" if fi_type in want else "wrong"


def score(labels: dict[str, dict[str, Any]], answers: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Per field: right/wrong/empty counts over the labelled devices, and the misses."""
    table: dict[str, dict[str, int]] = {}
    misses: list[dict[str, str]] = []
    for field in FIELDS:
        counts = {"right": 0, "wrong": 0, "empty": 0, "labelled": 0}
        for name, lab in labels.items():
            truth = lab.get(field)
            if truth is None:
                continue
            got = answers.get(name, {}).get(field, "")
            verdict = judge(field, truth, got)
            counts["labelled"] += 1
            counts[verdict] += 1
            if verdict != "right":
                why = answers.get(name, {}).get("why", {})
                reason = why.get(field, why.get("identity", "")) if isinstance(why, dict) else ""
                misses.append({"recording": name, "field": field, "verdict": verdict,
                               "truth": truth if isinstance(truth, str) else "|".join(truth), "ours": got,
                               "why": reason})
        table[field] = counts
    coarse = {"right": 0, "wrong": 0, "empty": 0, "labelled": 0}
    for name, lab in labels.items():
        if lab.get("type") is None:
            continue
        ours_type = answers.get(name, {}).get("type", "")
        verdict = judge_coarse(lab["type"], COARSE.get(ours_type, "") if ours_type else "")
        if verdict is not None:
            coarse["labelled"] += 1
            coarse[verdict] += 1
    table["type (coarse)"] = coarse
    return {"table": table, "misses": misses}


def fusion_answers(dev: dict[str, str]) -> dict[str, str]:
    """FusionInventory netdiscovery's DEVICE fields in our field names (TYPE stays on its own scale)."""
    return {"vendor": dev.get("MANUFACTURER", ""), "type": dev.get("TYPE", ""), "model": dev.get("MODEL", ""),
            "serial": dev.get("SERIAL", ""), "firmware": dev.get("FIRMWARE", "")}


def score_fusion(labels: dict[str, dict[str, Any]], answers: dict[str, dict[str, str]]) -> dict[str, Any]:
    """FusionInventory's figures: as score(), but its type judged on the coarse scale."""
    out = score(labels, answers)
    coarse = {"right": 0, "wrong": 0, "empty": 0, "labelled": 0}
    misses = [m for m in out["misses"] if m["field"] != "type"]
    for name, lab in labels.items():
        if lab.get("type") is None:
            continue
        verdict = judge_coarse(lab["type"], answers.get(name, {}).get("type", ""))
        if verdict is not None:
            coarse["labelled"] += 1
            coarse[verdict] += 1
            if verdict != "right":
                misses.append({"recording": name, "field": "type", "verdict": verdict,
                               "truth": "|".join(sorted({COARSE.get(t, "") for t in lab["type"]} - {""})),
                               "ours": answers.get(name, {}).get("type", "")})
    out["table"]["type"] = coarse
    del out["table"]["type (coarse)"]
    out["misses"] = misses
    return out


# -- running -------------------------------------------------------------------------------------------


def load_corpus(folder: Path, sample: int = 0) -> tuple[dict[str, dict[str, Any]], list[Path]]:
    """labels.json and the recordings it names (a clear one-line error when the folder is not a corpus).

    sample > 0 keeps every k-th recording in name order (about `sample` of them): a quick,
    repeatable subset for tuning runs; the figures to report come from the whole folder.
    """
    labels_file = folder / "labels.json"
    try:
        labels: dict[str, dict[str, Any]] = json.loads(labels_file.read_text())
    except (OSError, ValueError) as exc:
        raise SystemExit(f"bench_identify: {labels_file} is not a corpus labels file: {exc}") from None
    if sample > 0 and sample < len(labels):
        step = len(labels) / sample
        keep = sorted(labels)
        labels = {keep[int(i * step)]: labels[keep[int(i * step)]] for i in range(sample)}
    files = []
    for name in sorted(labels):
        path = folder / f"{name}.snmprec"
        if not path.is_file():
            raise SystemExit(f"bench_identify: {path} is named in labels.json but missing")
        files.append(path)
    return labels, files


def cache_root() -> Path:
    """The private folder kept between runs (simulator data and indexes).

    It sits at a predictable path in the shared temporary directory and we run as root, so it
    must be ours, a real directory and closed to others; anything else there is refused rather
    than followed.
    """
    base = Path(tempfile.gettempdir()) / f"netcensus-bench-identify-{os.geteuid()}"
    with contextlib.suppress(FileExistsError):
        base.mkdir(mode=0o700)
    st = base.lstat()
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o077:
        raise SystemExit(f"bench_identify: {base} is not a private directory of this user; remove it and rerun")
    return base


def _wait_serving(lab: Lab, hosts: list[LabHost], timeout: float) -> None:
    """Wait until every simulator has bound all its addresses; fail at once (with its log) if one died."""
    end = time.monotonic() + timeout
    pending = list(hosts)
    while pending:
        h = pending[0]
        out = lab.run_in(lab.ns_of(h), ["ss", "-Hlun", "sport = :161"]).stdout
        if all(f"{ip}:161" in out for ip in [h.ip, *(e.split("/")[0] for e in h.extra_ips)]):
            pending.pop(0)
            continue
        dead = [p for p in lab.procs if p.poll() is not None]
        if dead or time.monotonic() > end:
            log = lab.workdir / f"{h.name}.out"
            tail = log.read_text(errors="replace")[-1200:] if log.exists() else ""
            raise SystemExit(f"bench_identify: snmpsim on {h.name} did not start: {tail}")
        time.sleep(0.5)


def _sweep(lab: Lab, ips: list[str], depth: str) -> dict[str, Any]:
    opts = {"time_budget_s": 1200, "snmp_depth": depth}
    proc = lab.scanner_run([sys.executable, "-c", _SWEEP], input_text=json.dumps(
        {"targets": ips, "options": opts}), timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"bench_identify: sweep failed: {proc.stderr[-1500:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def run(folder: Path, *, depths: Iterable[str], fusion: bool, sample: int = 0) -> dict[str, Any]:
    """Serve the corpus, scan it with each depth (and FusionInventory), score everything."""
    labels, files = load_corpus(folder, sample)
    names = [f.name[:-len(".snmprec")] for f in files]
    net = ipaddress.ip_network(BENCH_NET)
    if len(files) > net.num_addresses - 32:
        raise SystemExit(f"bench_identify: {len(files)} recordings do not fit in {BENCH_NET}")
    ips = [str(net.network_address + 16 + i) for i in range(len(files))]
    by_ip = dict(zip(ips, names, strict=True))
    result: dict[str, Any] = {"corpus": str(folder), "devices": len(files), "runs": {}}
    # snmpsim indexes every data file before it serves (pure-Python dbm here: minutes for the large
    # walks), so the data and its index are kept between runs, per checkout and corpus, and only
    # rebuilt for files that changed. Nothing else is kept; delete the folder to start over.
    key = hashlib.sha256(f"{REPO}\0{folder.resolve()}\0{sample}".encode()).hexdigest()[:16]
    root = cache_root() / key
    root.mkdir(exist_ok=True)
    hosts = _sim_groups(files, ips, SIM_PROCESSES, root, prefix=net.prefixlen)
    # Services are started here rather than by Lab: the first indexing of a large corpus takes
    # longer than the lab's own start-up wait.
    with Lab(hosts, scanner_ip=f"{net.network_address + 1}/{net.prefixlen}", start_services=False) as lab:
        for h in hosts:
            (root / f"{h.name}-cache").mkdir(exist_ok=True)
            addrs = [h.ip, *(e.split("/")[0] for e in h.extra_ips)]
            lab.popen_in(lab.ns_of(h), [
                sys.executable, "-m", "agent.lab.simlite", f"--data-dir={h.snmpsim_data}",
                f"--cache-dir={root / f'{h.name}-cache'}", *(f"--agent-udpv4-endpoint={a}:161" for a in addrs),
                "--process-user=root", "--process-group=root",
                f"--logging-method=file:{lab.workdir / f'{h.name}.log'}"],
                env={"PYTHONPATH": str(REPO)}, log=lab.workdir / f"{h.name}.out")
        _wait_serving(lab, hosts, timeout=1800)
        # Warm every simulator (snmpsim indexes data files lazily) so no tool pays that cost.
        lab.scanner_run(["sh", "-c", "xargs -P 16 -I@ snmpget -v2c -c public -t 5 -r 1 @ 1.3.6.1.2.1.1.2.0 "
                         ">/dev/null 2>&1"], input_text="\n".join(ips) + "\n", timeout=1800)
        for depth in depths:
            r = _sweep(lab, ips, depth)
            answers = {by_ip[ip]: a for ip, a in r["found"].items() if ip in by_ip}
            result["runs"][f"ours {depth}"] = {"wall_s": r["elapsed"], "answered": len(answers),
                                               "answers": answers, **score(labels, answers)}
        if fusion:
            if not have_tools("fusioninventory-netdiscovery"):
                result["runs"]["fusioninventory"] = {"skipped": "fusioninventory-netdiscovery missing "
                                                     "(Debian: fusioninventory-agent-task-network)"}
            else:
                started = time.perf_counter()
                try:  # a failure of the reference tool is reported, and our figures are kept
                    _, devices = fusion_devices(lab, ips[0], ips[-1], timeout=max(600.0, 6.0 * len(ips)))
                except (SystemExit, subprocess.TimeoutExpired) as exc:
                    result["runs"]["fusioninventory"] = {"skipped": f"failed: {str(exc)[:300]}"}
                else:
                    wall = time.perf_counter() - started
                    answers = {by_ip[ip]: fusion_answers(d) for ip, d in devices.items() if ip in by_ip}
                    result["runs"]["fusioninventory"] = {"wall_s": wall, "answered": len(answers),
                                                         "answers": answers, **score_fusion(labels, answers)}
    return result


def _pct(c: dict[str, int]) -> str:
    return f"{c['right']}/{c['labelled']} ({100 * c['right'] / c['labelled']:.0f} %)" if c["labelled"] else "-"


def print_text(result: dict[str, Any], *, misses: bool) -> None:
    """The per-field table, one column per run, then (with misses) every wrong or empty answer."""
    order = sorted(result["runs"], key=lambda k: (not k.startswith("ours"), k))  # ours first, then the reference
    runs = {k: result["runs"][k] for k in order if "table" in result["runs"][k]}
    print(f"identification on {result['corpus']}: {result['devices']} recordings")
    for name, r in result["runs"].items():
        if "skipped" in r:
            print(f"  {name}: skipped: {r['skipped']}")
        else:
            print(f"  {name}: wall {r['wall_s']:.2f} s, {r['answered']}/{result['devices']} answered")
    rows = [*FIELDS, "type (coarse)"]
    print(f"  {'field':<14}" + "".join(f" | {n:<34}" for n in runs))
    for field in rows:
        cells = []
        for r in runs.values():
            c = r["table"].get(field)
            if c is None:
                cells.append(" | " + "-".ljust(34))
                continue
            cells.append(" | " + f"{_pct(c)} w{c['wrong']} e{c['empty']}".ljust(34))
        print(f"  {field:<14}" + "".join(cells))
    print("  (right/labelled, w = wrong, e = empty; FusionInventory's type is on its coarse scale, so compare it "
          "with our 'type (coarse)' row)")
    if misses:
        for name, r in runs.items():
            print(f"\n  misses, {name}:")
            for m in sorted(r["misses"], key=lambda m: (m["field"], m["recording"])):
                print(f"    {m['field']:<8} {m['verdict']:<5} {m['recording']:<48} truth {m['truth']!r:<36} "
                      f"got {m['ours']!r}" + (f"  [{m['why']}]" if m.get("why") else ""))


def main(argv: list[str] | None = None) -> int:
    """Score identification on a corpus folder; without --corpus, on the rebuildable snmpsim-data part."""
    ap = argparse.ArgumentParser(prog="python -m bench.bench_identify", description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, help="a corpus folder (dev/ or holdout/ with labels.json); default: "
                    "build the snmpsim-data part into a temporary folder and score all of it")
    ap.add_argument("--depth", choices=("discovery", "inventory", "both"), default="both")
    ap.add_argument("--fusion", action="store_true", help="also run fusioninventory-netdiscovery")
    ap.add_argument("--misses", action="store_true", help="list every wrong or empty answer")
    ap.add_argument("--format", choices=("text", "json"), default="text")
    ap.add_argument("--sample", type=int, default=0, metavar="N",
                    help="score only about N recordings, every k-th by name (quick tuning runs; default: all)")
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    if os.geteuid() != 0:
        print("bench_identify: needs root (network namespaces); skipped")
        return 0
    missing = [t for t in ("ip", "snmpget") if not have_tools(t)]
    if missing or not (Path(sys.executable).parent / "snmpsim-command-responder").exists():
        print(f"bench_identify: missing {', '.join(missing) or 'snmpsim'}; skipped")
        return 0
    depths = ("discovery", "inventory") if args.depth == "both" else (args.depth,)
    with tempfile.TemporaryDirectory(prefix="nc-corpus-") as tmp:
        folder = args.corpus
        if folder is None:
            from bench.corpus import _snmpsim_base, build, snmpsim_recordings
            found = _snmpsim_base()
            if found is None:
                print("bench_identify: no corpus (give --corpus, or pip install snmpsim-data); skipped")
                return 0
            build(Path(tmp), list(snmpsim_recordings(*found)), None)
            # A fixed folder, so that the simulators' indexes of these recordings are reused next time.
            merged = cache_root() / "snmpsim-data"
            shutil.rmtree(merged, ignore_errors=True)
            merged.mkdir(parents=True)
            labels: dict[str, Any] = {}
            for split in ("dev", "holdout"):
                labels.update(json.loads((Path(tmp) / split / "labels.json").read_text()))
                for f in (Path(tmp) / split).glob("*.snmprec"):
                    shutil.move(f, merged / f.name)
            (merged / "labels.json").write_text(json.dumps(labels))
            folder = merged
        result = run(folder, depths=depths, sample=args.sample,
                     fusion=args.fusion or (args.corpus is None and have_tools("fusioninventory-netdiscovery")))
    if args.format == "json":
        print(json.dumps(result, indent=1, sort_keys=True))
    else:
        print_text(result, misses=args.misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
