"""The sandbox's fake GitLab: REST API v4 (the part python-gitlab uses for chapters 8 and 14)
and simulated pipelines, on the sandbox forge's real git repositories.

Public API (also importable from `wizard.sandbox.gitlab_api`):

    seed_gitlab(world_data, path) -> {"token": ...}   # inside world.mutate()
    mint_gitlab_token(world, scopes, username="learner", expired=False) -> token
    mount_gitlab(forge, world)                        # /api/v4 + push listener
    sandbox_gitlab_token(world) -> token
    pipeline_status(record, now=None) / pipeline_view(record, now=None)

World schema, `world["forges"]["gitlab"]`:

    tokens:   {token: {username, scopes, active, revoked, expires_at (YYYY-MM-DD), id, name, created_at}}
    users:    {username: {id, name, email, created_at}}
    projects: {"learner/mlops-guide": {
        id, name, namespace, default_branch, visibility, created_at,
        protected_branches: ["main"] (Maintainers may push) | {"main": {"push_access_level": 0|30|40}},
        members: {username: access_level} (the namespace's user is Owner),
        variables: {KEY: {value, masked, protected, raw, variable_type, environment_scope, description,
                          hidden?, valid_json_key, private_key_id, client_email, project_id, sha256, problem}},
        pipelines: [{id, iid, sha, ref, source, status, created_at, updated_at, run_seconds, user, tag,
                     yaml_errors, log: [lines], jobs: [{id, name, stage, status, when, allow_failure,
                     image, failure_reason, log: [lines]}]}]}}
    next_ids: {user, token, project, pipeline, job}

A pipeline's `status` is its outcome (success, failed, manual); what a client sees while it
"runs" is `pipeline_status(record)`: created → pending → running → outcome over
`run_seconds` (from `world["faults"]["run_seconds"]`, default 8 s, when it was created); jobs
named in `world["faults"]["fail_runs"]` fail with a `Why:` line (rehearsing a failed pipeline).
Web pages: `/{path}/-/pipelines`, `/{path}/-/pipelines/:id` and `/{path}/-/jobs/:id` (see pages.py).
The variable's value is kept because GitLab returns it to maintainers (the sandbox folder is
the fake server's database); nothing else may print it.

Endpoints: GET /user; GET /personal_access_tokens/self; GET /projects/:id;
GET|POST /projects/:id/variables; GET|PUT|DELETE /projects/:id/variables/:key;
GET /projects/:id/repository/branches/:branch (with `can_push`);
GET|HEAD|POST|PUT|DELETE /projects/:id/repository/files/:file_path; GET …/files/:file_path/raw;
GET|POST /projects/:id/repository/commits; GET /projects/:id/repository/commits/:sha;
GET /projects/:id/pipelines (sha, ref, status, source, scope, order_by, sort);
GET /projects/:id/pipelines/latest; GET /projects/:id/pipelines/:id; GET …/pipelines/:id/jobs;
POST …/pipelines/:id/retry; POST /projects/:id/pipeline?ref=; GET /projects/:id/jobs/:id[/trace].

Injected failures (`world["faults"]["fail"]["gitlab.<name>"] = CODE`, until cleared; CODE is
UNAVAILABLE, INTERNAL, BAD_GATEWAY, GATEWAY_TIMEOUT, TOO_MANY_REQUESTS, FORBIDDEN, NOT_FOUND,
UNAUTHORIZED, CONFLICT or the HTTP number): user.get, personal_access_tokens.get,
projects.get, variables.list, variables.create, variables.get, variables.update,
variables.delete, branches.get, files.get, files.raw, files.create, files.update, files.delete,
commits.list, commits.create, commits.get, pipelines.list, pipelines.latest, pipelines.get,
pipelines.create, pipelines.retry, jobs.list, jobs.get, jobs.trace; and `gitlab.pipeline.run`
(any value): every pipeline created meanwhile fails its first job with a runner system failure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wizard.sandbox.lazy import lazy_exports

if TYPE_CHECKING:
    from wizard.sandbox.forge import ForgeHandle
    from wizard.sandbox.gitlab.api import GitLabApp
    from wizard.sandbox.gitlab.pipelines import pipeline_status, pipeline_view
    from wizard.sandbox.gitlab.store import mint_gitlab_token, sandbox_gitlab_token, seed_gitlab
    from wizard.sandbox.world import World

API_PREFIX = "/api/v4"

# Name -> module, imported when first asked for: the pre-receive hook, run in a fresh process on
# every push, needs only `store`, and the API's imports took it a second per push.
_LAZY = {
    "GitLabApp": "api",
    "pipeline_status": "pipelines",
    "pipeline_view": "pipelines",
    "mint_gitlab_token": "store",
    "sandbox_gitlab_token": "store",
    "seed_gitlab": "store",
}

__getattr__ = lazy_exports(__name__, _LAZY)


def mount_gitlab(forge: ForgeHandle, world: World) -> GitLabApp:
    """Serve the fake GitLab API at /api/v4 on `forge` and start pipelines on pushes."""
    from wizard.sandbox.gitlab.api import GitLabApp

    app = GitLabApp(world, forge.repos_dir, forge.url)
    forge.mount(API_PREFIX, app)
    forge.on_push(app.on_push)
    from wizard.sandbox.gitlab.pages import GitLabPages

    forge.add_page(GitLabPages(world))
    return app


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
