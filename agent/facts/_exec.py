"""Run a local tool (nft, iptables-save, apt-helper) with a deadline; map its failures to ours.

Only a few facts have no file to read (the live nftables ruleset lives in the kernel and is
read over netlink by `nft`). Those collectors call `run()` so that a missing tool, a hang and
a refusal each become a plain value or a CollectionError with one line, never an exception
from subprocess leaking into the runner.
"""

from __future__ import annotations

import shutil
import subprocess

from agent.errors import CollectionError

DEFAULT_TIMEOUT_S = 5.0


def which(name: str) -> str | None:
    """Full path of an executable on PATH (or /usr/sbin, /sbin, where firewall tools live)."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/lib/apt")


def run(argv: list[str], *, timeout_s: float = DEFAULT_TIMEOUT_S, input_bytes: bytes | None = None) -> bytes:
    """Run argv and return its stdout.

    Raises:
        CollectionError: the tool is missing, timed out, or exited non-zero (the message carries
            the first line of its stderr, e.g. nft's "Operation not permitted").
    """
    exe = which(argv[0])
    if exe is None:
        raise CollectionError(f"{argv[0]}: not installed")
    try:
        done = subprocess.run([exe, *argv[1:]], input=input_bytes, capture_output=True, timeout=timeout_s,
                              check=False, env={"LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
    except subprocess.TimeoutExpired as exc:
        raise CollectionError(f"{argv[0]}: no answer within {timeout_s:g}s") from exc
    except OSError as exc:
        raise CollectionError(f"{argv[0]}: cannot run: {exc.strerror or exc}") from exc
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise CollectionError(f"{argv[0]}: exit {done.returncode}: {err[0] if err else 'no message'}")
    return done.stdout
