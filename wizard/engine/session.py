"""One run's session, the same for every front end: the command line, line mode and the full screen.

Before, the command line, line mode and the TUI each settled answers, offered choices, ran
read-only checks and ran steps their own way, and their answer precedence drifted apart.
Here it is written once; front ends only say how to ask (or that nobody can) and how to show.

Answers precedence, for all of them: what the learner typed earlier (the checkpoint) first,
this run's answers file next (a disagreement is a question, or a stop when nobody can be
asked), generated defaults (the demo's) last. Every read-only check runs before an answer is
saved, so a rejected answer is never kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping, Sequence

from wizard.engine.chapter import Chapter
from wizard.engine.errors import WizardError, translate
from wizard.engine.events import Notice
from wizard.engine.free_names import free_suggestions
from wizard.engine.questions import (
    DEFAULT_RESOLVERS,
    QUESTIONS,
    Conflict,
    Question,
    check_answer,
    conflict_error,
    default_for,
    identity_keys,
    precedence,
)
from wizard.engine.runner import Asker, Runner, StepReport, check_changed_answers, preflight_run
from wizard.engine.step import Context, Observation, Reason, Status, Step, fmt

# Settle a conflict between an earlier answer and the answers file: returns the value to keep.
Chooser = Callable[[Conflict], str]
# Show a step's (or chapter's) Markdown text to the learner before they answer.
Shower = Callable[[str], None]


@dataclass
class Choices:
    """Suggested values for a question: a default and, for some, a list to pick from."""

    default: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label)


def rejected_key(error: WizardError) -> str | None:
    """The answer a failed check names as the cause (e.g. a taken bucket name), if any."""
    key = (error.details or {}).get("answer")
    return key if key in QUESTIONS else None


def merge_answers(
    earlier: Mapping[str, str], given: Mapping[str, str], choose: Chooser | None, answers_file: Any = None
) -> dict[str, str]:
    """The checkpoint's answers and the file's merged; each disagreement asked about (or an error naming both)."""
    merged, conflicts = precedence(earlier, given)
    if conflicts and choose is None:
        raise conflict_error(conflicts, answers_file)
    for conflict in conflicts:
        merged[conflict.key] = choose(conflict) if choose is not None else conflict.earlier
    return merged


class Session:
    """The answers, the chapters and the steps of one run, over a context a front end opened."""

    def __init__(self, ctx: Context, chapters: Sequence[Chapter], defaults: Mapping[str, str] | None = None) -> None:
        self.ctx = ctx
        self.chapters = list(chapters)
        # Generated answers (the demo's): offered when nothing was typed, never over the learner's own.
        self.defaults = dict(defaults or {})
        # Where the checkpoint and this run's answers file disagree: the front end asks (or stops).
        self.conflicts: list[Conflict] = []
        self._choice_defaults: dict[str, str] = {}

    # -- answers ---------------------------------------------------------------------------
    def open(self, given: Mapping[str, str], confirm_switch: bool = False) -> None:
        """Merge this run's answers file over the checkpoint; disagreements wait in `conflicts`.

        With `confirm_switch`, an answer naming another project or bucket than the one set up is
        confirmed first (or refused, nothing changed); once agreed to, it wins over the checkpoint's.
        """
        if confirm_switch:
            check_changed_answers(self.ctx, given)
            self.ctx.answers = {**self.ctx.answers, **{k: given[k] for k in identity_keys() if given.get(k)}}
        self.ctx.answers, self.conflicts = precedence(self.ctx.answers, given)

    def settle(self, conflict: Conflict, value: str) -> None:
        """The learner said which of two disagreeing answers is meant."""
        self.ctx.answers[conflict.key] = value
        self.conflicts = [c for c in self.conflicts if c is not conflict]

    def settle_all(self, choose: Chooser | None, answers_file: Any = None) -> None:
        """Every conflict settled by asking; with nobody to ask, the run stops naming both values."""
        if self.conflicts and choose is None:
            raise conflict_error(self.conflicts, answers_file)
        for conflict in list(self.conflicts):
            assert choose is not None
            self.settle(conflict, choose(conflict))

    def answer_all(self) -> dict[str, str]:
        """Nobody to ask: every chapter's answers from what is known and the defaults, or an error naming one."""
        known = dict(self.ctx.answers)
        for chapter in self.chapters:
            known.update(Runner(chapter, self.ctx).resolve_answers(known, ask=None, defaults=self.defaults, save=False))
        self.ctx.answers = known
        return known

    def suggestions(self) -> dict[str, str]:
        """Generated defaults that follow answers (the demo's bucket after the learner's project), filled in."""
        out: dict[str, str] = {}
        for key in self.defaults:  # what the learner answered comes before what was generated, here too
            value = self.ctx.answers.get(key) or default_for(key, {**out, **self.ctx.answers}, self.defaults)
            if value:
                out[key] = value
        return out

    def choices(self, keys: Sequence[str]) -> dict[str, Choices]:
        """Defaults and options for the questions, with the read calls some need (billing accounts)."""
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

    def free_names(self, step: Step | None, key: str, rejected: str, count: int = 3) -> list[str]:
        """Names built from the rejected one that pass the step's own read-only check (free, not just valid)."""
        return free_suggestions(step, self.ctx, key, rejected, count)

    def _with_free_names(self, error: WizardError, step: Step, key: str, refused: str) -> WizardError:
        """The refusal's fix names answers that pass the same check (free), as line mode offers them."""
        ideas = free_suggestions(step, replace(self.ctx, answers={**self.ctx.answers, key: refused}), key, refused)
        if not ideas:
            return error
        return replace(error, fix=f"Choose another one. Free right now: {', '.join(ideas)}.")

    def forget(self, key: str, value: str) -> None:
        """A rejected answer leaves the checkpoint too, so the next run asks again instead of failing again."""
        store = self.ctx.store
        if store is not None and store.answers().get(key) == value:
            kept = store.answers()
            kept.pop(key, None)
            store.set_answers(kept)

    def save_answers(self, answers: Mapping[str, str]) -> None:
        if self.ctx.store is not None:
            self.ctx.store.set_answers({**self.ctx.store.answers(), **answers})

    # -- what earlier runs did -------------------------------------------------------------
    def begun(self, chapter: Chapter) -> bool:
        """True when an earlier run worked on this chapter (not merely found something already true)."""
        if self.ctx.store is None:
            return False
        recorded = self.ctx.store.data.get("steps", {})
        return any(step.id in recorded for step in chapter.steps)

    @property
    def resumed(self) -> bool:
        """True when an earlier run worked on these chapters in this repository (its checkpoint says so)."""
        return any(self.begun(chapter) for chapter in self.chapters)

    # -- reading the world -----------------------------------------------------------------
    def fresh_look(self) -> None:
        """A new look at the world (or a step run on the learner's word) reads every fact again: what the run
        read earlier may have changed since, by hand or elsewhere."""
        for holder in (self.ctx.target, self.ctx.workspace):
            reads = getattr(holder, "reads", None)
            if reads is not None:
                reads.clear()

    def preflight(self, steps: bool = True) -> None:
        """Every chapter's read-only checks before the first write (see `preflight_run`)."""
        preflight_run(self.chapters, self.ctx, steps=steps)

    def observe(self, chapter: Chapter) -> list[StepReport]:
        self.fresh_look()
        return Runner(chapter, self.ctx).observe_all()

    def observe_step(self, chapter: Chapter, step: Step) -> StepReport:
        """One step observed again with the answers a form shows (typed, else offered), so its status is current."""
        self.fresh_look()
        ctx, saved = self.ctx, self.ctx.answers
        offered = {k: q.default for k, q in QUESTIONS.items() if q.default}
        ctx.answers = {**offered, **self._choice_defaults, **self.suggestions(), **saved}
        try:
            report = Runner(type(chapter)(chapter.number, chapter.title, [step]), ctx).observe_all()[0]
        finally:
            ctx.answers = saved
        unconfirmed = [k for k in step.needs if k not in saved]
        if report.observation is not None and report.observation.done and unconfirmed:
            # True with the answers offered, but the learner has not confirmed them: still theirs to run
            # (running it records the answers, which later steps and `status` rely on).
            was = report.observation
            report.observation = Observation(
                Status.TODO, was.detail + " — run it to confirm", reason=Reason.UNCONFIRMED
            )
        return report

    # -- acting ----------------------------------------------------------------------------
    def run_step(self, chapter: Chapter, step: Step, answers: Mapping[str, str]) -> Observation:
        """Validate this step's answers, run its read-only check, save them, then observe/apply/verify it.

        A check that rejects an answer (a bucket name taken) forgets it, here and in the checkpoint."""
        self.fresh_look()
        ctx = self.ctx
        clean = dict(ctx.answers)
        for key in step.needs:
            value, error = check_answer(key, answers.get(key, clean.get(key, "")))
            if error:
                raise WizardError(what=f"{QUESTIONS[key].prompt}: {error}", fix="Correct the answer and run again.")
            clean[key] = value
        ctx.answers = clean
        try:
            ctx.step_id = step.id
            try:
                step.preflight(ctx)
            except Exception as exc:  # noqa: BLE001
                raise translate(exc, f"checking '{step.title}'") from exc
            self.save_answers(clean)  # only once the read-only check passed: a rejected answer is never kept
            return Runner(chapter, ctx).run_step(step)
        except WizardError as error:
            key = rejected_key(error) or ""
            if key in clean:  # forgotten; the form keeps the text for the learner to correct
                error = self._with_free_names(error, step, key, clean[key])
                ctx.answers = {k: v for k, v in clean.items() if k != key}
                self.forget(key, clean[key])
                raise error from error.__cause__
            raise

    def run_chapter(
        self, chapter: Chapter, given: Mapping[str, str], ask: Asker | None, show: Shower | None = None
    ) -> dict[str, str]:
        """A chapter start to end without the full screen: asked through `ask`, or headless when it is None."""
        return _ChapterRun(self, chapter, ask, show).run(given)


class _ChapterRun:
    """One chapter run in line mode or headless: a refused answer is asked again (or stops the run)."""

    def __init__(self, session: Session, chapter: Chapter, ask: Asker | None, show: Shower | None) -> None:
        self.session = session
        self.chapter = chapter
        self.ctx = session.ctx
        self.runner = Runner(chapter, session.ctx)
        self.defaults = dict(session.defaults)
        self.show = show
        self._shown: set[str] = set()
        self.ask = self._explaining(ask) if ask is not None else None

    def _explaining(self, ask: Asker) -> Asker:
        """Before the first question of a step, its text: why the answer matters."""

        def asking(question: Question, default: str | None, choices: list[tuple[str, str]]) -> str:
            step = self._owner(question.key)
            if self.show is not None and step is not None and step.id not in self._shown:
                self._shown.add(step.id)
                self.show(f"## {step.title}\n\n" + fmt(step.text, {**self.defaults, **self.ctx.answers}))
            return ask(question, default, choices)

        return asking

    def _owner(self, key: str) -> Step | None:
        return next((s for s in self.chapter.steps if key in s.needs), None)

    def _reject(self, key: str, value: str, error: WizardError, step: Step | None, pending: dict[str, str]) -> None:
        self.session.forget(key, value)
        if self.ask is None:
            raise error
        pending.pop(key, None)
        ideas = self.session.free_names(step, key, value)
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
                self.session.save_answers(answers)
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
                for step in self.chapter.steps:
                    self.runner.run_step(step)
                return answers
            except WizardError as error:  # a name refused only when used (a project ID taken): ask again
                key = rejected_key(error)
                if key is None or key not in answers:
                    raise
                pending = dict(answers)
                self._reject(key, answers[key], error, self._owner(key), pending)
