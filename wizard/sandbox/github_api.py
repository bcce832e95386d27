"""The fake GitHub REST API of the sandbox; the code lives in the package `wizard.sandbox.github`."""

from wizard.sandbox.github import (
    mint_github_token,
    mount_github,
    sandbox_github_token,
    seed_github,
    settle_runs,
)

__all__ = ["mint_github_token", "mount_github", "sandbox_github_token", "seed_github", "settle_runs"]
