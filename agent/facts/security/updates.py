"""Pending security updates on Debian-family systems, worked out offline from apt's own lists.

`apt-get update` leaves one index per (repository, suite, component, architecture) in
/var/lib/apt/lists, named after its URI with "/" turned into "_" (apt's URItoFileName), beside
the suite's InRelease or Release file: e.g.
  deb.debian.org_debian-security_dists_bookworm-security_InRelease
  deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages.lz4
A suite is a security suite when its Release names it so: Suite or Codename ending "-security"
(Debian >= 11 "bookworm-security", Ubuntu "jammy-security", ESM "jammy-infra-security") or a
Label ending "-Security" (Debian <= 10 "buster/updates" has Label "Debian-Security"). An
installed package (dpkg status) is pending when a security index holds the same package for
its architecture (or "all") at a higher Debian version. No network, no apt lock, no apt cache.

Indices may be stored compressed (Acquire::GzipIndexes, CompressionTypes): gzip, xz and bzip2
are read with the standard library; lz4 and zstd, which it lacks, through apt's own
`apt-helper cat-file`, present wherever apt wrote such files.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from datetime import datetime
from pathlib import Path

from agent.atomic import write_private
from agent.errors import CollectionError
from agent.facts import _exec
from agent.facts._fsutil import is_live, mtime_utc, read_text
from agent.facts._runner import NotApplicable
from agent.facts.model import PendingUpdate, Record
from agent.facts.security._debversion import compare
from agent.facts.software._dpkg import STATUS_FILE, parse_status

LISTS_DIR = Path("var/lib/apt/lists")

_RELEASE_FIELD = re.compile(r"^(Suite|Codename|Label|Origin):[ \t]*(.*)$", re.MULTILINE)
_PACKAGE_LINE = re.compile(r"^Package:[ \t]*(\S+)", re.MULTILINE)
_STANZA_FIELD = re.compile(r"^(Version|Architecture):[ \t]*(\S+)", re.MULTILINE)
_PACKAGES_INDEX = re.compile(r"_binary-[^_]+_Packages(\.(gz|xz|bz2|lzma|lz4|zst))?$")


class SecuritySuite(Record):
    """One security suite apt knows, with the files that describe it."""

    __slots__ = ("name", "release_file", "indices")  # noqa: RUF023 - field order
    name: str
    release_file: Path
    indices: tuple[Path, ...]

    def __init__(self, name: str, release_file: Path, indices: tuple[Path, ...]) -> None:
        self._set_fields(name, release_file, indices)


class UpdatesResult(Record):
    """What the collector found, and how fresh apt's lists were."""

    __slots__ = ("pending", "lists_date", "suites")  # noqa: RUF023 - field order
    pending: tuple[PendingUpdate, ...]
    lists_date: datetime | None
    suites: tuple[str, ...]

    def __init__(self, pending: tuple[PendingUpdate, ...] = (), lists_date: datetime | None = None,
                 suites: tuple[str, ...] = ()) -> None:
        self._set_fields(pending, lists_date, suites)

    def __len__(self) -> int:
        """Pending updates (for CollectorStatus.items)."""
        return len(self.pending)


def parse_release(text: str) -> dict[str, str]:
    """Header fields of a Release/InRelease file (the clearsign armour lines never match)."""
    return {k: v.strip() for k, v in _RELEASE_FIELD.findall(text.split("\n-----BEGIN PGP SIGNATURE", 1)[0])}


def is_security_suite(fields: dict[str, str]) -> bool:
    """Tell a security suite from its Release fields (see the module docstring)."""
    return (fields.get("Suite", "").endswith("-security") or fields.get("Codename", "").endswith("-security")
            or fields.get("Label", "").lower().endswith("-security"))


def find_security_suites(lists: Path) -> list[SecuritySuite]:
    """Every security suite in an apt lists directory, with its Packages indices."""
    try:
        names = sorted(os.listdir(lists))
    except OSError as exc:
        raise CollectionError(f"{lists}: cannot list apt indices: {exc.strerror or exc}") from exc
    suites: list[SecuritySuite] = []
    for name in names:
        if name.endswith("_InRelease"):
            prefix = name.removesuffix("InRelease")
        elif name.endswith("_Release"):
            prefix = name.removesuffix("Release")
            if f"{prefix}InRelease" in names:
                continue
        else:
            continue
        fields = parse_release(read_text(lists / name))
        if not is_security_suite(fields):
            continue
        indices = tuple(lists / n for n in names if n.startswith(prefix) and _PACKAGES_INDEX.search(n[len(prefix):]))
        suites.append(SecuritySuite(fields.get("Codename") or fields.get("Suite") or prefix.rstrip("_"),
                                    lists / name, indices))
    return suites


def read_index(path: Path) -> str:
    """A Packages index as text, decompressed by its file extension.

    The decompressors are imported only for the format at hand: a one-shot run usually answers
    from the cache below and reads no index at all.
    """
    try:
        if path.suffix in (".lz4", ".zst"):
            # lz4cat/zstdcat are cheaper to start than apt-helper, which apt always ships.
            tool = {".lz4": "lz4cat", ".zst": "zstdcat"}[path.suffix]
            argv = [tool, str(path)] if _exec.which(tool) else ["apt-helper", "cat-file", str(path)]
            data = _exec.run(argv, timeout_s=10)
        elif path.suffix == ".gz":
            import gzip

            data = gzip.decompress(path.read_bytes())
        elif path.suffix in (".xz", ".lzma"):
            import lzma

            try:
                data = lzma.decompress(path.read_bytes())
            except lzma.LZMAError as exc:
                raise CollectionError(f"{path}: unreadable apt index: {exc}") from exc
        elif path.suffix == ".bz2":
            import bz2

            data = bz2.decompress(path.read_bytes())
        else:
            data = path.read_bytes()
    except (OSError, EOFError) as exc:
        raise CollectionError(f"{path}: unreadable apt index: {exc}") from exc
    return data.decode("utf-8", errors="replace")


def newest_versions(text: str, wanted: set[str]) -> dict[tuple[str, str], str]:
    """(package, arch) -> highest version in one Packages index, for the package names in `wanted`.

    A security index lists thousands of packages of which a machine has a few hundred, so only
    the "Package:" lines are scanned over the whole text (a literal-prefixed regex, fast in
    CPython's engine), and Version/Architecture are looked up inside the stanzas that matter.
    """
    best: dict[tuple[str, str], str] = {}
    for match in _PACKAGE_LINE.finditer(text):
        name = match.group(1)
        if name not in wanted:
            continue
        end = text.find("\n\n", match.end())
        stanza = text[match.end() : end if end >= 0 else len(text)]
        fields = dict(_STANZA_FIELD.findall(stanza))
        version, arch = fields.get("Version", ""), fields.get("Architecture", "")
        if version and arch:
            key = (name, arch)
            if key not in best or compare(version, best[key]) > 0:
                best[key] = version
    return best


def pending_updates(installed: list[tuple[str, str, str]], suites: list[SecuritySuite]) -> list[PendingUpdate]:
    """Installed (name, arch, version) triples that a security suite has a newer version of."""
    wanted = {name for name, _, _ in installed}
    offers: dict[tuple[str, str], tuple[str, str]] = {}  # (name, arch) -> (version, suite)
    for suite in suites:
        for index in suite.indices:
            for key, version in newest_versions(read_index(index), wanted).items():
                if key not in offers or compare(version, offers[key][0]) > 0:
                    offers[key] = (version, suite.name)
    result: list[PendingUpdate] = []
    for name, arch, version in installed:
        offer = offers.get((name, arch)) or offers.get((name, "all"))
        if offer is not None and compare(offer[0], version) > 0:
            result.append(PendingUpdate(name=name, arch=arch, installed_version=version,
                                        available_version=offer[0], suite=offer[1]))
    return sorted(result, key=lambda u: (u.name, u.arch))


class SecurityUpdatesCollector:
    """Installed deb packages with a newer version in a security suite apt has fetched."""

    name = "security_updates"

    def __init__(self, *, cache_dir: Path | None = None, memo: AnswerMemo | None = None) -> None:
        """`cache_dir`: where the live machine's answer is kept on disk (default CACHE_DIR); `memo`:
        the in-process last answer (default: the one this process shares)."""
        self._cache_dir = CACHE_DIR if cache_dir is None else cache_dir
        self._memo = _MEMO if memo is None else memo

    def is_present(self, root: Path) -> bool:
        """Debian-family machines: apt's lists directory and dpkg's status file."""
        return (root / LISTS_DIR).is_dir() and (root / STATUS_FILE).is_file()

    def collect(self, root: Path) -> UpdatesResult:
        """Find the security suites, read the installed set, compare.

        Raises:
            NotApplicable: no security suite was ever fetched, so the machine cannot tell.
            CollectionError: an index or the dpkg database is unreadable.
        """
        suites = find_security_suites(root / LISTS_DIR)
        if not suites:
            raise NotApplicable(f"no *-security suite in /{LISTS_DIR} (not configured, or apt-get update never ran)")
        key = _signature([root / STATUS_FILE, *(p for s in suites for p in (s.release_file, *s.indices))])
        remembered = self._memo.get(key) if key is not None else None
        if remembered is not None:
            return remembered
        cache = self._cache_dir / CACHE_FILE if is_live(root) and key is not None else None
        cached = load_cached(cache, key) if cache is not None and key is not None else None
        if cached is not None and key is not None:
            self._memo.put(key, cached)
            return cached
        try:
            status = (root / STATUS_FILE).read_bytes().decode("utf-8", errors="replace")
        except OSError as exc:
            raise CollectionError(f"{root / STATUS_FILE}: cannot read dpkg database: {exc.strerror or exc}") from exc
        installed = [(i.name, i.arch, i.version) for i in parse_status(status, info_dir=None)]
        dates = [d for d in (mtime_utc(s.release_file) for s in suites) if d is not None]
        result = UpdatesResult(pending=tuple(pending_updates(installed, suites)),
                               lists_date=min(dates) if dates else None,
                               suites=tuple(s.name for s in suites))
        if key is not None:
            self._memo.put(key, result)
            if cache is not None:
                store_cached(cache, key, result)
        return result


Signature = tuple[tuple[str, int, int], ...]


class AnswerMemo:
    """The last answer, keyed by the (path, mtime, size) signature of the files it was read from.

    The answer only changes when dpkg or apt rewrite their files, which happens far less often than
    the daemon's reports; remembering it keeps a steady-state cycle from re-reading megabytes of
    indices. One entry: the daemon only ever asks about the current state. Thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: Signature | None = None
        self._answer: UpdatesResult | None = None

    def get(self, key: Signature) -> UpdatesResult | None:
        """The remembered answer if it was read from files with this signature."""
        with self._lock:
            return self._answer if key == self._key else None

    def put(self, key: Signature, answer: UpdatesResult) -> None:
        """Remember `answer` (forgetting the previous one)."""
        with self._lock:
            self._key, self._answer = key, answer


_MEMO = AnswerMemo()  # shared by every collector of this process (collect_inventory makes one per run)


# One-shot runs (`netcensus-agent facts`, `report --once` from cron) start with an empty memo, and
# decompressing and parsing a security suite's Packages index is most of their collection time; the
# same answer is kept on disk under the same (path, mtime, size) key. Best effort: an unwritable or
# corrupt cache only means recomputing. Only for the live machine, never for a recorded root.
CACHE_DIR = Path("/var/cache/netcensus-agent") if os.geteuid() == 0 else Path.home() / ".cache" / "netcensus-agent"
CACHE_FILE = "security-updates.json"


def load_cached(path: Path, key: Signature) -> UpdatesResult | None:
    """The answer stored at `path` for files with signature `key`; None if absent, stale or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if [tuple(k) for k in data["key"]] != list(key):
            return None
        return UpdatesResult(
            pending=tuple(PendingUpdate(**p) for p in data["pending"]),
            lists_date=datetime.fromisoformat(data["lists_date"]) if data["lists_date"] else None,
            suites=tuple(data["suites"]))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def store_cached(path: Path, key: Signature, result: UpdatesResult) -> None:
    """Store `result` for signature `key` at `path`, atomically; an unwritable place is ignored."""
    payload = {"key": [list(k) for k in key], "suites": list(result.suites),
               "lists_date": result.lists_date.isoformat() if result.lists_date else None,
               "pending": [{"name": u.name, "arch": u.arch, "installed_version": u.installed_version,
                            "available_version": u.available_version, "suite": u.suite} for u in result.pending]}
    with contextlib.suppress(OSError):  # a cache that cannot be written is only a slower next run
        write_private(path, json.dumps(payload).encode())


def _signature(paths: list[Path]) -> tuple[tuple[str, int, int], ...] | None:
    try:
        return tuple((str(p), (st := p.stat()).st_mtime_ns, st.st_size) for p in paths)
    except OSError:
        return None
