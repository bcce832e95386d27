"""Opening the clean-up in the full-screen wizard (placeholder until its screen exists)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def run_cleanup_tui(repo: Path, sandbox: Path | None, chapters: tuple[int, ...], given: dict[str, str],
                    options: dict[str, Any], include_chapter_13: bool, delete_foreign: bool) -> None:
    from wizard.cli import _clean_up

    _clean_up(repo, sandbox, chapters, given, options, include_chapter_13, delete_foreign, typed=None,
              interactive=True)
