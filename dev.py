#!/usr/bin/env python3
"""The two commands of the README, working on a fresh machine with only Python and git.

    python3 dev.py demo            # the wizard's demo on the embedded sandbox
    python3 dev.py test            # quality gates (ruff, mypy, import layers), then the whole suite
    python3 dev.py test --coverage # the same, measured by coverage (CLI and sandbox subprocesses too)
    python3 dev.py test PATH ...   # only those tests (pytest's options work too), no gates
    python3 dev.py lint            # only the quality gates
    python3 dev.py bench           # benchmarks, each a ratio to its reference (--large: 10,000 files)

All create `.venv` and install the project with its test extras the first time (and again
whenever pyproject.toml or constraints.txt changes).
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
    sources = (ROOT / "pyproject.toml").read_bytes() + (ROOT / "constraints.txt").read_bytes()
    wanted = hashlib.sha256(sources).hexdigest()
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


# The quality gates, configured in pyproject.toml. Each must pass before the tests run.
GATES: list[tuple[str, list[str]]] = [
    ("ruff", ["-m", "ruff", "check", "."]),
    ("ruff format", ["-m", "ruff", "format", "--check", "."]),
    ("mypy", ["-m", "mypy"]),
    # The layers (README, Design): nothing imports upwards; contracts in pyproject.toml.
    ("lint-imports", [str(BIN / "lint-imports")]),
]


def lint() -> int:
    for name, args in GATES:
        print(f"{name} …", flush=True)
        code = subprocess.call([str(BIN / "python"), *args], cwd=ROOT)
        if code != 0:
            print(f"The {name} gate failed (see above); the tests were not run.", file=sys.stderr)
            return code
    return 0


def _pytest(args: list[str], env: dict[str, str] | None = None, coverage: bool = False) -> int:
    python = str(BIN / "python")
    # Two workers per core, unless told otherwise (`-n 0` for one process, e.g. to use a debugger):
    # a story spends about half its time waiting (on the sandbox's simulated operations and CI runs,
    # on git and dvc in subprocesses), so a second worker per core fills that time. Idle workers
    # steal queued tests from busy ones, so no worker is left with a tail of long stories.
    told = any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in args)
    workers = [] if told else ["-n", str(min(16, 2 * (os.cpu_count() or 1))), "--dist", "worksteal"]
    pytest = ["-m", "pytest", *workers, *args]
    command = [python, "-m", "coverage", "run", *pytest] if coverage else [python, *pytest]
    code = subprocess.call(command, cwd=ROOT, env=env)
    if code == 5:
        print("pytest collected no tests: that is a failure, not a pass.", file=sys.stderr)
        return 1
    return code


def test(args: list[str]) -> int:
    """A path (or -k …) runs those tests alone; without one: the gates, then every test.

    Coverage is measured only when asked (`--coverage`): it traces the wizard and the sandbox in
    every subprocess the stories start, which costs about 40 % more CPU for the whole suite.
    """
    measured = "--coverage" in args
    args = [a for a in args if a != "--coverage"]
    chosen = any(not arg.startswith("-") for arg in args)
    if not chosen:
        code = lint()
        if code != 0:
            return code
    if not measured:
        return _pytest(args)
    # Coverage follows the CLI, the sandbox and the tools the stories start in subprocesses
    # ([tool.coverage.run] patch = ["subprocess"]); an absolute data file gathers every process's part.
    for old in ROOT.glob(".coverage*"):
        old.unlink()
    env = dict(os.environ, COVERAGE_FILE=str(ROOT / ".coverage"))
    code = _pytest(args, env=env, coverage=True)
    python = str(BIN / "python")
    subprocess.call([python, "-m", "coverage", "combine", "--quiet"], cwd=ROOT, env=env)
    print("\nCoverage (the CLI and sandbox subprocesses included):", flush=True)
    # The floor is for the whole suite; a chosen part of it is only measured.
    floor = ["--fail-under=0"] if chosen else []
    report = subprocess.call([python, "-m", "coverage", "report", *floor], cwd=ROOT, env=env)
    return code or report


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "lint", "bench"}:
        print(__doc__)
        return 2
    _ensure_env()
    if argv[0] == "demo":
        return subprocess.call([str(BIN / "mlops-wizard"), "demo", *argv[1:]])
    if argv[0] == "bench":
        return subprocess.call([str(BIN / "python"), str(ROOT / "bench" / "all.py"), *argv[1:]], cwd=ROOT)
    if argv[0] == "lint":
        return lint()
    return test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
