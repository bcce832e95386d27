"""Messages the worker threads send to the app. Posting a message is thread-safe."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from wizard.engine.errors import WizardError
from wizard.engine.events import Event
from wizard.engine.runner import StepReport
from wizard.engine.step import Observation


@dataclass
class SessionReady(Message):
    reports: dict[int, list[StepReport]]
    choices: dict[str, Any]
    resumed: bool
    target: str


@dataclass
class SessionFailed(Message):
    error: WizardError


@dataclass
class EngineEvent(Message):
    event: Event


@dataclass
class StepSucceeded(Message):
    step_id: str
    observation: Observation
    continue_to_end: bool


@dataclass
class StepErrored(Message):
    step_id: str
    error: WizardError
