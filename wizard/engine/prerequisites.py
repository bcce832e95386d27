"""What a chapter needs from earlier chapters, declared by the chapter and checked before any write.

A prerequisite is met when it is true now, or when an earlier chapter of the same run makes
it. A chapter asked before the chapter that makes what it needs (14 before 8) stops the run
before its first write, saying which chapter to run first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from wizard.engine.errors import WizardError
from wizard.engine.step import Context

# A check returns None when the prerequisite is met, else a sentence saying what is missing.
Check = Callable[[Context], "str | None"]


@dataclass(frozen=True)
class Prerequisite:
    what: str  # e.g. "chapter 8's pipeline file"
    made_by: int  # the chapter of the guide that makes it
    check: Check
    # False when the chapter's own read-only checks do not depend on it (they can run before it is made).
    for_preflight: bool = True


def unmet(
    number: int, prerequisites: Sequence[Prerequisite], ctx: Context, earlier: Sequence[int], later: Sequence[int] = ()
) -> WizardError | None:
    """The error for the first prerequisite of chapter `number` that is neither met nor made earlier in this run."""
    for prerequisite in prerequisites:
        if prerequisite.made_by in earlier:
            continue
        missing = prerequisite.check(ctx)
        if missing is None:
            continue
        if prerequisite.made_by in later:
            fix = (
                f"Ask for chapter {prerequisite.made_by} before chapter {number}: "
                f"`mlops-wizard run --chapter {prerequisite.made_by} --chapter {number}`."
            )
        else:
            fix = (
                f"Do chapter {prerequisite.made_by} first (`mlops-wizard run --chapter {prerequisite.made_by}`), "
                f"or ask for both: `--chapter {prerequisite.made_by} --chapter {number}`."
            )
        return WizardError(
            what=f"Chapter {number} needs {prerequisite.what}: {missing}.",
            why=f"Chapter {prerequisite.made_by} of the guide makes it; nothing was changed.",
            fix=fix,
        )
    return None
