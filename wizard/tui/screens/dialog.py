"""The one dialog every modal of the wizard is: a panel, its text, a row of buttons, keys that answer.

A dialog is a small subclass: it yields its text in `body`, lists its buttons in `CHOICES`, says
what each answer means in `answer`, and binds keys to `choose('<button id>')`, so a key and its
button always answer the same. A list or a long text that scrolls inside the panel is named in
`SCROLLS`: the page keys scroll it (bind them to `scroll_list(1)` / `scroll_list(-1)`) while the
focus stays on the buttons, which keeps them on screen at 80×24. The panel's look is in
wizard.tcss, keyed on `PANEL`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button
from textual.widgets.button import ButtonVariant

ResultT = TypeVar("ResultT")


@dataclass(frozen=True)
class Choice:
    """One button: its label (with its key, as the learner reads it), its id, its look."""

    label: str
    id: str
    variant: ButtonVariant = "default"
    disabled: bool = False


class Dialog(ModalScreen[ResultT], Generic[ResultT]):
    PANEL: ClassVar[str] = "dialog-panel"
    FOCUS: ClassVar[str | None] = None  # the widget focused on opening (default: Textual's first focusable)
    SCROLLS: ClassVar[str | None] = None  # the part that scrolls with the page keys

    def body(self) -> ComposeResult:
        """The dialog's content above its buttons."""
        yield from ()

    def choices(self) -> Sequence[Choice]:
        return ()

    def answer(self, choice: str) -> ResultT:
        """What the dialog returns when the learner picks `choice` (a button id)."""
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Vertical(id=self.PANEL):
            yield from self.body()
            choices = self.choices()
            if choices:
                with Horizontal(classes="buttons"):
                    for choice in choices:
                        yield Button(choice.label, id=choice.id, variant=choice.variant, disabled=choice.disabled)

    def on_mount(self) -> None:
        if self.SCROLLS is not None:
            self.query_one(self.SCROLLS).can_focus = False  # the keys scroll it; Tab goes to the buttons
        if self.FOCUS is not None:
            self.query_one(self.FOCUS).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id is not None:
            self.action_choose(event.button.id)

    def action_choose(self, choice: str) -> None:
        self.dismiss(self.answer(choice))

    def action_scroll_list(self, direction: int) -> None:
        if self.SCROLLS is None:
            return
        listing = self.query_one(self.SCROLLS, VerticalScroll)
        (listing.scroll_page_down if direction > 0 else listing.scroll_page_up)()
