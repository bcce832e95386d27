"""Messages the worker threads send to the app. Posting a message is thread-safe."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

from wizard.engine.errors import WizardError
from wizard.engine.events import Event
from wizard.engine.step import Observation

if TYPE_CHECKING:  # pragma: no cover
    from wizard.engine.runner import StepReport


@dataclass
class SessionReady(Message):
    reports: dict[int, list[StepReport]]
    choices: dict[str, Any]
    resumed: bool
    target: str


@dataclass
class SessionFailed(Message):
    error: WizardError
    log: Path | None = None  # the report of an unexpected error, to attach to a bug report


@dataclass
class EngineEvent(Message):
    event: Event


@dataclass
class StepSucceeded(Message):
    step_id: str
    observation: Observation
    continue_to_end: bool
    # The step to show next, observed again right after this one ran: its pane is never stale.
    refreshed: list[StepReport] = field(default_factory=list)


@dataclass
class StepsObserved(Message):
    """Steps observed again (the one the learner opened): their status lines say what is true now."""

    reports: list[StepReport]


@dataclass
class StepCancelled(Message):
    """The learner quit while the step worked: its tools were stopped."""

    step_id: str


@dataclass
class StepErrored(Message):
    step_id: str
    error: WizardError
    log: Path | None = None  # the report of an unexpected error, to attach to a bug report
