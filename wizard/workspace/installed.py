"""Whether every requirement of a requirements file is already installed in an environment.

`pip install -r requirements.txt` with everything already there still takes seconds (7 s
with the older pip a learner's environment may have); a second run of the wizard, or a
learner who installed `dvc[gs]` by hand, should not wait for it. The check runs in the
learner's own interpreter, with the `packaging` that pip vendors, and answers yes only when
it is sure: every line a plain requirement (name, extras, version, marker), each installed
at an allowed version, and the same for the requirements of every extra asked for. Any
option line (`-r`, `-e`, `--index-url`), URL or unknown case answers no, and pip runs.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

_CHECK = r"""
import sys
from importlib import metadata
try:
    from packaging.requirements import Requirement
except ImportError:
    from pip._vendor.packaging.requirements import Requirement

def satisfied(req, seen):
    if req.marker is not None and not req.marker.evaluate({"extra": ""}):
        return True
    try:
        dist = metadata.distribution(req.name)
    except metadata.PackageNotFoundError:
        return False
    if req.specifier and not req.specifier.contains(dist.version, prereleases=True):
        return False
    for extra in req.extras:
        if (req.name.lower(), extra) in seen:
            continue
        seen.add((req.name.lower(), extra))
        for line in dist.requires or []:
            sub = Requirement(line)
            if sub.marker is None or not sub.marker.evaluate({"extra": extra}):
                continue
            sub.marker = None
            if not satisfied(sub, seen):
                return False
    return True

ok = True
for raw in sys.stdin.read().splitlines():
    line = raw.split(" #", 1)[0].strip()
    if not line or line.startswith("#"):
        continue
    if line.startswith("-") or "://" in line or "@" in line:
        ok = False
        break
    try:
        if not satisfied(Requirement(line), set()):
            ok = False
            break
    except Exception:
        ok = False
        break
sys.exit(0 if ok else 1)
"""


def all_installed(python: Path, requirements_text: str, timeout: float = 30) -> bool:
    """True when `python`'s environment already has every requirement of the text, for sure."""
    try:
        result = subprocess.run(
            [str(python), "-c", _CHECK], input=requirements_text, capture_output=True, text=True, timeout=timeout
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0
