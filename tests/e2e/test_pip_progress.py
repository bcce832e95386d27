"""Chapter 7 run headless where pip has something to install: its progress is one compact line a tenth.

The learner's requirements list a tool of their own, as a wheel in the repository (pip installs it
without a network), so `pip install --requirement requirements.txt` really runs in the learner's `.venv`.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from tests.support import git, run_chapter7

WHEEL = "tiny_tool-1.0-py3-none-any.whl"


def build_wheel(folder: Path) -> Path:
    """The smallest wheel pip accepts: one module, its metadata, its record."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / WHEEL
    info = "tiny_tool-1.0.dist-info"
    files = {
        "tiny_tool.py": "VERSION = '1.0'\n",
        f"{info}/METADATA": "Metadata-Version: 2.1\nName: tiny-tool\nVersion: 1.0\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: by-hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{name},,\n" for name in files) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as wheel:
        for name, text in {**files, f"{info}/RECORD": record}.items():
            wheel.writestr(name, text)
    return path


def test_pip_installing_a_requirement_shows_requirements_counted_then_installed(sandbox: Path, answers: Path):
    repo = sandbox / "learner-repo"
    build_wheel(repo / "wheels")
    requirements = repo / "requirements.txt"
    requirements.write_text(requirements.read_text() + f"./wheels/{WHEEL}\n")
    git(repo, "add", "requirements.txt", "wheels")
    git(repo, "commit", "-q", "-m", "A tool of my own")
    total = len([line for line in requirements.read_text().splitlines() if line.strip()])

    result = run_chapter7(sandbox, answers)

    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("pip: ")]
    assert lines, result.stdout
    # One line a tenth of the way (not a line per package), the requirements counted against the file's.
    assert len(lines) <= 11
    shape = re.compile(rf"^pip: (\d+/{total} requirements|installing|\d+ packages? installed)")
    assert all(shape.search(line) for line in lines), lines
    assert lines[-1] == "pip: 1 package installed  100%"
    assert any((repo / ".venv").glob("lib/python*/site-packages/tiny_tool.py"))
    assert "tiny-tool" in (repo / "requirements-freeze.txt").read_text()
