"""The clean-up in full screen: observe, show the plan, take the typed confirmation, remove with a live log.

A small app of its own rather than a mode of the chapters' wizard: clean-up has no answers to
ask and no step to choose, only one plan to read and one decision.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Header, RichLog

from wizard.engine.events import Event, event_line


class CleanupApp(App[int]):
    TITLE = "mlops-wizard — clean up"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+q", "quit", "Quit", priority=True)]

    def __init__(
        self,
        repo: Path,
        sandbox: Path | None,
        chapters: tuple[int, ...],
        given: dict[str, str],
        options: dict[str, Any],
        include_chapter_13: bool = False,
        delete_foreign: bool = False,
    ) -> None:
        super().__init__()
        self.repo, self.sandbox, self.chapters, self.given = repo, sandbox, chapters, given
        self.options, self.include_chapter_13, self.delete_foreign = options, include_chapter_13, delete_foreign
        self.stack = contextlib.ExitStack()
        self.plan: Any = None
        self.ctx: Any = None
        self.spec: Any = None
        self.finished = False
        self.exit_code = 1

    def compose(self) -> ComposeResult:
        yield Header()
        yield RichLog(id="cleanup-log", wrap=True, markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.log_line("Looking at what exists (nothing is changed yet)…")
        self.observe()

    def log_line(self, text: str) -> None:
        self.query_one("#cleanup-log", RichLog).write(text)

    def _report(self, event: Event) -> None:
        self.call_from_thread(self.log_line, event_line(event, already="already gone"))

    @work(thread=True, exit_on_error=False, group="cleanup")
    def observe(self) -> None:
        from chapters.cleanup import STAYS, cleanup_chapter, left_alone
        from wizard import cleanup
        from wizard.engine.errors import WizardError, translate
        from wizard.session import open_session

        try:
            self.spec = cleanup_chapter(self.chapters, self.include_chapter_13)
            self.ctx = self.stack.enter_context(
                open_session(self.repo, self.sandbox, reporter=self._report, options=self.options)
            )
            self.ctx.answers = cleanup.with_defaults({**self.ctx.answers, **self.given})
            cleanup.needed_answers(self.spec, self.ctx)
            self.plan = cleanup.observe_plan(self.spec, self.ctx, left_alone(self.include_chapter_13))
            text = cleanup.render_plan(self.plan, self.ctx.answers, STAYS, self.ctx.target.describe())
        except Exception as exc:  # noqa: BLE001 - explained in the log
            error = exc if isinstance(exc, WizardError) else translate(exc, "observing what to clean up")
            self.call_from_thread(self.log_line, error.render())
            return
        self.call_from_thread(self.log_line, text)
        if self.plan.errors:
            self.call_from_thread(self.log_line, self.plan.errors[0].render())
            return
        if self.plan.nothing_to_do:
            self.exit_code = 0
            self.call_from_thread(
                self.log_line,
                "Everything the chapters created is already gone; nothing was changed. Press ctrl+q to quit.",
            )
            return
        self.call_from_thread(self._ask, text)

    def _ask(self, text: str) -> None:
        from wizard.tui.screens.cleanup import CleanupPlanScreen

        differences = [] if self.delete_foreign else [t for _s, t in self.plan.differences]
        self.push_screen(CleanupPlanScreen(text, self.plan.project_id, differences, self.spec.title), self._confirmed)

    def _confirmed(self, yes: bool | None) -> None:
        if not yes:
            self.log_line("Nothing was removed. Press ctrl+q to quit.")
            return
        self.remove()

    @work(thread=True, exit_on_error=False, group="cleanup")
    def remove(self) -> None:
        from wizard import cleanup
        from wizard.engine.errors import WizardError, translate
        from wizard.engine.step import fmt

        try:
            cleanup.check_typed_project(self.plan, self.plan.project_id)  # typed and matched on the screen
            cleanup.agree_differences(self.plan, self.ctx, True, None)  # each one ticked by name on the screen
            cleanup.run_removals(self.spec, self.ctx)
        except Exception as exc:  # noqa: BLE001
            error = exc if isinstance(exc, WizardError) else translate(exc, "cleaning up")
            self.call_from_thread(self.log_line, error.render())
            return
        self.exit_code = 0
        self.finished = True
        self.call_from_thread(
            self.log_line, fmt(self.spec.summary, self.ctx.answers).strip() + "\n\nPress ctrl+q to quit."
        )

    def on_unmount(self) -> None:
        self.stack.close()


def run_cleanup_tui(
    repo: Path,
    sandbox: Path | None,
    chapters: tuple[int, ...],
    given: dict[str, str],
    options: dict[str, Any],
    include_chapter_13: bool,
    delete_foreign: bool,
) -> None:
    import sys

    app = CleanupApp(repo, sandbox, chapters, given, options, include_chapter_13, delete_foreign)
    app.run()
    sys.exit(app.exit_code)
