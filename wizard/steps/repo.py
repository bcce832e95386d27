"""Reusable steps in the learner's repository: requirements, DVC remote, dvc push, commit and push."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from wizard.engine.errors import WizardError
from wizard.engine.step import Context, Observation, Status, Step, fmt
from wizard.fsutil import atomic_write
from wizard.gcp import buckets
from wizard.workspace import proc
from wizard.workspace import requirements as req
from wizard.workspace.installed import all_installed

FREEZE_FILE = "requirements-freeze.txt"
REQUIREMENTS_FILE = "requirements.txt"


@dataclass
class AddRequirementExtra(Step):
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
            ctx.progress(f"every requirement is already installed in {python.parent.parent.name}: "
                         "pip install has nothing to do")
        else:
            ctx.progress(f"pip install --requirement requirements.txt (in {python.parent.parent.name})")
            ws.pip("install", "--disable-pip-version-check", "--requirement", REQUIREMENTS_FILE,
                   on_line=lambda line: ctx.progress(line.strip()[:200]), env=ctx.target.tool_env())
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
            ctx.progress("Some requirements live outside the virtual environment (shared site-packages); "
                         "freezing everything the environment sees so CI can reproduce it")
            freeze = ws.pip("freeze", "--all", "--disable-pip-version-check", "--exclude", "mlops-wizard", env=env)
        return freeze if freeze.endswith("\n") else freeze + "\n"


@dataclass
class DvcRemote(Step):
    """`dvc remote add -d NAME URL`, idempotent: a remote with another URL is updated, not duplicated."""

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

    def _state(self, ctx: Context) -> tuple[str | None, str | None]:
        config = ctx.workspace.dvc_config()
        url = config.get(f'remote "{self.name}"', {}).get("url")
        default = config.get("core", {}).get("remote")
        return url, default

    def observe(self, ctx: Context) -> Observation:
        wanted = fmt(self.url, ctx.answers)
        url, default = self._state(ctx)
        if url is None:
            return Observation(Status.TODO, f"DVC has no remote '{self.name}' yet")
        if url != wanted:
            return Observation(Status.DRIFTED, f"remote '{self.name}' points at {url}, not {wanted}")
        if default != self.name:
            return Observation(Status.TODO, f"remote '{self.name}' is not the default remote")
        return Observation(Status.DONE, f"DVC pushes to {wanted}", {"url": wanted})

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        wanted = fmt(self.url, ctx.answers)
        url, _default = self._state(ctx)
        ws = ctx.workspace
        if url is None:
            ctx.crash_point("before-call")
            ws.dvc("remote", "add", "--default", self.name, wanted)
            ctx.crash_point("after-call")
        else:
            if url != wanted:
                ctx.progress(f"remote '{self.name}' pointed at {url}; updating it to {wanted}")
                ws.dvc("remote", "modify", self.name, "url", wanted)
            ws.dvc("remote", "default", self.name)
        return {"url": wanted}


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
        config = ctx.workspace.dvc_config()
        if f'remote "{self.remote}"' not in config:
            return Observation(Status.TODO, f"DVC has no remote '{self.remote}' yet")
        listed = self._observe_by_listing(ctx, str(config[f'remote "{self.remote}"'].get("url") or ""))
        if listed is not None:
            return listed
        try:
            status = ctx.workspace.dvc_cloud_status(self.remote, ctx.target.tool_env())
        except subprocess.CalledProcessError as exc:
            reason = (exc.stderr or exc.output or "").strip().splitlines()
            return Observation(Status.TODO, "the remote cannot be read yet" + (f": {reason[-1]}" if reason else ""))
        if status:
            missing = sum(1 for v in status.values() if v in ("new", "missing") or isinstance(v, dict)) or len(status)
            return Observation(Status.TODO, f"{missing} item(s) not in the bucket yet")
        files = len(ctx.workspace.dvc_cache_files())
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
        bucket, _, prefix = url[len("gs://"):].partition("/")
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
        total = max(len(ctx.workspace.dvc_cache_files()), 1)
        ctx.progress(f"dvc push: uploading up to {total} files")

        def on_line(line: str) -> None:
            ctx.crash_point("during-push")
            ctx.progress(line.strip()[:200])

        ctx.workspace.dvc("push", "--remote", self.remote, env=ctx.target.tool_env(), on_line=on_line)
        return {"files": total}


@dataclass
class CommitAndPush(Step):
    """Commit exactly the files the guide expects with the guide's message, then push.

    Done when those files are committed in a commit with this message that the remote
    branch contains. An interrupted run that committed but did not push only pushes.
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

    def _commit_with_message(self, ctx: Context) -> str | None:
        out = ctx.workspace.git("log", "-n", "1", "--format=%H", "--fixed-strings",
                                f"--grep={self.message}", "HEAD", check=False)
        return out or None

    def observe(self, ctx: Context) -> Observation:
        ws = ctx.workspace
        dirty = ws.changed(list(self.paths))
        if dirty:
            return Observation(Status.TODO, "to commit: " + ", ".join(dirty))
        commit = self._commit_with_message(ctx)
        if commit is None:
            return Observation(Status.TODO, f'no commit "{self.message}" yet')
        remote = ws.remote_head(ws.branch())
        if remote is None or not ws.has_commit(remote) or not ws.is_ancestor(commit, remote):
            return Observation(Status.TODO, "committed, not pushed yet")
        return Observation(Status.DONE, f"commit {commit[:7]} is on origin", {"commit": commit})

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        ws = ctx.workspace
        branch = ws.branch()
        dirty = ws.changed(list(self.paths))
        if dirty:
            present = [p for p in self.paths if (ws.root / p).exists() or p in dirty]
            ws.git("add", "--", *present)
            ctx.progress("git add " + " ".join(present))
            ws.git("commit", "--quiet", "-m", self.message, "--", *present)
            ctx.progress(f'git commit -m "{self.message}"')
        elif self._commit_with_message(ctx) is None:
            raise WizardError(
                what="There is nothing to commit.",
                why="The files this step commits (" + ", ".join(self.paths) + ") have no changes, "
                "so an earlier step did not change them.",
                fix="Run the wizard's earlier steps again (mlops-wizard status shows which are not done).",
            )
        ctx.crash_point("after-commit")
        ctx.progress(f"git push origin {branch}")
        result = proc.run(["git", "push", "origin", f"{branch}:{branch}"], cwd=ws.root, check=False,
                          env=ctx.target.tool_env())
        if result.returncode != 0:
            raise push_failed(branch, result.stderr)
        return {"commit": ws.head()}


def push_failed(branch: str, stderr: str) -> WizardError:
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
        try:
            remote = buckets.object_names(ctx.target, ctx.answer("gcp.project_id"), ctx.answer("gcp.bucket_name"),
                                          f"{self.prefix}/files/md5/")
        except Exception as exc:  # noqa: BLE001 - a bucket that cannot be listed yet is simply "todo"
            return Observation(Status.TODO, f"the bucket cannot be listed yet ({type(exc).__name__})")
        missing = [f for f in local if f"{self.prefix}/{f}" not in remote]
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
