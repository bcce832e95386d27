"""Progress events: how steps talk to whichever front end is running (TUI, line mode, headless).

Steps never print. They emit events through a `Reporter`; the CLI prints them, the TUI
turns them into messages for its activity log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from wizard.engine.status import Status


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
    status: Status  # DONE (already true), APPLIED (by this run) or FAILED
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


def event_line(event: Event, already: str = "already done") -> str:
    """An event as one line of plain text, the same in every front end's log (clean-up says "already gone")."""
    if isinstance(event, StepStarted):
        return f"▶ {event.title}"
    if isinstance(event, Progress):
        return f"    {event.message}"
    if isinstance(event, StepFinished):
        mark = {Status.DONE: f"✓ {already}:", Status.APPLIED: "✓", Status.FAILED: "✗"}.get(event.status, "·")
        return f"  {mark} {event.detail}"
    return f"! {event.message}"


@dataclass
class Recorder:
    """A reporter that keeps every event; handy for tests and for the summary."""

    events: list[Event] = field(default_factory=list)

    def __call__(self, event: Event) -> None:
        self.events.append(event)
