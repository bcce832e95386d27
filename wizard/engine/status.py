"""One status vocabulary for a step, on the bottom floor so the events, the checkpoint and every screen share it."""

from __future__ import annotations

import enum


class Status(str, enum.Enum):
    """The one vocabulary of a step's state, from the checkpoint through the events to the screen.

    An observation says DONE, TODO or DRIFTED; a run adds APPLIED (done by this run), STARTED
    (journaled before apply: an interruption inside the step), FAILED, RUNNING (on the screen
    while it runs) and UNKNOWN (it could not be observed). The values are the words written to
    the checkpoint, carried by the events and printed by `status --json`.
    """

    DONE = "done"
    TODO = "todo"
    DRIFTED = "drifted"  # exists but differs from what the guide wants
    APPLIED = "applied"
    STARTED = "started"
    FAILED = "failed"
    RUNNING = "running"
    UNKNOWN = "unknown"

    def __str__(self) -> str:  # the word itself wherever it is shown or formatted, on every Python version
        return str(self.value)

    @classmethod
    def read(cls, word: object) -> Status:
        """A status read back from a checkpoint (any version): a word this version does not know is UNKNOWN."""
        try:
            return cls(str(word.value if isinstance(word, enum.Enum) else word))
        except ValueError:
            return cls.UNKNOWN
