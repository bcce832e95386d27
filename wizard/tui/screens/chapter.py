"""A chapter's introduction, shown when the learner reaches it: what it is for, before its first step."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Markdown, Static


class IntroScreen(ModalScreen[bool]):
    """Dismissed with True to start the chapter's first step."""

    BINDINGS = [Binding("enter", "start", "Start", show=False, priority=True),
                Binding("escape", "start", "Start", show=False),
                Binding("pagedown,down", "scroll_text(1)", "Scroll", show=False),
                Binding("pageup,up", "scroll_text(-1)", "Scroll", show=False)]

    def __init__(self, markdown: str) -> None:
        super().__init__()
        self.markdown = markdown

    def compose(self) -> ComposeResult:
        with Vertical(id="intro-panel"):
            with VerticalScroll(id="intro-scroll"):
                yield Markdown(self.markdown, id="intro-text")
            yield Static("enter: start · pgup/pgdn: scroll", classes="help-note", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Start (enter)", id="start", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#intro-scroll").can_focus = False
        self.query_one("#start", Button).focus()

    def action_scroll_text(self, direction: int) -> None:
        text = self.query_one("#intro-scroll", VerticalScroll)
        (text.scroll_page_down if direction > 0 else text.scroll_page_up)()

    def on_button_pressed(self, _event: Button.Pressed) -> None:
        self.dismiss(True)

    def action_start(self) -> None:
        self.dismiss(True)
