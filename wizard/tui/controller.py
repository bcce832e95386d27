"""The TUI's connection to the engine's session: thread glue, free of widgets so it runs in worker threads.

The app calls these methods from Textual thread workers; they block on the cloud, git and
dvc, and report through the engine's events (which the app turns into messages). What to do
(answers precedence, choices, checks, running a step) is the engine's `Session`, the same the
command line and line mode use; this adds one lock (one worker at a time talks to the session)
and stopping work when the learner quits. Nothing here touches the screen.
"""

from __future__ import annotations

import threading
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from wizard.engine.chapter import Chapter
from wizard.engine.events import Event, Progress, Reporter
from wizard.engine.step import Context, Observation, Step
from wizard.workspace import cancel

if TYPE_CHECKING:  # pragma: no cover - the session's machinery is imported when it opens, after the first paint
    from wizard.engine.questions import Conflict
    from wizard.engine.runner import StepReport
    from wizard.engine.session import Choices, Session

__all__ = ["Controller"]


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
    session: Session | None = None
    _stack: ExitStack = field(default_factory=ExitStack)
    # One worker at a time talks to the session (a step run, a refresh): the context is not shared.
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # -- lifecycle (worker thread) ---------------------------------------------------------
    def open(self) -> None:
        from wizard.engine.session import Session
        from wizard.session import open_session

        cancel.reset()
        defaults = dict(self.prepare() or {}) if self.prepare is not None else {}
        ctx = self._stack.enter_context(
            open_session(self.repo, self.sandbox, reporter=self._report, options=dict(self.options))
        )
        self.session = Session(ctx, self.chapters, defaults)
        self.session.open(self.given)

    @property
    def ctx(self) -> Context | None:
        return self.session.ctx if self.session is not None else None

    @property
    def conflicts(self) -> list[Conflict]:
        """Where the checkpoint (what the learner typed) and this run's answers file disagree: the app asks."""
        return list(self.session.conflicts) if self.session is not None else []

    def _open(self) -> Session:
        assert self.session is not None, "the session is opened first"
        return self.session

    def settle(self, conflict: Conflict, value: str) -> None:
        """The learner said which of two disagreeing answers is meant."""
        self._open().settle(conflict, value)

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
        self.session = None

    @property
    def resumed(self) -> bool:
        """True when an earlier run worked on these chapters in this repository (its checkpoint says so)."""
        return self.session is not None and self.session.resumed

    def begun(self, chapter: Chapter) -> bool:
        """True when an earlier run worked on this chapter (not merely found something already true)."""
        return self.session is not None and self.session.begun(chapter)

    def describe_target(self) -> str:
        return self.ctx.target.describe(short=True) if self.ctx else ""

    # -- reading the world -----------------------------------------------------------------
    def observe_chapters(self, chapters: Sequence[Chapter]) -> dict[int, list[StepReport]]:
        """Every chapter observed live, side by side (observations only read; each chapter's steps already run
        side by side): opening a session of three chapters takes about its slowest chapter, not their sum."""
        from concurrent.futures import ThreadPoolExecutor

        session = self._open()
        with self._lock, ThreadPoolExecutor(max_workers=max(1, len(chapters)), thread_name_prefix="chapter") as pool:
            return dict(zip([c.number for c in chapters], pool.map(session.observe, chapters), strict=True))

    def observe_step(self, chapter: Chapter, step: Step) -> StepReport:
        """One step observed again, so its pane says what is true now (not what was true at launch)."""
        with self._lock:
            return self._open().observe_step(chapter, step)

    def suggested(self) -> dict[str, str]:
        """Defaults that follow answers (the demo's bucket after the learner's project), filled in."""
        return self._open().suggestions()

    def choices(self, keys: Sequence[str]) -> dict[str, Choices]:
        """Defaults and options for the questions, with the read calls some need (billing accounts)."""
        return self._open().choices(keys)

    # -- acting ----------------------------------------------------------------------------
    def run_step(self, chapter: Chapter, step: Step, answers: Mapping[str, str]) -> Observation:
        """Validate this step's answers, run its read-only checks, then observe/apply/verify it."""
        with self._lock:
            cancel.check()
            return self._open().run_step(chapter, step, answers)
