"""The sandbox's fake GitLab REST API (v4) and simulated pipelines.

The implementation lives in the package `wizard.sandbox.gitlab` (its docstring has the world
schema, the endpoints and the injected-failure names); this module is its public face.
"""

from wizard.sandbox.gitlab import (
    API_PREFIX,
    GitLabApp,
    mint_gitlab_token,
    mount_gitlab,
    pipeline_status,
    pipeline_view,
    sandbox_gitlab_token,
    seed_gitlab,
)

__all__ = [
    "API_PREFIX",
    "GitLabApp",
    "mint_gitlab_token",
    "mount_gitlab",
    "pipeline_status",
    "pipeline_view",
    "sandbox_gitlab_token",
    "seed_gitlab",
]
