"""Reusable steps in the learner's repository: requirements, DVC remote, dvc push, commit and push."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from wizard.engine.errors import WizardError
from wizard.engine.step import Context, Observation, Status, Step, fmt
from wizard.fsutil import atomic_write
from wizard.gcp import buckets
from wizard.steps.written import FileStep
from wizard.workspace import dvc_remote, proc
from wizard.workspace import requirements as req
from wizard.workspace.installed import all_installed
from wizard.workspace.progress import DVC_ENV, DvcProgress, PipProgress

FREEZE_FILE = "requirements-freeze.txt"
# In `Context.memory`: when this process last pushed a commit (time.monotonic()), for the run watch's pauses.
PUSHED_AT = "pushed-at"
REQUIREMENTS_FILE = "requirements.txt"


@dataclass
class AddRequirementExtra(FileStep):
    """`dvc==X` → `dvc[gs]==X` in requirements.txt, then pip install and freeze, like the guide."""

    id: str
    title: str
    package: str = "dvc"
    extra: str = "gs"
    frozen_marker: str = "dvc-gs"  # the distribution the extra pulls in, seen in the freeze
    text: str = ""
    needs: Sequence[str] = ()

    def command(self, answers: Mapping[str, str]) -> str:
        return (
            f"# in requirements.txt: {self.package}==X becomes {self.package}[{self.extra}]==X\n"
            "pip install --requirement requirements.txt\n"
            "pip freeze --local --all > requirements-freeze.txt"
        )

    def intent(self, answers: Mapping[str, str]) -> str:
        return f"add {self.package}[{self.extra}] to requirements.txt, install, freeze"

    def paths(self, answers: Mapping[str, str]) -> list[str]:
        return [REQUIREMENTS_FILE, FREEZE_FILE]

    def accepts(self, answers: Mapping[str, str], text: str | None, path: str = "") -> bool:
        """The committed requirements ask for the extra; the committed freeze lists what it pulls in."""
        if text is None:
            return False
        if path == FREEZE_FILE:
            return self.frozen_marker in req.pinned(text)
        return req.has_extra(text, self.package, self.extra)

    def own_change(self, answers: Mapping[str, str], path: str, head: str | None, work: str | None) -> bool:
        """Whether an uncommitted change of `path` is this step's (the extra added; the freeze it regenerates)."""
        if path == FREEZE_FILE:
            return True
        if work == head or work == req.add_extra(head or "", self.package, self.extra)[0]:
            return True
        # Done by hand: only the package's own line changed, and it asks for the extra (e.g. dvc[gs,s3]).
        return (
            work is not None
            and req.has_extra(work, self.package, self.extra)
            and req.without(head or "", self.package) == req.without(work, self.package)
        )

    def _frozen(self, ctx: Context) -> bool:
        return self.frozen_marker in req.pinned(ctx.workspace.read(FREEZE_FILE))

    def observe(self, ctx: Context) -> Observation:
        text = ctx.workspace.read(REQUIREMENTS_FILE)
        if not req.has_extra(text, self.package, self.extra):
            return Observation(Status.TODO, f"requirements.txt does not ask for {self.package}[{self.extra}] yet")
        if not self._frozen(ctx):
            return Observation(Status.TODO, f"{FREEZE_FILE} does not list {self.frozen_marker} yet")
        return Observation(Status.DONE, f"{self.package}[{self.extra}] is required, installed and frozen")

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        ws = ctx.workspace
        python = ws.python()  # fail early, with the fix, if there is no environment
        path = ws.root / REQUIREMENTS_FILE
        text = ws.read(REQUIREMENTS_FILE)
        new_text, changed = req.add_extra(text, self.package, self.extra)
        if changed:
            mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
            atomic_write(path, new_text, mode=mode)
            ctx.progress(f"requirements.txt now asks for {self.package}[{self.extra}]")
        ctx.crash_point("after-requirements")
        if all_installed(python, new_text):
            ctx.progress(
                f"every requirement is already installed in {python.parent.parent.name}: pip install has nothing to do"
            )
        else:
            ctx.progress(f"pip install --requirement requirements.txt (in {python.parent.parent.name})")
            bar = PipProgress(total=req.count(new_text))
            ws.pip(
                "install",
                "--disable-pip-version-check",
                "--requirement",
                REQUIREMENTS_FILE,
                on_line=lambda line: _pip_progress(ctx, bar, line),
                env=ctx.target.tool_env(),
            )
        ctx.crash_point("after-install")
        freeze = self._freeze(ctx, new_text)
        atomic_write(ws.root / FREEZE_FILE, freeze, mode=0o644)
        return {"frozen_lines": len(freeze.splitlines())}

    def _freeze(self, ctx: Context, requirements_text: str) -> str:
        """`pip freeze --local --all`, as the guide says — unless the environment borrows packages.

        A virtual environment made with --system-site-packages (or a .pth file) sees
        packages that `--local` leaves out; a freeze without them would not reproduce in
        CI. Then the wizard freezes without `--local` and says why.
        """
        ws = ctx.workspace
        env = ctx.target.tool_env()
        freeze = ws.pip("freeze", "--local", "--all", "--disable-pip-version-check", env=env)
        wanted = set(req.pinned(requirements_text))
        if not wanted <= set(req.pinned(freeze)):
            ctx.progress(
                "Some requirements live outside the virtual environment (shared site-packages); "
                "freezing everything the environment sees so CI can reproduce it"
            )
            freeze = ws.pip("freeze", "--all", "--disable-pip-version-check", "--exclude", "mlops-wizard", env=env)
        return freeze if freeze.endswith("\n") else freeze + "\n"


@dataclass
class DvcRemote(FileStep):
    """`dvc remote add -d NAME URL`, idempotent: a remote that already points at the bucket is adopted, whatever
    its name; changing another remote or the default is shown and confirmed first."""

    id: str
    title: str
    name: str = "data"
    url: str = "gs://{gcp.bucket_name}/dvcstore"
    text: str = ""
    needs: Sequence[str] = ("gcp.bucket_name",)

    def command(self, answers: Mapping[str, str]) -> str:
        return f"dvc remote add -d {self.name} {fmt(self.url, answers)}"

    def intent(self, answers: Mapping[str, str]) -> str:
        return f"point DVC remote '{self.name}' at {fmt(self.url, answers)}"

    def paths(self, answers: Mapping[str, str]) -> list[str]:
        return [".dvc/config"]

    def accepts(self, answers: Mapping[str, str], text: str | None, path: str = "") -> bool:
        """The committed `.dvc/config` makes a remote into the bucket the default."""
        return text is not None and dvc_remote.default_on_bucket(text, answers["gcp.bucket_name"])

    def own_change(self, answers: Mapping[str, str], path: str, head: str | None, work: str | None) -> bool:
        """Whether an uncommitted change of `.dvc/config` only adds or points a remote and makes it the default."""

        def rest(text: str | None) -> dict[str, dict[str, str]]:
            config = dvc_remote.parse(text or "")
            config = {k: dict(v) for k, v in config.items() if not k.startswith('remote "')}
            config.get("core", {}).pop("remote", None)
            return {k: v for k, v in config.items() if v}

        return rest(head) == rest(work)

    def observe(self, ctx: Context) -> Observation:
        wanted = fmt(self.url, ctx.answers)
        config = ctx.workspace.dvc_config()
        found = dvc_remote.on_bucket(config, ctx.answer("gcp.bucket_name"), self.name)
        if found is None:
            url = dvc_remote.remotes(config).get(self.name)
            if url is not None:
                return Observation(Status.DRIFTED, f"remote '{self.name}' points at {url}, not {wanted}")
            return Observation(Status.TODO, f"DVC has no remote '{self.name}' yet")
        name, url = found
        if dvc_remote.default(config) != name:
            return Observation(Status.TODO, f"remote '{name}' points at the bucket but is not the default remote")
        adopted = "" if name == self.name else f" through your remote '{name}'"
        return Observation(Status.DONE, f"DVC pushes to {url}{adopted}", {"url": url, "remote": name})

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        from wizard.steps.changes import confirm_change

        wanted = fmt(self.url, ctx.answers)
        ws = ctx.workspace
        config = ws.dvc_config()
        current_default = dvc_remote.default(config)
        found = dvc_remote.on_bucket(config, ctx.answer("gcp.bucket_name"), self.name)
        name = found[0] if found else self.name
        if current_default not in (None, name):
            others = dvc_remote.remotes(config)
            confirm_change(
                ctx,
                f"Make '{name}' DVC's default remote instead of '{current_default}'?",
                f"'{current_default}' ({others.get(current_default, '?')}) is the default remote now; "
                f"'{name}' ({found[1] if found else wanted}) points at the bucket.",
                f"dvc remote default {name}",
            )
        if found is None:
            url = dvc_remote.remotes(config).get(self.name)
            if url is None:
                ctx.crash_point("before-call")
                # The guide's own command, `dvc remote add -d`, written as DVC writes it (without its start-up).
                _write_dvc_config(ws, dvc_remote.with_default_remote(ws.read(DVC_CONFIG), self.name, wanted))
                ctx.crash_point("after-call")
                return {"url": wanted, "remote": name}
            else:
                confirm_change(
                    ctx,
                    f"Point DVC's remote '{self.name}' at {wanted}?",
                    f"'{self.name}' points at {url} now.",
                    f"dvc remote modify {self.name} url {wanted}",
                )
                ws.dvc("remote", "modify", self.name, "url", wanted)
        if current_default != name:  # `dvc remote default NAME`, written as DVC writes it
            _write_dvc_config(ws, dvc_remote.with_default_remote(ws.read(DVC_CONFIG), name))
        return {"url": found[1] if found else wanted, "remote": name}


DVC_CONFIG = ".dvc/config"


def _write_dvc_config(ws: Any, text: str) -> None:
    path = ws.root / DVC_CONFIG
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    atomic_write(path, text, mode=mode)


def bucket_remote(ctx: Context, preferred: str) -> tuple[str, str] | None:
    """(name, URL) of the DVC remote that points at the bucket (the one chapter 7 set up or adopted)."""
    return dvc_remote.on_bucket(ctx.workspace.dvc_config(), ctx.answer("gcp.bucket_name"), preferred)


@dataclass
class DvcPush(Step):
    """`dvc push` to the remote; done when the remote holds every file of the cache (a bucket listing, or
    `dvc status --cloud` where a listing cannot say)."""

    id: str
    title: str
    remote: str = "data"
    text: str = ""
    needs: Sequence[str] = ("gcp.bucket_name",)

    def command(self, answers: Mapping[str, str]) -> str:
        return "dvc push"

    def intent(self, answers: Mapping[str, str]) -> str:
        return f"push the DVC cache to remote '{self.remote}'"

    def observe(self, ctx: Context) -> Observation:
        found = bucket_remote(ctx, self.remote)
        if found is None:
            return Observation(Status.TODO, f"DVC has no remote '{self.remote}' yet")
        listed = self._observe_by_listing(ctx, found[1])
        if listed is not None:
            return listed
        try:
            status = ctx.workspace.dvc_cloud_status(found[0], ctx.target.tool_env())
        except subprocess.CalledProcessError as exc:
            reason = (exc.stderr or exc.output or "").strip().splitlines()
            return Observation(Status.TODO, "the remote cannot be read yet" + (f": {reason[-1]}" if reason else ""))
        # `dvc status --cloud`: "new" is here and not in the remote, "missing" is nowhere; "deleted" is in the
        # remote and not in this clone's cache (a fresh clone, an emptied cache): that is pushed.
        # https://dvc.org/doc/command-reference/status#remote-status
        states = [v for value in status.values() for v in (value.values() if isinstance(value, dict) else [value])]
        missing = sum(1 for v in states if v != "deleted")
        if missing:
            return Observation(Status.TODO, f"{missing} item(s) not in the bucket yet")
        files = len(ctx.workspace.dvc_cache_files())
        if states:
            return Observation(
                Status.DONE,
                f"the bucket holds the data ({len(states)} item(s) are there and not in "
                "this clone's cache: `dvc pull` fetches them)",
                {"files": files},
            )
        return Observation(Status.DONE, f"the bucket holds all {files} cached files", {"files": files})

    def _observe_by_listing(self, ctx: Context, url: str) -> Observation | None:
        """The fact `dvc status --cloud` checks, from one bucket listing (0.02 s instead of seconds
        of DVC start-up and queries): every file of the local cache is in the remote.

        Only for a gs:// remote and a cache with files; otherwise (a fresh clone before `dvc pull`,
        a bucket that cannot be listed) None, and DVC's own view decides."""
        local = ctx.workspace.dvc_cache_files()
        project = ctx.answers.get("gcp.project_id")
        if not url.startswith("gs://") or not local or not project:
            return None
        bucket, _, prefix = url[len("gs://") :].partition("/")
        base = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        try:
            remote = buckets.object_names(ctx.target, project, bucket, f"{base}files/md5/")
        except Exception:  # noqa: BLE001 - DVC's view will say why
            return None
        missing = sum(1 for name in local if f"{base}{name}" not in remote)
        if missing:
            return Observation(Status.TODO, f"{missing} item(s) not in the bucket yet")
        return Observation(Status.DONE, f"the bucket holds all {len(local)} cached files", {"files": len(local)})

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        found = bucket_remote(ctx, self.remote)
        total = max(len(ctx.workspace.dvc_cache_files()), 1)
        ctx.progress(f"dvc push: uploading up to {total} files")

        bars = DvcProgress(total_files=total)

        def on_line(line: str) -> None:
            ctx.crash_point("during-push")
            update = bars.feed(line)
            if update is not None:
                ctx.progress(update.message, update.fraction)  # files and bytes, from DVC's own bars
            elif "|" not in line and line.strip() not in {"!", "Pushing"}:  # bars and their redraws: shown above
                ctx.progress(line.strip()[:200])

        remote = found[0] if found else self.remote
        env = {**ctx.target.tool_env(), **DVC_ENV}
        ctx.workspace.dvc("push", "--remote", remote, env=env, on_line=on_line)
        return {"files": total}


@dataclass
class CommitAndPush(Step):
    """Commit exactly the files the guide expects with the guide's message, then push.

    Done when origin's branch holds those files with the content the chapter wants,
    whatever the commit's message: a learner who committed by hand is done too. An
    interrupted run that committed but did not push only pushes.
    """

    id: str
    title: str
    message: str = ""
    paths: Sequence[str] = field(default_factory=list)
    text: str = ""
    needs: Sequence[str] = ()

    def command(self, answers: Mapping[str, str]) -> str:
        return "git add " + " ".join(self.paths) + f'\ngit commit -m "{self.message}"\ngit push'

    def intent(self, answers: Mapping[str, str]) -> str:
        return f'commit "{self.message}" and push'

    def wanted_paths(self, ctx: Context) -> list[str]:
        return list(self.paths)

    def accepts(self, ctx: Context, path: str, committed: str | None) -> bool:
        """Whether `committed` (a file's content in a commit, None if absent) is what the chapter wants.

        By default: what the earlier steps left in the working tree (they were observed done).
        """
        full = ctx.workspace.root / path
        here = full.read_text("utf-8") if full.exists() else None
        return committed == here

    def _not_on(self, ctx: Context, sha: str) -> list[str]:
        """The paths whose content in commit `sha` is not what the chapter wants."""
        return [p for p in self.wanted_paths(ctx) if not self.accepts(ctx, p, ctx.workspace.show(sha, p))]

    def _pushed(self, ctx: Context) -> tuple[str, str | None]:
        """(branch, origin's commit for it if this clone has it)."""
        ws = ctx.workspace
        branch = ws.branch()
        remote = ws.remote_head(branch)
        return branch, (remote if remote is not None and ws.has_commit(remote) else None)

    def observe(self, ctx: Context) -> Observation:
        ws = ctx.workspace
        branch, remote = self._pushed(ctx)
        if remote is not None and not self._not_on(ctx, remote):
            last = ws.git("log", "-1", "--format=%h “%s”", remote, "--", *self.wanted_paths(ctx), check=False)
            return Observation(
                Status.DONE,
                f"origin/{branch} holds "
                + ", ".join(self.wanted_paths(ctx))
                + (f" as the chapter wants (last changed by {last})" if last else ""),
                {"commit": remote},
            )
        dirty = ws.changed(self.wanted_paths(ctx))
        if dirty:
            return Observation(Status.TODO, "to commit: " + ", ".join(dirty))
        if remote is None or not ws.is_ancestor(ws.head(), remote):
            return Observation(Status.TODO, "committed, not pushed yet")
        return Observation(
            Status.TODO, f"origin/{branch} has other versions of: " + ", ".join(self._not_on(ctx, remote))
        )

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        ws = ctx.workspace
        branch, remote = self._pushed(ctx)
        paths = self.wanted_paths(ctx)
        dirty = ws.changed(paths)
        if dirty:
            present = [p for p in paths if (ws.root / p).exists() or p in dirty]
            ws.git("add", "--", *present)
            ctx.progress("git add " + " ".join(present))
            ws.git("commit", "--quiet", "-m", self.message, "--", *present)
            ctx.progress(f'git commit -m "{self.message}"')
        elif remote is not None and ws.is_ancestor(ws.head(), remote):
            raise WizardError(
                what=f"origin/{branch} has other versions of " + ", ".join(self._not_on(ctx, remote)) + ".",
                why="Your working copy holds what this chapter wants and has nothing to commit, but the branch "
                "on origin has changed these files since.",
                fix=f"Run `git pull origin {branch}` to see what changed there, then run the wizard again.",
            )
        ctx.crash_point("after-commit")
        ctx.progress(f"git push origin {branch}")
        head = ws.head()
        try:
            result = proc.run(
                ["git", "push", "origin", f"{branch}:{branch}"], cwd=ws.root, check=False, env=ctx.target.tool_env()
            )
        except BaseException:
            ws.pushed()
            raise
        if result.returncode != 0:
            ws.pushed()
            raise push_failed(branch, result.stderr)
        ws.pushed(branch, head)  # git's answer is origin's new state: verifying it needs no second look
        ctx.memory[PUSHED_AT] = time.monotonic()
        return {"commit": head}


@dataclass
class CommitChapterFiles(CommitAndPush):
    """Commit and push the files other steps wrote; each of those steps says which content it accepts.

    Chapter 8's pipeline on origin still counts once chapter 14 added its job to the same
    file, and chapter 14's uncommitted edit never goes into chapter 8's commit.
    """

    file_steps: Sequence[FileStep] = field(default_factory=list)

    def _owners(self, answers: Mapping[str, str]) -> dict[str, FileStep]:
        return {path: step for step in self.file_steps for path in step.paths(answers)}

    def wanted_paths(self, ctx: Context) -> list[str]:
        return list(self._owners(ctx.answers))

    def command(self, answers: Mapping[str, str]) -> str:
        paths = " ".join(self._owners(answers))
        return f'git add {paths}\ngit commit -m "{self.message}"\ngit push'

    def preflight(self, ctx: Context) -> None:
        """Uncommitted changes of the learner's in the files this chapter commits stop the run before any write:
        they would go into the chapter's commit and be pushed."""
        if any(key not in ctx.answers for key in self.needs):
            return
        ws = ctx.workspace
        owners = self._owners(ctx.answers)
        foreign = []
        for path in ws.changed(list(owners)):
            work = ws.read(path) if (ws.root / path).exists() else None
            if path in owners and not owners[path].own_change(ctx.answers, path, ws.show("HEAD", path), work):
                foreign.append(path)
        if foreign and not self.observe(ctx).done:  # once origin holds the chapter's files, later edits are yours
            names = ", ".join(foreign)
            raise WizardError(
                what=f"You have uncommitted changes in {names}, which this chapter commits; nothing was changed.",
                why=f"The wizard commits {names} with the chapter's message and pushes it: your own changes would "
                "go into that commit.",
                fix=f'Commit them first (`git commit {" ".join(foreign)} -m "..."`) or put them aside '
                "(`git stash`), then run the wizard again.",
            )

    def accepts(self, ctx: Context, path: str, committed: str | None) -> bool:
        return bool(self._owners(ctx.answers)[path].accepts(ctx.answers, committed, path))


def push_failed(branch: str, stderr: str) -> WizardError:
    from wizard.forges.push import explain_push_refusal

    refused = explain_push_refusal(stderr, branch)  # refused by a rule of the forge: not retryable
    if refused is not None:
        return refused
    text = stderr.strip()
    if "rejected" in text and ("fetch first" in text or "non-fast-forward" in text):
        return WizardError(
            what=f"git push was rejected: origin/{branch} has commits you do not have.",
            why="Someone (or you, from another machine) pushed to the branch since you last pulled.",
            fix=f"Run `git pull --rebase origin {branch}` (resolve any conflict), then run the wizard again; "
            "your commit is kept.",
            retryable=True,
        )
    if "Authentication failed" in text or "could not read Username" in text or "403" in text:
        return WizardError(
            what="git push was refused: the forge did not accept your credentials.",
            why=text.splitlines()[-1] if text else "",
            fix="Check you can push by hand (`git push`); set up a credential helper or a token with write access.",
        )
    return WizardError(
        what="git push failed.",
        why="\n".join(text.splitlines()[-4:]),
        fix="Check the network and the remote (`git remote -v`), then retry; your commit is kept.",
        retryable=True,
    )


@dataclass
class CheckBucketHoldsCache(Step):
    """Read-only check, the guide's last step: the bucket holds every file of the DVC cache."""

    id: str
    title: str
    prefix: str = "dvcstore"
    text: str = ""
    mutating: bool = False
    needs: Sequence[str] = ("gcp.project_id", "gcp.bucket_name")

    def command(self, answers: Mapping[str, str]) -> str:
        return fmt(f"gcloud storage ls --recursive gs://{{gcp.bucket_name}}/{self.prefix}/files/md5", answers)

    def observe(self, ctx: Context) -> Observation:
        local = ctx.workspace.dvc_cache_files()
        found = bucket_remote(ctx, "data")
        split = dvc_remote.split_url(found[1]) if found else None
        prefix = split[1] if split else self.prefix  # the path of the remote in the bucket, e.g. dvcstore
        where = f"{prefix}/" if prefix else ""
        try:
            remote = buckets.object_names(
                ctx.target, ctx.answer("gcp.project_id"), ctx.answer("gcp.bucket_name"), f"{where}files/md5/"
            )
        except Exception as exc:  # noqa: BLE001 - a bucket that cannot be listed yet is simply "todo"
            return Observation(Status.TODO, f"the bucket cannot be listed yet ({type(exc).__name__})")
        missing = [f for f in local if f"{where}{f}" not in remote]
        if missing:
            return Observation(Status.TODO, f"{len(missing)} of {len(local)} cached files are not in the bucket")
        return Observation(Status.DONE, f"all {len(local)} cached files are in the bucket", {"objects": len(local)})

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        observation = self.observe(ctx)
        if not observation.done:
            raise WizardError(
                what="The bucket does not hold all of the DVC cache.",
                why=observation.detail,
                fix="Run `dvc push` (or the wizard's push step) again.",
                retryable=True,
            )
        return dict(observation.outputs)


def _pip_progress(ctx: Context, bar: PipProgress, line: str) -> None:
    """pip's package lines as a bar (requirements n of m, then installing); its own bars and notices stay out."""
    update = bar.feed(line)
    if update is not None:
        ctx.progress(update.message, update.fraction)
