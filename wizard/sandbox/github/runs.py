"""Simulated GitHub Actions runs: one per triggered workflow for each new branch head.

After every push (the forge's push listener) and every contents API commit, each branch
whose head moved is looked at: the head commit's `.github/workflows/*.yml` files whose
`on` fires for a push to that branch each get a run. Whether the run succeeds is decided
when it is created, from what a real run would hit first: an invalid workflow file, a
secret that is not set, or a Google key that would not work (`ci_checks.check_key`:
not a key, a deleted key, an account without storage access to the project of the bucket
named in the commit's `.dvc/config`). The run then goes queued → in_progress → completed
over `world["faults"]["run_seconds"]` (default 8 s, long enough to watch), computed from its
`created_at`, so a restarted sandbox shows the same progress. `world["faults"]["fail_runs"]`
(names of workflows, workflow files or jobs) makes their runs fail, with a log line saying why,
so an instructor can rehearse a failed run.

Only branch pushes start runs (tags and pull requests are not simulated).

Injected failure `github.workflow-run` (in `world["faults"]["fail"]`): every new run ends
with that conclusion (failure, cancelled, timed_out, startup_failure; anything else means
failure), as when a runner is lost.
"""

from __future__ import annotations

import configparser
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard.sandbox import forge as forge_defaults
from wizard.sandbox.ci_checks import check_key
from wizard.sandbox.forge import FAIL_RUNS_WHY, failing_names, repo_path
from wizard.sandbox.github import gitrepo
from wizard.sandbox.github.store import epoch, github, next_id, stamp
from wizard.sandbox.github.workflows import (
    WORKFLOW_DIR,
    Plan,
    Workflow,
    is_workflow_path,
    parse,
    plan,
    triggered_by_push,
)
from wizard.sandbox.world import World

DEFAULT_RUN_SECONDS = forge_defaults.DEFAULT_RUN_SECONDS
QUEUED_SHARE = 0.25  # the part of a run's time spent waiting for a runner
INJECTED = "github.workflow-run"
_CONCLUSIONS = {"failure", "cancelled", "timed_out", "startup_failure"}
_REMOTE = re.compile(r"""^'?remote\s+"([^"]+)"'?$""")


@dataclass
class Pending:
    """A run decided from git alone; its outcome is judged against the world when it is stored."""

    full: str
    workflow: Workflow
    plan: Plan
    branch: str
    sha: str
    event: str
    head_commit: dict[str, Any]
    bucket: str | None


# -- time -------------------------------------------------------------------------------------
def run_seconds(data: dict[str, Any]) -> float:
    return max(0.0, float(data.get("faults", {}).get("run_seconds", DEFAULT_RUN_SECONDS)))


def progress(run: dict[str, Any], seconds: float, now: float | None = None) -> dict[str, Any]:
    """The run's status, conclusion and times at `now`."""
    now = time.time() if now is None else now
    created = epoch(run["created_at"])
    started, finished = created + seconds * QUEUED_SHARE, created + seconds
    if now >= finished:
        return {
            "status": "completed",
            "conclusion": run["outcome"],
            "run_started_at": stamp(started),
            "updated_at": stamp(finished),
        }
    if now >= started:
        return {
            "status": "in_progress",
            "conclusion": None,
            "run_started_at": stamp(started),
            "updated_at": stamp(started),
        }
    return {"status": "queued", "conclusion": None, "run_started_at": stamp(started), "updated_at": run["created_at"]}


def settle(data: dict[str, Any], now: float | None = None) -> bool:
    """Bring every stored run's status up to date; True when something changed."""
    seconds, changed = run_seconds(data), False
    for repo in github(data)["repos"].values():
        for run in repo.get("runs", []):
            current = progress(run, seconds, now)
            if run.get("status") != current["status"]:
                run.update(current)
                changed = True
    return changed


def settle_runs(world: World) -> None:
    """Write the runs' current status into the world (for `sandbox inspect`, say)."""
    if settle(world.read()):
        with world.mutate() as data:
            settle(data)


# -- deciding a run ---------------------------------------------------------------------------
def dvc_bucket(config: bytes | None) -> str | None:
    """The bucket of the default DVC remote (else of the first gs:// remote) in `.dvc/config`."""
    if not config:
        return None
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(config.decode("utf-8", "replace"))
    except configparser.Error:
        return None
    urls = {}
    for section in parser.sections():
        match = _REMOTE.match(section.strip())
        if match and parser.has_option(section, "url"):
            urls[match.group(1)] = parser.get(section, "url").strip()
    default = parser.get("core", "remote", fallback=None) if parser.has_section("core") else None
    ordered = ([urls[default]] if default in urls else []) + list(urls.values())
    for url in ordered:
        if url.startswith("gs://"):
            return url[len("gs://") :].split("/")[0] or None
    return None


def _unsealed(repo: dict[str, Any], secret: dict[str, Any]) -> bytes | None:
    """The secret's value, as a runner receives it (GitHub decrypts secrets for the job)."""
    import base64

    from nacl.exceptions import CryptoError
    from nacl.public import PrivateKey, SealedBox

    sealed, key = secret.get("sealed"), repo.get("actions_key", {}).get("private_key")
    if not sealed or not key:
        return None
    try:
        return SealedBox(PrivateKey(base64.b64decode(key))).decrypt(base64.b64decode(sealed))
    except (CryptoError, ValueError):
        return None


def judge(
    data: dict[str, Any], repo: dict[str, Any], pending: Pending, root: Path | None = None
) -> tuple[str, list[str]]:
    """(conclusion, log lines) of a run, from the world as it is now.

    Called outside the world's lock: with `root` (the sandbox folder), a Google key is used
    for real against the sandbox's token endpoint and storage.
    """
    where = f"{pending.event} on {pending.branch} at {pending.sha[:7]}"
    log = [f"Workflow {pending.workflow.name} ({pending.workflow.path}), {where}"]
    if pending.plan.problems:
        return "failure", log + pending.plan.problems
    wanted = failing_names(data)
    if wanted:
        stem = pending.workflow.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        for name in [pending.workflow.name, pending.workflow.path.rsplit("/", 1)[-1], stem, *pending.plan.jobs]:
            if name in wanted:
                job = name if name in pending.plan.jobs else (pending.plan.jobs or [name])[0]
                return "failure", log + [f"Job {job}: failed. Why: " + FAIL_RUNS_WHY.format(name=name)]
    injected = data.get("faults", {}).get("fail", {}).get(INJECTED)
    if injected:
        conclusion = str(injected).lower() if str(injected).lower() in _CONCLUSIONS else "failure"
        return conclusion, log + [f"The runner lost communication with the server ({INJECTED} injected: {conclusion})."]
    bucket_project = None
    if pending.bucket:
        bucket_project = data.get("buckets", {}).get(pending.bucket, {}).get("project")
    failures = []
    for use in pending.plan.uses:
        secret = repo.get("secrets", {}).get(use.secret) if use.secret else None
        label = f"Job {use.job}" + (f", step '{use.step}'" if use.step else "")
        if secret is None:
            name = use.secret or use.name
            if use.as_google_key:
                failures.append(
                    f"{label}: Error: google-github-actions/auth failed with: the GitHub Action workflow "
                    f'must specify exactly one of "workload_identity_provider" or "credentials_json"! '
                    f"(the secret {name} is not set in {pending.full})"
                )
            else:
                failures.append(f"{label}: the secret {name} is not set in {pending.full}")
            continue
        if use.as_google_key:
            reason = check_key(
                data,
                secret,
                bucket_project,
                deploys=use.deploys,
                key_json=_unsealed(repo, secret),
                bucket=pending.bucket,
                ca_file=Path(root) / "ca.pem" if root is not None else None,
            )
            if reason:
                failures.append(f"{label}: {reason}")
            else:
                log.append(f"{label}: authenticated to Google Cloud as {secret.get('client_email')}")
    if failures:
        return "failure", log + failures
    for job in pending.plan.jobs:
        log.append(f"Job {job}: succeeded")
    for job in pending.plan.skipped:
        log.append(f"Job {job}: skipped")
    return "success", log


# -- creating runs ----------------------------------------------------------------------------
class Actions:
    """Creates runs for pushes, contents API commits and workflow dispatches."""

    def __init__(self, world: World, repos_dir: Path) -> None:
        self.world = world
        self.repos_dir = Path(repos_dir)
        self._locks: dict[str, threading.RLock] = defaultdict(threading.RLock)
        self._guard = threading.Lock()

    def lock(self, full: str) -> threading.RLock:
        """Held while a repository's branches are written and their runs created."""
        with self._guard:
            return self._locks[full]

    def git_dir(self, full: str) -> Path:
        owner, _, name = full.rpartition("/")
        return repo_path(self.repos_dir, owner, name)

    def baseline(self) -> None:
        """Remember the current branch heads of repositories that have none recorded yet."""
        for full, repo in self.world.read().get("forges", {}).get("github", {}).get("repos", {}).items():
            if "heads" in repo or not (self.git_dir(full) / "HEAD").exists():
                continue
            heads = gitrepo.branches(self.git_dir(full))
            with self.world.mutate() as data:
                github(data)["repos"][full].setdefault("heads", heads)

    def pushed(self, owner: str, name: str, actor: str | None = None) -> list[int]:
        """The push listener: runs for every branch whose head moved since last time.

        `actor` is who pushed (git pushes to the sandbox are anonymous: the owner).
        """
        full = f"{owner}/{name}"
        with self.lock(full):
            repo = github(self.world.read())["repos"].get(full)
            if repo is None or not (self.git_dir(full) / "HEAD").exists():
                return []
            heads = gitrepo.branches(self.git_dir(full))
            known = repo.get("heads", {})
            pending = []
            for branch, sha in sorted(heads.items()):
                if known.get(branch) != sha:
                    pending += self._push_runs(full, branch, known.get(branch), sha)
            return self._store(full, pending, actor or owner, heads=heads)

    def dispatch(self, full: str, workflow: Workflow, branch: str, sha: str, actor: str) -> int:
        with self.lock(full):
            return self._store(full, [self._pending(full, workflow, branch, sha, "workflow_dispatch")], actor)[0]

    def rerun(self, full: str, run_id: int) -> None:
        """Start a finished run again (a new attempt of the same run), judged against today's world."""
        with self.lock(full):
            run = next(r for r in github(self.world.read())["repos"][full]["runs"] if r["id"] == run_id)
            workflows = self.workflows_at(full, run["sha"])
            workflow = workflows.get(run["workflow_path"])
            if workflow is None:
                return
            pending = self._pending(full, workflow, run["branch"], run["sha"], run["event"], workflows)
            with self.world.mutate() as data:
                repo = github(data)["repos"][full]
                stored = next(r for r in repo["runs"] if r["id"] == run_id)
                conclusion, log = judge(data, repo, pending)
                stored.update(
                    {
                        "run_attempt": int(stored.get("run_attempt", 1)) + 1,
                        "created_at": stamp(),
                        "status": "queued",
                        "conclusion": None,
                        "outcome": conclusion,
                        "log": log,
                    }
                )
                stored.update(progress(stored, run_seconds(data)))

    def workflows_at(self, full: str, sha: str) -> dict[str, Workflow]:
        files = gitrepo.files_under(self.git_dir(full), sha, WORKFLOW_DIR)
        return {path: parse(path, content) for path, content in files.items() if is_workflow_path(path)}

    def _push_runs(self, full: str, branch: str, before: str | None, after: str) -> list[Pending]:
        workflows = self.workflows_at(full, after)
        if not workflows:
            return []
        changed = gitrepo.changed_paths(self.git_dir(full), before, after)
        return [
            self._pending(full, wf, branch, after, "push", workflows)
            for path, wf in sorted(workflows.items())
            if triggered_by_push(wf, branch, changed)
        ]

    def _pending(
        self,
        full: str,
        workflow: Workflow,
        branch: str,
        sha: str,
        event: str,
        workflows: dict[str, Workflow] | None = None,
    ) -> Pending:
        git_dir = self.git_dir(full)
        workflows = workflows if workflows is not None else self.workflows_at(full, sha)
        info = gitrepo.commit_info(git_dir, sha)
        head_commit = {
            "id": info.sha,
            "tree_id": info.tree,
            "message": info.message,
            "timestamp": info.committer.date,
            "author": {"name": info.author.name, "email": info.author.email},
            "committer": {"name": info.committer.name, "email": info.committer.email},
        }
        return Pending(
            full,
            workflow,
            plan(workflow, workflows, f"refs/heads/{branch}", event),
            branch,
            sha,
            event,
            head_commit,
            dvc_bucket(gitrepo.read_file(git_dir, sha, ".dvc/config")),
        )

    def _store(self, full: str, pending: list[Pending], actor: str, heads: dict[str, str] | None = None) -> list[int]:
        ids = []
        snapshot = self.world.read()  # judged before taking the lock: a run calls the sandbox's Google
        known = github(snapshot)["repos"].get(full, {})
        verdicts = [judge(snapshot, known, item, self.world.root) for item in pending]
        with self.world.mutate() as data:
            repo = github(data)["repos"][full]
            if heads is not None:
                if heads != repo.get("heads"):
                    repo["pushed_at"] = stamp()
                repo["heads"] = heads
            for item, (conclusion, log) in zip(pending, verdicts, strict=True):
                numbers = repo.setdefault("run_numbers", {})
                numbers[item.workflow.path] = numbers.get(item.workflow.path, 0) + 1
                run = {
                    "id": next_id(data),
                    "run_number": numbers[item.workflow.path],
                    "sha": item.sha,
                    "branch": item.branch,
                    "event": item.event,
                    "workflow_path": item.workflow.path,
                    "name": item.workflow.name,
                    "display_title": item.head_commit["message"].split("\n")[0]
                    if item.event == "push"
                    else item.workflow.name,
                    "actor": actor,
                    "created_at": stamp(),
                    "status": "queued",
                    "conclusion": None,
                    "outcome": conclusion,
                    "log": log,
                    "head_commit": item.head_commit,
                }
                run.update(progress(run, run_seconds(data)))
                repo.setdefault("runs", []).append(run)
                ids.append(run["id"])
        return ids
