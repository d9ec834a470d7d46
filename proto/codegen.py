"""Generate the Python stubs of the wire contract, or check that the committed ones are current.

This is the only way stubs are made: `make proto` writes them beside the .proto sources,
`make proto-check` generates into a scratch directory and fails when anything differs. The
generator versions are pinned in pyproject.toml (dev extra) because protoc's output changes
between releases.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PROTO_ROOT = Path(__file__).resolve().parent
PACKAGE_DIR = PROTO_ROOT / "netcensus" / "v1"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py", "_pb2_grpc.pyi")


def generate(out_dir: Path) -> list[Path]:
    """Run protoc (grpcio-tools) with the mypy plugins; return the generated files."""
    sources = sorted(PACKAGE_DIR.glob("*.proto"))
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    cmd = [
        sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO_ROOT}",
        f"--python_out={out_dir}", f"--grpc_python_out={out_dir}",
        f"--mypy_out={out_dir}", f"--mypy_grpc_out={out_dir}",
        *(str(s.relative_to(PROTO_ROOT)) for s in sources),
    ]
    subprocess.run(cmd, check=True, cwd=PROTO_ROOT, env=env)
    return sorted(p for p in (out_dir / "netcensus" / "v1").iterdir() if p.name.endswith(GENERATED_SUFFIXES))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if committed stubs are stale")
    args = parser.parse_args()
    if not args.check:
        generate(PROTO_ROOT)
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        fresh = {p.name: p for p in generate(Path(scratch))}
        committed = {p.name: p for p in PACKAGE_DIR.iterdir() if p.name.endswith(GENERATED_SUFFIXES)}
        stale = sorted(
            name for name in fresh.keys() | committed.keys()
            if name not in fresh or name not in committed
            or not filecmp.cmp(fresh[name], committed[name], shallow=False)
        )
        if stale:
            print(f"proto-check: stale generated stubs: {', '.join(stale)}; run `make proto`", file=sys.stderr)
            return 1
    print(f"proto-check: {len(fresh)} generated files are current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
