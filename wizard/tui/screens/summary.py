"""The end of a chapter: what exists now, where to see it, what a teammate does next."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Markdown


class SummaryScreen(Screen[bool]):
    """Dismissed with True to go on to the next chapter (when there is one), False to look at the steps."""

    BINDINGS = [
        Binding("ctrl+q", "app.quit", "Quit"),
        Binding("escape", "back", "Back to the steps"),
        Binding("enter", "next", "Next chapter", show=False, priority=True),
    ]

    def __init__(self, markdown: str, next_chapter: int | None = None) -> None:
        super().__init__()
        self.markdown = markdown
        self.next_chapter = next_chapter

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="summary"):
            yield Markdown(self.markdown, id="summary-text")
            with Horizontal(classes="buttons"):
                if self.next_chapter is not None:
                    yield Button(f"On to chapter {self.next_chapter} (enter)", id="next", variant="primary")
                    yield Button("Quit (ctrl+q)", id="quit")
                else:
                    yield Button("Quit (ctrl+q)", id="quit", variant="primary")
                yield Button("Back to the steps (esc)", id="back")
        yield Footer()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "quit":
            await self.app.run_action("quit")
        else:
            self.dismiss(event.button.id == "next")

    async def action_next(self) -> None:
        if self.next_chapter is not None:
            self.dismiss(True)
        else:
            await self.app.run_action("quit")

    def action_back(self) -> None:
        self.dismiss(False)
