"""Progress read from the tools' own output: DVC's progress bars and pip's package lines.

DVC draws its bars (tqdm) only on a terminal; `DVC_IGNORE_ISATTY` makes it draw them into
our pipe, one update per carriage return. Each update becomes a fraction and a short line
("dvc push: 12/54 files, 24.5 KiB sent"), which the TUI shows as a bar and headless mode as a
compact line. pip draws no overall bar; its package lines are counted against the requirements
file, whose number of requirements is known before pip starts (`PipProgress`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# DVC's formats (dvc/progress.py): "{percentage:3.0f}% {desc}|{bar}|{info}{n_fmt}/{total_fmt} [...]"
# and, for nested bars, "{percentage:3.0f}%|{bar:10}|{desc}{info}{n_fmt}/{total_fmt} [...]". The overall bar
# is "Pushing to gs" (its total changes as DVC finds work, so the step's own count is the total); each
# file has a bar of bytes ("…/.dvc/c0.00/1.75k", the name cut short).
_DVC_BAR = re.compile(
    r"^\s*(?P<pct>\d{1,3})%\s*(?P<desc1>[^|]*)\|[^|]*\|(?P<desc2>.*?)"
    r"(?P<n>\d[\d.]*[kMGTP]?)/(?P<total>\d[\d.]*[kMGTP]?|\?)\s*\["
)
_UNITS = {"": 1, "k": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4, "P": 1024**5}

DVC_ENV = {"DVC_IGNORE_ISATTY": "true"}  # draw the bars into a pipe too


@dataclass
class ToolProgress:
    """One update: a fraction (0..1) when the tool gives a total, and a line to show."""

    message: str
    fraction: float | None = None


def _size(text: str) -> float:
    unit = text[-1] if text and text[-1] in _UNITS else ""
    try:
        return float(text[: len(text) - len(unit)]) * _UNITS[unit]
    except ValueError:
        return 0.0


def human(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"  # pragma: no cover


@dataclass
class DvcProgress:
    """Reads `dvc push` output line by line: files pushed (of `total_files`) and bytes sent so far."""

    total_files: int = 0
    files: int = 0
    sent: float = 0.0
    _open: dict[str, float] = field(default_factory=dict)

    def feed(self, line: str) -> ToolProgress | None:
        match = _DVC_BAR.match(line)
        if match is None:
            return None
        desc = (match.group("desc1") + match.group("desc2")).strip()
        n, total = match.group("n"), match.group("total")
        if desc.startswith(("Pushing", "Fetching")):
            self.files = max(self.files, int(_size(n)))
        elif desc.startswith(("Querying", "Collecting")) or not desc:
            return None
        elif int(match.group("pct")) >= 100 and total != "?":
            self.sent += _size(total)  # one more file sent whole
        else:
            return None
        total_files = max(self.total_files, self.files, 1)
        return ToolProgress(
            f"dvc push: {self.files}/{total_files} files, {human(self.sent)} sent", min(self.files / total_files, 1.0)
        )


# A direct requirement names the file and line it comes from; a dependency names its parent with "->":
# "Collecting dvc[gs]==3.47.0 (from -r requirements.txt (line 1))",
# "Collecting gcsfs (from dvc-gs->dvc[gs]==3.47.0->-r requirements.txt (line 1))",
# "Requirement already satisfied: pyyaml in ./.venv/lib/... (from -r requirements.txt (line 2)) (6.0.1)",
# "Processing ./wheels/tool-1.0-py3-none-any.whl (from -r requirements.txt (line 3))".
_PIP_SEEN = re.compile(
    r"^\s*(?:Collecting|Processing|Obtaining|Requirement already satisfied:)\s+(?P<what>\S+)(?P<rest>.*)$"
)
_PIP_FROM = re.compile(r"\(from (?P<parents>[^()]*?)(?P<file>-r [^()]*\(line \d+\))\)")
_PIP_INSTALLING = re.compile(r"^\s*Installing collected packages:\s*(?P<names>.*)$")
_PIP_INSTALLED = re.compile(r"^\s*Successfully installed\s*(?P<names>.*)$")

# Where the bar stands at each of pip's phases: looking at the requirements (and their dependencies)
# moves it up to LOOKED; installing starts at INSTALLING; "Successfully installed" fills it.
LOOKED, INSTALLING = 0.6, 0.8


def _short(what: str) -> str:
    """A requirement as the learner wrote it, without a path's folders ("./wheels/x.whl" -> "x.whl")."""
    return what.rstrip("/").rsplit("/", 1)[-1][:60]


@dataclass
class PipProgress:
    """Reads `pip install --requirement FILE` line by line: requirements looked at, of those in the file.

    pip says which requirement each package comes from, so the direct ones (n of `total`, the
    requirements file's count) move the bar; dependencies found on the way are counted beside them.
    pip then installs everything in one go and says so twice (installing, installed), the last stretch.
    """

    total: int = 1
    _direct: set[str] = field(default_factory=set)
    _dependencies: set[str] = field(default_factory=set)

    def _looking(self, doing: str) -> ToolProgress:
        total = max(self.total, len(self._direct), 1)
        found = f", {len(self._dependencies)} dependencies" if self._dependencies else ""
        return ToolProgress(
            f"pip: {len(self._direct)}/{total} requirements{found} ({doing})"[:200],
            LOOKED * min(len(self._direct) / total, 1.0),
        )

    def feed(self, line: str) -> ToolProgress | None:
        seen = _PIP_SEEN.match(line)
        if seen is not None:
            what, rest = seen.group("what"), seen.group("rest")
            already = line.lstrip().startswith("Requirement already satisfied")
            origin = _PIP_FROM.search(rest)
            if origin is not None and not origin.group("parents"):
                self._direct.add(origin.group("file"))
            else:
                self._dependencies.add(what.lower())
            return self._looking(f"{'already installed' if already else 'collecting'} {_short(what)}")
        installing = _PIP_INSTALLING.match(line)
        if installing is not None:
            count = len([n for n in installing.group("names").split(",") if n.strip()])
            return ToolProgress(f"pip: installing {count} package{'s' if count != 1 else ''}", INSTALLING)
        installed = _PIP_INSTALLED.match(line)
        if installed is not None:
            count = len(installed.group("names").split())
            return ToolProgress(f"pip: {count} package{'s' if count != 1 else ''} installed", 1.0)
        return None
