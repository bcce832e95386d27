"""Chapters without the full screen: headless (`--yes`) and line mode (`--plain`).

Answers are settled before anything changes: what the learner typed earlier (the
checkpoint) first, this run's answers file next, generated defaults last. Every step's
read-only checks (a bucket name taken by someone else) run before the answers are saved,
so a rejected answer is never kept: in line mode it is asked again with the reason and
names that are free; headless, the run stops naming it.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from wizard.engine.chapter import Chapter
from wizard.engine.errors import WizardError
from wizard.engine.events import Notice
from wizard.engine.free_names import free_suggestions
from wizard.engine.questions import QUESTIONS, Conflict, Question, conflict_error, precedence
from wizard.engine.runner import Asker, Runner
from wizard.engine.step import Context, Step

# Settle a conflict between an earlier answer and the answers file: returns the value to keep.
Chooser = Callable[[Conflict], str]
# Show a step's (or chapter's) Markdown text to the learner before they answer.
Shower = Callable[[str], None]


def settle(ctx: Context, given: Mapping[str, str], choose: Chooser | None, answers_file: Any = None) -> dict[str, str]:
    """The checkpoint's answers and the file's merged; each disagreement asked about (or an error)."""
    merged, conflicts = precedence(ctx.answers, given)
    if conflicts and choose is None:
        raise conflict_error(conflicts, answers_file)
    for conflict in conflicts:
        merged[conflict.key] = choose(conflict) if choose is not None else conflict.earlier
    return merged


def rejected_key(error: WizardError) -> str | None:
    """The answer a failed check names as the cause (e.g. a taken bucket name), if any."""
    key = (error.details or {}).get("answer")
    return key if key in QUESTIONS else None


class ChapterDriver:
    """One chapter, start to end, asking (or not) through the given callbacks."""

    def __init__(
        self,
        spec: Chapter,
        ctx: Context,
        ask: Asker | None,
        defaults: Mapping[str, str] | None = None,
        show: Shower | None = None,
    ) -> None:
        self.spec = spec
        self.ctx = ctx
        self.runner = Runner(spec, ctx)
        self.defaults = dict(defaults or {})
        self.show = show
        self._shown: set[str] = set()
        self.ask = self._explaining(ask) if ask is not None else None

    def _explaining(self, ask: Asker) -> Asker:
        """Before the first question of a step, its text: why the answer matters."""

        def asking(question: Question, default: str | None, choices: list[tuple[str, str]]) -> str:
            step = self._owner(question.key)
            if self.show is not None and step is not None and step.id not in self._shown:
                self._shown.add(step.id)
                from wizard.engine.step import fmt

                self.show(f"## {step.title}\n\n" + fmt(step.text, {**self.defaults, **self.ctx.answers}))
            return ask(question, default, choices)

        return asking

    def _owner(self, key: str) -> Step | None:
        return next((s for s in self.spec.steps if key in s.needs), None)

    def _forget(self, key: str, value: str) -> None:
        """A rejected answer leaves the checkpoint too, so the next run asks again instead of failing again."""
        store = self.ctx.store
        if store is not None and store.answers().get(key) == value:
            kept = store.answers()
            kept.pop(key, None)
            store.set_answers(kept)

    def _reject(self, key: str, value: str, error: WizardError, step: Step | None, pending: dict[str, str]) -> None:
        self._forget(key, value)
        if self.ask is None:
            raise error
        pending.pop(key, None)
        ideas = free_suggestions(step, self.ctx, key, value)
        message = error.what + (f" {error.why}" if error.why else "")
        if ideas:
            message += " Free names: " + ", ".join(ideas) + "."
            self.defaults[key] = ideas[0]
        self.ctx.reporter(Notice(message, level="error"))

    def _answers_checked(self, pending: dict[str, str]) -> dict[str, str]:
        """Ask what is missing, then every step's read-only checks; a rejected answer is asked again."""
        while True:
            answers = self.runner.resolve_answers(pending, ask=self.ask, defaults=self.defaults, save=False)
            failure = self.runner.first_preflight_failure()
            if failure is None:
                if self.ctx.store is not None:
                    self.ctx.store.set_answers({**self.ctx.store.answers(), **answers})
                return answers
            step, error = failure
            key = rejected_key(error)
            if key is None or key not in answers:
                raise error
            pending.clear()
            pending.update(answers)
            self._reject(key, answers[key], error, step, pending)

    def run(self, given: Mapping[str, str]) -> dict[str, str]:
        pending = dict(given)
        while True:
            answers = self._answers_checked(pending)
            try:
                for step in self.spec.steps:
                    self.runner.run_step(step)
                return answers
            except WizardError as error:  # a name refused only when used (a project ID taken): ask again
                key = rejected_key(error)
                if key is None or key not in answers:
                    raise
                pending = dict(answers)
                self._reject(key, answers[key], error, self._owner(key), pending)
