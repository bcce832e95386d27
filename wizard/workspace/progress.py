"""Progress read from the tools' own output: DVC's progress bars and pip's package lines.

DVC draws its bars (tqdm) only on a terminal; `DVC_IGNORE_ISATTY` makes it draw them into
our pipe, one update per carriage return. Each update becomes a fraction and a short line
("dvc push: 12/54 files, 24.5 KiB sent"), which the TUI shows as a bar and headless mode as a
compact line. pip has no total to count against, so its progress is the package at hand.
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
_PIP_PACKAGE = re.compile(
    r"^\s*(Collecting|Downloading|Requirement already satisfied:|Installing collected packages:|"
    r"Successfully installed)\s*(.*)$"
)

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


def pip_line(line: str) -> ToolProgress | None:
    """pip's lines that say which package it is at; the rest (bars, notices) is noise in a log."""
    match = _PIP_PACKAGE.match(line)
    if match is None:
        return None
    verb, rest = match.group(1).rstrip(":"), match.group(2).strip()
    if verb == "Requirement already satisfied":
        return ToolProgress(f"already installed: {rest.split()[0] if rest else ''}")
    return ToolProgress(f"{verb.lower()} {rest}"[:200])
