"""Build the identification corpus: real device recordings, each labelled, split dev/holdout.

Why: the scanner's identification (vendor, type, model, serial, firmware) must hold on devices
nobody tuned for (issue #16). This gathers real SNMP recordings from public sources, labels each
with the answers an *independent* source gives (not with rules we then test against), and splits
them by enterprise number so the holdout has whole vendors the tuners never saw.

Sources (all read from local checkouts or installed packages; this module never touches a network):

* ``snmpsim-data`` (the PyPI package, BSD-2-Clause): ~116 recorded walks of real devices. Labels:
  the device type its folder gives (only where the folder is unambiguous for the product) and the
  brand its file name starts with (read by a person, ``_SNMPSIM_BRANDS``); no model/serial/version
  truth exists there, so those stay unlabelled.
* LibreNMS's test recordings (``tests/snmpsim/*.snmprec``, GPL-3.0) with its expected answers
  (``tests/data/*.json``: os, type, hardware, version, serial, icon). Labels: vendor from the
  brand icon LibreNMS draws for the OS (``_ICON_ALIASES`` turns product icons into brands; OS-only
  icons such as linux/windows give no vendor), type from LibreNMS's device type (``_LNMS_TYPES``),
  model = hardware, firmware = version, serial = serial. GPL data is evaluated, never committed
  into this Apache-2.0 repository.

Split: the enterprise number N of each recording's sysObjectID (1.3.6.1.4.1.N...) goes to the
holdout when sha256("netcensus-corpus:N") mod 100 < 30 — whole vendors, about 30 % of them.
Recordings without an enterprise OID are split by the same hash of their vendor label or name.

Output (``build``): OUT/dev/ and OUT/holdout/, each with decompressed ``NAME.snmprec`` files and a
``labels.json``; OUT/README describing the format; and, with ``--manifest FILE``, the manifest of
every recording (source repository, path, commit, sha256, licence, committed or not, labels).

Run:
    .venv/bin/python -m bench.corpus build OUT [--snmpsim-data DIR] [--librenms CHECKOUT] \
        [--manifest bench/corpus/manifest.json]
CHECKOUT may be a work tree or a bare git directory; files are read at its HEAD.
"""

from __future__ import annotations

import argparse
import bz2
import hashlib
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HOLDOUT_PERCENT = 30
_SALT = "netcensus-corpus:"

# -- labels ----------------------------------------------------------------------------------------

# snmpsim-data folders -> our type vocabulary (agent/scan/model.py DEVICE_TYPES). Folders that do not
# say what the device is ("appliance", "unclassified") give no type label.
_SNMPSIM_TYPES = {
    "UPS": ["ups"], "bmc": ["bmc"], "camera": ["camera"], "cloud": ["switch"], "iot": ["iot"],
    "network/firewall": ["firewall"], "network/router": ["router"], "network/switch": ["switch"],
    "network/wifi": ["wireless"], "os/linux": ["server"], "storage": ["storage"],
}
# Per-file corrections where the folder is wrong for the product (read from the product name):
# APC 7902B/8641/8932 are rack PDUs, not UPSes; the Huawei S5720 is a (layer-3) switch; the
# Windows XP host is a workstation, the Server 2003 host a server.
_SNMPSIM_TYPE_FIX: dict[str, list[str] | None] = {
    "UPS/apc-7902b": ["iot", "ups"], "UPS/apc-8641": ["iot", "ups"], "UPS/apc-8932": ["iot", "ups"],
    "UPS/ingrasys-power-switch": ["iot", "ups"], "UPS/juniper-ac": None,
    "network/router/huawei-s5720": ["switch", "router"], "os/windows/XP": ["workstation"],
    "os/windows/server-2003-5-2": ["server"], "camera/hikvision-network-video-recorder": ["camera", "storage"],
}
# The brand each snmpsim-data file name starts with (a person's reading of the names; files named
# after an OS or "unknown" have no vendor label).
_SNMPSIM_BRANDS = {
    "apc": "APC", "eastpower": "EAST", "eaton": "Eaton", "emerson": "Emerson", "huawei": "Huawei",
    "ingrasys": "Ingrasys", "juniper": "Juniper", "phoenixtec": "Phoenixtec", "vertiv": "Vertiv",
    "hp": "HP", "hikvision": "Hikvision", "samsung": "Samsung", "semac": "Semac", "arista": "Arista",
    "geist": "Geist", "cisco": "Cisco", "meru": "Meru", "nsfocus": "NSFOCUS", "tripplite": "Tripp Lite",
    "vss": "VSS Monitoring", "clavister": "Clavister", "fortinet": "Fortinet", "legend": "Legend",
    "netentsec": "Netentsec", "paloalto": "Palo Alto", "sangfor": "Sangfor", "topsec": "Topsec",
    "venus": "Venustech", "brocade": "Brocade", "ruijie": "Ruijie", "bdcom": "BDCOM", "dlink": "D-Link",
    "dptech": "DPtech", "h3c": "H3C", "hpe": "HPE", "maipu": "Maipu", "zte": "ZTE", "aruba": "Aruba",
    "ruckus": "Ruckus", "ubiquiti": "Ubiquiti", "ibm": "IBM", "isilon": "Isilon", "netapp": "NetApp",
    "vyatta": "Vyatta", "dcrs": "DCN", "dcs": "DCN", "huawei-ism": "Huawei", "infosec": "Infosec",
}

# LibreNMS device types -> ours; a list means any of them is right; None means no type label.
_LNMS_TYPES: dict[str, list[str] | None] = {
    "network": ["switch", "router"], "wireless": ["wireless"], "firewall": ["firewall"],
    "server": ["server", "workstation", "virtual"], "workstation": ["workstation", "laptop"],
    "storage": ["storage"], "printer": ["printer"], "environment": ["iot"], "sensor": ["iot"],
    "camera": ["camera"], "encoder": ["camera"], "power": ["iot", "ups"],
}
# LibreNMS icons that name a product or an OS line rather than a brand -> the brand.
_ICON_ALIASES = {
    "junos": "Juniper", "screenos": "Juniper", "panos": "Palo Alto", "edgeos": "Ubiquiti",
    "extremevoss": "Extreme", "extremeboss": "Extreme", "sophos-xg": "Sophos", "hwg-poseidon": "HW group",
    "truenas-scale": "iXsystems", "truenas": "iXsystems", "ibmos": "IBM", "aix": "IBM", "cumulus": "Cumulus",
    "alcatellucent": "Alcatel-Lucent", "mcafeewebgateway": "McAfee", "samsungprinter": "Samsung",
    "generex-ups": "Generex", "socomecpdu": "Socomec", "bladeshelterpdu": "BladeShelter",
    "motorola-cm": "Motorola", "thomson-cm": "Thomson", "asuswrt-merlin": "ASUS", "edge-core": "Edge-Core",
    "tplink": "TP-Link", "dlink": "D-Link", "fs": "FS", "wut": "W&T", "eip": "EIP", "keeneticos": "Keenetic",
    "siteboss": "Asentria", "alliedtelesis": "Allied Telesis",
}
# Icons of operating systems or generic pictures: the hardware's maker is not known from them.
_ICON_NO_VENDOR = {
    "linux", "windows", "freebsd", "openbsd", "centos", "debian", "raspbian", "generic", "coreos", "openwrt",
    "dd-wrt", "tomato", "vyos", "opnsense", "pfsense", "haproxy", "loadbalancer", "gos", "ubuntu", "redhat",
    "beagleboard", "esphome", "netagent2", "ats", "ict", "ray", "terra",
}
# LibreNMS "hardware" values that describe a CPU or nothing, not a model.
_NOT_A_MODEL = re.compile(r"^(generic\b|x86|i[3-6]86|amd64|unknown$|n/?a$|(amd|intel)\b.*\bx(64|86)\b)", re.I)


@dataclass(slots=True)
class Recording:
    """One device recording with its labels and provenance (a manifest row)."""

    name: str
    source: str
    path: str
    commit: str
    licence: str
    committed: bool
    sha256: str = ""
    sysobjectid: str = ""
    enterprise: int = 0
    split: str = ""
    vendor: str | None = None
    type: list[str] | None = None
    model: str | None = None
    serial: str | None = None
    firmware: str | None = None
    label_source: dict[str, str] = field(default_factory=dict)
    data: bytes = b""


def _sysobjectid(data: bytes) -> str:
    """The sysObjectID value of a .snmprec recording ("" when absent)."""
    m = re.search(rb"^\.?1\.3\.6\.1\.2\.1\.1\.2\.0\|6\|([0-9.]+)", data, re.M)
    return m.group(1).decode().lstrip(".") if m else ""


def _enterprise(oid: str) -> int:
    m = re.match(r"1\.3\.6\.1\.4\.1\.(\d+)", oid)
    return int(m.group(1)) if m else 0


def split_of(enterprise: int, fallback: str, *, salt: str = _SALT, holdout_percent: int = HOLDOUT_PERCENT) -> str:
    """Deterministic dev/holdout split, by whole enterprise number (vendor) where there is one."""
    key = str(enterprise) if enterprise else f"name:{fallback.lower()}"
    h = int(hashlib.sha256((salt + key).encode()).hexdigest(), 16)
    return "holdout" if h % 100 < holdout_percent else "dev"


def _fingerprint(data: bytes) -> bytes:
    """sysDescr's and sysObjectID's lines: the same device recorded again under another name."""
    lines = [line for line in data.splitlines() if line.startswith((b"1.3.6.1.2.1.1.1.0|", b"1.3.6.1.2.1.1.2.0|"))]
    return b"\n".join(sorted(lines))


def unseen(recordings: list[Recording], corpora: list[Path]) -> list[Recording]:
    """The recordings none of `corpora` (folders of a built corpus, searched recursively) holds: not by
    name, nor by content, nor as the same system group under another name.

    Why: a newer tree of a source adds devices the corpus was built without; those alone score rules
    on data nobody has tuned on since (a fresh evaluation, beside the holdout every session reads).
    """
    names: set[str] = set()
    digests: set[str] = set()
    prints: set[bytes] = set()
    for folder in corpora:
        for path in folder.rglob("*.snmprec"):
            data = path.read_bytes()
            names.add(path.stem)
            digests.add(hashlib.sha256(data).hexdigest())
            prints.add(_fingerprint(data))
    return [rec for rec in recordings if rec.name not in names
            and hashlib.sha256(rec.data).hexdigest() not in digests and _fingerprint(rec.data) not in prints]


def _clean(value: Any) -> str | None:
    """A label value, or None when the source has none (LibreNMS writes null, "" or "<private>")."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or text.lower() in {"<private>", "unknown", "n/a", "none", "null"}:
        return None
    return text


# -- sources ---------------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


class GitTree:
    """Files of a checkout (work tree or bare) at HEAD, read with `git cat-file` (no work tree needed)."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.commit = _git(repo, "rev-parse", "HEAD").strip()
        self._blobs: dict[str, str] = {}
        for line in _git(repo, "ls-tree", "-r", "HEAD", "tests/data", "tests/snmpsim",
                         "resources/definitions/os_detection").splitlines():
            meta, path = line.split("\t", 1)
            self._blobs[path] = meta.split()[2]

    def paths(self, prefix: str, suffix: str) -> list[str]:
        return sorted(p for p in self._blobs if p.startswith(prefix) and p.endswith(suffix))

    def read(self, path: str) -> bytes | None:
        sha = self._blobs.get(path)
        if sha is None:
            return None
        proc = subprocess.run(["git", "-C", str(self.repo), "cat-file", "blob", sha], capture_output=True,
                              check=False)
        return proc.stdout if proc.returncode == 0 else None  # large blobs may be absent from a snapshot


def snmpsim_recordings(base: Path, version: str) -> Iterator[Recording]:
    """Every walk of the snmpsim-data package, labelled with its folder's type and its name's brand."""
    for src in sorted(base.rglob("*.snmprec*")):
        rel = src.relative_to(base).as_posix()
        key = re.sub(r"\.snmprec(\.bz2)?$", "", rel)
        folder = key.rsplit("/", 1)[0]
        stem = key.rsplit("/", 1)[1]
        data = bz2.decompress(src.read_bytes()) if src.name.endswith(".bz2") else src.read_bytes()
        rec = Recording(name="snmpsim-" + key.replace("/", "-"), source=f"snmpsim-data {version} (PyPI)",
                        path=rel, commit="", licence="BSD-2-Clause", committed=False, data=data)
        rec.type = _SNMPSIM_TYPE_FIX[key] if key in _SNMPSIM_TYPE_FIX else _SNMPSIM_TYPES.get(folder)
        brand = next((b for k, b in sorted(_SNMPSIM_BRANDS.items(), key=lambda kv: -len(kv[0]))
                      if stem == k or stem.startswith(k + "-")), None)
        rec.vendor = brand
        rec.label_source = {"type": "snmpsim-data folder", "vendor": "snmpsim-data file name"}
        yield rec


def librenms_recordings(tree: GitTree, repo_name: str) -> Iterator[Recording]:
    """LibreNMS test recordings that have expected answers (tests/data/NAME.json).

    LibreNMS records one device several times to test different modules (linux_nfs, linux_zfs...);
    a recording whose expected identity (sysObjectID, sysDescr, hardware, version, serial) repeats
    an earlier one is the same device again and is left out, so no device counts twice.
    """
    seen: set[tuple[str, ...]] = set()
    for jpath in tree.paths("tests/data/", ".json"):
        stem = jpath[len("tests/data/"):-len(".json")]
        spath = f"tests/snmpsim/{stem}.snmprec"
        raw_json, data = tree.read(jpath), tree.read(spath)
        if raw_json is None or data is None:
            continue
        try:
            devices = json.loads(raw_json).get("os", {}).get("discovery", {}).get("devices", [])
        except (ValueError, AttributeError):
            continue
        if not devices:
            continue
        dev = devices[0]
        ident = tuple(str(dev.get(k) or "") for k in ("sysObjectID", "sysDescr", "hardware", "version", "serial"))
        if ident in seen:
            continue
        seen.add(ident)
        rec = Recording(name="librenms-" + stem, source=repo_name, path=spath, commit=tree.commit,
                        licence="GPL-3.0", committed=False, data=data)
        icon = re.sub(r"\.(svg|png)$", "", str(dev.get("icon") or ""))
        if icon and icon not in _ICON_NO_VENDOR:
            rec.vendor = _ICON_ALIASES.get(icon, icon)
        rec.type = _LNMS_TYPES.get(str(dev.get("type") or ""))
        model = _clean(dev.get("hardware"))
        rec.model = None if model is None or _NOT_A_MODEL.match(model) else model
        rec.firmware = _clean(dev.get("version"))
        rec.serial = _clean(dev.get("serial"))
        rec.label_source = {"vendor": "LibreNMS icon", "type": f"LibreNMS type {dev.get('type')!r}",
                            "model": "LibreNMS hardware", "firmware": "LibreNMS version",
                            "serial": "LibreNMS serial", "os": str(dev.get("os") or "")}
        yield rec


# -- output ----------------------------------------------------------------------------------------

LABEL_FIELDS = ("vendor", "type", "model", "serial", "firmware")

README = """netcensus identification corpus
================================

dev/       recordings to tune on, with labels.json
holdout/   recordings for the final score only (whole enterprise numbers nobody tuned on)

Each folder holds NAME.snmprec files (snmpsim's text format, decompressed: OID|TYPE|VALUE per line)
and labels.json: {"NAME": {"vendor": str|null, "type": [str,...]|null, "model": str|null,
"serial": str|null, "firmware": str|null, "sysobjectid": str, "enterprise": int, "source": str,
"path": str, "licence": str, "label_source": {field: where the label came from}}}.

null means no independent answer exists for that field: the device is not counted for it.
"type" lists every type of our vocabulary that is right (e.g. ["switch", "router"] for network
gear its source only calls "network"). Score with bench/bench_identify.py --corpus DIR.
Built by bench/corpus.py (see its docstring for the sources and how labels are read).
"""


def label_row(rec: Recording) -> dict[str, Any]:
    row = {f: getattr(rec, f) for f in LABEL_FIELDS}
    row.update(sysobjectid=rec.sysobjectid, enterprise=rec.enterprise, source=rec.source, path=rec.path,
               licence=rec.licence, label_source=rec.label_source)
    return row


def build(out: Path, recordings: list[Recording], manifest: Path | None, *, salt: str = _SALT,
          holdout_percent: int = HOLDOUT_PERCENT) -> dict[str, int]:
    """Write OUT/{dev,holdout}/ and the manifest; returns recordings per split."""
    seen: set[str] = set()
    for rec in recordings:
        if rec.name in seen:
            raise SystemExit(f"corpus: duplicate recording name {rec.name}")
        seen.add(rec.name)
        rec.sha256 = hashlib.sha256(rec.data).hexdigest()
        rec.sysobjectid = _sysobjectid(rec.data)
        rec.enterprise = _enterprise(rec.sysobjectid)
        rec.split = split_of(rec.enterprise, rec.vendor or rec.name, salt=salt, holdout_percent=holdout_percent)
    counts = {"dev": 0, "holdout": 0}
    for split in counts:
        folder = out / split
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        labels = {}
        for rec in recordings:
            if rec.split != split:
                continue
            (folder / f"{rec.name}.snmprec").write_bytes(rec.data)
            labels[rec.name] = label_row(rec)
            counts[split] += 1
        (folder / "labels.json").write_text(json.dumps(labels, indent=1, sort_keys=True) + "\n")
    (out / "README").write_text(README)
    if manifest is not None:
        rows = []
        for rec in recordings:
            row = {k: v for k, v in asdict(rec).items() if k != "data"}
            rows.append(row)
        manifest.parent.mkdir(parents=True, exist_ok=True)
        manifest.write_text(json.dumps(rows, indent=1, sort_keys=True) + "\n")
    return counts


def _snmpsim_base() -> tuple[Path, str] | None:
    try:
        import snmpsim_data  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        return None
    from importlib.metadata import version
    return Path(snmpsim_data.__file__).parent / "data", version("snmpsim-data")


def main(argv: list[str] | None = None) -> int:
    """`build OUT`: gather, label, split and write the corpus from the sources given."""
    ap = argparse.ArgumentParser(prog="python -m bench.corpus", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="write OUT/dev, OUT/holdout and OUT/README")
    b.add_argument("out", type=Path)
    b.add_argument("--snmpsim-data", type=Path, help="the snmpsim-data package's data folder "
                   "(default: the installed package's)")
    b.add_argument("--librenms", type=Path, help="a LibreNMS checkout (work tree or bare git dir)")
    b.add_argument("--librenms-name", default="librenms/librenms",
                   help="repository name recorded in the manifest for --librenms (default: %(default)s)")
    b.add_argument("--manifest", type=Path, help="also write the manifest of every recording here")
    b.add_argument("--unseen-by", type=Path, action="append", default=[], metavar="CORPUS",
                   help="keep only recordings this built corpus does not hold (by name, content or system "
                        "group); repeatable: a fresh corpus from a newer tree of the sources")
    b.add_argument("--salt", default=_SALT, help="what the split hashes before the enterprise number "
                   "(default: %(default)r; another salt splits a fresh corpus its own way)")
    b.add_argument("--holdout-percent", type=int, default=HOLDOUT_PERCENT, metavar="N",
                   help="share of enterprise numbers the holdout gets (default: %(default)s)")
    args = ap.parse_args(argv)
    recordings: list[Recording] = []
    if args.snmpsim_data is not None:
        recordings += snmpsim_recordings(args.snmpsim_data, "?")
    else:
        found = _snmpsim_base()
        if found is not None:
            recordings += snmpsim_recordings(*found)
    if args.librenms is not None:
        try:
            tree = GitTree(args.librenms)
        except (subprocess.CalledProcessError, OSError) as exc:
            print(f"corpus: {args.librenms} is not a readable git checkout: {exc}", file=sys.stderr)
            return 2
        recordings += librenms_recordings(tree, args.librenms_name)
    if not recordings:
        print("corpus: no sources (install snmpsim-data or give --librenms)", file=sys.stderr)
        return 2
    if args.unseen_by:
        recordings = unseen(recordings, args.unseen_by)
    counts = build(args.out, recordings, args.manifest, salt=args.salt, holdout_percent=args.holdout_percent)
    print(f"corpus: {counts['dev']} dev + {counts['holdout']} holdout recordings in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
