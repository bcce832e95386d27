"""The chapters' Markdown as plain text, for line mode and headless output.

A screen reader reading `**bucket**` aloud says "star star bucket star star"; a log shows
`## Why`. Plain text keeps the words, the links (as "text (address)") and the list bullets.
"""

from __future__ import annotations

import re

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS = re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])")
_CODE = re.compile(r"`([^`]+)`")
_BULLET = re.compile(r"^(\s*)[-*+]\s+")


def _inline(text: str) -> str:
    text = _LINK.sub(lambda m: m.group(1) if m.group(1) == m.group(2) else f"{m.group(1)} ({m.group(2)})", text)
    text = _CODE.sub(r"\1", text)
    text = _STRONG.sub(r"\2", text)
    return _EMPHASIS.sub(r"\2", text)


def markdown_to_plain(markdown: str) -> str:
    """Headings become lines of their own words, emphasis and code marks go, bullets stay bullets."""
    out: list[str] = []
    in_fence = False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            out.append("    " + line)
            continue
        heading = _HEADING.match(line)
        if heading:
            if out and out[-1].strip():
                out.append("")
            out.append(_inline(heading.group(1)))
            continue
        line = _BULLET.sub(lambda m: m.group(1) + "- ", line)
        out.append(_inline(line))
    return "\n".join(out).strip() + "\n" if markdown.strip() else ""
