"""Dialogs a step opens from its worker thread: a yes/no with details (a diff), a hidden input."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class ConfirmScreen(ModalScreen[bool]):
    """Dismissed with True only on an explicit yes; the safe answer (no) is the default."""

    BINDINGS = [Binding("escape", "no", "No"), Binding("ctrl+o", "yes", "Yes, replace")]

    def __init__(self, title: str, details: str) -> None:
        super().__init__()
        self.title_text = title
        self.details = details

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-panel"):
            yield Label(self.title_text, id="confirm-title", markup=False)
            with VerticalScroll(id="confirm-details"):
                yield Static(self.details, markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Keep mine (esc)", id="no", variant="primary")
                yield Button("Replace (ctrl+o)", id="yes", variant="warning")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


class SecretScreen(ModalScreen["str | None"]):
    """A hidden input for a token: what is typed is never shown, logged or stored."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, prompt: str) -> None:
        super().__init__()
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        with Vertical(id="secret-panel"):
            yield Label(self.prompt, id="secret-title", markup=False)
            yield Input(password=True, id="secret-input", placeholder="paste it here, then press enter")
            yield Static("It stays in memory for this session only.", classes="help-note")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceScreen(ModalScreen[str]):
    """Two answers for one key (what the learner typed earlier, an answers file's): which one is meant."""

    BINDINGS = [Binding("escape", "earlier", "Keep mine")]

    def __init__(self, title: str, details: str, earlier: str, other: str) -> None:
        super().__init__()
        self.title_text = title
        self.details = details
        self.earlier = earlier
        self.other = other

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-panel"):
            yield Label(self.title_text, id="confirm-title", markup=False)
            yield Static(self.details, markup=False)
            with Horizontal(classes="buttons"):
                yield Button(f"Keep {self.earlier} (esc)", id="earlier", variant="primary")
                yield Button(f"Use {self.other}", id="other", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#earlier", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(self.other if event.button.id == "other" else self.earlier)

    def action_earlier(self) -> None:
        self.dismiss(self.earlier)
