"""The error panel: what failed, why, how to fix it — and Retry."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Label, Static

from wizard.engine.errors import WizardError
from wizard.tui.screens.dialog import Choice, Dialog


class ErrorScreen(Dialog[bool]):
    """Dismissed with True when the learner asks to retry.

    When an unexpected error lies behind the failure, `log` is the report written for it: the
    panel names it, as the command line does, so the learner can attach it to a bug report.
    """

    PANEL = "error-panel"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "choose('retry')", "Retry"),
        Binding("escape", "choose('close')", "Close"),
    ]

    def __init__(self, error: WizardError, step_title: str, log: Path | None = None) -> None:
        super().__init__()
        self.error = error
        self.step_title = step_title
        self.log_file = log

    def body(self) -> ComposeResult:
        yield Label(f"✗ {self.step_title} did not finish", id="error-title", markup=False)
        yield Static(self.error.what, id="error-what", markup=False)
        if self.error.why:
            yield Label("Why", classes="error-heading")
            yield Static(self.error.why, id="error-why", markup=False)
        if self.error.fix:
            yield Label("How to fix it", classes="error-heading")
            yield Static(self.error.fix, id="error-fix", markup=False)
        if self.log_file is not None:
            from wizard.logs import LOG_NOTE

            yield Label("Log", classes="error-heading")
            yield Static(f"{self.log_file} ({LOG_NOTE})", id="error-log", markup=False)
        yield Static(
            "Nothing was lost: what was done stays done, and Retry only does what is missing.", classes="error-note"
        )

    def choices(self) -> Sequence[Choice]:
        return [Choice("Retry (ctrl+r)", "retry", "primary"), Choice("Close (esc)", "close")]

    def answer(self, choice: str) -> bool:
        return choice == "retry"
