"""Everything one wizard run needs, opened in the right order and closed cleanly.

Order matters for "validation before any call": the repository is checked first (pure
local reads), then the target is reached, and only then is the checkpoint locked.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from wizard.engine.events import Event, Notice, Reporter, null_reporter
from wizard.engine.state import StateStore
from wizard.engine.step import Context
from wizard.forges.detect import ForgeRef, parse_origin
from wizard.gcp.target import Target
from wizard.workspace.repo import Workspace


def detect_forge(
    workspace: Workspace, target: Target, github_url: str | None = None, gitlab_url: str | None = None
) -> ForgeRef | None:
    """The forge behind `origin`; an environment with a forge of its own (the sandbox) says which kind it is."""
    if target.forge_url:
        github_url = github_url or (target.forge_url if target.forge_kind == "github" else None)
        gitlab_url = gitlab_url or (target.forge_url if target.forge_kind == "gitlab" else None)
    else:  # the hosts gh and glab are told about (GH_HOST, GITLAB_HOST) when no option names one
        from wizard.forges.tokens import cli_hosts

        github_url, gitlab_url = github_url or cli_hosts()[0], gitlab_url or cli_hosts()[1]
    return parse_origin(workspace.origin_url(), github_url=github_url, gitlab_url=gitlab_url)


def _logged(reporter: Reporter) -> Reporter:
    """Every event also goes to the run's log (kept in memory, written only after an unexpected error)."""
    from wizard import logs

    def report(event: Event) -> None:
        logs.log_event(event)
        reporter(event)

    return report


@contextmanager
def open_session(
    repo: Path | str,
    sandbox: Path | str | None = None,
    reporter: Reporter = null_reporter,
    lock: bool = True,
    options: dict | None = None,
) -> Iterator[Context]:
    reporter = _logged(reporter)
    workspace = Workspace.open(repo)
    if lock:  # a run that may change things: never with the wizard inside the environment chapter 7 freezes
        from wizard.workspace.apart import ensure_installed_apart

        ensure_installed_apart(workspace)
    running = None
    if sandbox is not None:
        from wizard.sandbox.server import Sandbox

        running = Sandbox.attach(sandbox)
        target = running.target()
    else:
        target = Target(kind="google")
    target.activate()  # the environment's credentials file and CA, for this process's clients
    store = StateStore(workspace.git_dir, read_only=not lock)
    try:
        if lock:
            store.lock()
        for notice in store.notices:
            reporter(Notice(notice, level="warning"))
        options = dict(options or {})
        forge = detect_forge(workspace, target, options.get("github_url"), options.get("gitlab_url"))
        answers = store.answers()
        if forge is not None:  # facts, not questions: steps and texts pick the forge's variant from them
            runs = f"{forge.web_url}/-/pipelines" if forge.kind == "gitlab" else f"{forge.web_url}/actions"
            answers.update(
                {
                    "forge.kind": forge.kind,
                    "forge.path": forge.path,
                    "forge.web_url": forge.web_url,
                    "forge.runs_url": runs,
                }
            )
        yield Context(
            answers=answers,
            workspace=workspace,
            target=target,
            store=store,
            reporter=reporter,
            forge=forge,
            options=options,
        )
    finally:
        store.unlock()
        target.close()
        if running is not None:
            running.stop()
