"""Dialogs a step opens from its worker thread: a yes/no with details (a diff), a hidden input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Input, Label, Static

from wizard.tui.screens.dialog import Choice, Dialog


class ConfirmScreen(Dialog[bool]):
    """Dismissed with True only on an explicit yes; the safe answer (no) is the default."""

    PANEL = "confirm-panel"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "choose('no')", "No"),
        Binding("ctrl+o", "choose('yes')", "Yes, replace"),
    ]

    def __init__(self, title: str, details: str) -> None:
        super().__init__()
        self.title_text = title
        self.details = details

    def body(self) -> ComposeResult:
        yield Label(self.title_text, id="confirm-title", markup=False)
        with VerticalScroll(id="confirm-details"):
            yield Static(self.details, markup=False)

    def choices(self) -> Sequence[Choice]:
        return [Choice("Keep mine (esc)", "no", "primary"), Choice("Replace (ctrl+o)", "yes", "warning")]

    def answer(self, choice: str) -> bool:
        return choice == "yes"


class SecretScreen(Dialog["str | None"]):
    """A hidden input for a token: what is typed is never shown, logged or stored."""

    PANEL = "secret-panel"
    FOCUS = "#secret-input"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "choose('cancel')", "Cancel")]

    def __init__(self, prompt: str) -> None:
        super().__init__()
        self.prompt = prompt

    def body(self) -> ComposeResult:
        yield Label(self.prompt, id="secret-title", markup=False)
        yield Input(password=True, id="secret-input", placeholder="paste it here, then press enter")
        yield Static("It stays in memory for this session only.", classes="help-note")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value or None)

    def answer(self, choice: str) -> str | None:
        return None  # escape: no token


class ChoiceScreen(Dialog[str]):
    """Two answers for one key (what the learner typed earlier, an answers file's): which one is meant."""

    PANEL = "confirm-panel"
    FOCUS = "#earlier"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "choose('earlier')", "Keep mine")]

    def __init__(self, title: str, details: str, earlier: str, other: str) -> None:
        super().__init__()
        self.title_text = title
        self.details = details
        self.earlier = earlier
        self.other = other

    def body(self) -> ComposeResult:
        yield Label(self.title_text, id="confirm-title", markup=False)
        yield Static(self.details, markup=False)

    def choices(self) -> Sequence[Choice]:
        return [
            Choice(f"Keep {self.earlier} (esc)", "earlier", "primary"),
            Choice(f"Use {self.other}", "other", "warning"),
        ]

    def answer(self, choice: str) -> str:
        return self.other if choice == "other" else self.earlier
