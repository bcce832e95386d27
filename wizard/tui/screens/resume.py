"""Welcome back: what is done (observed live just now), and an offer to continue."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class ResumeScreen(ModalScreen[bool]):
    """Dismissed with True to continue at the first unfinished step."""

    BINDINGS = [Binding("enter", "resume", "Continue", show=False), Binding("escape", "stay", "Look around")]

    def __init__(self, done: list[str], todo: list[str]) -> None:
        super().__init__()
        self.done = done
        self.todo = todo

    def compose(self) -> ComposeResult:
        with Vertical(id="resume-panel"):
            yield Label("Welcome back", id="resume-title")
            yield Static(f"{len(self.done)} of {len(self.done) + len(self.todo)} steps are done "
                         "(checked just now in the cloud and in your repository):", id="resume-count")
            done = "\n".join(f"  ✓ {title}" for title in self.done) or "  (none yet)"
            yield Static(done, id="resume-done", markup=False)
            if self.todo:
                yield Static(f"Next: {self.todo[0]}", id="resume-next", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Continue (enter)", id="resume", variant="primary")
                yield Button("Look around (esc)", id="stay")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "resume")

    def action_resume(self) -> None:
        self.dismiss(True)

    def action_stay(self) -> None:
        self.dismiss(False)
