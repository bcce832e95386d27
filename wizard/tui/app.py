"""The Textual app: a sidebar of steps, the current step explained, its answers, and the work.

All cloud, git and dvc work runs in thread workers (the UI never waits); they talk back
with messages (`wizard.tui.messages`). The world is observed live when the app opens, so
a learner coming back days later sees what is really done.

The app is thin: the session's rules (which step opens next, what the learner may do, when a
chapter's summary is due) live in `wizard.tui.model`, the main pane's widgets in
`wizard.tui.widgets.step_pane`. The app composes, binds keys, starts workers and, in its
message handlers, tells the model what happened and draws what it decides.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.reactive import var
from textual.widgets import Button, Footer, Header, ListView, RichLog

from wizard.engine.chapter import Chapter
from wizard.engine.events import Event, Notice, Progress, StepFinished, StepStarted, event_line
from wizard.engine.faults import crash_point
from wizard.engine.questions import QUESTIONS, check_answer
from wizard.engine.status import Status
from wizard.engine.step import Step, fmt
from wizard.tui.controller import Controller
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
from wizard.tui.model import SessionModel
from wizard.tui.thread_dialogs import ThreadDialogs
from wizard.tui.widgets.sidebar import Sidebar, StepItem
from wizard.tui.widgets.step_pane import StepPane, StepView
from wizard.workspace import cancel

if TYPE_CHECKING:  # pragma: no cover
    from textual.widgets import ProgressBar

    from wizard.engine.session import Choices
    from wizard.tui.model import AfterStep


class WizardApp(App["str | None"]):
    """The full-screen wizard.

    The state the screen shows, in one place (the model holds the rest of the session's shape):

    =============  ===============================================  =============================================
    name           meaning                                          who sets it
    =============  ===============================================  =============================================
    ``index``      the step open in the main pane (into ``steps``)  the app: session ready, a step done, skip,
                                                                    back, a step chosen in the sidebar
    ``ready``      the world was observed: the learner may act      ``on_session_ready``
    ``busy``       a step is running in the ``run`` worker group    ``start_run``; the step's result message
    ``shown``      the first screen is complete (its dialog         ``on_session_ready``, after the dialog is
                   pushed): what tests wait for before acting       pushed
    ``status``     step id -> status label (``model.status``)       ``model.take`` (observations), ``started``,
                                                                    ``succeeded``, ``failed``
    ``details``    step id -> what its last observation said        the same model methods
    ``choices``    answer key -> default and options                ``on_session_ready`` (the controller's look)
    =============  ===============================================  =============================================

    ``index``, ``ready`` and ``busy`` are Textual ``var``s whose watchers hand the value to the model, so
    the model's rules (``can_run``, ``can_skip``…) always read what the screen shows. ``status`` and
    ``details`` are the model's own dictionaries; the pane is drawn again (``show_step``) after each change.
    """

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

    index: var[int] = var(0)
    ready: var[bool] = var(False)
    busy: var[bool] = var(False)
    shown: var[bool] = var(False)

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
        self.model = SessionModel(self.chapters)
        self.choices: dict[str, Choices] = {}
        self.dialogs = ThreadDialogs(self, self.open_dialog)  # questions the workers ask
        self._suggestions: dict[str, tuple[tuple[str, ...], str]] = {}  # key -> (what it follows, suggestion)
        self.farewell: str | None = None  # printed by the command line after the app closes

    # -- the session's state, held by the model -----------------------------------------------
    @property
    def steps(self) -> list[tuple[Chapter, Step]]:
        return self.model.steps

    @property
    def status(self) -> dict[str, str]:
        return self.model.status

    @property
    def details(self) -> dict[str, str]:
        return self.model.details

    def watch_index(self, value: int) -> None:
        self.model.index = value

    def watch_ready(self, value: bool) -> None:
        self.model.ready = value

    def watch_busy(self, value: bool) -> None:
        self.model.busy = value

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            yield Sidebar(self.chapters, id="sidebar")
            yield StepPane(id="main")
        with Vertical(id="activity-box"):  # the progress bar is mounted above the log while a step runs
            yield RichLog(id="activity", wrap=True, markup=False, max_lines=1000)
        yield Footer()

    def on_resize(self) -> None:
        self.set_class(self.size.width < 100, "-narrow")

    def on_mount(self) -> None:
        self.set_class(self.size.width < 100, "-narrow")
        # Tab goes through what the learner can act on (fields, buttons, the step list), not scroll areas.
        self.query_one("#activity").can_focus = False
        self.sub_title = f"{self.repo.name} — chapter " + ", ".join(str(c.number) for c in self.chapters)
        self.log_line("Opening your repository and looking at what already exists…")
        # Paint first: the session imports the Google clients and starts the sandbox.
        self.call_after_refresh(self.open_session)

    def on_unmount(self) -> None:
        self.dialogs.closed.set()
        if self.busy:  # closing some other way than ctrl+q (a crash in the UI): the work must not outlive it
            cancel.cancel_all(grace=0.5)
        self.controller.close()

    # -- dialogs ---------------------------------------------------------------------------------
    def open_dialog(self, screen: Any, after: Callable[[Any], Any] | None = None) -> None:
        """Push a dialog; when it closes, run `after`, then put the focus back where an answer is expected."""

        async def closed(result: object) -> None:
            if after is not None:
                outcome = after(result)
                if asyncio.iscoroutine(outcome):
                    await outcome
            self.call_after_refresh(self.focus_first_field)

        self.push_screen(screen, closed)

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
                ctx.confirm = self.dialogs.confirm
                ctx.ask_secret = self.dialogs.secret
            for conflict in list(self.controller.conflicts):
                self.controller.settle(conflict, self.dialogs.choose(conflict))
            reports = self.controller.observe_chapters(self.chapters)
            keys = list(dict.fromkeys(k for c in self.chapters for k in c.needs()))
            choices = self.controller.choices(keys)
            target = self.controller.describe_target()
            self.post_message(SessionReady(reports, choices, self.controller.resumed, target))
        except cancel.Cancelled:
            return  # the app closed while a question was open: nothing was settled
        except Exception as exc:  # noqa: BLE001 - shown in the error panel
            self.post_message(SessionFailed(*explain(exc, "opening your repository")))

    @work(thread=True, exclusive=True, group="run", exit_on_error=False)
    def run_step_worker(self, index: int, answers: dict[str, str], to_end: bool, observe_next: bool = True) -> None:
        chapter, step = self.steps[index]
        try:
            observation = self.controller.run_step(chapter, step, answers)
            refreshed = self._observe_next(index) if observe_next else []
            self.post_message(StepSucceeded(step.id, observation, to_end, refreshed))
        except cancel.Cancelled:
            self.post_message(StepCancelled(step.id))
        except Exception as exc:  # noqa: BLE001 - shown in the error panel
            self.post_message(StepErrored(step.id, *explain(exc, f"'{step.title}'")))

    def _observe_next(self, index: int) -> list:
        """After a step ran, the next unfinished one is looked at again (worker thread), before it is shown.

        One found done now is passed over for the one after it: the wizard goes on to that one, whose status
        from launch may be stale too (observed before the answers it needs were given)."""
        reports = []
        start = index
        while (nxt := self.model.next_to_observe(start)) is not None:
            chapter, step = self.steps[nxt]
            reports.append(self.controller.observe_step(chapter, step))
            if reports[-1].label != Status.DONE:
                break
            start = nxt
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
            error = report.error  # type: ignore[attr-defined]
            detail = error.what if error else report.observation.detail  # type: ignore[attr-defined]
            self.model.take(report.step.id, report.label, detail)  # type: ignore[attr-defined]

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
        done, todo = self.model.done_and_todo()
        self.index = self.model.opened()  # the first unfinished step (all done: the last)
        await self.show_step()
        if message.resumed and done and todo:
            from wizard.tui.screens.resume import ResumeScreen

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

        from wizard.tui.screens.error import ErrorScreen  # dialogs are imported when first opened

        self.open_dialog(ErrorScreen(message.error, "Opening your repository", log=message.log), after)

    def on_engine_event(self, message: EngineEvent) -> None:
        event = message.event
        if isinstance(event, StepStarted):
            self.log_line(f"▶ {event.title}")
        elif isinstance(event, Progress):
            if event.fraction is not None:
                bar = self._progress_bar()
                if bar is not None:
                    bar.update(total=100, progress=round(event.fraction * 100))
                self.query_one("#activity-box").border_title = event.message  # files and bytes, above the bar
                return  # the bar shows it: the log keeps the lines that say something new
            self.log_line(f"    {event.message}")
        elif isinstance(event, StepFinished):
            self.log_line(event_line(event))
        elif isinstance(event, Notice):
            self.log_line(f"! {event.message}")

    async def on_step_succeeded(self, message: StepSucceeded) -> None:
        self.busy = False
        self._take(message.refreshed)
        after: AfterStep = self.model.succeeded(
            message.step_id, message.observation.detail, message.continue_to_end, self._known
        )
        self._hide_progress()
        self.index = after.index
        if after.run_on:
            answers = self._unattended_answers()
            if answers is not None:
                await self.start_run(to_end=True, answers=answers)  # the next step drawn once, running
                return
        await self.show_step()
        if after.all_done:
            self.show_summary()
        elif after.chapter_summary is not None:
            self.show_chapter_summary(after.chapter_summary)  # run-all stops at the end of a chapter
        elif after.run_on:
            await self.start_run(to_end=True)
        else:
            self.focus_first_field()

    def on_step_cancelled(self, message: StepCancelled) -> None:
        self.busy = False
        self.log_line("  ■ stopped")

    async def on_step_errored(self, message: StepErrored) -> None:
        self.busy = False
        self.model.failed(message.step_id, message.error.what)
        self._hide_progress()
        await self.show_step()
        _chapter, step = self.steps[self.index]

        async def after(retry: object) -> None:
            if retry:
                await self.start_run(to_end=False)

        from wizard.tui.screens.error import ErrorScreen

        self.open_dialog(ErrorScreen(message.error, step.title, log=message.log), after)

    def _progress_bar(self) -> ProgressBar | None:
        from textual.widgets import ProgressBar

        found = self.query("#progress")
        return found.first(ProgressBar) if found else None

    async def _show_progress(self) -> None:
        """The bar above the log while a step runs, mounted when the first step runs: it is not on the first
        screen, and composed there it slowed the first paint."""
        from textual.widgets import ProgressBar

        bar = self._progress_bar()
        if bar is None:
            bar = ProgressBar(total=None, show_eta=False, show_percentage=False, id="progress")
            await self.query_one("#activity-box").mount(bar, before="#activity")
        bar.update(total=None, progress=0)  # indeterminate until the work says how far it is
        bar.display = True

    def _hide_progress(self) -> None:
        bar = self._progress_bar()
        if bar is not None:
            bar.display = False
            bar.update(total=100, progress=0)  # a hidden indeterminate bar would still redraw 15 times a second
        self.query_one("#activity-box").border_title = None

    # -- the main pane ------------------------------------------------------------------------
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

    def _known(self, key: str) -> bool:
        """Run-to-the-end goes on through a step whose answers are given or have a real default
        (a billing account that is your only one, the guide's location): never through a name the
        learner has not chosen (project ID, bucket name)."""
        answers = self.controller.ctx.answers if self.controller.ctx else {}
        choice = self.choices.get(key)
        return key in answers or bool(choice and choice.default) or QUESTIONS[key].default is not None

    async def show_step(self) -> None:
        try:
            await self._show_step()
        except NoMatches as exc:  # the learner quit while the pane was being refreshed
            self.log.warning(f"step pane not refreshed: {exc}")

    async def _show_step(self) -> None:
        model = self.model
        chapter, step = model.current
        status = model.status[step.id]
        values = self._values()
        detail = model.details[step.id]
        view = StepView(
            step_id=step.id,
            title=f"Chapter {chapter.number} · Step {chapter.steps.index(step) + 1} of {len(chapter.steps)} — "
            f"{step.title}",
            status=f"Status: {status}" + (f" — {detail}" if detail else ""),
            text=fmt(step.text, values) or "",
            command=step.command(values) or "(nothing to type: a check only)",
            keys=model.owned_keys(step),
            values=values,
            options={k: c.options for k, c in self.choices.items()},
            locked=status in {Status.DONE, Status.RUNNING},
            run_label="Check again (ctrl+r)" if status == Status.DONE else "Run (ctrl+r)",
            can_run=model.can_run(),
            can_skip=model.can_skip(),
            can_back=model.can_back(),
        )
        if await self.query_one(StepPane).show(view) and self.screen is self.screen_stack[0]:
            self.call_after_refresh(self.focus_first_field)
        statuses = [(s.id, model.shown_status(i)) for i, (_c, s) in enumerate(model.steps)]
        self.query_one(Sidebar).show(statuses, step.id)

    def _summary_of(self, chapter: Chapter) -> str:
        return self.model.summary(chapter, self.controller.ctx.answers if self.controller.ctx else {})

    def show_summary(self) -> None:
        """Everything is done: every chapter's summary, on one page; the chapters just finished come first,
        so that the learner who ends chapter 14 reads about chapter 14, not chapter 7."""
        parts = [self._summary_of(chapter) for chapter in self.model.final_summaries()]
        parts.append(
            f"\nEverything above was checked live in {self.controller.describe_target()}. "
            "Run the wizard again any time: it only does what is missing."
        )
        from wizard.tui.screens.summary import SummaryScreen  # imports Markdown: not needed at launch

        self.open_dialog(SummaryScreen("\n\n".join(parts)))

    def show_chapter_summary(self, chapter: Chapter) -> None:
        """A chapter just ended: what it made, then (on enter) the next chapter's introduction."""
        from wizard.tui.screens.summary import SummaryScreen

        self.model.summary_shown.add(chapter.number)
        nxt = self.model.chapter_after(chapter)

        def after(go_on: object) -> None:
            if go_on:
                self.maybe_show_intro()

        self.open_dialog(SummaryScreen(self._summary_of(chapter), next_chapter=nxt), after)

    def maybe_show_intro(self) -> None:
        """The current chapter's introduction, once, when the learner is about to start it."""
        chapter = self.model.intro_due()
        if chapter is None:
            return
        if self.controller.begun(chapter):
            return  # begun in an earlier run: the learner knows what it is about
        from wizard.tui.screens.chapter import IntroScreen

        self.open_dialog(IntroScreen(fmt(chapter.intro, self._values())))

    def focus_first_field(self) -> None:
        """The first answer still to give in the current step (else the first field, else Run)."""
        if self.screen is not self.screen_stack[0]:
            return
        self.query_one(StepPane).focus_first_field()

    def log_line(self, text: str) -> None:
        self.query_one("#activity", RichLog).write(text)

    # -- actions ----------------------------------------------------------------------------------
    STEP_ACTIONS = {"run", "run_to_end", "skip", "back", "copy_command"}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Step keys belong to the main screen; on a dialog (error panel, help) its own keys win."""
        return not (action in self.STEP_ACTIONS and self.screen is not self.screen_stack[0])

    def action_scroll_main(self, direction: int) -> None:
        self.query_one(StepPane).scroll_page(direction)

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
        elif self.ready and not self.model.all_done():
            self.farewell = "Nothing is lost: run `{again}` again to continue where you stopped."
        else:
            cancel.cancel_all(grace=0.5)  # e.g. a dialog waiting in a worker
        self.exit(self.farewell)

    def _unattended_answers(self) -> dict[str, str] | None:
        """What the open step's form would hold, for run-to-the-end to go on without drawing the step first
        (its answers are all known); None when the form would refuse one (a value not among the options it
        offers): the step is then drawn and its form says so."""
        _chapter, step = self.steps[self.index]
        values = self._values()
        answers: dict[str, str] = {}
        for key in self.model.owned_keys(step):
            value = values.get(key, "")
            options = self.choices[key].options if key in self.choices else []
            if not value or check_answer(key, value)[1]:
                return None
            if options and not QUESTIONS[key].choices and value not in {v for v, _ in options}:
                return None
            answers[key] = value
        return answers

    async def start_run(self, to_end: bool, answers: dict[str, str] | None = None) -> None:
        """Run the open step with its form's answers (or `answers`, when run-to-the-end goes on undrawn)."""
        if not self.model.can_run():
            return
        drawn = answers is None  # the learner saw the step (and its status, observed when it opened)
        if answers is None:
            form = self.query_one(StepPane).form()
            answers = {}
            if form is not None:
                problems = form.problems()
                if problems:
                    first = next(iter(problems))
                    self.notify(problems[first], title="Check this answer", severity="error")
                    return
                answers = form.values()
        observe_next = not (to_end and self.model.runs_straight_on(self.index, self._known))
        self.busy = True
        self.model.started(fresh=drawn)
        await self._show_progress()
        await self.show_step()
        self.run_step_worker(self.index, answers, to_end, observe_next)

    async def action_run(self) -> None:
        await self.start_run(to_end=False)

    async def action_run_to_end(self) -> None:
        await self.start_run(to_end=True)

    async def action_skip(self) -> None:
        if self.model.can_skip():
            await self.open_step(self.index + 1)

    async def action_back(self) -> None:
        if self.model.can_back():
            await self.open_step(self.index - 1)

    async def open_step(self, index: int) -> None:
        """Show a step the learner chose, then look at it again live (its status from launch may be stale)."""
        self.index = index
        await self.show_step()
        if self.status[self.steps[index][1].id] != Status.DONE:
            self.observe_worker(index)

    def action_copy_command(self) -> None:
        _chapter, step = self.steps[self.index]
        self.copy_to_clipboard(step.command(self._values()))
        self.notify("The equivalent commands are in your clipboard.")

    def action_help(self) -> None:
        crash_point("tui.help")  # a test's stand-in for a bug in a key's handler
        from wizard.tui.screens.help import HelpScreen

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
        if isinstance(event.item, StepItem) and self.model.can_run():
            await self.open_step(self.model.position(event.item.step_id))


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
