"""Read-only checks of the learner's repository, made before a run's first write.

Things that would only fail at commit or push time — after the cloud work — are found
first: a detached HEAD, a stale `.git/index.lock`, an `origin` git cannot push to with the
credentials it will use, a branch the guide's workflow never runs on.
"""

from __future__ import annotations

from typing import Mapping

from wizard.engine.errors import WizardError
from wizard.workspace import proc
from wizard.workspace.repo import Workspace


def branch_and_lock(ws: Workspace) -> str:
    """The current branch; raises when detached or when git's index is locked."""
    branch = ws.git("symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    if not branch:
        raise WizardError(
            what="The repository is not on a branch (detached HEAD); nothing was changed.",
            why="The wizard commits the chapter's files on your branch and pushes it; a detached HEAD has no branch "
            "to push.",
            fix="Check out your main branch (`git switch main`) and run the wizard again.",
        )
    lock = ws.git_dir / "index.lock"
    if lock.exists():
        raise WizardError(
            what=f"git's index is locked ({lock} exists); nothing was changed.",
            why="Another git command is running in this repository, or one crashed and left its lock behind.",
            fix=f"If no git command (or editor) is working in this repository, delete {lock}; then run the wizard "
            "again.",
        )
    return branch


def can_push(ws: Workspace, branch: str, env: Mapping[str, str] | None) -> None:
    """`git push --dry-run`: reaches origin with the credentials git will use, changes nothing there."""
    result = proc.run(
        ["git", "push", "--dry-run", "--porcelain", "origin", f"HEAD:refs/heads/{branch}"],
        cwd=ws.root,
        check=False,
        env=env,
        timeout=120,
    )
    if result.returncode == 0:
        return
    text = (result.stderr or result.stdout).strip()
    if "[rejected]" in result.stdout or "non-fast-forward" in text or "fetch first" in text:
        return  # reachable; the branch moved on: explained at push time, after a pull
    url = ws.origin_url()
    over_ssh = url.startswith(("ssh://", "git@")) or ("@" in url and ":" in url and "://" not in url)
    raise WizardError(
        what=f"git cannot push to origin ({url}); nothing was changed.",
        why=("origin is reached over ssh, and git could not connect with your ssh keys: " if over_ssh else "")
        + (text.splitlines()[-1] if text else "git push --dry-run failed."),
        fix=(
            "Check `ssh -T` to the forge works with your key (or switch origin to https: "
            "`git remote set-url origin https://…`), "
            if over_ssh
            else "Check `git push --dry-run` works by hand (credentials, network), "
        )
        + "then run the wizard again.",
    )


def ci_branch(branch: str, wanted: str, chapter: int) -> None:
    """The guide's workflow runs on pushes to `wanted`: on another branch, no run would ever start."""
    if not wanted or branch == wanted:
        return
    raise WizardError(
        what=f"You are on the branch {branch}, but chapter {chapter}'s pipeline runs on pushes to {wanted}; "
        "nothing was changed.",
        why=f"The guide's workflow starts only for {wanted}: the wizard would push and wait for a run that never "
        "starts.",
        fix=f"Rename your branch as the guide has it: `git branch -m {branch} {wanted}`, "
        f"`git push -u origin {wanted}`, then make {wanted} the default branch in your repository's settings on "
        "the forge; then run the wizard again.",
    )
