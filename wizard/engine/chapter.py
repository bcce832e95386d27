"""A chapter is content: an ordered list of steps with a title and a closing summary.

Chapters live in the top-level `chapters` package, one module each, exposing `CHAPTER`.
The engine finds them by scanning that package, so adding a chapter touches no engine code.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
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


def load_chapters() -> dict[int, Chapter]:
    import chapters as package

    found: dict[int, Chapter] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"chapters.{info.name}")
        chapter = getattr(module, "CHAPTER", None)
        if isinstance(chapter, Chapter):
            found[chapter.number] = chapter
    return dict(sorted(found.items()))


def get_chapter(number: int) -> Chapter:
    chapters = load_chapters()
    if number not in chapters:
        raise WizardError(
            what=f"There is no chapter {number} in this wizard.",
            fix="Available chapters: " + ", ".join(str(n) for n in chapters) + ".",
        )
    return chapters[number]
