"""The error panel: what failed, why, how to fix it — and Retry."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from wizard.engine.errors import WizardError


class ErrorScreen(ModalScreen[bool]):
    """Dismissed with True when the learner asks to retry."""

    BINDINGS = [
        Binding("ctrl+r", "retry", "Retry"),
        Binding("escape", "close", "Close"),
    ]

    def __init__(self, error: WizardError, step_title: str) -> None:
        super().__init__()
        self.error = error
        self.step_title = step_title

    def compose(self) -> ComposeResult:
        with Vertical(id="error-panel"):
            yield Label(f"✗ {self.step_title} did not finish", id="error-title", markup=False)
            yield Static(self.error.what, id="error-what", markup=False)
            if self.error.why:
                yield Label("Why", classes="error-heading")
                yield Static(self.error.why, id="error-why", markup=False)
            if self.error.fix:
                yield Label("How to fix it", classes="error-heading")
                yield Static(self.error.fix, id="error-fix", markup=False)
            yield Static("Nothing was lost: what was done stays done, and Retry only does what is missing.",
                         classes="error-note")
            with Horizontal(classes="buttons"):
                yield Button("Retry (ctrl+r)", id="retry", variant="primary")
                yield Button("Close (esc)", id="close")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "retry")

    def action_retry(self) -> None:
        self.dismiss(True)

    def action_close(self) -> None:
        self.dismiss(False)
