"""The keys, on one screen."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Label, Static

from wizard.tui.screens.dialog import Dialog

KEYS = [
    ("ctrl+r", "Run the current step (answers are checked first; nothing is sent if one is wrong)"),
    ("ctrl+e", "Run every remaining step of the chapter, stopping where an answer is needed"),
    ("ctrl+n", "Skip to the next step without running this one"),
    ("ctrl+b", "Back to the previous step"),
    ("ctrl+y", "Copy the equivalent commands to the clipboard"),
    ("tab / shift+tab", "Move between fields, buttons and the step list"),
    ("pgup / pgdn", "Scroll the step's explanation"),
    ("f1", "This help"),
    ("ctrl+q", "Quit — run the wizard again later to continue where you stopped"),
]


# The marks in the step list: what each one says about the step, observed live.
MARKS = [
    ("✓", "done (checked in the cloud and the repository)"),
    ("▶", "the step on screen"),
    ("·", "to do"),
    ("⟳", "running"),
    ("✗", "failed: its panel says why and how to fix it"),
    ("≠", "drifted: it exists but differs from what the guide wants"),
    ("?", "could not be checked (e.g. the network): the activity log says why"),
]


class HelpScreen(Dialog[None]):
    PANEL = "help-panel"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "choose('close')", "Close"),
        Binding("f1", "choose('close')", "Close"),
    ]

    def body(self) -> ComposeResult:
        yield Label("Keys", id="help-title")
        for key, meaning in KEYS:
            yield Static(f"[b]{key:<16}[/b] {meaning}", classes="help-row")
        yield Static(
            " ".join(f"{mark} {meaning};" for mark, meaning in MARKS).rstrip(";") + ".",
            classes="help-marks",
            markup=False,
        )
        yield Static("Press esc to close.", classes="help-note")

    def answer(self, choice: str) -> None:
        return None
