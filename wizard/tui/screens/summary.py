"""The end of a chapter: what exists now, where to see it, what to do next."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Markdown


class SummaryScreen(Screen[None]):
    BINDINGS = [Binding("ctrl+q", "app.quit", "Quit"), Binding("escape", "back", "Back to the steps")]

    def __init__(self, markdown: str) -> None:
        super().__init__()
        self.markdown = markdown

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="summary"):
            yield Markdown(self.markdown, id="summary-text")
            with Horizontal(classes="buttons"):
                yield Button("Quit (ctrl+q)", id="quit", variant="primary")
                yield Button("Back to the steps (esc)", id="back")
        yield Footer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "quit":
            self.app.exit()
        else:
            self.dismiss(None)

    def action_back(self) -> None:
        self.dismiss(None)
