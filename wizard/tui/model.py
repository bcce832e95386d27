"""The full-screen wizard's session as plain data: which steps exist, what each one's status is, which is open.

The app asks this model every question about the session's shape (may the learner run, skip, go back? which
step opens next? is a chapter's summary due, and the next chapter's introduction?) and only draws the answers.
Nothing here imports Textual, so these rules are unit-tested without a screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from wizard.engine.chapter import Chapter
from wizard.engine.status import Status
from wizard.engine.step import Step, fmt

# The engine's one status vocabulary (str values: the words the checkpoint and the events carry).
DONE, RUNNING, FAILED, TODO = Status.DONE, Status.RUNNING, Status.FAILED, Status.TODO


@dataclass(frozen=True)
class AfterStep:
    """What the screen does once a step succeeded: which step it opens, and whether it stops for a summary."""

    index: int
    all_done: bool = False  # every chapter's summary, on one page
    chapter_summary: Chapter | None = None  # a chapter just ended: its summary, then the next one's introduction
    next_chapter: int | None = None  # the chapter the summary leads to, if any
    run_on: bool = False  # run-to-the-end goes on with the step at `index`


@dataclass
class SessionModel:
    """The session's steps in reading order, with their status and the step on screen.

    `index`, `ready` and `busy` are written by the app (through its reactive attributes) and read here.
    """

    chapters: Sequence[Chapter]
    steps: list[tuple[Chapter, Step]] = field(init=False)
    owner: dict[str, str] = field(init=False)  # answer key -> id of the first step that asks for it
    status: dict[str, str] = field(init=False)  # step id -> a status label (done, todo, failed, running…)
    details: dict[str, str] = field(init=False)  # step id -> what its last observation or error said
    index: int = 0  # the step on screen
    ready: bool = False  # the world was observed: the learner may act
    busy: bool = False  # a step is running
    intro_shown: set[int] = field(default_factory=set)  # chapter numbers whose introduction was offered
    summary_shown: set[int] = field(default_factory=set)  # chapter numbers whose summary was shown or is not due

    def __post_init__(self) -> None:
        self.chapters = list(self.chapters)
        self.steps = [(c, s) for c in self.chapters for s in c.steps]
        self.owner = {}
        for _chapter, step in self.steps:
            for key in step.needs:
                self.owner.setdefault(key, step.id)
        self.status = {s.id: TODO for _c, s in self.steps}
        self.details = {s.id: "" for _c, s in self.steps}

    # -- where the learner is ---------------------------------------------------------------
    @property
    def current(self) -> tuple[Chapter, Step]:
        return self.steps[self.index]

    @property
    def last(self) -> int:
        return len(self.steps) - 1

    def position(self, step_id: str) -> int:
        for i, (_c, step) in enumerate(self.steps):
            if step.id == step_id:
                return i
        raise KeyError(step_id)

    def chapter_of(self, step_id: str) -> Chapter:
        return self.steps[self.position(step_id)][0]

    def first_unfinished(self) -> int:
        """The first step not done, or len(steps) when all are."""
        for i, (_c, step) in enumerate(self.steps):
            if self.status[step.id] != DONE:
                return i
        return len(self.steps)

    def next_to_observe(self, index: int) -> int | None:
        """After the step at `index` ran, the step that will open next (looked at again before it is shown)."""
        for i in range(index + 1, len(self.steps)):
            if self.status[self.steps[i][1].id] != DONE:
                return i
        return None

    def owned_keys(self, step: Step) -> list[str]:
        """The answers this step's form asks for: a key shared by later steps is asked where it is first needed."""
        return [k for k in step.needs if self.owner.get(k) == step.id]

    def all_done(self) -> bool:
        return all(status == DONE for status in self.status.values())

    def chapter_done(self, chapter: Chapter) -> bool:
        return all(self.status[s.id] == DONE for s in chapter.steps)

    def done_and_todo(self) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
        """(chapter number, step title) of the steps done and of those still to do, for the welcome-back offer."""
        done = [(c.number, s.title) for c, s in self.steps if self.status[s.id] == DONE]
        todo = [(c.number, s.title) for c, s in self.steps if self.status[s.id] != DONE]
        return done, todo

    # -- what the learner may do --------------------------------------------------------------
    def can_run(self) -> bool:
        return self.ready and not self.busy

    def can_skip(self) -> bool:
        return self.can_run() and self.index < self.last

    def can_back(self) -> bool:
        return self.can_run() and self.index > 0

    def shown_status(self, index: int) -> str:
        """A step's status as the step list shows it: the one at work says so."""
        step_id = self.steps[index][1].id
        return RUNNING if self.busy and index == self.index else self.status[step_id]

    def runs_straight_on(self, index: int, known: Callable[[str], bool]) -> bool:
        """Run-to-the-end will go from the step at `index` straight to the next one of the same chapter (every
        step before that one done, its answers known): that step is observed by its own run a moment later, so
        looking at it in between would only ask the cloud the same question twice."""
        nxt = self.next_to_observe(index)
        if nxt is None or self.steps[nxt][0] is not self.steps[index][0]:
            return False  # the end of the chapter: its summary comes first, and the next chapter's step is shown
        earlier = (i for i in range(nxt) if i != index)
        return all(self.status[self.steps[i][1].id] == DONE for i in earlier) and self.can_run_unattended(nxt, known)

    def can_run_unattended(self, index: int, known: Callable[[str], bool]) -> bool:
        """Run-to-the-end goes on through a step whose answers are all `known` (given, or a real default)."""
        return all(known(k) for k in self.owned_keys(self.steps[index][1]))

    # -- what the workers report ----------------------------------------------------------
    def take(self, step_id: str, label: str, detail: str) -> bool:
        """A step observed: its status and detail, unless it is the one running (its own result will say)."""
        if self.busy and step_id == self.current[1].id:
            return False
        self.status[step_id] = label
        self.details[step_id] = detail
        return True

    def opened(self) -> int:
        """The world is observed: the step to open is the first unfinished one (the last when all are done);
        chapters finished before this session need no summary now."""
        for chapter in self.chapters:
            if self.chapter_done(chapter):
                self.summary_shown.add(chapter.number)
        return min(self.first_unfinished(), self.last)

    def started(self, fresh: bool = True) -> str:
        """The current step starts running; returns its id. Unless what it last said is `fresh` (looked at once
        it was opened), it is not repeated beside "running": run-to-the-end going straight on has not looked
        at the step since launch, and what it said then (no DVC remote yet) is no longer true."""
        step_id = self.current[1].id
        self.status[step_id] = RUNNING
        if not fresh:
            self.details[step_id] = ""
        return step_id

    def failed(self, step_id: str, what: str) -> None:
        self.status[step_id] = FAILED
        self.details[step_id] = what

    def succeeded(
        self, step_id: str, detail: str, to_end: bool = False, known: Callable[[str], bool] = lambda _k: False
    ) -> AfterStep:
        """A step is done: which step opens next, and whether a chapter ended (run-to-the-end stops there)."""
        self.status[step_id] = DONE
        self.details[step_id] = detail
        chapter = self.chapter_of(step_id)
        nxt = self.first_unfinished()
        if nxt >= len(self.steps):
            return AfterStep(index=self.last, all_done=True)  # the page of every summary: `final_summaries`
        if chapter.number not in self.summary_shown and self.chapter_done(chapter):
            self.summary_shown.add(chapter.number)
            return AfterStep(index=nxt, chapter_summary=chapter, next_chapter=self.chapter_after(chapter))
        return AfterStep(index=nxt, run_on=to_end and self.can_run_unattended(nxt, known))

    def summary(self, chapter: Chapter, answers: Mapping[str, str]) -> str:
        """A chapter's summary (Markdown): the guide's words, then what each of its steps found or made."""
        return (
            fmt(chapter.summary, answers)
            + "\n\n### What exists now\n"
            + "\n".join(f"- ✓ {s.title} — {self.details[s.id]}" for s in chapter.steps)
        )

    def chapter_after(self, chapter: Chapter) -> int | None:
        """The number of the chapter that follows `chapter` in this session, if any."""
        later = [c.number for c in self.chapters if c.number > chapter.number]
        return later[0] if later else None

    def intro_due(self) -> Chapter | None:
        """The current chapter, the first time the learner is about to start it and it has an introduction."""
        chapter, _step = self.current
        if chapter.number in self.intro_shown or not chapter.intro:
            return None
        self.intro_shown.add(chapter.number)
        return chapter

    def final_summaries(self) -> list[Chapter]:
        """Every chapter, for the last page of summaries: those not yet summarised first, so that the learner
        who ends chapter 14 reads about chapter 14, not chapter 7. All count as shown afterwards."""
        fresh = [c for c in self.chapters if c.number not in self.summary_shown]
        self.summary_shown.update(c.number for c in self.chapters)
        return fresh + [c for c in self.chapters if c not in fresh]
