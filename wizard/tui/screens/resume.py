"""Welcome back: what is done (observed live just now), and an offer to continue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Label, Static

from wizard.tui.screens.dialog import Choice, Dialog


class ResumeScreen(Dialog[bool]):
    """Dismissed with True to continue at the first unfinished step.

    `done` lists (chapter number, step title) once per step; the list scrolls so the buttons
    stay on screen at 80×24 however many steps are done.
    """

    PANEL = "resume-panel"
    FOCUS = "#resume"
    SCROLLS = "#resume-list"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "choose('resume')", "Continue", show=False, priority=True),
        Binding("escape", "choose('stay')", "Look around"),
        Binding("pagedown,down", "scroll_list(1)", "Scroll", show=False),
        Binding("pageup,up", "scroll_list(-1)", "Scroll", show=False),
    ]

    def __init__(self, done: Sequence[tuple[int, str]], todo: Sequence[tuple[int, str]]) -> None:
        super().__init__()
        self.done = list(dict.fromkeys(done))
        self.todo = list(dict.fromkeys(todo))

    def body(self) -> ComposeResult:
        yield Label("Welcome back", id="resume-title")
        yield Static(
            f"{len(self.done)} of {len(self.done) + len(self.todo)} steps are done "
            "(checked just now in the cloud and in your repository):",
            id="resume-count",
        )
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
        yield Static(
            "enter: continue · esc: look around first · pgup/pgdn: scroll the list",
            classes="help-note",
            id="resume-keys",
            markup=False,
        )

    def choices(self) -> Sequence[Choice]:
        return [Choice("Continue (enter)", "resume", "primary"), Choice("Look around (esc)", "stay")]

    def answer(self, choice: str) -> bool:
        return choice == "resume"
