"""A chapter's introduction, shown when the learner reaches it: what it is for, before its first step."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Markdown, Static

from wizard.tui.screens.dialog import Choice, Dialog


class IntroScreen(Dialog[bool]):
    """Dismissed with True to start the chapter's first step."""

    PANEL = "intro-panel"
    FOCUS = "#start"
    SCROLLS = "#intro-scroll"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "choose('start')", "Start", show=False, priority=True),
        Binding("escape", "choose('start')", "Start", show=False),
        Binding("pagedown,down", "scroll_list(1)", "Scroll", show=False),
        Binding("pageup,up", "scroll_list(-1)", "Scroll", show=False),
    ]

    def __init__(self, markdown: str) -> None:
        super().__init__()
        self.markdown = markdown

    def body(self) -> ComposeResult:
        with VerticalScroll(id="intro-scroll"):
            yield Markdown(self.markdown, id="intro-text")
        yield Static("enter: start · pgup/pgdn: scroll", classes="help-note", markup=False)

    def choices(self) -> Sequence[Choice]:
        return [Choice("Start (enter)", "start", "primary")]

    def answer(self, choice: str) -> bool:
        return True
