"""The TUI's connection to the engine, free of widgets so it can run in worker threads.

The app calls these methods from Textual thread workers; they block on the cloud, git and
dvc, and report through the engine's events (which the app turns into messages). Nothing
here touches the screen.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from wizard.answers import QUESTIONS, check_answer
from wizard.engine.chapter import Chapter
from wizard.engine.errors import WizardError, translate
from wizard.engine.events import Reporter
from wizard.engine.runner import DEFAULT_RESOLVERS, Runner, StepReport
from wizard.engine.step import Context, Observation, Step


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
    _stack: ExitStack = field(default_factory=ExitStack)

    # -- lifecycle (worker thread) ---------------------------------------------------------
    def open(self) -> None:
        from wizard.session import open_session

        if self.prepare is not None:
            self.given = {**(self.prepare() or {}), **self.given}
        self.ctx = self._stack.enter_context(open_session(self.repo, self.sandbox, reporter=self.reporter,
                                                          options=dict(self.options)))
        self.ctx.answers = {**self.ctx.answers, **{k: v for k, v in self.given.items() if v}}

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

    def describe_target(self) -> str:
        return self.ctx.target.describe(short=True) if self.ctx else ""

    # -- reading the world -----------------------------------------------------------------
    def observe(self, chapter: Chapter) -> list[StepReport]:
        assert self.ctx is not None
        return Runner(chapter, self.ctx).observe_all()

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
        return out

    # -- acting ----------------------------------------------------------------------------
    def run_step(self, chapter: Chapter, step: Step, answers: Mapping[str, str]) -> Observation:
        """Validate this step's answers, run its read-only checks, then observe/apply/verify it."""
        assert self.ctx is not None
        clean = dict(self.ctx.answers)
        for key in step.needs:
            value, error = check_answer(key, answers.get(key, clean.get(key, "")))
            if error:
                raise WizardError(what=f"{QUESTIONS[key].prompt}: {error}", fix="Correct the answer and run again.")
            clean[key] = value
        self.ctx.answers = clean
        if self.ctx.store is not None:
            self.ctx.store.set_answers(clean)
        runner = Runner(chapter, self.ctx)
        check = getattr(step, "preflight", None)
        if check is not None:
            self.ctx.step_id = step.id
            try:
                check(self.ctx)
            except Exception as exc:  # noqa: BLE001
                raise translate(exc, f"checking '{step.title}'") from exc
        return runner.run_step(step)

