"""The Textual app: a sidebar of steps, the current step explained, its answers, and the work.

All cloud, git and dvc work runs in thread workers (the UI never waits); they talk back
with messages (`wizard.tui.messages`). The world is observed live when the app opens, so
a learner coming back days later sees what is really done.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import Button, Footer, Header, Label, ListView, ProgressBar, RichLog, Static

from wizard.engine.chapter import Chapter
from wizard.engine.events import Event, Notice, Progress, StepFinished, StepStarted
from wizard.engine.faults import crash_point
from wizard.engine.questions import QUESTIONS
from wizard.engine.step import Step, fmt
from wizard.tui.controller import Choices, Controller
from wizard.tui.failures import explain
from wizard.tui.messages import (
    EngineEvent,
    SessionFailed,
    SessionReady,
    StepCancelled,
    StepErrored,
    StepsObserved,
    StepSucceeded,
)
from wizard.tui.screens.error import ErrorScreen
from wizard.tui.screens.help import HelpScreen
from wizard.tui.screens.resume import ResumeScreen
from wizard.tui.widgets.answers_form import AnswersForm
from wizard.tui.widgets.sidebar import Sidebar, StepItem
from wizard.workspace import cancel

if TYPE_CHECKING:  # pragma: no cover
    from textual.widgets import Markdown


class WizardApp(App["str | None"]):
    CSS_PATH = Path(__file__).parent / "wizard.tcss"  # absolute: subclasses may live elsewhere
    TITLE = "mlops-wizard"
    BINDINGS = [
        Binding("ctrl+r", "run", "Run", priority=True),
        Binding("ctrl+e", "run_to_end", "Run all", priority=True),
        Binding("ctrl+n", "skip", "Skip", priority=True),
        Binding("ctrl+b", "back", "Back", priority=True),
        Binding("ctrl+y", "copy_command", "Copy cmds", priority=True),
        Binding("f1", "help", "Help"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("pageup", "scroll_main(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll_main(1)", "Scroll down", show=False),
    ]
    # Quitting mid-step: how long the work may take to stop before the app closes anyway.
    STOP_SECONDS = 2.5

    def __init__(
        self,
        repo: Path,
        sandbox: Path | None,
        chapters: Sequence[Chapter],
        given: Mapping[str, str] | None = None,
        prepare: Callable[[], Mapping[str, str] | None] | None = None,
        options: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__()
        self.chapters = list(chapters)
        self.repo = Path(repo)
        self.controller = Controller(
            self.repo,
            sandbox,
            self.chapters,
            reporter=self._report,
            given=dict(given or {}),
            prepare=prepare,
            options=dict(options or {}),
        )
        self.steps: list[tuple[Chapter, Step]] = [(c, s) for c in self.chapters for s in c.steps]
        self.owner: dict[str, str] = {}  # answer key -> id of the first step that asks for it
        for _chapter, step in self.steps:
            for key in step.needs:
                self.owner.setdefault(key, step.id)
        self.index = 0
        self.status: dict[str, str] = {s.id: "todo" for _c, s in self.steps}
        self.details: dict[str, str] = {s.id: "" for _c, s in self.steps}
        self.choices: dict[str, Choices] = {}
        self.ready = False
        # The first screen of the session is complete (the welcome-back offer, summary or
        # introduction already pushed): `ready` is set before, so that the buttons it enables are drawn.
        self.shown = False
        self.busy = False
        # Set when the app closes: a worker thread waiting for a dialog's answer stops waiting.
        self._app_closed = threading.Event()
        self._form_for: tuple[str, bool] | None = None
        self._suggestions: dict[str, tuple[tuple[str, ...], str]] = {}  # key -> (what it follows, suggestion)
        self._text_shown: str | None = None  # the step text on screen: rendered again only when it changes
        self._intro_shown: set[int] = set()
        self._summary_shown: set[int] = set()
        self.farewell: str | None = None  # printed by the command line after the app closes

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            yield Sidebar(self.chapters, id="sidebar")
            with VerticalScroll(id="main"):
                yield Label("Opening your repository…", id="step-title", markup=False)
                yield Static("", id="step-status", markup=False)
                yield Vertical(id="form-slot")
                with Horizontal(classes="buttons", id="step-buttons"):
                    yield Button("Run (ctrl+r)", id="run", variant="primary", disabled=True, compact=True)
                    yield Button("Skip (ctrl+n)", id="skip", disabled=True, compact=True)
                    yield Button("Back (ctrl+b)", id="back", disabled=True, compact=True)
                yield Vertical(id="step-text-slot")  # a Markdown view, mounted after the first paint
                yield Static("", id="step-command", markup=False)
        with Vertical(id="activity-box"):
            yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="progress")
            yield RichLog(id="activity", wrap=True, markup=False, max_lines=1000)
        yield Footer()

    def on_resize(self) -> None:
        self.set_class(self.size.width < 100, "-narrow")

    def on_mount(self) -> None:
        self.set_class(self.size.width < 100, "-narrow")
        # Tab goes through what the learner can act on (fields, buttons, the step list), not scroll areas.
        self.query_one("#main").can_focus = False
        self.query_one("#activity").can_focus = False
        self.sub_title = f"{self.repo.name} — chapter " + ", ".join(str(c.number) for c in self.chapters)
        self.query_one("#progress").display = False
        self.query_one("#step-command").border_title = "Equivalent commands (ctrl+y copies)"
        self.log_line("Opening your repository and looking at what already exists…")
        # Paint first: the session imports the Google clients and starts the sandbox.
        self.call_after_refresh(self.open_session)

    def on_unmount(self) -> None:
        self._app_closed.set()
        if self.busy:  # closing some other way than ctrl+q (a crash in the UI): the work must not outlive it
            cancel.cancel_all(grace=0.5)
        self.controller.close()

    # -- dialogs for worker threads -----------------------------------------------------------
    def _dialog_from_thread(self, screen: object) -> object:
        """Open `screen` from a worker thread and block that thread (not the UI) until it is dismissed."""
        done, box = threading.Event(), {}

        def closed(result: object) -> None:
            box["result"] = result
            done.set()

        if self._app_closed.is_set():
            raise cancel.Cancelled()
        self.call_from_thread(self.open_dialog, screen, closed)
        while not done.wait(0.2):
            cancel.check()  # the learner quit with the dialog open
            if self._app_closed.is_set():  # the app closed with the dialog open: nobody will answer
                raise cancel.Cancelled()
        return box.get("result")

    def open_dialog(self, screen: Any, after: Callable[[Any], Any] | None = None) -> None:
        """Push a dialog; when it closes, run `after`, then put the focus back where an answer is expected."""

        async def closed(result: object) -> None:
            if after is not None:
                outcome = after(result)
                if asyncio.iscoroutine(outcome):
                    await outcome
            self.call_after_refresh(self.focus_first_field)

        self.push_screen(screen, closed)

    def choose_from_thread(self, conflict: object) -> str:
        from wizard.tui.screens.ask import ChoiceScreen

        earlier, other, key = conflict.earlier, conflict.in_file, conflict.key  # type: ignore[attr-defined]
        details = (
            f"Earlier you answered {key} = '{earlier}' (kept in the checkpoint; what exists was made "
            f"with it). The answers file given now says '{other}'."
        )
        return str(self._dialog_from_thread(ChoiceScreen(f"Which {key} do you mean?", details, earlier, other)))

    def confirm_from_thread(self, title: str, details: str) -> bool:
        from wizard.tui.screens.ask import ConfirmScreen

        return bool(self._dialog_from_thread(ConfirmScreen(title, details)))

    def secret_from_thread(self, prompt: str) -> str | None:
        from wizard.tui.screens.ask import SecretScreen

        answer = self._dialog_from_thread(SecretScreen(prompt))
        return answer if isinstance(answer, str) else None

    # -- workers -----------------------------------------------------------------------------
    def _report(self, event: Event) -> None:
        self.post_message(EngineEvent(event))  # called from worker threads; thread-safe

    @work(thread=True, exclusive=True, group="session", exit_on_error=False)
    def open_session(self) -> None:
        try:
            if self.controller.ctx is None:
                self.controller.open()
                ctx = self.controller.ctx
                assert ctx is not None
                ctx.confirm = self.confirm_from_thread
                ctx.ask_secret = self.secret_from_thread
            for conflict in list(self.controller.conflicts):
                self.controller.settle(conflict, self.choose_from_thread(conflict))
            reports = {c.number: self.controller.observe(c) for c in self.chapters}
            keys = list(dict.fromkeys(k for c in self.chapters for k in c.needs()))
            choices = self.controller.choices(keys)
            target = self.controller.describe_target()
            self.post_message(SessionReady(reports, choices, self.controller.resumed, target))
        except cancel.Cancelled:
            return  # the app closed while a question was open: nothing was settled
        except Exception as exc:  # noqa: BLE001 - shown in the error panel
            self.post_message(SessionFailed(*explain(exc, "opening your repository")))

    @work(thread=True, exclusive=True, group="run", exit_on_error=False)
    def run_step_worker(self, index: int, answers: dict[str, str], to_end: bool) -> None:
        chapter, step = self.steps[index]
        try:
            observation = self.controller.run_step(chapter, step, answers)
            refreshed = self._observe_next(index)
            self.post_message(StepSucceeded(step.id, observation, to_end, refreshed))
        except cancel.Cancelled:
            self.post_message(StepCancelled(step.id))
        except Exception as exc:  # noqa: BLE001 - shown in the error panel
            self.post_message(StepErrored(step.id, *explain(exc, f"'{step.title}'")))

    def _observe_next(self, index: int) -> list:
        """After a step ran, the next unfinished one is looked at again (worker thread), before it is shown.

        One found done now is passed over for the one after it: the wizard goes on to that one, whose status
        from launch may be stale too (observed before the answers it needs were given)."""
        status = dict(self.status)
        status[self.steps[index][1].id] = "done"
        reports = []
        for chapter, step in self.steps[index + 1 :]:
            if status[step.id] != "done":
                reports.append(self.controller.observe_step(chapter, step))
                if reports[-1].label != "done":
                    break
        return reports

    @work(thread=True, exclusive=True, group="observe", exit_on_error=False)
    def observe_worker(self, index: int) -> None:
        """The step the learner opened, observed live: a status line from launch may be stale."""
        chapter, step = self.steps[index]
        try:
            self.post_message(StepsObserved([self.controller.observe_step(chapter, step)]))
        except (Exception, cancel.Cancelled):  # noqa: BLE001 - a refresh that fails leaves the last known status
            return

    # -- messages from workers ------------------------------------------------------------
    def _take(self, reports: Sequence[object]) -> None:
        for report in reports:
            step_id = report.step.id  # type: ignore[attr-defined]
            if self.busy and step_id == self.steps[self.index][1].id:
                continue  # the step is running: its own result will say
            self.status[step_id] = report.label  # type: ignore[attr-defined]
            error = report.error  # type: ignore[attr-defined]
            self.details[step_id] = error.what if error else report.observation.detail  # type: ignore[attr-defined]

    async def on_steps_observed(self, message: StepsObserved) -> None:
        self._take(message.reports)
        await self.show_step()

    async def on_session_ready(self, message: SessionReady) -> None:
        self.choices = message.choices
        for reports in message.reports.values():
            self._take(reports)
        self.ready = True
        self.log_line(f"Connected to {message.target}.")
        ctx = self.controller.ctx
        if ctx is not None and ctx.forge is not None:
            self.log_line(f"Your repository: {ctx.target.describe_forge(ctx.forge)}.")
        done = [(c.number, s.title) for c, s in self.steps if self.status[s.id] == "done"]
        todo = [(c.number, s.title) for c, s in self.steps if self.status[s.id] != "done"]
        self.index = min(self._first_unfinished(), len(self.steps) - 1)  # all done: the last step
        for chapter in self.chapters:  # chapters finished before this session need no summary now
            if all(self.status[s.id] == "done" for s in chapter.steps):
                self._summary_shown.add(chapter.number)
        await self.show_step()
        if message.resumed and done and todo:
            self.open_dialog(ResumeScreen(done, todo))
        elif not todo:
            self.show_summary()
        else:
            self.maybe_show_intro()
        self.shown = True

    def on_session_failed(self, message: SessionFailed) -> None:
        self.log_line(f"✗ {message.error.what}")

        def after(retry: bool | None) -> None:
            if retry:
                self.log_line("Retrying…")
                self.open_session()

        self.open_dialog(ErrorScreen(message.error, "Opening your repository", log=message.log), after)

    def on_engine_event(self, message: EngineEvent) -> None:
        event = message.event
        if isinstance(event, StepStarted):
            self.log_line(f"▶ {event.title}")
        elif isinstance(event, Progress):
            bar = self.query_one("#progress", ProgressBar)
            if event.fraction is not None:
                bar.update(total=100, progress=round(event.fraction * 100))
                self.query_one("#activity-box").border_title = event.message  # files and bytes, above the bar
                return  # the bar shows it: the log keeps the lines that say something new
            self.log_line(f"    {event.message}")
        elif isinstance(event, StepFinished):
            mark = {"done": "✓ already done:", "applied": "✓", "failed": "✗"}.get(event.status, "·")
            self.log_line(f"  {mark} {event.detail}")
        elif isinstance(event, Notice):
            self.log_line(f"! {event.message}")

    async def on_step_succeeded(self, message: StepSucceeded) -> None:
        self.busy = False
        self.status[message.step_id] = "done"
        self.details[message.step_id] = message.observation.detail
        self._take(message.refreshed)
        self._hide_progress()
        chapter = next(c for c, s in self.steps if s.id == message.step_id)
        nxt = self._first_unfinished()
        if nxt >= len(self.steps):
            self.index = len(self.steps) - 1
            await self.show_step()
            self.show_summary()
            return
        self.index = nxt
        await self.show_step()
        if chapter.number not in self._summary_shown and all(self.status[s.id] == "done" for s in chapter.steps):
            self.show_chapter_summary(chapter)  # run-all stops at the end of a chapter
            return
        if message.continue_to_end and self._can_run_unattended(nxt):
            await self.start_run(to_end=True)
        else:
            self.focus_first_field()

    def on_step_cancelled(self, message: StepCancelled) -> None:
        self.busy = False
        self.log_line("  ■ stopped")

    async def on_step_errored(self, message: StepErrored) -> None:
        self.busy = False
        self.status[message.step_id] = "failed"
        self.details[message.step_id] = message.error.what
        self._hide_progress()
        await self.show_step()
        _chapter, step = self.steps[self.index]

        async def after(retry: object) -> None:
            if retry:
                await self.start_run(to_end=False)

        self.open_dialog(ErrorScreen(message.error, step.title, log=message.log), after)

    def _hide_progress(self) -> None:
        bar = self.query_one("#progress", ProgressBar)
        bar.display = False
        bar.update(total=None, progress=0)
        self.query_one("#activity-box").border_title = None

    # -- the main pane ------------------------------------------------------------------------
    def _first_unfinished(self) -> int:
        for i, (_c, step) in enumerate(self.steps):
            if self.status[step.id] != "done":
                return i
        return len(self.steps)

    def _owned_keys(self, step: Step) -> list[str]:
        return [k for k in step.needs if self.owner.get(k) == step.id]

    def _values(self) -> dict[str, str]:
        """Answers so far, else defaults and suggestions, for the form and the commands."""
        answers = dict(self.controller.ctx.answers) if self.controller.ctx else {}
        values = dict(answers)
        for key, choice in self.choices.items():
            if key not in values and choice.default:
                values[key] = choice.default
        for key, value in (self.controller.suggested() if self.controller.ctx else {}).items():
            values.setdefault(key, value)  # generated defaults (the demo's) come after the learner's answers
        for key, question in QUESTIONS.items():  # in their order: a suggestion may follow an earlier one
            if key in answers or question.suggest is None or (key in values and not question.follows):
                continue
            basis = tuple(values.get(k, "") for k in question.follows)
            kept = self._suggestions.get(key)
            if kept is None or kept[0] != basis:  # made once, not at every refresh, unless what it follows changed
                suggestion = question.suggest(values)
                if suggestion is None:
                    continue
                kept = self._suggestions[key] = (basis, suggestion)
            values[key] = kept[1]
        return values

    def _can_run_unattended(self, index: int) -> bool:
        """Run-to-the-end goes on through a step whose answers are given or have a real default
        (a billing account that is your only one, the guide's location): never through a name the
        learner has not chosen (project ID, bucket name)."""
        _chapter, step = self.steps[index]
        answers = self.controller.ctx.answers if self.controller.ctx else {}

        def known(key: str) -> bool:
            choice = self.choices.get(key)
            return key in answers or bool(choice and choice.default) or QUESTIONS[key].default is not None

        return all(known(k) for k in self._owned_keys(step))

    async def show_step(self) -> None:
        try:
            await self._show_step()
        except NoMatches as exc:  # the learner quit while the pane was being refreshed
            self.log.warning(f"step pane not refreshed: {exc}")

    async def _show_step(self) -> None:
        chapter, step = self.steps[self.index]
        status = self.status[step.id]
        values = self._values()
        self.query_one("#step-title", Label).update(
            f"Chapter {chapter.number} · Step {chapter.steps.index(step) + 1} of {len(chapter.steps)} — {step.title}"
        )
        self.query_one("#step-status", Static).update(
            f"Status: {status}" + (f" — {self.details[step.id]}" if self.details[step.id] else "")
        )
        text = fmt(step.text, values) or ""
        if text != self._text_shown:  # rendering Markdown is the slow part: only when the words change
            self._text_shown = text
            await (await self._step_text()).update(text)
        self.query_one("#step-command", Static).update(step.command(values) or "(nothing to type: a check only)")
        keys = self._owned_keys(step)
        locked = status in {"done", "running"}
        if self._form_for != (step.id, locked):
            # Rebuild the form only when the step (or whether it may be edited) changes,
            # so what the learner typed survives status updates.
            self._form_for = (step.id, locked)
            slot = self.query_one("#form-slot", Vertical)
            await slot.remove_children()
            if keys:
                options = {k: c.options for k, c in self.choices.items()}
                await slot.mount(AnswersForm(keys, values, options, locked=locked))
            if self.screen is self.screen_stack[0]:
                self.call_after_refresh(self.focus_first_field)
        sidebar = self.query_one(Sidebar)
        sidebar.index = sidebar.children.index(sidebar.item(step.id))
        for i, (_c, s) in enumerate(self.steps):
            sidebar.item(s.id).set_status(
                "running" if self.busy and i == self.index else self.status[s.id], current=i == self.index
            )
        self.query_one("#run", Button).disabled = not self.ready or self.busy
        self.query_one("#skip", Button).disabled = not self.ready or self.busy or self.index >= len(self.steps) - 1
        self.query_one("#back", Button).disabled = not self.ready or self.busy or self.index == 0
        self.query_one("#run", Button).label = "Check again (ctrl+r)" if status == "done" else "Run (ctrl+r)"

    async def _step_text(self) -> Markdown:
        """The step's text view; created on first use so importing Markdown does not delay the first paint."""
        from textual.widgets import Markdown

        found = self.query("#step-text")
        if found:
            return found.first(Markdown)
        view = Markdown("", id="step-text")
        await self.query_one("#step-text-slot", Vertical).mount(view)
        return view

    def _summary_of(self, chapter: Chapter) -> str:
        answers = self.controller.ctx.answers if self.controller.ctx else {}
        return (
            fmt(chapter.summary, answers)
            + "\n\n### What exists now\n"
            + "\n".join(f"- ✓ {s.title} — {self.details[s.id]}" for s in chapter.steps)
        )

    def show_summary(self) -> None:
        """Everything is done: every chapter's summary, on one page; the chapters just finished come first,
        so that the learner who ends chapter 14 reads about chapter 14, not chapter 7."""
        fresh = [c for c in self.chapters if c.number not in self._summary_shown]
        parts = [self._summary_of(chapter) for chapter in fresh + [c for c in self.chapters if c not in fresh]]
        self._summary_shown.update(c.number for c in self.chapters)
        parts.append(
            f"\nEverything above was checked live in {self.controller.describe_target()}. "
            "Run the wizard again any time: it only does what is missing."
        )
        from wizard.tui.screens.summary import SummaryScreen  # imports Markdown: not needed at launch

        self.open_dialog(SummaryScreen("\n\n".join(parts)))

    def show_chapter_summary(self, chapter: Chapter) -> None:
        """A chapter just ended: what it made, then (on enter) the next chapter's introduction."""
        from wizard.tui.screens.summary import SummaryScreen

        self._summary_shown.add(chapter.number)
        later = [c for c in self.chapters if c.number > chapter.number]
        nxt = later[0].number if later else None

        def after(go_on: object) -> None:
            if go_on:
                self.maybe_show_intro()

        self.open_dialog(SummaryScreen(self._summary_of(chapter), next_chapter=nxt), after)

    def maybe_show_intro(self) -> None:
        """The current chapter's introduction, once, when the learner is about to start it."""
        chapter, _step = self.steps[self.index]
        if chapter.number in self._intro_shown or not chapter.intro:
            return
        self._intro_shown.add(chapter.number)
        if self.controller.begun(chapter):
            return  # begun in an earlier run: the learner knows what it is about
        from wizard.tui.screens.chapter import IntroScreen

        self.open_dialog(IntroScreen(fmt(chapter.intro, self._values())))

    def focus_first_field(self) -> None:
        """The first answer still to give in the current step (else the first field, else Run)."""
        if self.screen is not self.screen_stack[0]:
            return
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
        if fields and not isinstance(self.focused, (Input, Select)):
            fields[0].focus()
        elif not fields and not run.disabled:
            run.focus()
        elif not fields and (self.focused is None or not self.focused.is_attached or self.focused.disabled):
            self.set_focus(None)  # a step is running: nothing to type, and no stray focus on the step list

    def log_line(self, text: str) -> None:
        self.query_one("#activity", RichLog).write(text)

    # -- actions ----------------------------------------------------------------------------------
    STEP_ACTIONS = {"run", "run_to_end", "skip", "back", "copy_command"}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Step keys belong to the main screen; on a dialog (error panel, help) its own keys win."""
        return not (action in self.STEP_ACTIONS and self.screen is not self.screen_stack[0])

    def action_scroll_main(self, direction: int) -> None:
        main = self.query_one("#main", VerticalScroll)
        (main.scroll_page_down if direction > 0 else main.scroll_page_up)()

    async def action_quit(self) -> None:
        """Quit at any moment: work under way is stopped (its tools and their children) and the journal
        keeps the step as started, as after a crash; the command line says what to run to continue."""
        if self.busy:
            _chapter, step = self.steps[self.index]
            self.log_line(f"Stopping '{step.title}'…")
            self.farewell = (
                f"Stopped during '{step.title}'. Nothing is lost: run `{{again}}` again to continue where you stopped."
            )
            loop = asyncio.get_running_loop()
            stopping = loop.run_in_executor(None, self.controller.cancel)
            workers = [w for w in self.workers if w.group == "run" and not w.is_finished]
            try:
                await asyncio.wait_for(
                    asyncio.gather(stopping, *(w.wait() for w in workers), return_exceptions=True), self.STOP_SECONDS
                )
            except asyncio.TimeoutError:
                self.log.warning("the step did not stop in time; closing anyway")
        elif self.ready and any(status != "done" for status in self.status.values()):
            self.farewell = "Nothing is lost: run `{again}` again to continue where you stopped."
        else:
            cancel.cancel_all(grace=0.5)  # e.g. a dialog waiting in a worker
        self.exit(self.farewell)

    async def start_run(self, to_end: bool) -> None:
        if not self.ready or self.busy:
            return
        forms = self.query_one("#form-slot").query(AnswersForm)
        answers: dict[str, str] = {}
        if forms:
            form = forms.first()
            problems = form.problems()
            if problems:
                first = next(iter(problems))
                self.notify(problems[first], title="Check this answer", severity="error")
                return
            answers = form.values()
        self.busy = True
        self.status[self.steps[self.index][1].id] = "running"
        self.query_one("#progress").display = True
        await self.show_step()
        self.run_step_worker(self.index, answers, to_end)

    async def action_run(self) -> None:
        await self.start_run(to_end=False)

    async def action_run_to_end(self) -> None:
        await self.start_run(to_end=True)

    async def action_skip(self) -> None:
        if self.ready and not self.busy and self.index < len(self.steps) - 1:
            await self.open_step(self.index + 1)

    async def action_back(self) -> None:
        if self.ready and not self.busy and self.index > 0:
            await self.open_step(self.index - 1)

    async def open_step(self, index: int) -> None:
        """Show a step the learner chose, then look at it again live (its status from launch may be stale)."""
        self.index = index
        await self.show_step()
        if self.status[self.steps[index][1].id] != "done":
            self.observe_worker(index)

    def action_copy_command(self) -> None:
        _chapter, step = self.steps[self.index]
        self.copy_to_clipboard(step.command(self._values()))
        self.notify("The equivalent commands are in your clipboard.")

    def action_help(self) -> None:
        crash_point("tui.help")  # a test's stand-in for a bug in a key's handler
        self.open_dialog(HelpScreen())

    # -- a bug outside the workers ----------------------------------------------------------
    crash: Exception | None = None  # what stopped the app, for run_tui to hand to the command line

    def _handle_exception(self, error: Exception) -> None:
        self.crash = error
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        """Stop without Textual's traceback: it shows the frames' locals, where a token may be.

        run_tui raises the error once the screen is closed, and the command line explains it and
        writes the redacted log (as for any unexpected error).
        """
        self.bell()
        self._close_messages_no_wait()

    @on(Button.Pressed, "#run")
    async def _run_pressed(self) -> None:
        await self.action_run()

    @on(Button.Pressed, "#skip")
    async def _skip_pressed(self) -> None:
        await self.action_skip()

    @on(Button.Pressed, "#back")
    async def _back_pressed(self) -> None:
        await self.action_back()

    @on(ListView.Selected, "#sidebar")
    async def _step_selected(self, event: ListView.Selected) -> None:
        if not isinstance(event.item, StepItem) or not self.ready or self.busy:
            return
        for i, (_c, step) in enumerate(self.steps):
            if step.id == event.item.step_id:
                await self.open_step(i)
                return


def run_tui(
    repo: Path,
    sandbox: Path | None,
    chapters: Sequence[Chapter],
    given: Mapping[str, str] | None = None,
    prepare: Callable[[], Mapping[str, str] | None] | None = None,
    options: Mapping[str, object] | None = None,
) -> str | None:
    """Run the app; returns what to tell the learner after it closes ("{again}" stands for the command)."""
    app = WizardApp(repo, sandbox, chapters, given, prepare, options=options)
    farewell = app.run()
    if app.crash is not None:
        raise app.crash  # explained by the command line, with a log file
    # The screen is closed and the work stopped: what remains is the interpreter's teardown of a large heap
    # (Google clients, Textual), seconds of CPU on a busy laptop. Frozen objects are left out of it.
    import gc

    gc.freeze()
    return farewell
