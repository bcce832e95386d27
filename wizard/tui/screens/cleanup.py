"""The clean-up's plan and its one confirmation: type the project ID, as GitHub asks for a repository's name.

What does not look like the wizard's work is listed with a checkbox each: removing it needs
its own tick, by name. Nothing is removed until the typed ID matches and every difference is
ticked; escape leaves everything as it is.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static


class CleanupPlanScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    CleanupPlanScreen { align: center middle; }
    #cleanup-panel { width: 100; max-width: 98%; height: 90%; border: thick $error; background: $panel;
                     padding: 0 1; }
    #cleanup-plan { height: 1fr; }
    #cleanup-differences { height: auto; }
    #cleanup-differences Checkbox { width: 100%; }
    #cleanup-typed { margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Keep everything")]

    def __init__(self, plan_text: str, project_id: str, differences: list[str],
                 title: str = "Clean up: undo chapters 14, 8, 7") -> None:
        super().__init__()
        self.title_text = title
        self.plan_text = plan_text
        self.project_id = project_id
        self.differences = differences

    def compose(self) -> ComposeResult:
        with Vertical(id="cleanup-panel"):
            yield Label(self.title_text, id="cleanup-title", markup=False)
            with VerticalScroll(id="cleanup-plan"):
                yield Static(self.plan_text, markup=False)
            with Vertical(id="cleanup-differences"):
                for number, text in enumerate(self.differences):
                    yield Checkbox(f"Remove it anyway: {text}", id=f"difference-{number}")
            yield Input(placeholder=f"type {self.project_id} to confirm", id="cleanup-typed")
            with Horizontal(classes="buttons"):
                yield Button("Keep everything (esc)", id="keep", variant="primary")
                yield Button("Remove", id="remove", variant="error", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#cleanup-typed", Input).focus()

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

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "remove" and self._ready():
            self.dismiss(True)
        elif event.button.id == "keep":
            self.dismiss(False)

    def action_cancel(self) -> None:
        self.dismiss(False)
