"""The main pane: the open step's title and status, its answers, its buttons, why it matters and its commands.

The app decides what to show (`StepView`); the pane only draws it, and keeps what is slow or what the
learner typed: the Markdown is rendered again only when the words change, the form rebuilt only when
the step (or whether it may be edited) changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Sequence, cast

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, Static

if TYPE_CHECKING:  # pragma: no cover
    from wizard.tui.widgets.answers_form import AnswersForm


@dataclass(frozen=True)
class StepView:
    """Everything the pane shows for one step, decided by the app from the session model."""

    step_id: str
    title: str
    status: str  # the status line, "Status: …"
    text: str  # Markdown: why, what happens, what you will see
    command: str
    keys: Sequence[str] = ()  # the answers this step asks for
    values: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, list[tuple[str, str]]] = field(default_factory=dict)
    locked: bool = False  # done or running: the answers are shown, not edited
    run_label: str = "Run (ctrl+r)"
    can_run: bool = False
    can_skip: bool = False
    can_back: bool = False


class StepPane(VerticalScroll):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._form_for: tuple[str, bool] | None = None
        self._text_shown: str | None = None  # the step text on screen: rendered again only when it changes

    def compose(self) -> ComposeResult:
        yield Label("Opening your repository…", id="step-title", markup=False)
        yield Static("", id="step-status", markup=False)
        yield Vertical(id="form-slot")
        with Horizontal(classes="buttons", id="step-buttons"):
            yield Button("Run (ctrl+r)", id="run", variant="primary", disabled=True, compact=True)
            yield Button("Skip (ctrl+n)", id="skip", disabled=True, compact=True)
            yield Button("Back (ctrl+b)", id="back", disabled=True, compact=True)
        yield Vertical(id="step-text-slot")  # a Markdown view, mounted after the first paint
        yield Static("", id="step-command", markup=False)

    def on_mount(self) -> None:
        # Tab goes through what the learner can act on (fields, buttons, the step list), not scroll areas.
        self.can_focus = False
        self.query_one("#step-command").border_title = "Equivalent commands (ctrl+y copies)"

    async def show(self, view: StepView) -> bool:
        """Draw `view`; True when the form was rebuilt (the focus then goes to its first field)."""
        self.query_one("#step-title", Label).update(view.title)
        self.query_one("#step-status", Static).update(view.status)
        if view.text != self._text_shown:  # rendering Markdown is the slow part: only when the words change
            self._text_shown = view.text
            await self._draw_text(view.text)
        self.query_one("#step-command", Static).update(view.command)
        rebuilt = False
        if self._form_for != (view.step_id, view.locked):
            # Rebuild the form only when the step (or whether it may be edited) changes,
            # so what the learner typed survives status updates.
            self._form_for = (view.step_id, view.locked)
            slot = self.query_one("#form-slot", Vertical)
            await slot.remove_children()
            if view.keys:
                from wizard.tui.widgets.answers_form import AnswersForm  # Input, Select: not on the first screen

                await slot.mount(
                    AnswersForm(list(view.keys), dict(view.values), dict(view.options), locked=view.locked)
                )
            rebuilt = True
        run = self.query_one("#run", Button)
        run.disabled = not view.can_run
        self.query_one("#skip", Button).disabled = not view.can_skip
        self.query_one("#back", Button).disabled = not view.can_back
        run.label = view.run_label
        return rebuilt

    def form(self) -> AnswersForm | None:
        """The step's form, when it asks for answers (the slot holds nothing else)."""
        children = self.query_one("#form-slot").children
        return cast("AnswersForm", children[0]) if children else None

    async def _draw_text(self, text: str) -> None:
        """The step's text drawn (parsed once); its view is made with the first text, after the first paint
        (importing Markdown would delay it), rather than made empty and then filled (two drawings)."""
        from textual.widgets import Markdown

        found = self.query("#step-text")
        if found:
            await found.first(Markdown).update(text)
        else:
            await self.query_one("#step-text-slot", Vertical).mount(Markdown(text, id="step-text"))

    def focus_first_field(self) -> None:
        """The first answer still to give (else the first field, else Run)."""
        from textual.widgets import Input, Select

        fields = [w for w in self.query_one("#form-slot").query("Input, Select") if not w.disabled]
        for widget in fields:
            if isinstance(widget, Input) and (not widget.value or not widget.is_valid):
                widget.focus()
                return
            if isinstance(widget, Select) and widget.is_blank():
                widget.focus()
                return
        run = self.query_one("#run", Button)
        focused = self.app.focused
        if fields and not isinstance(focused, (Input, Select)):
            fields[0].focus()
        elif not fields and not run.disabled:
            run.focus()
        elif not fields and (focused is None or not focused.is_attached or focused.disabled):
            self.app.set_focus(None)  # a step is running: nothing to type, and no stray focus on the step list

    def scroll_page(self, direction: int) -> None:
        (self.scroll_page_down if direction > 0 else self.scroll_page_up)()
