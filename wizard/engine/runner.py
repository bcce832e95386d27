"""Runs a chapter: answers → preflight → for each step observe, apply, verify, journal.

The journal is a cache and the world is the truth: every step is observed before anything
is trusted, so a run interrupted at any instant (even by SIGKILL) resumes by doing only
what is not yet true.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Mapping, Sequence

from wizard.engine.chapter import Chapter
from wizard.engine.errors import MissingAnswer, WizardError, translate
from wizard.engine.events import Notice, StepFinished, StepStarted
from wizard.engine.questions import (
    DEFAULT_RESOLVERS,
    QUESTIONS,
    Question,
    check_answer,
    default_for,
    identity_keys,
    validate_all,
)
from wizard.engine.step import Context, Observation, Reason, Status, Step

# Ask one question: (question, default, choices) -> answer. None means "do not ask".
Asker = Callable[[Question, "str | None", "list[tuple[str, str]]"], str]
# In `Context.memory`: the login was checked in this process (the id of the step that did it, or True).
LOGIN_CHECKED = "login-checked"


@dataclass
class StepReport:
    step: Step
    observation: Observation | None = None
    error: WizardError | None = None

    @property
    def status(self) -> Status:
        if self.error is not None:
            return Status.UNKNOWN
        assert self.observation is not None
        return self.observation.status

    @property
    def label(self) -> str:
        """The status's word, as `status` prints it and the screen keys its icons."""
        return self.status.value


class Runner:
    def __init__(self, chapter: Chapter, ctx: Context) -> None:
        self.chapter = chapter
        self.ctx = ctx

    # -- answers -------------------------------------------------------------------------
    def resolve_answers(
        self,
        given: Mapping[str, str],
        ask: Asker | None = None,
        defaults: Mapping[str, str] | None = None,
        save: bool = True,
    ) -> dict[str, str]:
        """Validate what was given, fill defaults, ask for the rest (or fail naming it).

        `defaults` are generated values (the demo's) that only fill what nobody answered;
        `save=False` leaves the checkpoint alone until the caller's read-only checks pass.
        """
        answers = validate_all({k: v for k, v in given.items() if v not in (None, "")})
        self.ctx.answers = answers
        for key in self.chapter.needs():
            question = QUESTIONS[key]
            default, choices = default_for(key, answers, defaults or {}), list[tuple[str, str]]()
            if key in DEFAULT_RESOLVERS and (key not in answers or ask is not None):
                self.check_login()
                try:
                    resolved, choices = DEFAULT_RESOLVERS[key](self.ctx)
                except Exception as exc:  # noqa: BLE001 - explained like any step failure
                    raise translate(exc, f"finding a default for '{key}'") from exc
                default = resolved or default
            if key in answers:
                continue
            if ask is None:
                if default is None:
                    raise MissingAnswer(
                        what=f"The answer '{key}' is missing.",
                        why=f"{question.prompt}: {question.help}",
                        fix=f"Add it to the answers file under [{key.split('.')[0]}] as "
                        f'{key.split(".", 1)[1]} = "...", or run without --yes to be asked.',
                    )
                answers[key] = default
                continue
            while True:
                value, error = check_answer(key, ask(question, default, choices))
                if error is None:
                    answers[key] = value
                    break
                self.ctx.reporter(Notice(error, level="error"))
        self.ctx.answers = answers
        if save and self.ctx.store is not None:
            self.ctx.store.set_answers({**self.ctx.store.answers(), **answers})
        return answers

    # -- phases ----------------------------------------------------------------------------
    def check_login(self) -> None:
        """Prove the Google login works before anything else calls Google (once per run).

        The chapter's login step runs as a step (reported, journaled); a chapter without one
        refreshes a token quietly. Either way a revoked, expired or missing login, or being
        offline, is the first thing the learner hears about.
        """
        memory = self.ctx.memory
        if memory.get(LOGIN_CHECKED):
            return
        step = next((s for s in self.chapter.steps if s.checks_login), None)
        if step is not None:
            memory[LOGIN_CHECKED] = step.id
            try:
                self.run_step(step)
            except BaseException:
                memory.pop(LOGIN_CHECKED, None)
                raise
            return
        check = getattr(self.ctx.target, "check_login", None)
        if check is not None:
            try:
                check()
            except Exception as exc:  # noqa: BLE001
                raise translate(exc, "checking your Google login") from exc
        memory[LOGIN_CHECKED] = True

    def preflight(self, earlier: Sequence[int] = (), later: Sequence[int] = ()) -> None:
        """Read-only checks before the first change: what earlier chapters should have made (unless `earlier`
        chapters of this run make it), the repository, then every step (e.g. a bucket name taken)."""
        self.check_login()
        self.check_prerequisites(earlier, later)
        self.check_repository()
        self.preflight_steps()
        self.check_push()

    def check_prerequisites(self, earlier: Sequence[int] = (), later: Sequence[int] = ()) -> None:
        from wizard.engine.prerequisites import unmet

        self.ctx.step_id = ""
        try:
            error = unmet(self.chapter.number, self.chapter.prerequisites, self.ctx, earlier, later)
        except WizardError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, f"checking what chapter {self.chapter.number} needs") from exc
        if error is not None:
            raise error

    def check_repository(self) -> None:
        """On a branch, no stale lock, and the branch the chapter's CI runs on."""
        from wizard.workspace import checks

        branch = checks.branch_and_lock(self.ctx.workspace)
        checks.ci_branch(branch, self.chapter.ci_branch, self.chapter.number)

    def check_push(self) -> None:
        """Once per run, after the steps' own checks (which explain a missing repository better): origin accepts
        a push with the credentials git will use."""
        from wizard.workspace import checks

        ws = self.ctx.workspace
        branch = checks.branch_and_lock(ws)
        if self.ctx.memory.get("push-checked") != branch:
            checks.can_push(ws, branch, self.ctx.target.tool_env())
            self.ctx.memory["push-checked"] = branch

    def preflight_steps(self) -> None:
        failure = self.first_preflight_failure()
        if failure is not None:
            raise failure[1]

    def first_preflight_failure(self) -> tuple[Step, WizardError] | None:
        """The first step whose read-only check fails, with the failure explained (line mode asks again)."""
        for step in self.chapter.steps:
            self.ctx.step_id = step.id
            try:
                step.preflight(self.ctx)
            except Exception as exc:  # noqa: BLE001 - every failure is explained to the learner
                return step, translate(exc, f"checking '{step.title}'")
        return None

    def observe_all(self) -> list[StepReport]:
        """Each step observed live; a step whose answers are not given yet is simply to do.

        Observations only read, and each waits mostly on a network answer or a git/dvc
        process: they run side by side, so a chapter's status takes about its slowest step."""
        from concurrent.futures import ThreadPoolExecutor

        def observe(step: Step) -> StepReport:
            if any(key not in self.ctx.answers for key in step.needs):
                return StepReport(
                    step, observation=Observation(Status.TODO, "waiting for your answers", reason=Reason.WAITING)
                )
            ctx = replace(self.ctx, step_id=step.id)  # the same clients and workspace, its own step id
            try:
                return StepReport(step, observation=step.observe(ctx))
            except Exception as exc:  # noqa: BLE001
                return StepReport(step, error=translate(exc, f"observing '{step.title}'"))

        steps = list(self.chapter.steps)
        with ThreadPoolExecutor(max_workers=max(1, min(8, len(steps))), thread_name_prefix="observe") as pool:
            return list(pool.map(observe, steps))

    def run_step(self, step: Step) -> Observation:
        ctx, store = self.ctx, self.ctx.store
        ctx.step_id = step.id
        ctx.previous = store.step(step.id) if store is not None else {}
        ctx.reporter(StepStarted(step.id, step.title))
        try:
            before = step.observe(ctx)
            if before.done:
                if store is not None:
                    store.mark(step.id, Status.DONE, before.detail, before.outputs)
                ctx.reporter(StepFinished(step.id, step.title, Status.DONE, before.detail))
                return before
            if store is not None:
                store.mark(step.id, Status.STARTED, step.intent(ctx.answers))
            outputs = step.apply(ctx)
            after = step.observe(ctx)
            if not after.done:
                raise WizardError(
                    what=f"'{step.title}' ran but the result could not be verified.",
                    why=after.detail,
                    fix="Retry: the step only does what is still missing.",
                    retryable=True,
                )
        except Exception as exc:  # noqa: BLE001
            error = translate(exc, f"'{step.title}'")
            if store is not None:
                store.mark(step.id, Status.FAILED, error.what, reason=error.details.get("reason", ""))
            ctx.reporter(StepFinished(step.id, step.title, Status.FAILED, error.what))
            raise error from exc
        if store is not None:
            store.mark(step.id, Status.DONE, after.detail, {**dict(outputs or {}), **dict(after.outputs)})
        ctx.reporter(StepFinished(step.id, step.title, Status.APPLIED, after.detail))
        return after

    def run(self) -> list[Observation]:
        self.preflight()
        done_first = self.ctx.memory.get(LOGIN_CHECKED)
        return [self.run_step(step) for step in self.chapter.steps if step.id != done_first]


def preflight_run(chapters: Sequence[Chapter], ctx: Context, steps: bool = True) -> None:
    """Before the first write of a run, for every chapter asked: prerequisites, the repository, and the steps'
    own checks for chapters whose prerequisites already exist. A chapter asked before the one that makes
    what it needs (14 before 8) stops the run here, with nothing written."""
    numbers = [chapter.number for chapter in chapters]
    for index, chapter in enumerate(chapters):
        runner = Runner(chapter, ctx)
        earlier, later = numbers[:index], numbers[index + 1 :]
        runner.check_prerequisites(earlier, later)
        runner.check_repository()
        if steps and not any(p.made_by in earlier and p.for_preflight for p in chapter.prerequisites):
            runner.preflight_steps()
    if chapters:
        Runner(chapters[0], ctx).check_push()


def check_changed_answers(ctx: Context, given: Mapping[str, str]) -> None:
    """An answer that differs from the checkpoint's (another project than the one set up) is named and confirmed.

    Silently following the new answer would create a second project and bucket and repoint DVC.
    """
    stored = ctx.store.answers() if ctx.store is not None else {}
    for key in identity_keys():
        old, new = stored.get(key), given.get(key)
        if not old or not new or old == new:
            continue
        label = QUESTIONS[key].names
        question = f"Switch from {label} {old} to {label} {new}?"
        detail = (
            f"This repository was set up with {key} = {old} (the wizard's checkpoint remembers it); "
            f"your answers now say {new}. Going on creates or uses {new} and points this repository at it."
        )
        if ctx.options.get("allow_changes") or (ctx.confirm is not None and ctx.confirm(question, detail)):
            ctx.reporter(Notice(f"Switching {key} from {old} to {new}, as you asked", level="warning"))
            continue
        raise WizardError(
            what=f"Your answers name {label} {new}, but this repository was set up with {label} {old}; "
            "nothing was changed.",
            why=detail,
            fix=f'To go on with {old}, answer {key.split(".", 1)[1]} = "{old}" (or leave it out: the checkpoint '
            f"remembers it). To move to {new} on purpose, run again and agree when asked, or with --allow-changes.",
        )
