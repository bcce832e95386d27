"""The sandbox's fake GitHub: REST API (PyGithub's subset) and simulated Actions runs.

    seed_github(world_data, owner, name)  -> {"token", "api_url_path"}   (inside world.mutate())
    mint_github_token(world, scopes, repos=None, login="learner") -> token
    mount_github(forge, world)            serve /api/v3 on the forge, run workflows on push
    sandbox_github_token(world)           the learner's full-scope token
    settle_runs(world)                    write the runs' current status into the world

Modules: `store` (world records, tokens, access rules), `api` (endpoints), `shapes` (JSON
as GitHub sends it), `gitrepo` (git plumbing on the forge's bare repositories),
`workflows` (reading workflow files) and `runs` (the simulated runs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wizard.sandbox.lazy import lazy_exports

if TYPE_CHECKING:
    from wizard.sandbox.github.api import mount_github
    from wizard.sandbox.github.runs import settle_runs
    from wizard.sandbox.github.store import mint_github_token, sandbox_github_token, seed_github

__all__ = ["mint_github_token", "mount_github", "sandbox_github_token", "seed_github", "settle_runs"]

# Name -> module, imported when first asked for: the pre-receive hook, run in a fresh process on
# every push, needs only `store`, and the API's imports took it a second per push.
_LAZY = {
    "mount_github": "api",
    "settle_runs": "runs",
    "mint_github_token": "store",
    "sandbox_github_token": "store",
    "seed_github": "store",
}

__getattr__ = lazy_exports(__name__, _LAZY)
