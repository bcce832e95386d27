"""A chapter is content: an ordered list of steps with a title and a closing summary.

Chapters live in the top-level `chapters` package, one module each, exposing `CHAPTER`.
The engine finds them by name (it imports no content): it scans that package, then the
modules or packages named in MLOPS_WIZARD_CHAPTERS (comma-separated), so adding a chapter,
even one outside this tree, touches no engine code.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Sequence

from wizard.engine.errors import WizardError
from wizard.engine.step import Step


@dataclass
class Chapter:
    number: int
    title: str
    steps: Sequence[Step]
    intro: str = ""
    summary: str = ""
    requires: Sequence[int] = field(default_factory=list)  # chapters that must be done first
    # What the chapter needs from earlier ones (wizard.engine.prerequisites.Prerequisite), checked before any write.
    prerequisites: Sequence[Any] = field(default_factory=list)
    # The branch its CI workflow runs on, when it waits for a run (the guide's workflows run on main).
    ci_branch: str = ""

    def needs(self) -> list[str]:
        """Every answer key the chapter's steps need, in the order they are first needed."""
        seen: list[str] = []
        for step in self.steps:
            for key in step.needs:
                if key not in seen:
                    seen.append(key)
        return seen

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)


# The content package the wizard ships with; more come from the environment variable.
CONTENT_PACKAGE = "chapters"
EXTRA_CHAPTERS_ENV = "MLOPS_WIZARD_CHAPTERS"


def chapter_modules() -> list[str]:
    """The names to look for chapters in: the shipped package first, then the learner's or a test's own."""
    extra = [name.strip() for name in os.environ.get(EXTRA_CHAPTERS_ENV, "").split(",") if name.strip()]
    return [CONTENT_PACKAGE, *extra]


def _import(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise WizardError(
            what=f"The chapters in '{name}' could not be loaded.",
            why=str(exc),
            fix=f"Check {EXTRA_CHAPTERS_ENV} (module names separated by commas, importable from sys.path).",
        ) from exc


def load_chapters() -> dict[int, Chapter]:
    found: dict[int, Chapter] = {}
    for name in chapter_modules():
        package = _import(name)
        modules = [package]
        if hasattr(package, "__path__"):  # a package: every module in it
            modules += [_import(f"{name}.{info.name}") for info in pkgutil.iter_modules(package.__path__)]
        for module in modules:
            chapter = getattr(module, "CHAPTER", None)
            if isinstance(chapter, Chapter):
                found[chapter.number] = chapter
    return dict(sorted(found.items()))


def _named_after(number: int) -> Chapter | None:
    """The shipped module named after the chapter (`ch07_…`), imported alone: the full screen paints sooner
    without every other chapter's steps. None when more chapters come from the environment (one of them may
    use the same number and wins) or no module has that name: then every module is looked at."""
    if os.environ.get(EXTRA_CHAPTERS_ENV, "").strip():
        return None
    package = _import(CONTENT_PACKAGE)
    for info in pkgutil.iter_modules(getattr(package, "__path__", [])):
        if info.name.startswith(f"ch{number:02d}_"):
            chapter = getattr(_import(f"{CONTENT_PACKAGE}.{info.name}"), "CHAPTER", None)
            if isinstance(chapter, Chapter) and chapter.number == number:
                return chapter
    return None


def get_chapter(number: int) -> Chapter:
    named = _named_after(number)
    if named is not None:
        return named
    chapters = load_chapters()
    if number not in chapters:
        raise WizardError(
            what=f"There is no chapter {number} in this wizard.",
            fix="Available chapters: " + ", ".join(str(n) for n in chapters) + ".",
        )
    return chapters[number]
