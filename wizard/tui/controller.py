"""The TUI's connection to the engine, free of widgets so it can run in worker threads.

The app calls these methods from Textual thread workers; they block on the cloud, git and
dvc, and report through the engine's events (which the app turns into messages). Nothing
here touches the screen.
"""

from __future__ import annotations

import threading
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from wizard.engine.chapter import Chapter
from wizard.engine.errors import WizardError, translate
from wizard.engine.events import Event, Progress, Reporter
from wizard.engine.questions import DEFAULT_RESOLVERS, QUESTIONS, Conflict, check_answer, precedence
from wizard.engine.runner import Runner, StepReport
from wizard.engine.step import Context, Observation, Status, Step
from wizard.workspace import cancel


@dataclass
class Choices:
    """Suggested values for a question: a default and, for some, a list to pick from."""

    default: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label)


@dataclass
class Controller:
    repo: Path
    sandbox: Path | None
    chapters: Sequence[Chapter]
    reporter: Reporter
    given: Mapping[str, str] = field(default_factory=dict)
    # Runs in the worker before the session opens (e.g. create the demo sandbox); may return answers.
    prepare: Callable[[], Mapping[str, str] | None] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    ctx: Context | None = None
    # Generated answers (the demo's): offered when nothing was typed, never over the learner's own.
    defaults: dict[str, str] = field(default_factory=dict)
    # Where the checkpoint (what the learner typed) and this run's answers file disagree: the app asks.
    conflicts: list[Conflict] = field(default_factory=list)
    _stack: ExitStack = field(default_factory=ExitStack)
    # One worker at a time talks to the session (a step run, a refresh): the context is not shared.
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _choice_defaults: dict[str, str] = field(default_factory=dict)

    # -- lifecycle (worker thread) ---------------------------------------------------------
    def open(self) -> None:
        from wizard.session import open_session

        cancel.reset()
        if self.prepare is not None:
            self.defaults = dict(self.prepare() or {})
        self.ctx = self._stack.enter_context(
            open_session(self.repo, self.sandbox, reporter=self._report, options=dict(self.options))
        )
        self.ctx.answers, self.conflicts = precedence(self.ctx.answers, self.given)

    def settle(self, conflict: Conflict, value: str) -> None:
        """The learner said which of two disagreeing answers is meant."""
        assert self.ctx is not None
        self.ctx.answers[conflict.key] = value
        self.conflicts = [c for c in self.conflicts if c is not conflict]

    def _report(self, event: Event) -> None:
        # Work that reports progress after the learner quit stops there (waits, polls, uploads).
        if isinstance(event, Progress) and cancel.requested():
            raise cancel.Cancelled()
        self.reporter(event)

    def cancel(self) -> int:
        """Stop the work under way (from the UI thread): its tools and their children; returns how many ran."""
        return cancel.cancel_all()

    def close(self) -> None:
        self._stack.close()
        self.ctx = None

    @property
    def resumed(self) -> bool:
        """True when an earlier run worked on these chapters in this repository (its checkpoint says so)."""
        if not (self.ctx and self.ctx.store):
            return False
        recorded = self.ctx.store.data.get("steps", {})
        return any(step.id in recorded for chapter in self.chapters for step in chapter.steps)

    def begun(self, chapter: Chapter) -> bool:
        """True when an earlier run worked on this chapter (not merely found something already true)."""
        if not (self.ctx and self.ctx.store):
            return False
        recorded = self.ctx.store.data.get("steps", {})
        return any(step.id in recorded for step in chapter.steps)

    def describe_target(self) -> str:
        return self.ctx.target.describe(short=True) if self.ctx else ""

    # -- reading the world -----------------------------------------------------------------
    def observe(self, chapter: Chapter) -> list[StepReport]:
        assert self.ctx is not None
        with self._lock:
            return Runner(chapter, self.ctx).observe_all()

    def observe_step(self, chapter: Chapter, step: Step) -> StepReport:
        """One step observed again, so its pane says what is true now (not what was true at launch)."""
        assert self.ctx is not None
        with self._lock:
            ctx, saved = self.ctx, self.ctx.answers
            # Its answers as the form shows them: typed, else the defaults offered (your single billing account).
            offered = {k: q.default for k, q in QUESTIONS.items() if q.default}
            ctx.answers = {**offered, **self._choice_defaults, **self.suggested(), **saved}
            try:
                runner = Runner(type(chapter)(chapter.number, chapter.title, [step]), ctx)
                report = runner.observe_all()[0]
            finally:
                ctx.answers = saved
            unconfirmed = [k for k in step.needs if k not in saved]
            if report.observation is not None and report.observation.done and unconfirmed:
                # True with the answers offered, but the learner has not confirmed them: still theirs to run
                # (running it records the answers, which later steps and `status` rely on).
                report.observation = Observation(Status.TODO, report.observation.detail + " — run it to confirm")
            return report

    def suggested(self) -> dict[str, str]:
        """Defaults that follow answers (the demo's bucket after the learner's project), filled in."""
        from wizard.engine.questions import default_for

        assert self.ctx is not None
        out: dict[str, str] = {}
        for key in self.defaults:
            value = default_for(key, {**self.ctx.answers, **out}, self.defaults)
            if value:
                out[key] = value
        return out

    def choices(self, keys: Sequence[str]) -> dict[str, Choices]:
        """Defaults and options for the questions, with the read calls some need (billing accounts)."""
        assert self.ctx is not None
        out: dict[str, Choices] = {}
        for key in keys:
            question = QUESTIONS[key]
            choice = Choices(default=self.ctx.answers.get(key) or question.default)
            if key in DEFAULT_RESOLVERS:
                try:
                    resolved, options = DEFAULT_RESOLVERS[key](self.ctx)
                except Exception:  # noqa: BLE001 - no suggestion; running the step explains the cause
                    resolved, options = None, []
                choice.options = options
                choice.default = self.ctx.answers.get(key) or resolved
            out[key] = choice
        self._choice_defaults = {k: c.default for k, c in out.items() if c.default}
        return out

    # -- acting ----------------------------------------------------------------------------
    def run_step(self, chapter: Chapter, step: Step, answers: Mapping[str, str]) -> Observation:
        """Validate this step's answers, run its read-only checks, then observe/apply/verify it."""
        assert self.ctx is not None
        with self._lock:
            return self._run_step(chapter, step, answers)

    def _run_step(self, chapter: Chapter, step: Step, answers: Mapping[str, str]) -> Observation:
        assert self.ctx is not None
        cancel.check()
        clean = dict(self.ctx.answers)
        for key in step.needs:
            value, error = check_answer(key, answers.get(key, clean.get(key, "")))
            if error:
                raise WizardError(what=f"{QUESTIONS[key].prompt}: {error}", fix="Correct the answer and run again.")
            clean[key] = value
        self.ctx.answers = clean
        runner = Runner(chapter, self.ctx)
        check = getattr(step, "preflight", None)
        try:
            if check is not None:
                self.ctx.step_id = step.id
                try:
                    check(self.ctx)
                except Exception as exc:  # noqa: BLE001
                    raise translate(exc, f"checking '{step.title}'") from exc
            # Saved only once the read-only checks pass: a rejected answer is never kept.
            if self.ctx.store is not None:
                self.ctx.store.set_answers({**self.ctx.store.answers(), **clean})
            return runner.run_step(step)
        except WizardError as error:
            key = (error.details or {}).get("answer") or ""
            if key in clean:  # e.g. a bucket name taken by someone else: forget it, the form keeps the text
                error = _with_free_names(error, step, self.ctx, key, clean[key])
                self.ctx.answers = {k: v for k, v in clean.items() if k != key}
                if self.ctx.store is not None and self.ctx.store.answers().get(key) == clean[key]:
                    kept = self.ctx.store.answers()
                    kept.pop(key)
                    self.ctx.store.set_answers(kept)
                raise error from error.__cause__
            raise


def _with_free_names(error: WizardError, step: Step, ctx: Context, key: str, refused: str) -> WizardError:
    """The refusal's fix names answers that pass the same check (free), as line mode offers them."""
    from dataclasses import replace

    from wizard.engine.free_names import free_suggestions

    ideas = free_suggestions(step, replace(ctx, answers={**ctx.answers, key: refused}), key, refused)
    if not ideas:
        return error
    return replace(error, fix=f"Choose another one. Free right now: {', '.join(ideas)}.")
