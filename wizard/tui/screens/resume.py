"""Welcome back: what is done (observed live just now), and an offer to continue."""

from __future__ import annotations

from typing import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class ResumeScreen(ModalScreen[bool]):
    """Dismissed with True to continue at the first unfinished step.

    `done` lists (chapter number, step title) once per step; the list scrolls so the buttons
    stay on screen at 80×24 however many steps are done.
    """

    BINDINGS = [Binding("enter", "resume", "Continue", show=False, priority=True),
                Binding("escape", "stay", "Look around"),
                Binding("pagedown,down", "scroll_list(1)", "Scroll", show=False),
                Binding("pageup,up", "scroll_list(-1)", "Scroll", show=False)]

    def __init__(self, done: Sequence[tuple[int, str]], todo: Sequence[tuple[int, str]]) -> None:
        super().__init__()
        self.done = list(dict.fromkeys(done))
        self.todo = list(dict.fromkeys(todo))

    def compose(self) -> ComposeResult:
        with Vertical(id="resume-panel"):
            yield Label("Welcome back", id="resume-title")
            yield Static(f"{len(self.done)} of {len(self.done) + len(self.todo)} steps are done "
                         "(checked just now in the cloud and in your repository):", id="resume-count")
            lines: list[str] = []
            chapter = None
            for number, title in self.done:
                if number != chapter:
                    chapter = number
                    lines.append(f"Chapter {number}")
                lines.append(f"  ✓ {title}")
            with VerticalScroll(id="resume-list"):
                yield Static("\n".join(lines) or "  (none yet)", id="resume-done", markup=False)
            if self.todo:
                number, title = self.todo[0]
                yield Static(f"Next: chapter {number}, {title}", id="resume-next", markup=False)
            yield Static("enter: continue · esc: look around first · pgup/pgdn: scroll the list",
                         classes="help-note", id="resume-keys", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Continue (enter)", id="resume", variant="primary")
                yield Button("Look around (esc)", id="stay")

    def on_mount(self) -> None:
        self.query_one("#resume-list").can_focus = False  # the keys scroll it; Tab goes to the buttons
        self.query_one("#resume", Button).focus()

    def action_scroll_list(self, direction: int) -> None:
        listing = self.query_one("#resume-list", VerticalScroll)
        (listing.scroll_page_down if direction > 0 else listing.scroll_page_up)()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "resume")

    def action_resume(self) -> None:
        self.dismiss(True)

    def action_stay(self) -> None:
        self.dismiss(False)
