"""Progress events: how steps talk to whichever front end is running (TUI, line mode, headless).

Steps never print. They emit events through a `Reporter`; the CLI prints them, the TUI
turns them into messages for its activity log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class StepStarted:
    step_id: str
    title: str


@dataclass(frozen=True)
class Progress:
    step_id: str
    message: str
    fraction: float | None = None  # 0..1 when known


@dataclass(frozen=True)
class StepFinished:
    step_id: str
    title: str
    status: str  # "done" (already true), "applied", "failed", "skipped"
    detail: str = ""


@dataclass(frozen=True)
class Notice:
    """Something the learner should read that is not tied to a step (e.g. a state file kept aside)."""

    message: str
    level: str = "info"


Event = StepStarted | Progress | StepFinished | Notice
Reporter = Callable[[Event], None]


def null_reporter(_event: Event) -> None:
    return None


@dataclass
class Recorder:
    """A reporter that keeps every event; handy for tests and for the summary."""

    events: list[Event] = field(default_factory=list)

    def __call__(self, event: Event) -> None:
        self.events.append(event)
