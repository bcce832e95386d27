"""Finding a forge token the way a learner already has one — and never storing it.

Order (the README's "Tokens for GitHub and GitLab" says the same): in the sandbox, its learner's
token; then the environment (GH_TOKEN, GITHUB_TOKEN — GH_ENTERPRISE_TOKEN, GITHUB_ENTERPRISE_TOKEN
first for GitHub Enterprise — or GITLAB_TOKEN, GITLAB_ACCESS_TOKEN, GITLAB_PRIVATE_TOKEN); then the
forge's own CLI (`gh auth token --hostname HOST`, `glab config get token --host HOST`, which both
reach tokens kept in the system keyring; glab's config file when glab itself is not installed);
and last, asking (masked). GH_HOST and GITLAB_HOST (or GL_HOST), which the two CLIs use to name a
GitHub Enterprise or self-managed GitLab, tell which forge an `origin` on that host is.

The token stays in this process's memory; it is not written to the checkpoint, the logs or
anywhere else (the log remembers its value only to blank it out).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Callable

from wizard.engine.errors import WizardError
from wizard.forges.detect import ForgeRef

# Tests and workshop instructors can hand the sandbox a token of their choice (e.g. one
# minted with fewer scopes) without touching the learner's real GH_TOKEN / GITLAB_TOKEN.
SANDBOX_TOKEN_ENV = "MLOPS_WIZARD_SANDBOX_TOKEN"

AskSecret = Callable[[str], "str | None"]


GITHUB_ENV = ["GH_TOKEN", "GITHUB_TOKEN"]
GITHUB_ENTERPRISE_ENV = ["GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN"]
GITLAB_ENV = ["GITLAB_TOKEN", "GITLAB_ACCESS_TOKEN", "GITLAB_PRIVATE_TOKEN"]


def cli_hosts() -> tuple[str | None, str | None]:
    """(GitHub Enterprise host, self-managed GitLab host) as gh's GH_HOST and glab's GITLAB_HOST/GL_HOST name them."""
    github = os.environ.get("GH_HOST") or None
    gitlab = os.environ.get("GITLAB_HOST") or os.environ.get("GL_HOST") or None
    return github, gitlab


def _found(token: str, where: str) -> tuple[str, str]:
    from wizard import logs

    logs.remember_secret(token)
    return token, where


class NoToken(WizardError):
    """No token anywhere the wizard may look (and it was not allowed, or not able, to ask)."""


def _asked_to_tool(args: list[str]) -> str | None:
    """The token a forge's command line tool prints for a host (it knows the keyring); None when it has none."""
    result = subprocess.run(args, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=15)
    token = result.stdout.strip()
    return token if result.returncode == 0 and token else None


def _gh_cli_token(host: str) -> str | None:
    if shutil.which("gh") is None:
        return None
    return _asked_to_tool(["gh", "auth", "token", "--hostname", host])


def _glab_token(host: str) -> str | None:
    """glab's token for `host`, asked to glab itself (it knows the keyring); its config file without glab."""
    if shutil.which("glab") is not None:
        return _asked_to_tool(["glab", "config", "get", "token", "--host", host])
    from wizard.forges.gitlab import glab_config_token

    config_home = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
    path = config_home / "glab-cli" / "config.yml"
    if not path.exists():
        return None
    return glab_config_token(path.read_text("utf-8"), host)


def create_token_help(forge: ForgeRef) -> str:
    if forge.kind == "github":
        base = "https://github.com" if forge.host == "github.com" else f"https://{forge.host}"
        return (
            f"Create a token at {base}/settings/tokens (classic: scopes `repo` and `workflow`; or "
            "fine-grained: this repository with Contents, Secrets and Workflows set to read and write), "
            "then `export GH_TOKEN=...` — or log in with `gh auth login`."
        )
    return (
        f"Create a personal access token with the `api` scope at https://{forge.host}/-/user_settings/"
        "personal_access_tokens, then `export GITLAB_TOKEN=...` — or log in with `glab auth login`."
    )


def find_token(
    forge: ForgeRef, sandbox_token: Callable[[], str | None] | None = None, ask: AskSecret | None = None
) -> tuple[str, str]:
    """(token, where it came from). `sandbox_token` returns the sandbox learner's token."""
    if sandbox_token is not None:
        chosen = os.environ.get(SANDBOX_TOKEN_ENV) or sandbox_token()
        if chosen:
            return _found(chosen, "the sandbox")
    host = forge.host.split(":")[0]
    if forge.kind == "github":
        names = GITHUB_ENV if host == "github.com" else [*GITHUB_ENTERPRISE_ENV, *GITHUB_ENV]
        for name in names:
            if os.environ.get(name):
                return _found(os.environ[name], f"${name}")
        token = _gh_cli_token(host)
        if token:
            return _found(token, "the GitHub CLI (gh auth token)")
    elif forge.kind == "gitlab":
        for name in GITLAB_ENV:
            if os.environ.get(name):
                return _found(os.environ[name], f"${name}")
        token = _glab_token(host)
        if token:
            return _found(token, "the GitLab CLI (glab config get token)")
    if ask is not None:
        label = {"github": "GitHub", "gitlab": "GitLab"}.get(forge.kind, "forge")
        answer = ask(f"{label} token for {forge.path} (input is hidden, never stored)")
        if answer:
            return _found(answer.strip(), "your answer")
    raise NoToken(
        what=f"No token was found to reach {forge.describe()}.",
        why="The wizard stores your CI secret and checks the workflow through the forge's API, "
        "which needs a personal access token. It never stores the token.",
        fix=create_token_help(forge),
    )
