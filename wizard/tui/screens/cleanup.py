"""The clean-up's plan and its one confirmation: type the project ID, as GitHub asks for a repository's name.

What does not look like the wizard's work is listed with a checkbox each: removing it needs
its own tick, by name. Nothing is removed until the typed ID matches and every difference is
ticked; escape leaves everything as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, Static

from wizard.tui.screens.dialog import Choice, Dialog


class CleanupPlanScreen(Dialog[bool]):
    PANEL = "cleanup-panel"
    FOCUS = "#cleanup-typed"
    DEFAULT_CSS = """
    CleanupPlanScreen { align: center middle; }
    #cleanup-panel { width: 100; max-width: 98%; height: 90%; border: thick $error; background: $panel;
                     padding: 0 1; }
    #cleanup-plan { height: 1fr; }
    #cleanup-differences { height: auto; }
    #cleanup-differences Checkbox { width: 100%; }
    #cleanup-typed { margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "choose('keep')", "Keep everything")]

    def __init__(
        self, plan_text: str, project_id: str, differences: list[str], title: str = "Clean up: undo chapters 14, 8, 7"
    ) -> None:
        super().__init__()
        self.title_text = title
        self.plan_text = plan_text
        self.project_id = project_id
        self.differences = differences

    def body(self) -> ComposeResult:
        yield Label(self.title_text, id="cleanup-title", markup=False)
        with VerticalScroll(id="cleanup-plan"):
            yield Static(self.plan_text, markup=False)
        with Vertical(id="cleanup-differences"):
            for number, text in enumerate(self.differences):
                yield Checkbox(f"Remove it anyway: {text}", id=f"difference-{number}")
        yield Input(placeholder=f"type {self.project_id} to confirm", id="cleanup-typed")

    def choices(self) -> Sequence[Choice]:
        return [Choice("Keep everything (esc)", "keep", "primary"), Choice("Remove", "remove", "error", disabled=True)]

    def answer(self, choice: str) -> bool:
        return choice == "remove"

    def _ready(self) -> bool:
        typed = self.query_one("#cleanup-typed", Input).value.strip() == self.project_id
        return typed and all(box.value for box in self.query(Checkbox))

    def on_input_changed(self, _event: Input.Changed) -> None:
        self.query_one("#remove", Button).disabled = not self._ready()

    def on_checkbox_changed(self, _event: Checkbox.Changed) -> None:
        self.query_one("#remove", Button).disabled = not self._ready()

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        if self._ready():
            self.dismiss(True)

    def action_choose(self, choice: str) -> None:
        if choice != "remove" or self._ready():  # removing needs the typed ID and every difference ticked
            super().action_choose(choice)
