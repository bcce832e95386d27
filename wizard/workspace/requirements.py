"""Editing requirements.txt the way the guide does it, without losing anything of the learner's.

Pure functions: `dvc==3.47.0` becomes `dvc[gs]==3.47.0`; a pin, other extras, markers,
comments and the other lines stay as they were.
"""

from __future__ import annotations

import re

_REQ = re.compile(
    r"^(?P<indent>\s*)(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)"
    r"(?:\[(?P<extras>[^\]]*)\])?(?P<rest>.*)$"
)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def split_line(line: str) -> tuple[str, list[str], str] | None:
    """(name, extras, rest) of a requirement line, or None for comments, options and blanks."""
    stripped = line.strip()
    if not stripped or stripped.startswith(("#", "-")):
        return None
    match = _REQ.match(line)
    if not match:
        return None
    extras = [e.strip() for e in (match.group("extras") or "").split(",") if e.strip()]
    return match.group("name"), extras, match.group("rest")


def has_extra(text: str, package: str, extra: str) -> bool:
    for line in text.splitlines():
        parts = split_line(line)
        if parts and _canonical(parts[0]) == _canonical(package):
            return extra in parts[1]
    return False


def add_extra(text: str, package: str, extra: str) -> tuple[str, bool]:
    """Return (new text, changed). Adds `package[extra]` if the package is not listed at all."""
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        parts = split_line(line)
        if not parts or _canonical(parts[0]) != _canonical(package):
            continue
        name, extras, rest = parts
        if extra in extras:
            return text, False
        match = _REQ.match(line)
        assert match is not None
        new_extras = ",".join([*extras, extra])
        lines[index] = f"{match.group('indent')}{name}[{new_extras}]{rest}"
        if line.endswith("\n") and not lines[index].endswith("\n"):
            lines[index] += "\n"
        return "".join(lines), True
    tail = "" if not text or text.endswith("\n") else "\n"
    return f"{text}{tail}{package}[{extra}]\n", True


def pinned(text: str) -> dict[str, str]:
    """Canonical package name → the rest of the line (version specifier), for freeze checks."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        parts = split_line(line)
        if parts:
            out[_canonical(parts[0])] = parts[2].strip()
    return out


def without(text: str, package: str) -> list[str]:
    """The lines of requirements other than `package`'s, to tell whether anything else changed."""
    out = []
    for line in text.splitlines():
        parts = split_line(line)
        if not (parts and _canonical(parts[0]) == _canonical(package)):
            out.append(line)
    return out


def count(text: str) -> int:
    """How many requirements pip will read in the file (names, paths, URLs, editables; not options or
    comments): the total its progress is counted against."""
    lines = (line.split(" #", 1)[0].strip() for line in text.splitlines())
    return sum(1 for line in lines if line and not line.startswith("#") and (line[0] != "-" or line[:2] == "-e"))
