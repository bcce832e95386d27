"""A refused `git push`, explained by its cause — and what git's own credential may do, asked beforehand.

The wizard's API token is not what git pushes with: git uses its credential helper (or the
token in the URL, or an ssh key). A push can therefore be refused although the API token is
fine. GitHub and GitLab say why in the push's output; these are their words:

- GitHub, workflow files: "refusing to allow a Personal Access Token to create or update workflow
  `.github/workflows/x.yml` without `workflow` scope" (an OAuth App: "… an OAuth App …"; a
  fine-grained token: "… without `workflows` permission");
- GitHub, protected branch: "GH006: Protected branch update failed for refs/heads/main.";
- GitHub, no write access: "Permission to owner/repo.git denied to user." (HTTP 403);
- GitLab, protected branch: "You are not allowed to push code to protected branches on this project.";
- GitLab, no write access: "You are not allowed to push code to this project." (HTTP 403).

None of these is solved by retrying: the explanation says what to change, and that the
commit is kept (the next run only pushes).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Mapping

from wizard.engine.errors import WizardError

_WORKFLOW = re.compile(
    r"refusing to allow an? (?P<who>[\w\- ]+?) to create or update workflow `(?P<path>[^`]+)` "
    r"without `(?P<need>workflows?)` (?:scope|permission)"
)
_GH006 = re.compile(r"GH006: Protected branch update failed for refs/heads/(?P<branch>\S+?)\.?(?:\s|$)")
_GITHUB_DENIED = re.compile(r"Permission to (?P<repo>\S+?)(?:\.git)? denied to (?P<user>[^.\s]+)")
_GITLAB_PROTECTED = "You are not allowed to push code to protected branches on this project"
_GITLAB_DENIED = "You are not allowed to push code to this project"
KEPT = "Your commit is kept on this machine: once this is fixed, run the wizard again and it only pushes."


def remote_lines(stderr: str) -> list[str]:
    """What the forge said (git prefixes it with 'remote:'), without git's own decoration."""
    lines = []
    for line in stderr.splitlines():
        if line.startswith("remote:"):
            text = line[len("remote:") :].strip()
            text = text.removeprefix("error:").strip()
            if text:
                lines.append(text)
    return lines


def explain_push_refusal(stderr: str, branch: str) -> WizardError | None:
    """The cause of a refused push, or None when the output names none of the known causes."""
    text = " ".join(stderr.split())
    said = "\n".join(remote_lines(stderr)) or text[-400:]
    workflow = _WORKFLOW.search(text)
    if workflow:
        fine_grained = workflow.group("need") == "workflows" or "fine-grained" in workflow.group("who")
        need = (
            '"Workflows: Read and write" (with "Contents: Read and write")'
            if fine_grained
            else "the `workflow` scope (with `repo`)"
        )
        return WizardError(
            what=f"GitHub refused the push: the credential git pushes with may not change {workflow.group('path')}.",
            why=f"GitHub said: {said}\nGit does not push with the wizard's API token but with its own credential "
            f"(your credential helper, or a token in the remote URL), and that one lacks {need}.",
            fix="Give git a token that has it: with the GitHub CLI, `gh auth refresh -s workflow` then "
            "`gh auth setup-git`; otherwise create one (classic: scopes `repo` and `workflow`) and store it for "
            "git (`git credential reject` forgets the old one, the next push asks). " + KEPT,
        )
    protected = _GH006.search(text)
    if protected:
        return WizardError(
            what=f"GitHub refused the push: {protected.group('branch')} is a protected branch.",
            why=f"GitHub said: {said}\nA branch protection rule requires changes to {protected.group('branch')} to "
            "come through a pull request.",
            fix=f"Either push to a new branch and open a pull request (`git push origin HEAD:ci-setup`), then run "
            f"the wizard again once it is merged; or ask an administrator of the repository to let you push to "
            f"{protected.group('branch')} (Settings > Branches). " + KEPT,
        )
    if _GITLAB_PROTECTED in text:
        return WizardError(
            what=f"GitLab refused the push: {branch} is a protected branch your role may not push to.",
            why=f"GitLab said: {said}\nOn GitLab, only the roles a protected branch allows (by default "
            "Maintainers) may push to it; Developers may not.",
            fix=f"Ask a Maintainer to allow Developers to push to {branch} (Settings > Repository > Protected "
            "branches) or to make you Maintainer (Manage > Members); or push to a new branch and open a merge "
            "request. " + KEPT,
        )
    denied = _GITHUB_DENIED.search(text)
    if denied:
        return WizardError(
            what=f"GitHub refused the push: {denied.group('user')} has no write access to {denied.group('repo')}.",
            why=f"GitHub said: {said}",
            fix=f"Ask an owner of {denied.group('repo')} to add {denied.group('user')} as a collaborator with the "
            "Write role (or more), or check which account git pushes as (`git credential fill`). " + KEPT,
        )
    if _GITLAB_DENIED in text:
        return WizardError(
            what="GitLab refused the push: the account git pushes as may not push to this project.",
            why=f"GitLab said: {said}\nPushing needs at least the Developer role, and a token with the "
            "`write_repository` (or `api`) scope.",
            fix="Ask an Owner of the project for the Developer role or more (Manage > Members), or give git a token "
            "with the write_repository scope. " + KEPT,
        )
    if "pre-receive hook declined" in text or "[remote rejected]" in text:
        return WizardError(
            what="The forge refused the push.",
            why=f"It said: {said}",
            fix="Fix what the forge names above (a rule of the repository), then run the wizard again. " + KEPT,
        )
    return None


# -- git's own credential -------------------------------------------------------------------
def git_credential(repo: Path, url: str, env: Mapping[str, str] | None = None) -> str | None:
    """The password (a token) git would push `url` with, asked from git without any prompt.

    None for ssh remotes and when no helper knows one. Interactive helpers are told not to ask
    (GCM_INTERACTIVE=never), and git may not prompt (GIT_TERMINAL_PROMPT=0, no askpass).
    """
    if not url.startswith(("https://", "http://")):
        return None
    full_env = dict(env or os.environ)
    for name in ("GIT_ASKPASS", "SSH_ASKPASS"):
        full_env.pop(name, None)
    full_env.update({"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never"})
    try:
        result = subprocess.run(
            ["git", "-c", "core.askPass=", "credential", "fill"],
            cwd=repo,
            input=f"url={url}\n\n",
            capture_output=True,
            text=True,
            timeout=20,
            env=full_env,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    for line in result.stdout.splitlines():
        if line.startswith("password="):
            return line[len("password=") :] or None
    return None
