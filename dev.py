#!/usr/bin/env python3
"""The two commands of the README, working on a fresh machine with only Python and git.

    python3 dev.py demo    # the wizard's demo on the embedded sandbox
    python3 dev.py test    # the whole test suite
    python3 dev.py bench   # benchmarks, each figure a ratio against its reference (--large: 10,000 files)

Both create `.venv` and install the project with its test extras the first time (and again
whenever pyproject.toml changes).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed-from"


def _ensure_env() -> None:
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + (ROOT / "constraints.txt").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not (BIN / "python").exists():
        print("Creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing mlops-wizard and its test tools into .venv (first time only) …", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "--quiet", "--upgrade", "pip"], check=True)
    # constraints.txt pins the versions the suite was last run with (snapshots depend on
    # Textual's and Rich's exact rendering); delete a line to let pip choose.
    subprocess.run([*pip, "install", "--quiet", "-c", str(ROOT / "constraints.txt"), "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "bench"}:
        print(__doc__)
        return 2
    _ensure_env()
    if argv[0] == "demo":
        return subprocess.call([str(BIN / "mlops-wizard"), "demo", *argv[1:]])
    if argv[0] == "bench":
        return subprocess.call([str(BIN / "python"), str(ROOT / "bench" / "all.py"), *argv[1:]], cwd=ROOT)
    # Every core, unless told otherwise (`-n 0` for one process, e.g. to use a debugger).
    workers = [] if any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in argv[1:]) else ["-n", "auto"]
    code = subprocess.call([str(BIN / "python"), "-m", "pytest", *workers, *argv[1:]], cwd=ROOT)
    if code == 5:
        print("pytest collected no tests: that is a failure, not a pass.", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
