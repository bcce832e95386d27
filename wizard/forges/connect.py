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
        return ctx.memory[MEMORY_KEY]
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
    sandbox_token = None
    if target.is_sandbox:
        from wizard.sandbox.world import World

        def sandbox_token() -> str | None:
            world = World(target.sandbox_dir)
            if ref.kind == "github":
                from wizard.sandbox.github_api import sandbox_github_token

                return sandbox_github_token(world)
            from wizard.sandbox.gitlab_api import sandbox_gitlab_token

            return sandbox_gitlab_token(world)

    token, source = find_token(ref, sandbox_token, ask=ctx.ask_secret if ask else None)
    options = ctx.options
    if ref.kind == "github":
        from wizard.forges.github import GitHubForge, api_url_for

        if target.is_sandbox:
            api = f"{target.forge_url}/api/v3"
        elif options.get("github_url"):
            api = options["github_url"].rstrip("/") + "/api/v3"
        else:
            api = api_url_for(ref.host, ref.scheme)
        forge: Any = GitHubForge(api, token, ref.path, ref.web_url, fast=target.is_sandbox)
    else:
        from wizard.forges.gitlab import GitLabForge

        url = target.forge_url if target.is_sandbox else (options.get("gitlab_url") or f"https://{ref.host.split(':')[0]}")
        forge = GitLabForge(url.rstrip("/"), token, ref.path)
    ctx.memory[MEMORY_KEY] = forge
    ctx.memory["forge_token_source"] = source
    return forge
