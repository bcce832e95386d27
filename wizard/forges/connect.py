"""Opening the forge client for a run: which forge, which API URL, which token."""

from __future__ import annotations

from typing import Any

from wizard.engine.errors import WizardError
from wizard.forges.tokens import find_token

MEMORY_KEY = "forge"


def open_forge(ctx: Any, ask: bool = False) -> Any:
    """The Forge for `origin`, created once per run and kept in memory (with its token).

    Only an explicit action may ask the learner for a token (`ask=True`); merely looking at
    the world (status, the TUI's start-up) never pops a question.
    """
    if MEMORY_KEY in ctx.memory:
        known = ctx.memory[MEMORY_KEY]
        known.notify = getattr(ctx, "progress", None)  # waits (rate limits) are told in the current step
        return known
    ref = ctx.forge
    if ref is None:
        raise WizardError(
            what=f"`origin` ({ctx.workspace.origin_url()}) is not a GitHub or GitLab repository URL.",
            why="Chapter 8 stores a CI secret and commits a workflow on the repository's forge.",
            fix="Point origin at your GitHub or GitLab repository (`git remote set-url origin URL`).",
        )
    if ref.kind not in {"github", "gitlab"}:
        raise WizardError(
            what=f"The wizard cannot tell whether {ref.host} is GitHub or GitLab.",
            why="Self-hosted forges have their own host names.",
            fix=f"Say which it is: --github-url https://{ref.host} (GitHub Enterprise) or "
            f"--gitlab-url https://{ref.host} (self-managed GitLab).",
        )
    target = ctx.target
    # The environment may keep the learner's token for its own forge (the sandbox's world does).
    own_token = target.forge_token if target.serves_forge(ref.host) else None
    token, source = find_token(ref, own_token, ask=ctx.ask_secret if ask else None)
    options = ctx.options
    if ref.kind == "github":
        from wizard.forges.github import GitHubForge, api_url_for

        if options.get("github_url"):
            api = options["github_url"].rstrip("/") + "/api/v3"
        else:
            api = api_url_for(ref.host, ref.scheme)
        forge: Any = GitHubForge(api, token, ref.path, ref.web_url, fast=target.forge_fast)
    else:
        from wizard.forges.gitlab import GitLabForge

        forge = GitLabForge(str(options.get("gitlab_url") or gitlab_url_for(ref)).rstrip("/"), token, ref.path)
    forge.notify = getattr(ctx, "progress", None)
    forge.reads = getattr(target, "reads", None)  # this run's reads: one look per fact, forgotten when it writes
    ctx.memory[MEMORY_KEY] = forge
    ctx.memory["forge_token_source"] = source
    return forge


def gitlab_url_for(ref: Any) -> str:
    """GitLab's base URL from `origin` itself: its https host with the port (an ssh port is not the web's)."""
    if ref.scheme in {"http", "https"}:
        return f"{ref.scheme}://{ref.host}"
    return f"https://{ref.host.split(':')[0]}"
