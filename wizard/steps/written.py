"""Steps that write files of the learner's repository, which a later step commits.

The commit step (`CommitChapterFiles`) asks each of them which paths it writes, which content
in a commit counts as its work, and whether an uncommitted change is its own or the learner's:
declared here, so the commit step calls them instead of looking them up by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from wizard.engine.step import Step


@dataclass(kw_only=True)
class FileStep(Step):
    def paths(self, answers: Mapping[str, str]) -> list[str]:
        """The repository paths this step writes, for these answers."""
        return []

    def accepts(self, answers: Mapping[str, str], text: str | None, path: str = "") -> bool | str | None:
        """Whether `text` (the file `path` in a commit, None if absent) holds this step's work: truthy if so."""
        raise NotImplementedError

    def own_change(self, answers: Mapping[str, str], path: str, head: str | None, work: str | None) -> bool:
        """Whether an uncommitted change of `path` (from `head` to `work`) is this step's, not the learner's.

        By default every change counts as the step's: a step that cannot tell never stops the commit."""
        return True
