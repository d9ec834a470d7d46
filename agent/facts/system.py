"""Processor, memory and boot time.

Live runs ask psutil; a recorded root is read from the procfs files psutil itself parses on
Linux (/proc/cpuinfo, /proc/meminfo, /proc/stat), so tests exercise the same parsing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from agent.facts import _psutil
from agent.facts._fsutil import is_live, read_text
from agent.facts.model import Cpu

# Keys naming the CPU model in /proc/cpuinfo: x86 "model name", arm64 has none per core but
# some kernels/boards give "Model" (Raspberry Pi) or "Hardware"; s390x "machine"; POWER "cpu".
_MODEL_KEYS = ("model name", "Model", "cpu model", "Processor", "cpu", "Hardware")


def parse_cpuinfo(text: str) -> Cpu:
    """Model, cores and threads from /proc/cpuinfo text.

    Threads are the "processor" stanzas; cores are distinct (physical id, core id) pairs where
    the architecture reports them (x86), else unknown (0) rather than a guess.
    """
    model = ""
    threads = 0
    cores: set[tuple[str, str]] = set()
    physical = core = ""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key = key.strip()
        value = value.strip()
        fields.setdefault(key, value)
        if key == "processor":
            threads += 1
            physical = core = ""
        elif key == "physical id":
            physical = value
        elif key == "core id":
            core = value
            cores.add((physical, core))
    for key in _MODEL_KEYS:
        # On POWER "cpu" is the model; on x86 the "cpu" key does not exist (only "cpu family").
        if fields.get(key):
            model = fields[key]
            break
    return Cpu(model=model, cores=len(cores), threads=threads)


class CpuCollector:
    """CPU model from /proc/cpuinfo, core/thread counts from psutil when live."""

    name = "cpu"

    def is_present(self, root: Path) -> bool:
        """Live machines always have a CPU; a recorded root needs proc/cpuinfo."""
        return is_live(root) or (root / "proc/cpuinfo").is_file()

    def collect(self, root: Path) -> Cpu:
        """Parse cpuinfo; when live prefer psutil's counts (it also works where cpuinfo is terse)."""
        parsed = parse_cpuinfo(read_text(root / "proc/cpuinfo"))
        if not is_live(root):
            return parsed
        cores, threads = _psutil.cpu_counts()
        return Cpu(model=parsed.model, cores=cores or parsed.cores, threads=threads or parsed.threads)


def parse_meminfo_total(text: str) -> int:
    """MemTotal from /proc/meminfo in bytes (the file says "kB" but means KiB, fs/proc/meminfo.c)."""
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                return int(parts[1]) * 1024
    return 0


class MemoryCollector:
    """Total physical memory in bytes."""

    name = "memory"

    def is_present(self, root: Path) -> bool:
        """Live machines always have memory; a recorded root needs proc/meminfo."""
        return is_live(root) or (root / "proc/meminfo").is_file()

    def collect(self, root: Path) -> int:
        """psutil when live, else MemTotal."""
        if is_live(root):
            return _psutil.memory_total()
        return parse_meminfo_total(read_text(root / "proc/meminfo"))


class BootTimeCollector:
    """When the machine last booted (aware UTC)."""

    name = "boot_time"

    def is_present(self, root: Path) -> bool:
        """Live machines always booted; a recorded root needs proc/stat."""
        return is_live(root) or (root / "proc/stat").is_file()

    def collect(self, root: Path) -> datetime | None:
        """psutil when live, else the `btime` line of /proc/stat (seconds since the epoch, proc(5))."""
        if is_live(root):
            return datetime.fromtimestamp(_psutil.boot_time(), tz=UTC)
        for line in read_text(root / "proc/stat").splitlines():
            if line.startswith("btime "):
                return datetime.fromtimestamp(int(line.split()[1]), tz=UTC)
        return None
