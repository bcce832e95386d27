"""Reusable steps on the learner's forge: token check, CI secret, workflow file, watching the run."""

from __future__ import annotations

import base64
import difflib
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from wizard.engine.errors import WizardError
from wizard.engine.step import Context, Observation, Status, Step
from wizard.forges.connect import open_forge
from wizard.fsutil import atomic_write
from wizard.steps import propagation
from wizard.steps.iam import CreateKey
from wizard.steps.repo import PUSHED_AT
from wizard.steps.written import FileStep


def forge_kind(answers: Mapping[str, str]) -> str:
    return answers.get("forge.kind", "github")


@dataclass
class CheckForgeAccess(Step):
    """Read-only: the token can push, change workflows and manage secrets — checked before any write."""

    id: str
    title: str
    text: str = ""
    mutating: bool = False
    needs: Sequence[str] = ()

    def command(self, answers: Mapping[str, str]) -> str:
        if forge_kind(answers) == "gitlab":
            return "glab auth status"
        return "gh auth status   # needs the scopes repo and workflow"

    def _check(self, ctx: Context, ask: bool = False) -> Observation:
        forge = open_forge(ctx, ask=ask)
        check = forge.check_token()
        source = ctx.memory.get("forge_token_source", "")
        if check.problems:
            from wizard.forges.tokens import create_token_help

            assert ctx.forge is not None  # open_forge found the forge behind origin
            raise WizardError(
                what=f"The token from {source} cannot do what this chapter needs on {forge.repo_path}.",
                why=" ".join(check.problems),
                fix=create_token_help(ctx.forge) + " If your role on the repository is too low, ask its owner for "
                "write access (GitHub) or the Maintainer role (GitLab).",
            )
        self._check_push(ctx, forge)
        scopes = "fine-grained" if check.scopes is None else "scopes " + ", ".join(check.scopes)
        return Observation(
            Status.DONE,
            f"token of {check.login} from {source} ({scopes}) can push, change workflows and manage secrets",
        )

    def _check_push(self, ctx: Context, forge: Any) -> None:
        """Git pushes with its own credential, not the API token: ask the forge what that one may do.

        Found without prompting (`git credential fill`); none (ssh, no helper) means the push is
        checked as the API token's user where the forge can tell (GitLab's `can_push`).
        """
        from wizard.forges.push import git_credential

        if "push_checked" in ctx.memory:
            return
        ws = ctx.workspace
        branch = ws.branch()
        credential = git_credential(ws.root, ws.origin_url(), ctx.target.tool_env())
        if credential and credential != getattr(forge, "_token", None):
            pusher, whose = forge.with_token(credential), "The token git pushes with (from its credential helper)"
        elif forge.kind == "gitlab":
            pusher, whose = forge, f"The account of the token from {ctx.memory.get('forge_token_source', '')}"
        else:
            ctx.memory["push_checked"] = True
            return
        problems = pusher.push_problems(branch)
        if problems:
            raise WizardError(
                what=f"A push to {branch} of {forge.repo_path} would be refused: nothing was changed.",
                why=f"{whose}: " + "; ".join(problems) + ".",
                fix="Fix that first (the forge's settings, or the token git uses: `git credential reject` forgets "
                "a stored one), then run the wizard again.",
            )
        ctx.memory["push_checked"] = True

    def preflight(self, ctx: Context) -> None:
        self._check(ctx, ask=True)

    def observe(self, ctx: Context) -> Observation:
        from wizard.forges.tokens import NoToken

        try:
            return self._check(ctx)
        except NoToken:
            return Observation(Status.TODO, "no token found yet: the wizard will ask for one")

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        self._check(ctx, ask=True)
        return {}


@dataclass
class StoreKeySecret(Step):
    """The key as a CI secret: raw JSON in a GitHub secret, base64 on one line in a masked GitLab variable.

    GitHub never shows a secret's value again, so whether it holds the current key is
    known from what the wizard recorded when it stored it (key id and update time): if
    someone changes the secret since, it is stored again. GitLab returns the value, which
    is checked directly.
    """

    id: str
    title: str
    name: str = ""
    key_step: CreateKey | None = None
    text: str = ""
    needs: Sequence[str] = ("gcp.project_id",)

    def command(self, answers: Mapping[str, str]) -> str:
        path = self.key_step.key_file if self.key_step else "KEY.json"
        if forge_kind(answers) == "gitlab":
            return (
                f"glab variable set {self.name} --masked --raw \\\n"
                f'    --value "$(base64 -w 0 {path})"   # Protect: off, Mask: on, Expand: off'
            )
        return f"gh secret set {self.name} < {path}"

    def intent(self, answers: Mapping[str, str]) -> str:
        return f"store the key in the CI secret {self.name}"

    def _current_key(self, ctx: Context) -> tuple[bytes | None, str | None]:
        assert self.key_step is not None
        return self.key_step.key_to_store(ctx)  # the key here, else the live key the secret is known to hold

    def observe(self, ctx: Context) -> Observation:
        forge = open_forge(ctx)
        _material, kid = self._current_key(ctx)
        secret = forge.get_secret(self.name)
        if secret is None:
            return Observation(Status.TODO, f"{self.name} is not set yet")
        if kid is None:
            return Observation(Status.TODO, "the key to store does not exist yet")
        if forge.kind == "gitlab" and not secret.hidden:
            return self._observe_value(secret, kid)
        return self._observe_recorded(ctx, secret, kid)

    def _observe_value(self, secret: Any, kid: str) -> Observation:
        """A visible GitLab variable: its value is decoded and compared with the key."""
        try:
            stored = json.loads(base64.b64decode(secret.value or "", validate=True)).get("private_key_id")
        except ValueError:
            stored = None
        if stored != kid:
            return Observation(Status.TODO, f"{self.name} holds another key")
        wrong = self._wrong_flags(secret)
        if wrong:
            return Observation(Status.DRIFTED, f"{self.name} should be " + ", ".join(wrong))
        return Observation(
            Status.DONE, f"{self.name} holds key {kid[:8]}… (masked, raw, not protected)", {"key_id": kid}
        )

    @staticmethod
    def _wrong_flags(secret: Any) -> list[str]:
        return [
            flag
            for flag, ok in (
                ("masked", secret.masked),
                ("not protected", secret.protected is False),
                ("raw", secret.raw),
            )
            if not ok
        ]

    def _observe_recorded(self, ctx: Context, secret: Any, kid: str) -> Observation:
        """A value the forge never shows (a GitHub secret, a hidden GitLab variable).

        What it holds is known from what the wizard recorded when it stored it: the key id and
        the secret's update time (GitLab keeps none, so the wizard writes it in the variable's
        description). A secret changed since is stored again.
        """
        recorded = ctx.store.step(self.id).get("outputs", {}) if ctx.store else {}
        hidden = " (hidden)" if secret.hidden else ""
        if recorded.get("key_id") == kid and secret.updated_at and recorded.get("updated_at") == secret.updated_at:
            wrong = self._wrong_flags(secret) if secret.hidden else []
            if wrong:
                return Observation(Status.DRIFTED, f"{self.name} should be " + ", ".join(wrong))
            return Observation(
                Status.DONE,
                f"{self.name}{hidden} holds key {kid[:8]}… (stored {secret.updated_at})",
                {"key_id": kid, "updated_at": secret.updated_at},
            )
        if self.key_step is not None:  # stored elsewhere (by hand, another machine): known by what proves it
            how = self.key_step.secret_holds_key(ctx, kid)
            if how is not None:
                return Observation(Status.DONE, f"{self.name} holds key {kid[:8]}… ({how})", {"key_id": kid})
        return Observation(Status.TODO, f"{self.name}{hidden} exists but may hold another key")

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        forge = open_forge(ctx)
        material, kid = self._current_key(ctx)
        if material is None:
            raise WizardError(
                what="The key to store is not on this machine.",
                why="It was not kept in a file (--no-key-file) and this is a new run.",
                fix="Run the wizard again: it replaces the key with a new one and stores that.",
                retryable=True,
            )
        value = material.decode("utf-8")
        if forge.kind == "gitlab":
            value = base64.b64encode(material).decode("ascii")  # one line: masking needs it
        ctx.crash_point("before-call")
        forge.put_secret(self.name, value)
        ctx.crash_point("after-call")
        secret = forge.get_secret(self.name)
        outputs = {"key_id": kid, "updated_at": secret.updated_at if secret else None}
        if ctx.store is not None:
            ctx.store.record(self.id, outputs)  # what verification (and later runs) compare against
        if self.key_step is not None:
            self.key_step.after_stored(ctx, kid)  # a key this one replaced is deleted only now
        ctx.progress(f"{self.name} now holds key {kid[:8]}…" if kid else f"{self.name} stored")
        return outputs


@dataclass
class WriteFile(FileStep):
    """A file of the guide (a workflow), written exactly; a different existing file is never overwritten silently."""

    # Its command shows a file's content: real values, not shell variables.
    writes_files: bool = field(default=True, kw_only=True)
    id: str
    title: str
    # forge kind -> (path in the repository, template renderer taking the answers)
    files: Mapping[str, tuple[str, Callable[[Mapping[str, str]], str]]] = field(default_factory=dict)
    text: str = ""
    needs: Sequence[str] = ()

    def target(self, answers: Mapping[str, str]) -> tuple[str, str] | None:
        """(path, content) for this forge, or None when this forge needs no such file."""
        kind = forge_kind(answers)
        if kind not in self.files:
            return None
        path, render = self.files[kind]
        return path, render(answers)

    def paths(self, answers: Mapping[str, str]) -> list[str]:
        target = self.target(answers)
        return [target[0]] if target else []

    def accepts(self, answers: Mapping[str, str], text: str | None, path: str = "") -> bool | str | None:
        """The file as the guide writes it, to the byte (a guide's file compared by meaning says more)."""
        target = self.target(answers)
        return target is not None and text == target[1]

    def command(self, answers: Mapping[str, str]) -> str:
        if self.target(answers) is None:
            return f"# nothing to write on {forge_kind(answers)}"
        path, content = self.target(answers)  # type: ignore[misc]
        return f"mkdir -p {path.rsplit('/', 1)[0] if '/' in path else '.'}\ncat > {path} <<'EOF'\n{content}EOF"

    def intent(self, answers: Mapping[str, str]) -> str:
        return "write " + ", ".join(self.paths(answers))

    def observe(self, ctx: Context) -> Observation:
        if self.target(ctx.answers) is None:
            return Observation(Status.DONE, f"nothing to write on {forge_kind(ctx.answers)}")
        path, content = self.target(ctx.answers)  # type: ignore[misc]
        existing = ctx.workspace.read(path) if (ctx.workspace.root / path).exists() else None
        if existing is None:
            return Observation(Status.TODO, f"{path} does not exist yet")
        if existing != content:
            return Observation(Status.DRIFTED, f"{path} exists and differs from the guide's")
        return Observation(Status.DONE, f"{path} is the guide's", {"path": path})

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        path, content = self.target(ctx.answers)  # type: ignore[misc]  # observe said TODO, so there is one
        full = ctx.workspace.root / path
        if full.exists() and full.read_text("utf-8") != content:
            diff = "".join(
                difflib.unified_diff(
                    full.read_text("utf-8").splitlines(keepends=True),
                    content.splitlines(keepends=True),
                    f"{path} (yours)",
                    f"{path} (the guide's)",
                )
            )
            allowed = ctx.options.get("overwrite_workflow") or (
                ctx.confirm is not None and ctx.confirm(f"Replace your {path} with the guide's?", diff)
            )
            if not allowed:
                raise WizardError(
                    what=f"{path} already exists and differs from the guide's; it was left as it is.",
                    why="The differences:\n" + "\n".join(diff.splitlines()[:40]),
                    fix="Merge the guide's version into yours by hand (`mlops-wizard script` shows it), or run "
                    "again with --overwrite-workflow to replace it (your version stays in git history).",
                )
            ctx.progress(f"Replacing {path} (you agreed; your version stays in git history)")
        full.parent.mkdir(parents=True, exist_ok=True)
        ctx.crash_point("before-write")
        atomic_write(full, content)
        ctx.crash_point("after-write")
        return {"path": path}


@dataclass
class CommitFiles(Step):
    """Commit and push the files other steps wrote, whichever forge this is."""

    id: str
    title: str
    message: str = ""
    file_steps: Sequence[Any] = field(default_factory=list)  # steps with .paths(answers)
    text: str = ""
    needs: Sequence[str] = ()

    def _inner(self, answers: Mapping[str, str]) -> Any:
        from wizard.steps.repo import CommitAndPush

        paths = [p for step in self.file_steps for p in step.paths(answers)]
        return CommitAndPush(self.id, self.title, message=self.message, paths=paths, text=self.text)

    def command(self, answers: Mapping[str, str]) -> str:
        return self._inner(answers).command(answers)

    def intent(self, answers: Mapping[str, str]) -> str:
        return self._inner(answers).intent(answers)

    def observe(self, ctx: Context) -> Observation:
        return self._inner(ctx.answers).observe(ctx)

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        return self._inner(ctx.answers).apply(ctx)


# In `Context.memory`: how long the last watched run was at least running after its push (seconds).
RUN_SECONDS = "ci-run-seconds"


@dataclass
class WatchRun(Step):
    """Read-only: follow the CI run of this chapter's commit until it ends; success is the proof.

    The commit is the one with the chapter's message (`commit_message`), as pushed — never an
    earlier chapter's commit that happens to be the branch head. Where a commit has several
    runs, `workflows` names (per forge) the workflow file whose run carries the chapter's job.
    """

    id: str
    title: str
    text: str = ""
    mutating: bool = False
    timeout: float = 1800.0
    # forge kind -> how to start the workflow again without a commit (e.g. workflow_dispatch)
    rerun: Mapping[str, str] = field(default_factory=dict)
    needs: Sequence[str] = ()
    commit_message: str = ""  # the commit this chapter pushed; "" means the branch head
    workflows: Mapping[str, str] = field(default_factory=dict)  # forge kind -> workflow file of the run
    subject: str = "The CI run"  # what the run does, in the learner's words ("The deployment run")
    # True: a later pushed commit's run stands for the chapter's (a deploy job runs on every push,
    # so the newest run is the deployment's state); False: the chapter's own commit's run.
    latest: bool = False
    # Steps that write the chapter's files (with .paths(answers)): a commit made by hand with another
    # message is found by what it changed, not by its message.
    file_steps: Sequence[Any] = ()

    def command(self, answers: Mapping[str, str]) -> str:
        kind = forge_kind(answers)
        watch = "glab ci status --live" if kind == "gitlab" else "gh run watch"
        again = self.rerun.get(kind)
        return watch + (f"\n# to run it again without a commit:\n{again}" if again else "")

    @staticmethod
    def _rerun_if_refused_while_propagating(ctx: Context, forge: Any, sha: str) -> float | None:
        """Re-run the run that the last attempt found refused while a grant propagated; when it started."""
        if not propagation.should_rerun(ctx):
            return None
        runs = forge.runs_for(sha)
        if not runs or runs[0].status != "completed" or runs[0].conclusion == "success":
            return None
        forge.rerun(runs[0])
        ctx.progress(f"Re-running {runs[0].url}: the role granted earlier should be in effect by now")
        return time.monotonic()

    @staticmethod
    def _first_pause(ctx: Context, pushed: float | None, delay: float, longest: float) -> None:
        """One pause; or, when a run this session watched took at least N s after its push, until this one is
        that old: a look before then would only find it running (the wait after it ends is what costs)."""
        until = time.monotonic() + delay
        known = ctx.memory.get(RUN_SECONDS)
        if pushed is not None and known:
            until = max(until, pushed + float(known))
        while (left := until - time.monotonic()) > 0:
            time.sleep(min(left, longest))

    def _sha(self, ctx: Context) -> str | None:
        ws = ctx.workspace
        head = ws.head()
        remote = ws.remote_head(ws.branch())
        if not self.commit_message:
            return head if remote == head else None
        commit = (
            ws.git(
                "log", "-n", "1", "--format=%H", "--fixed-strings", f"--grep={self.commit_message}", "HEAD", check=False
            )
            or None
        )
        paths = [path for step in self.file_steps for path in step.paths(ctx.answers)]
        if commit is None and paths and remote is not None:  # committed by hand: the last change of its files
            commit = ws.git("log", "-n", "1", "--format=%H", remote, "--", *paths, check=False) or None
        if commit is None or remote is None or not ws.has_commit(remote) or not ws.is_ancestor(commit, remote):
            return None
        return remote if self.latest else commit

    def _runs(self, forge: Any, sha: str) -> list[Any]:
        runs = forge.runs_for(sha)
        wanted = self.workflows.get(forge.kind)
        if wanted:
            runs = [r for r in runs if not r.workflow or r.workflow == wanted]
        return runs

    def observe(self, ctx: Context) -> Observation:
        sha = self._sha(ctx)
        if sha is None:
            return Observation(Status.TODO, "the commit is not pushed yet")
        forge = open_forge(ctx)
        runs = self._runs(forge, sha)
        if not runs:
            return Observation(Status.TODO, f"no run for {sha[:7]} yet")
        run = runs[0]
        if run.status == "completed" and run.conclusion == "success":
            return Observation(Status.DONE, f"the run for {sha[:7]} succeeded: {run.url}", {"run": run.url})
        if run.status == "completed":
            return Observation(Status.TODO, f"the run for {sha[:7]} ended: {run.conclusion} ({run.url})")
        return Observation(Status.TODO, f"the run for {sha[:7]} is {run.status.replace('_', ' ')} ({run.url})")

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        sha = self._sha(ctx)
        if sha is None:
            raise WizardError(
                what="The commit to watch is not pushed.", fix="Run the commit step first.", retryable=True
            )
        forge = open_forge(ctx)
        limit = ctx.target.watch_limit or self.timeout
        deadline, shown, delay = time.monotonic() + limit, "", ctx.target.watch_poll
        longest = ctx.target.watch_longest  # polls back off: runs take minutes on a real forge
        rerun_at = self._rerun_if_refused_while_propagating(ctx, forge, sha)
        pushed = ctx.memory.get(PUSHED_AT)
        if rerun_at is None:
            # The step was observed a moment ago (the run not finished): the first look waits one pause.
            self._first_pause(ctx, pushed, delay, longest)
        running_at: float | None = None  # when a look last found the run not finished
        while True:
            looked = time.monotonic()
            runs = self._runs(forge, sha)
            run = runs[0] if runs else None
            if run is not None and run.status != "completed":
                running_at = looked
            if (
                rerun_at is not None
                and run is not None
                and run.status == "completed"
                and time.monotonic() - rerun_at < 30
            ):
                time.sleep(delay)  # the forge has not shown the new attempt yet
                continue
            rerun_at = None if run is not None and run.status != "completed" else rerun_at
            state = "waiting for the run to start" if run is None else f"{run.status.replace('_', ' ')} — {run.url}"
            if state != shown:
                ctx.progress(state)
                shown = state
            if run is not None and run.status == "completed":
                if run.conclusion == "success":
                    if pushed is not None and running_at is not None:
                        ctx.memory[RUN_SECONDS] = running_at - pushed  # the run took at least this long
                    again = self.rerun.get(forge.kind)
                    if again:
                        ctx.progress(f"To run it again later without a commit: {again}")
                    return {"run": run.url}
                hint = forge.run_log_hint(run)
                propagating = propagation.explain(ctx, self.id, sha, run, hint, self.subject)
                if propagating is not None:
                    raise propagating
                raise WizardError(
                    what=f"{self.subject} for commit {sha[:7]} ended with {run.conclusion}.",
                    why=hint or "The run's log says why.",
                    fix=f"Read the log at {run.url}, fix the cause, then re-run it there (or push a new commit) "
                    "and run the wizard again to watch it.",
                    retryable=True,
                )
            if time.monotonic() > deadline:
                raise WizardError(
                    what=f"{self.subject} for commit {sha[:7]} has not finished in {int(limit)} s.",
                    why="Runners may be busy.",
                    fix=f"Follow it at {forge.actions_url()}; run the wizard again to check.",
                    retryable=True,
                )
            time.sleep(delay)
            delay = min(delay * 1.5, longest)
