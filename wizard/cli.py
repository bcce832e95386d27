"""The `mlops-wizard` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from wizard.engine.errors import WizardError
from wizard.engine.events import Event, Notice, Progress, StepStarted, event_line

EXIT_FAILED = 1


class _Compact:
    """Progress with a fraction (dvc push) as one compact line: redrawn in place on a terminal,
    printed at every tenth in a log, instead of one line per update of the tool's bar."""

    open_line = False
    last_tenth = -1

    def show(self, event: Progress) -> None:
        assert event.fraction is not None
        text = f"    {event.message}  {event.fraction:4.0%}"
        if sys.stdout.isatty():
            click.echo("\r" + text[:79].ljust(79), nl=False)
            self.open_line = True
            return
        tenth = int(event.fraction * 10)
        if tenth != self.last_tenth:
            self.last_tenth = tenth
            click.echo(text)

    def close(self) -> None:
        if self.open_line:
            click.echo()
        self.open_line, self.last_tenth = False, -1


_compact = _Compact()


def _print_event(event: Event) -> None:
    """Headless progress: one line per event, plain text (fine for logs and NO_COLOR)."""
    if isinstance(event, Progress) and event.fraction is not None:
        _compact.show(event)
        return
    _compact.close()
    line = event_line(event)
    if isinstance(event, StepStarted):
        click.echo("\n" + line)
    else:
        click.echo(line, err=isinstance(event, Notice) and event.level in {"warning", "error"})


def _fail(error: WizardError) -> None:
    """The explanation, exit code 1; when something unexpected lies behind it, a log file to report it with."""
    from wizard import logs

    cause = logs.unexpected_cause(error)
    click.echo(error.render(), err=True)
    if cause is not None:
        path = logs.write_report(error)
        if logs.debugging():
            click.echo(logs.traceback_text(error), err=True)
        if path is not None:
            click.echo(f"  Log: {path} ({logs.LOG_NOTE})", err=True)
    sys.exit(EXIT_FAILED)


EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report ctrl+c


def _again() -> str:
    """The command line to type to continue: the same one."""
    import shlex

    return "mlops-wizard " + shlex.join(sys.argv[1:])


def _unexpected(exc: Exception) -> WizardError:
    from wizard import logs

    error = WizardError(
        what=logs.redact(f"The wizard stopped on an unexpected error: {type(exc).__name__}: {exc}"),
        why="This is not something you did wrong: it is most likely a bug in the wizard. Nothing is lost: "
        "every step checks the real world again when you run it.",
        fix="Run the same command again; if it fails the same way, report it with the log file named below "
        "(or run with --debug to see the details here).",
    )
    error.__cause__ = exc
    return error


class _Group(click.Group):
    """Turns every failure into its explanation and exit code 1, never a bare traceback; ctrl+c into
    one line saying how to continue and exit code 130 (not click's "Aborted!").

    It also prepares the process before any command runs: loopback traffic never goes through a
    proxy, DVC's analytics and pip's version check are off (for the wizard and every tool it runs),
    and the run's activity is kept for a log should something unexpected happen.
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        import os

        from wizard import logs
        from wizard.workspace.proc import quiet_environment

        os.environ.update(quiet_environment(os.environ))
        logs.start(debug=bool(os.environ.get(DEBUG_ENV)))
        return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WizardError as error:
            _fail(error)
        except (KeyboardInterrupt, click.exceptions.Abort):
            click.echo(f"\nStopped. Nothing is lost: run `{_again()}` again to continue where you stopped.", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except (click.exceptions.Exit, click.ClickException):
            raise
        except Exception as exc:  # noqa: BLE001 - anything else is a bug, reported with a log
            _fail(_unexpected(exc))


DEBUG_ENV = "MLOPS_WIZARD_DEBUG"


def _need_terminal(what: str = "use --answers FILE --yes") -> None:
    """Questions need a terminal on both ends; without one, stop before painting or waiting for keys."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise WizardError(
            what=f"No terminal to ask in: {what}.",
            why="Standard input or output is not a terminal (a pipe, a CI job, a script), so nothing can be asked.",
            fix="Put the answers in a TOML file (see the README's answers file) and run with --answers FILE --yes, "
            "or run this in a terminal.",
        )


def _debug_option(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        from wizard import logs

        logs.start(debug=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mlops-wizard")
@click.option(
    "--debug",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=_debug_option,
    help=f"Print what happens in detail, and the traceback of an unexpected error (or set {DEBUG_ENV}=1).",
)
def main() -> None:
    """A guide to MLOps, chapters 7, 8 and 14, done with you step by step.

    Run `mlops-wizard demo` to try it on the embedded sandbox (no cloud account needed),
    or `mlops-wizard run --repo PATH --chapter 7` on your own repository.
    """


REPO = click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Your project's git repository.",
)
SANDBOX = click.option(
    "--sandbox",
    "sandbox",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Work against the embedded sandbox in this folder instead of Google Cloud.",
)
CHAPTER = click.option("--chapter", type=int, default=7, show_default=True, help="Chapter of the guide.")
CHAPTERS = click.option(
    "--chapter",
    "chapters",
    type=int,
    multiple=True,
    default=[7],
    show_default=True,
    help="Chapter(s) of the guide, in order; repeat to do several (--chapter 7 --chapter 8).",
)


def forge_options(fn: Any) -> Any:
    """Options that change how a chapter works (never secrets); they reach steps as ctx.options."""
    fn = click.option("--gitlab-url", default=None, help="Your self-managed GitLab, e.g. https://gitlab.example.org.")(
        fn
    )
    fn = click.option("--github-url", default=None, help="Your GitHub Enterprise, e.g. https://github.example.org.")(fn)
    fn = click.option(
        "--overwrite-workflow",
        is_flag=True,
        help="Replace an existing, different workflow file with the guide's (it stays in git history).",
    )(fn)
    fn = click.option(
        "--no-key-file",
        is_flag=True,
        help="Keep the service account key only in memory and in the CI secret, not in ~/.config/gcloud.",
    )(fn)
    return fn


def _options(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v}


@main.command()
@REPO
@SANDBOX
@CHAPTERS
@click.option(
    "--answers",
    "answers_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML answers file ([gcp] project_id, billing_account, bucket_name, bucket_location; "
    "[gke] cluster_name, cluster_zone).",
)
@click.option(
    "--yes",
    "-y",
    is_flag=True,
    help="Ask nothing: take answers from the file, the checkpoint "
    "and the defaults; a missing answer is an error naming it.",
)
@click.option(
    "--plain",
    is_flag=True,
    help="Line mode: plain questions and answers, no full screen (for screen readers and simple terminals).",
)
@click.option(
    "--remove-older-edition",
    is_flag=True,
    help="Remove the guide's older edition's credential when found "
    "(its key, its roles/viewer binding, the secret GCP_SERVICE_ACCOUNT_KEY); never done otherwise.",
)
@click.option(
    "--allow-changes",
    is_flag=True,
    help="Change existing things that differ from the guide's (bucket "
    "settings, the default DVC remote, a project other than the checkpoint's) without asking.",
)
@forge_options
def run(
    repo: Path,
    sandbox: Path | None,
    chapters: tuple[int, ...],
    answers_file: Path | None,
    yes: bool,
    plain: bool,
    no_key_file: bool,
    overwrite_workflow: bool,
    github_url: str | None,
    gitlab_url: str | None,
    allow_changes: bool = False,
    remove_older_edition: bool = False,
) -> None:
    """Do a chapter's steps in your repository; resumes where an earlier run stopped.

    Opens the full-screen wizard, unless --plain (line mode) or --yes (no questions).
    """
    from wizard.engine.chapter import get_chapter
    from wizard.engine.questions import load_answers_file

    if not yes:
        _need_terminal()
    specs = [get_chapter(number) for number in chapters]
    given = load_answers_file(answers_file) if answers_file else {}
    options = _options(
        no_key_file=no_key_file,
        overwrite_workflow=overwrite_workflow,
        github_url=github_url,
        gitlab_url=gitlab_url,
        allow_changes=allow_changes,
        remove_older_edition=remove_older_edition,
    )
    if yes or plain:
        from wizard import plain as line_mode

        _run_chapters(
            specs,
            repo,
            sandbox,
            given,
            ask=None if yes else line_mode.ask,
            options=options,
            interactive=not yes,
            answers_file=answers_file,
        )
        return
    from wizard.tui.app import run_tui

    farewell = run_tui(repo, sandbox, specs, given, options=options)
    if farewell:
        click.echo(farewell.replace("{again}", _again()))


def _run_chapters(
    specs: list[Any],
    repo: Path,
    sandbox: Path | None,
    given: dict[str, str],
    ask: Any,
    options: dict[str, Any] | None = None,
    interactive: bool = False,
    defaults: dict[str, str] | None = None,
    answers_file: Path | None = None,
) -> dict[str, str]:
    from wizard.engine.session import Session
    from wizard.engine.step import fmt
    from wizard.plaintext import markdown_to_plain
    from wizard.session import open_session

    def show(markdown: str) -> None:
        click.echo("\n" + markdown_to_plain(markdown).rstrip())

    with open_session(repo, sandbox, reporter=_print_event, options=options) as ctx:
        choose = None
        if interactive:
            from wizard import plain as line_mode

            ctx.confirm = line_mode.confirm
            ctx.ask_secret = line_mode.ask_secret
            choose = line_mode.choose
        click.echo(f"Repository: {ctx.workspace.root}   Cloud: {ctx.target.describe()}")
        if ctx.forge is not None:
            click.echo(f"Origin: {ctx.forge.describe()}")
        session = Session(ctx, specs, defaults)
        # An answer naming another project or bucket than the one set up is named and confirmed first;
        # once agreed to (or allowed), the new value wins over the checkpoint's.
        session.open(given, confirm_switch=True)
        session.settle_all(choose, answers_file)
        if ask is None:  # nobody to ask: what exists (DVC's remote, its bucket's project) answers for itself
            from wizard.observed import fill_answers

            merged = dict(ctx.answers)
            filled = fill_answers(ctx, with_billing=False)  # the billing account has its own default, read when needed
            ctx.answers = start = {**ctx.answers, **merged}
            if filled:
                click.echo("Read from what exists: " + ", ".join(filled))
            # Every answer first, then every chapter's checks: a wrong one changes nothing.
            session.answer_all()
            session.preflight()
            answers = dict(start)
        else:  # the steps' own checks run chapter by chapter, asking again for a refused answer
            session.preflight(steps=False)
            answers = dict(ctx.answers)
        for spec in specs:
            click.echo(f"\nChapter {spec.number} — {spec.title}")
            if interactive and spec.intro:
                show(spec.intro)
            answers = session.run_chapter(spec, answers, ask=ask, show=show if interactive else None)
            show(fmt(spec.summary, answers))
        return answers


@main.command()
@REPO
@SANDBOX
@click.option(
    "--chapter",
    "chapters",
    type=int,
    multiple=True,
    help="Chapter(s) to show; repeat for several (default: every chapter).",
)
@click.option(
    "--answers",
    "answers_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML answers file; without it, answers come from the checkpoint and from what exists "
    "(DVC's remote names the bucket, the bucket its project).",
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.option("--clean-up", "clean_up_plan", is_flag=True, help="Show what `clean-up` would remove (and what stays).")
@forge_options
def status(
    repo: Path,
    sandbox: Path | None,
    chapters: tuple[int, ...],
    answers_file: Path | None,
    as_json: bool,
    clean_up_plan: bool,
    no_key_file: bool,
    overwrite_workflow: bool,
    github_url: str | None,
    gitlab_url: str | None,
) -> None:
    """Observe each step live: done, todo or drifted. Changes nothing, writes nothing (not even the checkpoint)."""
    from wizard.engine.chapter import get_chapter, load_chapters
    from wizard.engine.questions import QUESTIONS, load_answers_file
    from wizard.engine.runner import Runner
    from wizard.observed import fill_answers
    from wizard.session import open_session

    if clean_up_plan:
        _clean_up_status(repo, sandbox, as_json, _options(github_url=github_url, gitlab_url=gitlab_url))
        return
    specs = [get_chapter(n) for n in chapters] if chapters else list(load_chapters().values())
    given = load_answers_file(answers_file) if answers_file else {}
    options = _options(no_key_file=no_key_file, github_url=github_url, gitlab_url=gitlab_url)
    with open_session(repo, sandbox, lock=False, options=options, reporter=_print_event) as ctx:
        ctx.answers.update(given)
        filled = fill_answers(ctx)
        for spec in specs:  # answers with a default (the guide's location, cluster) need no one to give them
            for key in spec.needs():
                default = QUESTIONS[key].default
                if key not in ctx.answers and default:
                    ctx.answers[key] = default
        sections: list[dict[str, Any]] = []
        # Observations only read, and each chapter's already run side by side: the chapters do too, so
        # `status` takes about its slowest chapter rather than their sum.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=max(1, len(specs))) as pool:
            observed = list(pool.map(lambda spec: Runner(spec, ctx).observe_all(), specs))
        for spec, reports in zip(specs, observed, strict=True):
            rows = [
                {
                    "id": r.step.id,
                    "title": r.step.title,
                    "status": r.label,
                    "detail": r.error.what if r.error else r.observation.detail,  # type: ignore[union-attr]
                }
                for r in reports
            ]
            sections.append({"chapter": spec.number, "title": spec.title, "steps": rows})
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "answers": ctx.answers,
                        "observed": filled,
                        "chapters": sections,
                        "steps": [row for section in sections for row in section["steps"]],
                    },
                    indent=2,
                )
            )
            return
        click.echo(f"{ctx.target.describe()}" + (f" — read from what exists: {', '.join(filled)}" if filled else ""))
        for section in sections:
            click.echo(f"\nChapter {section['chapter']} — {section['title']}")
            for row in section["steps"]:
                click.echo(f"  {row['status']:<8} {row['title']}  — {row['detail']}")


@main.command("clean-up")
@REPO
@SANDBOX
@click.option(
    "--chapter",
    "chapters",
    type=int,
    multiple=True,
    default=[14, 8, 7],
    show_default=True,
    help="Undo only these chapters (repeat the option); all three by default.",
)
@click.option(
    "--answers",
    "answers_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML answers file, when the repository's checkpoint does not have them.",
)
@click.option("--yes", "-y", is_flag=True, help="Ask nothing; needs --confirm-project.")
@click.option(
    "--confirm-project",
    default=None,
    metavar="PROJECT_ID",
    help="With --yes: the project ID, as you would type it to confirm.",
)
@click.option("--plain", is_flag=True, help="Line mode: plain questions, no full screen.")
@click.option(
    "--include-chapter-13",
    is_flag=True,
    help="Also delete chapter 13's GKE cluster and Artifact Registry repository (the guide made them).",
)
@click.option(
    "--delete-foreign", is_flag=True, help="Also remove what does not look like the wizard's work (named in the plan)."
)
@click.option("--github-url", default=None, help="Your GitHub Enterprise, e.g. https://github.example.org.")
@click.option("--gitlab-url", default=None, help="Your self-managed GitLab, e.g. https://gitlab.example.org.")
def clean_up(
    repo: Path,
    sandbox: Path | None,
    chapters: tuple[int, ...],
    answers_file: Path | None,
    yes: bool,
    confirm_project: str | None,
    plain: bool,
    include_chapter_13: bool,
    delete_foreign: bool,
    github_url: str | None,
    gitlab_url: str | None,
) -> None:
    """Undo chapters 14, 8 and 7: shows the plan, asks once, then removes in dependency order.

    Resumes where an interrupted clean-up stopped; running it again when all is gone changes nothing.
    """
    from wizard.engine.questions import load_answers_file

    if yes and not confirm_project:
        raise WizardError(
            what="Nothing was removed: --yes needs --confirm-project PROJECT_ID.",
            why="Clean-up deletes for good; with no one to ask, the project ID on the command line is the "
            "confirmation.",
            fix="Add --confirm-project with your project's ID, or run without --yes to see the plan and be asked.",
        )
    given = load_answers_file(answers_file) if answers_file else {}
    options = _options(github_url=github_url, gitlab_url=gitlab_url)
    if not (yes or plain):
        from wizard.tui.cleanup_launch import run_cleanup_tui

        run_cleanup_tui(repo, sandbox, chapters, given, options, include_chapter_13, delete_foreign)
        return
    _clean_up(
        repo,
        sandbox,
        chapters,
        given,
        options,
        include_chapter_13,
        delete_foreign,
        typed=confirm_project if yes else None,
        interactive=not yes,
    )


def _clean_up(
    repo: Path,
    sandbox: Path | None,
    chapters: tuple[int, ...],
    given: dict[str, str],
    options: dict[str, Any],
    include_chapter_13: bool,
    delete_foreign: bool,
    typed: str | None,
    interactive: bool,
) -> None:
    from chapters.cleanup import STAYS, cleanup_chapter, left_alone
    from wizard import cleanup
    from wizard.engine.step import fmt
    from wizard.session import open_session

    spec = cleanup_chapter(chapters, include_chapter_13)
    with open_session(repo, sandbox, reporter=_print_event, options=options) as ctx:
        ctx.answers = cleanup.with_defaults({**ctx.answers, **given})
        cleanup.needed_answers(spec, ctx)
        if interactive:
            from wizard import plain as line_mode

            ctx.ask_secret = line_mode.ask_secret
        cleanup.connect_forge(spec, ctx, ask=interactive)
        plan = cleanup.observe_plan(spec, ctx, left_alone(include_chapter_13))
        click.echo(cleanup.render_plan(plan, ctx.answers, STAYS, ctx.target.describe()))
        if plan.errors:
            raise plan.errors[0]
        if plan.nothing_to_do:
            click.echo("Everything the chapters created is already gone; nothing was changed.")
            return
        if interactive:
            from wizard import plain as line_mode

            typed = line_mode.ask_text(f"Type the project ID ({plan.project_id}) to remove all of the above")
            ctx.confirm = line_mode.confirm
        cleanup.check_typed_project(plan, typed)
        cleanup.agree_differences(plan, ctx, delete_foreign, ctx.confirm)
        cleanup.run_removals(spec, ctx)
        click.echo("\n" + fmt(spec.summary, ctx.answers).strip())


def _clean_up_status(repo: Path, sandbox: Path | None, as_json: bool, options: dict[str, Any]) -> None:
    from chapters.cleanup import STAYS, cleanup_chapter, left_alone
    from wizard import cleanup
    from wizard.session import open_session

    spec = cleanup_chapter()
    with open_session(repo, sandbox, lock=False, options=options) as ctx:
        ctx.answers = cleanup.with_defaults(ctx.answers)
        cleanup.needed_answers(spec, ctx)
        plan = cleanup.observe_plan(spec, ctx, left_alone(False))
        if as_json:
            click.echo(json.dumps(cleanup.plan_json(plan), indent=2))
            return
        click.echo(cleanup.render_plan(plan, ctx.answers, STAYS, ctx.target.describe()), nl=False)


@main.group()
def sandbox() -> None:
    """The embedded local cloud: a fake Google Cloud and forge on 127.0.0.1, for demos and rehearsal."""


@sandbox.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--forge",
    type=click.Choice(["github", "gitlab"]),
    default="github",
    show_default=True,
    help="Which forge the demo repository's origin is on.",
)
def sandbox_init(directory: Path, forge: str) -> None:
    """Create a sandbox world and a demo learner repository at DIRECTORY/learner-repo."""
    from wizard.sandbox.init import init_sandbox

    summary = init_sandbox(directory, forge=forge)
    click.echo(json.dumps(summary, indent=2, default=str))


@sandbox.command("serve")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def sandbox_serve(directory: Path) -> None:
    """Serve the sandbox in DIRECTORY until interrupted (wizards given --sandbox use it)."""
    import signal
    import threading

    from wizard.sandbox.server import Sandbox

    with Sandbox.start(directory) as running:
        e = running.endpoints
        click.echo(
            f"Sandbox {running.root} is serving: gRPC {e.grpc_addr}, storage {e.storage_url}, "
            f"forge {e.forge_url}. Press Ctrl+C to stop."
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass


@sandbox.command("inspect")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the whole world as JSON.")
def sandbox_inspect(directory: Path, as_json: bool) -> None:
    """Show the sandbox's fake world: projects, buckets, request counters. Never a secret."""
    from wizard.sandbox.server import inspect

    world = inspect(directory)
    if as_json:
        click.echo(json.dumps(world, indent=2, sort_keys=True))
        return
    for pid, project in world["projects"].items():
        if project["owner"] == world["learner"]:
            services = ", ".join(project["services"])
            click.echo(f"project {pid}: billing {project['billing_account']}, services {services}")
    for name, bucket in world["buckets"].items():
        if bucket["owner"] == world["learner"]:
            click.echo(f"bucket {name}: {bucket['location']}, {len(bucket['objects'])} objects")
    click.echo(f"calls: {world['calls']['reads']} reads, {world['calls']['writes']} writes")


@main.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Sandbox folder (default: in your user data directory). Running demo again resumes.",
)
@click.option("--headless", is_flag=True, help="Run chapter 7 without the full screen and print what happens.")
def demo(directory: Path | None, headless: bool) -> None:
    """Try the chapters on the embedded sandbox: no cloud account, nothing leaves this machine."""
    from wizard.demo import default_dir, prepare_demo
    from wizard.engine.chapter import get_chapter

    directory = Path(directory or default_dir()).expanduser().resolve()
    if headless:
        directory, answers = prepare_demo(directory)  # generated answers: defaults, never over the learner's own
        _run_chapters([get_chapter(7)], directory / "learner-repo", directory, {}, ask=None, defaults=answers)
        click.echo(
            f"\nThe demo's world is in {directory}. Look at it with "
            f"`mlops-wizard sandbox inspect {directory}`; run `demo` again to resume or re-check."
        )
        return
    _need_terminal("use `mlops-wizard demo --headless`")
    from wizard.engine.chapter import load_chapters
    from wizard.tui.app import run_tui

    farewell = run_tui(
        directory / "learner-repo",
        directory,
        list(load_chapters().values()),
        prepare=lambda: prepare_demo(directory)[1],
    )
    if farewell:
        click.echo(farewell.replace("{again}", _again()))
    # Two lines: with the folder's path in it, one line breaks mid-word in an 80-column terminal.
    click.echo(f"The demo's world is in {directory}.\nRun `mlops-wizard demo` again to continue or look around.")


@main.command()
@REPO
@CHAPTER
@click.option(
    "--answers",
    "answers_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML answers file; answers already given to the wizard are used too.",
)
@click.option(
    "--clean-up",
    "clean_up_script",
    is_flag=True,
    help="The clean-up's commands instead (chapters 14, 8 and 7 undone, in dependency order).",
)
def script(repo: Path, chapter: int, answers_file: Path | None, clean_up_script: bool) -> None:
    """Print the chapter as a shell script (gcloud, dvc, git) for your answers — to read, learn or run by hand."""
    from wizard.engine.chapter import get_chapter
    from wizard.engine.questions import load_answers_file
    from wizard.engine.state import StateStore
    from wizard.script import render_script
    from wizard.workspace.repo import Workspace

    if clean_up_script:
        from chapters.cleanup import cleanup_script

        workspace = Workspace.open(repo, need_dvc=False, need_origin=False)
        answers = {
            **StateStore(workspace.git_dir).answers(),
            **(load_answers_file(answers_file) if answers_file else {}),
        }
        click.echo(cleanup_script(answers), nl=False)
        return
    spec = get_chapter(chapter)
    workspace = Workspace.open(repo, need_dvc=False, need_origin=False)
    given = load_answers_file(answers_file) if answers_file else {}
    answers = {**StateStore(workspace.git_dir, read_only=True).answers(), **given}
    click.echo(render_script(spec, answers), nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()
