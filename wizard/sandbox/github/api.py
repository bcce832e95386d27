"""The fake GitHub REST API: the endpoints the wizard uses, answering as GitHub does.

Mounted on the sandbox forge at `/api/v3` (GitHub Enterprise Server's layout), so PyGithub
talks to it with `Github(base_url=forge.url + "/api/v3")`. Only these endpoints exist
(GitHub's OpenAPI operation ids in brackets):

    GET    /user                                            [users/get-authenticated]
    GET    /repos/{o}/{r}                                   [repos/get]
    GET    /repos/{o}/{r}/actions/secrets                   [actions/list-repo-secrets]
    GET    /repos/{o}/{r}/actions/secrets/public-key        [actions/get-repo-public-key]
    GET    /repos/{o}/{r}/actions/secrets/{name}            [actions/get-repo-secret]
    PUT    /repos/{o}/{r}/actions/secrets/{name}            [actions/create-or-update-repo-secret]
    DELETE /repos/{o}/{r}/actions/secrets/{name}            [actions/delete-repo-secret]
    GET    /repos/{o}/{r}/contents/{path}                   [repos/get-content]
    PUT    /repos/{o}/{r}/contents/{path}                   [repos/create-or-update-file-contents]
    DELETE /repos/{o}/{r}/contents/{path}                   [repos/delete-file]
    GET    /repos/{o}/{r}/actions/runs                      [actions/list-workflow-runs-for-repo]
    GET    /repos/{o}/{r}/actions/runs/{id}                 [actions/get-workflow-run]
    DELETE /repos/{o}/{r}/actions/runs/{id}                 [actions/delete-workflow-run]
    POST   /repos/{o}/{r}/actions/runs/{id}/rerun           [actions/re-run-workflow]
    GET    /repos/{o}/{r}/actions/workflows/{id or file}    [actions/get-workflow]
    GET    /repos/{o}/{r}/actions/workflows/{id}/runs       [actions/list-workflow-runs]
    POST   /repos/{o}/{r}/actions/workflows/{id}/dispatches [actions/create-workflow-dispatch]
    GET    /repos/{o}/{r}/commits/{ref}                     [repos/get-commit]

Rules that hurt learners are kept: unknown tokens get 401 "Bad credentials"; a repository
a token cannot see is 404; a write a token may not make is 404 for a classic token without
`repo` and 403 "Resource not accessible by personal access token" for a fine-grained one;
changing `.github/workflows/` with a classic token without `workflow` is refused; secrets
are libsodium sealed boxes, decrypted here and kept only as facts; a stale blob sha is 409.

Injected failures: `world["faults"]["fail"]["github.<operation id>"]` (or `"github.*"` for
every endpoint) = UNAVAILABLE (503), INTERNAL (500), BAD_GATEWAY (502), RATE_LIMITED (403,
primary rate limit, X-RateLimit-Remaining: 0), SECONDARY_RATE_LIMIT (403 with Retry-After),
UNAUTHORIZED (401), NOT_FOUND (404) or CONFLICT (409); see runs.py for `github.workflow-run`.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlencode

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, SealedBox

from wizard.sandbox.ci_checks import key_facts
from wizard.sandbox.forge import ForgeHandle, ForgeRequest, ForgeResponse, rate_limited
from wizard.sandbox.github import gitrepo, shapes
from wizard.sandbox.github.runs import Actions, progress, run_seconds, settle
from wizard.sandbox.github.store import (
    API_PREFIX,
    ROLES,
    WRITE_ROLES,
    Caller,
    caller_for,
    github,
    permits,
    shown,
    stamp,
)
from wizard.sandbox.github.workflows import WORKFLOW_DIR, parse
from wizard.sandbox.world import World

DOCS = "https://docs.github.com/rest"
API_VERSION = "2022-11-28"
SECRET_MAX_BYTES = 48 * 1024
_BASE64 = re.compile(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$")
_SECRET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
NOT_ACCESSIBLE = "Resource not accessible by personal access token"


class HttpError(Exception):
    def __init__(self, status: int, message: str, headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or []


def invalid(detail: str) -> HttpError:
    return HttpError(422, f"Invalid request.\n\n{detail}")


# -- routing ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    operation: str
    docs: str
    handler: str
    scope: str = ""  # what X-Accepted-OAuth-Scopes says
    permission: str = ""  # what X-Accepted-GitHub-Permissions says (fine-grained tokens)


def _route(
    method: str, path: str, operation: str, docs: str, handler: str, scope: str = "repo", permission: str = ""
) -> Route:
    return Route(method, re.compile(f"^{path}$"), operation, f"{DOCS}/{docs}", handler, scope, permission)


# X-Accepted-OAuth-Scopes is empty on the secrets endpoints: recorded from api.github.com in
# PyGithub's tests/ReplayData/Repository.testCreateSecret.txt ("('X-Accepted-OAuth-Scopes', '')").
# Fine-grained permissions per endpoint: https://docs.github.com/en/rest/authentication/
# permissions-required-for-fine-grained-personal-access-tokens (the header's format, "name=level"
# with sets separated by ";": https://github.blog/changelog/2023-08-10-x-accepted-github-permissions-
# header-for-fine-grained-permission-actors).


ROUTES = [
    _route("GET", "/user", "users/get-authenticated", "users/users#get-the-authenticated-user", "get_user", ""),
    _route("GET", _REPO, "repos/get", "repos/repos#get-a-repository", "get_repo", permission="metadata=read"),
    _route(
        "GET",
        _REPO + "/actions/secrets",
        "actions/list-repo-secrets",
        "actions/secrets#list-repository-secrets",
        "list_secrets",
        "",
        "secrets=read",
    ),
    _route(
        "GET",
        _REPO + "/actions/secrets/public-key",
        "actions/get-repo-public-key",
        "actions/secrets#get-a-repository-public-key",
        "public_key",
        "",
        "secrets=read",
    ),
    _route(
        "GET",
        _REPO + "/actions/secrets/(?P<name>[^/]+)",
        "actions/get-repo-secret",
        "actions/secrets#get-a-repository-secret",
        "get_secret",
        "",
        "secrets=read",
    ),
    _route(
        "PUT",
        _REPO + "/actions/secrets/(?P<name>[^/]+)",
        "actions/create-or-update-repo-secret",
        "actions/secrets#create-or-update-a-repository-secret",
        "put_secret",
        "",
        "secrets=write",
    ),
    _route(
        "DELETE",
        _REPO + "/actions/secrets/(?P<name>[^/]+)",
        "actions/delete-repo-secret",
        "actions/secrets#delete-a-repository-secret",
        "delete_secret",
        "",
        "secrets=write",
    ),
    _route(
        "GET",
        _REPO + "/contents(?:/(?P<path>.*))?",
        "repos/get-content",
        "repos/contents#get-repository-content",
        "get_content",
        permission="contents=read",
    ),
    _route(
        "PUT",
        _REPO + "/contents/(?P<path>.+)",
        "repos/create-or-update-file-contents",
        "repos/contents#create-or-update-file-contents",
        "put_content",
        permission="contents=write",
    ),
    _route(
        "DELETE",
        _REPO + "/contents/(?P<path>.+)",
        "repos/delete-file",
        "repos/contents#delete-a-file",
        "delete_content",
        permission="contents=write",
    ),
    _route(
        "GET",
        _REPO + "/actions/runs",
        "actions/list-workflow-runs-for-repo",
        "actions/workflow-runs#list-workflow-runs-for-a-repository",
        "list_runs",
        permission="actions=read",
    ),
    _route(
        "GET",
        _REPO + r"/actions/runs/(?P<run_id>\d+)",
        "actions/get-workflow-run",
        "actions/workflow-runs#get-a-workflow-run",
        "get_run",
        permission="actions=read",
    ),
    _route(
        "DELETE",
        _REPO + r"/actions/runs/(?P<run_id>\d+)",
        "actions/delete-workflow-run",
        "actions/workflow-runs#delete-a-workflow-run",
        "delete_run",
        permission="actions=write",
    ),
    _route(
        "POST",
        _REPO + r"/actions/runs/(?P<run_id>\d+)/rerun",
        "actions/re-run-workflow",
        "actions/workflow-runs#re-run-a-workflow",
        "rerun",
        permission="actions=write",
    ),
    _route(
        "GET",
        _REPO + "/actions/workflows/(?P<workflow>[^/]+)",
        "actions/get-workflow",
        "actions/workflows#get-a-workflow",
        "get_workflow",
        permission="actions=read",
    ),
    _route(
        "GET",
        _REPO + "/actions/workflows/(?P<workflow>[^/]+)/runs",
        "actions/list-workflow-runs",
        "actions/workflow-runs#list-workflow-runs-for-a-workflow",
        "list_workflow_runs",
        permission="actions=read",
    ),
    _route(
        "POST",
        _REPO + "/actions/workflows/(?P<workflow>[^/]+)/dispatches",
        "actions/create-workflow-dispatch",
        "actions/workflows#create-a-workflow-dispatch-event",
        "dispatch",
        permission="actions=write",
    ),
    _route(
        "GET",
        _REPO + "/commits/(?P<ref>.+)",
        "repos/get-commit",
        "commits/commits#get-a-commit",
        "get_commit",
        permission="contents=read",
    ),
]

_INJECTED: dict[str, tuple[int, str]] = {
    "UNAVAILABLE": (503, "Service Unavailable"),
    "INTERNAL": (500, "Server Error"),
    "BAD_GATEWAY": (502, "Server Error"),
    "UNAUTHORIZED": (401, "Bad credentials"),
    "NOT_FOUND": (404, "Not Found"),
    "CONFLICT": (409, "Conflict"),
}


@dataclass
class Call:
    """One API request being answered."""

    request: ForgeRequest
    route: Route
    params: dict[str, str]
    caller: Caller
    data: dict[str, Any]  # a snapshot of the world, read once

    @property
    def base(self) -> str:
        return self.request.base_url

    def body(self) -> dict[str, Any]:
        try:
            value = json.loads(self.request.body or b"{}")
        except ValueError:
            raise HttpError(400, "Problems parsing JSON") from None
        if not isinstance(value, dict):
            raise HttpError(400, "Body should be a JSON object")
        return value

    def query(self, name: str) -> str | None:
        values = self.request.query.get(name)
        return values[0] if values else None


class GitHubApi:
    """The app mounted at /api/v3 (see forge.ForgeHandle.mount)."""

    def __init__(self, world: World, actions: Actions) -> None:
        self.world = world
        self.actions = actions

    # -- the request cycle ------------------------------------------------------------------
    def __call__(self, request: ForgeRequest) -> ForgeResponse:
        path = request.path[len(request.prefix) :] or "/"
        if len(path) > 1:
            path = path.rstrip("/")
        route, params = self._match(request.method, path)
        if route is None:
            self.world.count("github", write=request.method != "GET")
            return self._error(HttpError(404, "Not Found"), DOCS, [])
        self.world.count("github", write=route.method != "GET")
        data = self.world.read()
        caller = caller_for(data, _token(request))
        if caller is None:
            return self._error(HttpError(401, "Bad credentials"), DOCS, [])
        headers = _headers(caller, route)
        try:
            self._inject(route, data, caller)
            call = Call(request, route, params, caller, data)
            response = getattr(self, route.handler)(call)
        except HttpError as error:
            return self._error(error, route.docs, headers)
        response.headers.extend(headers)
        return response

    @staticmethod
    def _match(method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        for route in ROUTES:
            match = route.pattern.match(path)
            if match and route.method == method:
                return route, {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
        return None, {}

    @staticmethod
    def _error(error: HttpError, docs: str, headers: list[tuple[str, str]]) -> ForgeResponse:
        body = {"message": error.message, "documentation_url": docs, "status": str(error.status)}
        replaced = {name.lower() for name, _ in error.headers}
        kept = [(name, value) for name, value in headers if name.lower() not in replaced]
        return ForgeResponse.json(body, error.status, headers=[*kept, *error.headers])

    def _inject(self, route: Route, data: dict[str, Any], caller: Caller) -> None:
        limited = rate_limited(self.world, "github")
        if limited is not None:
            seconds, kind = limited
            raise _rate_limit_error(data, caller, kind, seconds)
        code = self.world.take_failure(f"github.{route.operation}") or self.world.take_failure("github.*")
        if not code:
            return
        code = str(code).upper()
        if code == "RATE_LIMITED":
            raise _rate_limit_error(data, caller, "primary", 3600)
        if code == "SECONDARY_RATE_LIMIT":
            raise _rate_limit_error(data, caller, "secondary", 1)
        status, message = _INJECTED.get(code, _INJECTED["UNAVAILABLE"])
        raise HttpError(status, message)

    # -- access -----------------------------------------------------------------------------
    def _repo(self, call: Call, need: str = "read") -> tuple[str, dict[str, Any]]:
        """The repository of the path, if the caller may `need` ("read", "write", "secrets", "secrets-write").

        Write access (the collaborator role "write" or more) is what GitHub asks, whoever owns the
        repository: a user, or an organisation the learner collaborates with. Classic tokens need
        `repo` for secrets ("OAuth app tokens and personal access tokens (classic) need the repo
        scope to use this endpoint", docs of actions/create-or-update-repo-secret); fine-grained
        tokens need the route's permission, else 403 "Resource not accessible by personal access
        token" with X-Accepted-GitHub-Permissions naming it.
        """
        repos = github(call.data)["repos"]
        wanted = f"{call.params['owner']}/{call.params['repo']}".lower()
        full = next((name for name in repos if name.lower() == wanted), None)
        if full is None:
            raise HttpError(404, "Not Found")
        repo = repos[full]
        caller = call.caller
        level = caller.level(full, repo)
        if level == "none":
            raise HttpError(404, "Not Found")
        if need == "read":
            return full, repo
        if caller.anonymous:
            raise HttpError(401, "Requires authentication")
        role = caller.role(full, repo)
        if caller.fine_grained:
            permission = call.route.permission or "contents=write"
            if role not in WRITE_ROLES or not permits(caller.permissions(full), permission):
                raise HttpError(403, NOT_ACCESSIBLE)
            return full, repo
        if need.startswith("secrets") and ("repo" not in (caller.scopes or ()) or role not in WRITE_ROLES):
            raise HttpError(404, "Not Found")
        if need != "secrets" and level != "write":
            raise HttpError(404, "Not Found")
        return full, repo

    def _user(self, call: Call, login: str) -> dict[str, Any]:
        users = github(call.data)["users"]
        return users.get(login) or {"id": 0, "name": login, "email": None}

    # -- users and repositories -------------------------------------------------------------
    def get_user(self, call: Call) -> ForgeResponse:
        if call.caller.anonymous:
            raise HttpError(401, "Requires authentication")
        login = call.caller.login or ""
        owned = [r for full, r in github(call.data)["repos"].items() if full.split("/")[0] == login]
        return ForgeResponse.json(shapes.private_user(call.base, login, self._user(call, login), owned))

    def get_repo(self, call: Call) -> ForgeResponse:
        full, repo = self._repo(call)
        permissions = None
        if not call.caller.anonymous:
            # The user's role on the repository (what `permissions` means in repos/get), capped by
            # what the token reaches: a read-only token shows no push.
            role = call.caller.role(full, repo)
            rank = ROLES.index(role) if role in ROLES else -1
            write = call.caller.level(full, repo) == "write"
            permissions = {
                "admin": rank >= 4 and write,
                "maintain": rank >= 3 and write,
                "push": write,
                "triage": rank >= 1,
                "pull": True,
            }
        owner = self._user(call, full.split("/")[0])
        return ForgeResponse.json(shapes.full_repo(call.base, full, repo, owner, permissions))

    # -- secrets ----------------------------------------------------------------------------
    def list_secrets(self, call: Call) -> ForgeResponse:
        _, repo = self._repo(call, "secrets")
        items = [_secret(name, record) for name, record in sorted(repo.get("secrets", {}).items())]
        page, links = _paginate(call, items)
        return ForgeResponse.json({"total_count": len(items), "secrets": page}, headers=links)

    def public_key(self, call: Call) -> ForgeResponse:
        _, repo = self._repo(call, "secrets")
        key = repo["actions_key"]
        return ForgeResponse.json({"key_id": key["key_id"], "key": key["public_key"]})

    def get_secret(self, call: Call) -> ForgeResponse:
        _, repo = self._repo(call, "secrets")
        name = call.params["name"].upper()
        if name not in repo.get("secrets", {}):
            raise HttpError(404, "Not Found")
        return ForgeResponse.json(_secret(name, repo["secrets"][name]))

    def put_secret(self, call: Call) -> ForgeResponse:
        full, repo = self._repo(call, "secrets-write")
        name = call.params["name"]
        if name.upper().startswith("GITHUB_"):
            raise HttpError(422, "Secret names must not start with GITHUB_.")
        if not _SECRET_NAME.match(name):
            raise HttpError(
                422,
                "Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or "
                "underscores (_). Spaces are not allowed. Must start with a letter ([a-z], [A-Z]) "
                "or underscores (_).",
            )
        body = call.body()
        for field in ("encrypted_value", "key_id"):
            if field not in body:
                raise invalid(f'"{field}" wasn\'t supplied.')
            if not isinstance(body[field], str):
                raise invalid(f"For '{field}', {json.dumps(body[field])} is not a string.")
        encrypted = body["encrypted_value"]
        if not _BASE64.match(encrypted):
            raise invalid(f"{encrypted} does not match /{_BASE64.pattern.replace('/', chr(92) + '/')}/.")
        key = repo["actions_key"]
        improper = HttpError(422, "Bad request - validation failed due to an improperly encrypted secret")
        if body["key_id"] != key["key_id"]:
            raise improper
        try:
            value = SealedBox(PrivateKey(base64.b64decode(key["private_key"]))).decrypt(base64.b64decode(encrypted))
        except (CryptoError, binascii.Error, ValueError):
            raise improper from None
        if len(value) > SECRET_MAX_BYTES:
            raise HttpError(422, "Secret value is too large: secrets are limited to 48 KB.")
        name, now = name.upper(), stamp()
        with self.world.mutate() as data:
            secrets = github(data)["repos"][full].setdefault("secrets", {})
            created = name not in secrets
            previous = secrets.get(name, {})
            # Kept sealed, as GitHub keeps it encrypted: a run decrypts it to use the key for real.
            secrets[name] = {
                "created_at": previous.get("created_at", now),
                "updated_at": now,
                **key_facts(value).to_world(),
                "sealed": encrypted,
            }
        if created:
            return ForgeResponse.json({}, 201)
        return ForgeResponse(204)

    def delete_secret(self, call: Call) -> ForgeResponse:
        full, _ = self._repo(call, "secrets-write")
        name = call.params["name"].upper()
        with self.world.mutate() as data:
            secrets = github(data)["repos"][full].setdefault("secrets", {})
            if name not in secrets:
                raise HttpError(404, "Not Found")
            del secrets[name]
        return ForgeResponse(204)

    # -- contents ---------------------------------------------------------------------------
    def _ref_commit(self, full: str, repo: dict[str, Any], ref: str | None) -> tuple[str, str]:
        """(ref as given or the default branch, its commit)."""
        git_dir = self.actions.git_dir(full)
        if gitrepo.is_empty(git_dir):
            raise HttpError(404, "This repository is empty.")
        ref = ref or repo.get("default_branch", "main")
        sha = gitrepo.resolve(git_dir, ref)
        if sha is None:
            raise HttpError(404, f"No commit found for the ref {ref}")
        return ref, sha

    def get_content(self, call: Call) -> ForgeResponse:
        full, repo = self._repo(call)
        ref, sha = self._ref_commit(full, repo, call.query("ref"))
        path = call.params.get("path", "").strip("/")
        git_dir = self.actions.git_dir(full)
        item = gitrepo.entry(git_dir, sha, path)
        if item is None:
            raise HttpError(404, "Not Found")
        if item.kind == "dir":
            entries = [shapes.content_entry(call.base, full, ref, e) for e in gitrepo.list_dir(git_dir, sha, path)]
            return ForgeResponse.json(entries)
        data = gitrepo.read_blob(git_dir, item.sha) if item.kind in ("file", "symlink") else b""
        accept = call.request.header("accept", "") or ""
        if item.kind == "file" and "raw" in accept:
            return ForgeResponse(200, [("Content-Type", "application/vnd.github.raw")], data)
        if item.kind == "symlink":
            return ForgeResponse.json(
                {**shapes.content_entry(call.base, full, ref, item), "target": data.decode("utf-8", "replace")}
            )
        if item.kind == "submodule":
            return ForgeResponse.json(
                {
                    **shapes.content_entry(call.base, full, ref, item),
                    "submodule_git_url": _submodule_url(git_dir, sha, path),
                }
            )
        if len(data) > 1024 * 1024:  # GitHub leaves files over 1 MB out of the JSON
            return ForgeResponse.json(
                {**shapes.content_entry(call.base, full, ref, item), "content": "", "encoding": "none"}
            )
        return ForgeResponse.json(shapes.content_file(call.base, full, ref, item, data))

    def _check_workflow_change(self, call: Call, full: str, path: str) -> None:
        if path.startswith(WORKFLOW_DIR + "/") and not call.caller.may_change_workflows(full):
            if call.caller.fine_grained:
                raise HttpError(
                    403, NOT_ACCESSIBLE, [("X-Accepted-GitHub-Permissions", "contents=write,workflows=write")]
                )
            # GitHub's contents API answers a bare 404 here; only a git push says why:
            # "refusing to allow a Personal Access Token to create or update workflow
            # `.github/workflows/x.yml` without `workflow` scope".
            raise HttpError(404, "Not Found")

    def put_content(self, call: Call) -> ForgeResponse:
        full, repo = self._repo(call, "write")
        path = call.params["path"].strip("/")
        body = call.body()
        for field in ("message", "content"):
            if field not in body:
                raise invalid(f'"{field}" wasn\'t supplied.')
            if not isinstance(body[field], str):
                raise invalid(f"For '{field}', {json.dumps(body[field])} is not a string.")
        try:
            content = base64.b64decode(body["content"], validate=True)
        except (binascii.Error, ValueError):
            raise HttpError(422, "content is not valid Base64") from None
        self._check_workflow_change(call, full, path)
        return self._commit(call, full, repo, path, content, body)

    def delete_content(self, call: Call) -> ForgeResponse:
        full, repo = self._repo(call, "write")
        path = call.params["path"].strip("/")
        body = call.body()
        for field in ("message", "sha"):
            if field not in body:
                raise invalid(f'"{field}" wasn\'t supplied.')
        self._check_workflow_change(call, full, path)
        return self._commit(call, full, repo, path, None, body)

    def _commit(
        self, call: Call, full: str, repo: dict[str, Any], path: str, content: bytes | None, body: dict[str, Any]
    ) -> ForgeResponse:
        git_dir = self.actions.git_dir(full)
        branch = body.get("branch") or repo.get("default_branch", "main")
        user = self._user(call, call.caller.login or "")
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        committer = _person(body.get("committer"), user, now)
        author = _person(body.get("author"), user, now) if body.get("author") else committer
        rule = (repo.get("protected_branches") or {}).get(branch)
        if (
            rule
            and rule.get("required_pull_request_reviews")
            and (rule.get("enforce_admins") or call.caller.role(full, repo) != "admin")
        ):
            # The contents API on a branch whose rule requires a pull request: 409, as a push
            # gets "GH006: Protected branch update failed" (strict where the docs say no more).
            raise HttpError(409, "Changes must be made through a pull request.")
        with self.actions.lock(full):
            parent = gitrepo.branch_sha(git_dir, branch)
            if parent is None and not gitrepo.is_empty(git_dir):
                raise HttpError(404, f"Branch {branch} not found")
            existing = gitrepo.entry(git_dir, parent, path) if parent else None
            if existing is not None and existing.kind == "dir":
                raise HttpError(
                    422, f'Invalid request.\n\n"{path}" is a directory.' if content is not None else "Not Found"
                )
            if content is None and existing is None:
                raise HttpError(404, "Not Found")
            if existing is not None:
                if "sha" not in body:
                    raise invalid('"sha" wasn\'t supplied.')
                if body["sha"] != existing.sha:
                    raise HttpError(409, f"{path} does not match {body['sha']}")
            try:
                sha = gitrepo.write_file(git_dir, branch, path, content, body["message"], author, committer, parent)
            except gitrepo.StaleBranch:
                at = gitrepo.branch_sha(git_dir, branch)
                raise HttpError(409, f"{branch} is at {at} but expected {parent}") from None
            except gitrepo.GitError:  # a path git refuses: "..", a file used as a folder
                raise HttpError(422, f"Invalid request.\n\npath {path!r} is not a valid file path.") from None
            owner, name = full.split("/", 1)
            self.actions.pushed(owner, name, actor=call.caller.login)
        info = gitrepo.commit_info(git_dir, sha)
        result: dict[str, Any] = {"content": None, "commit": shapes.git_commit(call.base, full, info)}
        if content is not None:
            written = gitrepo.entry(git_dir, sha, path)
            assert written is not None  # the commit just made holds the file
            result["content"] = shapes.content_entry(call.base, full, branch, written)
        return ForgeResponse.json(result, 200 if existing is not None or content is None else 201)

    # -- runs -------------------------------------------------------------------------------
    def _runs(self, call: Call, repo: dict[str, Any]) -> list[dict[str, Any]]:
        """The repository's runs, newest first, with their status as of now (settled in the world)."""
        if settle(call.data):
            with self.world.mutate() as data:
                settle(data)
        return sorted(repo.get("runs", []), key=lambda r: r["id"], reverse=True)

    def _run_json(self, call: Call, full: str, repo: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
        users = github(call.data)["users"]
        actor = (run["actor"], users[run["actor"]]) if run.get("actor") in users else None
        return shapes.run(call.base, full, repo, run, self._user(call, full.split("/")[0]), actor)

    def _list_runs(self, call: Call, full: str, repo: dict[str, Any], path: str | None) -> ForgeResponse:
        runs = [r for r in self._runs(call, repo) if path is None or r["workflow_path"] == path]
        filters = {"head_sha": "sha", "branch": "branch", "event": "event", "actor": "actor"}
        for parameter, field in filters.items():
            value = call.query(parameter)
            if value:
                runs = [r for r in runs if r.get(field) == value]
        status = call.query("status")
        if status:
            runs = [r for r in runs if status in (r["status"], r["conclusion"])]
        page, links = _paginate(call, runs)
        return ForgeResponse.json(
            {"total_count": len(runs), "workflow_runs": [self._run_json(call, full, repo, r) for r in page]},
            headers=links,
        )

    def list_runs(self, call: Call) -> ForgeResponse:
        full, repo = self._repo(call)
        return self._list_runs(call, full, repo, None)

    def _find_run(self, call: Call, repo: dict[str, Any]) -> dict[str, Any]:
        wanted = int(call.params["run_id"])
        run = next((r for r in self._runs(call, repo) if r["id"] == wanted), None)
        if run is None:
            raise HttpError(404, "Not Found")
        return run

    def get_run(self, call: Call) -> ForgeResponse:
        full, repo = self._repo(call)
        return ForgeResponse.json(self._run_json(call, full, repo, self._find_run(call, repo)))

    def delete_run(self, call: Call) -> ForgeResponse:
        full, repo = self._repo(call, "write")
        run = self._find_run(call, repo)
        current = progress(run, run_seconds(call.data))
        if current["status"] != "completed":
            raise HttpError(409, "Cannot delete a workflow run that is not completed.")
        with self.world.mutate() as data:
            runs = github(data)["repos"][full]["runs"]
            runs[:] = [r for r in runs if r["id"] != run["id"]]
        return ForgeResponse(204)

    def rerun(self, call: Call) -> ForgeResponse:
        """Re-run a finished run: same id, `run_attempt` + 1, judged again against the world as it is now
        (docs.github.com/rest/actions/workflow-runs#re-run-a-workflow: 201 Created)."""
        full, repo = self._repo(call, "write")
        run = self._find_run(call, repo)
        if progress(run, run_seconds(call.data))["status"] != "completed":
            raise HttpError(403, "This workflow run is not completed and cannot be re-run.")
        self.actions.rerun(full, run["id"])
        return ForgeResponse.json({}, 201)

    # -- workflows --------------------------------------------------------------------------
    def _workflow(self, call: Call, full: str, repo: dict[str, Any]) -> dict[str, Any]:
        """The workflow named by id or file name: files on the default branch, and any that ran."""
        git_dir = self.actions.git_dir(full)
        head = gitrepo.branch_sha(git_dir, repo.get("default_branch", "main"))
        files = self.actions.workflows_at(full, head) if head else {}
        paths = set(files) | {r["workflow_path"] for r in repo.get("runs", [])}
        wanted = call.params["workflow"]
        path = next(
            (p for p in sorted(paths) if wanted == str(shapes.workflow_id(repo, p)) or wanted == p.rsplit("/", 1)[-1]),
            None,
        )
        if path is None:
            raise HttpError(404, "Not Found")
        runs = [r for r in repo.get("runs", []) if r["workflow_path"] == path]
        if path in files and head is not None:
            name = files[path].name
            dates = gitrepo.git(git_dir, "log", "--format=%cI", head, "--", path).stdout.decode().split()
            created, updated = (dates[-1], dates[0]) if dates else (repo.get("created_at"),) * 2
        else:
            name = runs[-1]["name"] if runs else path
            created, updated = (
                (runs[0]["created_at"], runs[-1]["created_at"]) if runs else (repo.get("created_at"),) * 2
            )
        return {"path": path, "name": name, "created": created, "updated": updated}

    def get_workflow(self, call: Call) -> ForgeResponse:
        full, repo = self._repo(call)
        found = self._workflow(call, full, repo)
        return ForgeResponse.json(
            shapes.workflow(call.base, full, repo, found["path"], found["name"], found["created"], found["updated"])
        )

    def list_workflow_runs(self, call: Call) -> ForgeResponse:
        full, repo = self._repo(call)
        return self._list_runs(call, full, repo, self._workflow(call, full, repo)["path"])

    def dispatch(self, call: Call) -> ForgeResponse:
        full, repo = self._repo(call, "write")
        found = self._workflow(call, full, repo)
        body = call.body()
        if "ref" not in body:
            raise invalid('"ref" wasn\'t supplied.')
        ref = str(body["ref"]).removeprefix("refs/heads/")
        git_dir = self.actions.git_dir(full)
        sha = gitrepo.branch_sha(git_dir, ref)
        if sha is None:
            raise HttpError(422, f"No ref found for: {body['ref']}")
        content = gitrepo.read_file(git_dir, sha, found["path"])
        workflow = parse(found["path"], content) if content is not None else None
        if workflow is None or "workflow_dispatch" not in workflow.triggers:
            raise HttpError(422, "Workflow does not have 'workflow_dispatch' trigger")
        _check_inputs(workflow.triggers["workflow_dispatch"], body.get("inputs") or {})
        run_id = self.actions.dispatch(full, workflow, ref, sha, call.caller.login or full.split("/")[0])
        if body.get("return_run_details"):
            api = f"{call.base}{API_PREFIX}/repos/{full}/actions/runs/{run_id}"
            return ForgeResponse.json(
                {"workflow_run_id": run_id, "run_url": api, "html_url": f"{call.base}/{full}/actions/runs/{run_id}"}
            )
        return ForgeResponse(204)

    # -- commits ----------------------------------------------------------------------------
    def get_commit(self, call: Call) -> ForgeResponse:
        full, _ = self._repo(call)
        git_dir = self.actions.git_dir(full)
        if gitrepo.is_empty(git_dir):
            raise HttpError(409, "Git Repository is empty.")
        sha = gitrepo.resolve(git_dir, call.params["ref"])
        if sha is None:
            raise HttpError(422, f"No commit found for SHA: {call.params['ref']}")
        info = gitrepo.commit_info(git_dir, sha)
        return ForgeResponse.json(
            shapes.commit(call.base, full, info, gitrepo.commit_changes(git_dir, sha), github(call.data)["users"])
        )


# -- helpers ----------------------------------------------------------------------------------
def _token(request: ForgeRequest) -> str | None:
    header = (request.header("authorization") or "").strip()
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme in ("token", "bearer"):
        return value.strip()
    if scheme == "basic":
        try:
            return base64.b64decode(value).decode("utf-8").partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return ""
    return "" if header else None


def _headers(caller: Caller, route: Route) -> list[tuple[str, str]]:
    headers = [
        ("X-GitHub-Media-Type", "github.v3; format=json"),
        ("X-GitHub-Api-Version-Selected", API_VERSION),
        ("X-RateLimit-Limit", "5000"),
        ("X-RateLimit-Remaining", "4999"),
        ("X-RateLimit-Reset", str(int(time.time()) + 3600)),
        ("X-RateLimit-Resource", "core"),
    ]
    if caller.scopes is not None:
        headers += [("X-OAuth-Scopes", ", ".join(caller.scopes)), ("X-Accepted-OAuth-Scopes", route.scope)]
    elif caller.fine_grained and route.permission:
        headers.append(("X-Accepted-GitHub-Permissions", route.permission))
    return headers


def _rate_limit_error(data: dict[str, Any], caller: Caller, kind: str, seconds: float) -> HttpError:
    """GitHub's rate-limit answers: https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
    ("exceeding the rate limit": 403 or 429 with x-ratelimit-remaining 0 and x-ratelimit-reset in UTC
    epoch seconds for the primary limit; retry-after in seconds for a secondary limit). The messages
    are the ones PyGithub recognises (Requester.isPrimaryRateLimitError / isSecondaryRateLimitError).
    """
    if kind == "secondary":
        return HttpError(
            403,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            [("Retry-After", str(max(1, math.ceil(seconds))))],
        )
    user = github(data)["users"].get(caller.login or "", {})
    reset = str(math.ceil(time.time() + seconds))
    return HttpError(
        403,
        f"API rate limit exceeded for user ID {user.get('id', 0)}.",
        [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Used", "5000"), ("X-RateLimit-Reset", reset)],
    )


def _secret(name: str, record: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "created_at": shown(record.get("created_at")), "updated_at": shown(record.get("updated_at"))}


def _paginate(call: Call, items: list[Any]) -> tuple[list[Any], list[tuple[str, str]]]:
    def number(name: str, default: int) -> int:
        try:
            return max(1, int(call.query(name) or default))
        except ValueError:
            return default

    per_page, page = min(number("per_page", 30), 100), number("page", 1)
    last = max(1, -(-len(items) // per_page))
    links = []
    query = {k: v[0] for k, v in call.request.query.items()}

    def link(target: int, rel: str) -> str:
        url = f"{call.base}{call.request.path}?{urlencode({**query, 'per_page': per_page, 'page': target})}"
        return f'<{url}>; rel="{rel}"'

    if page < last:
        links += [link(page + 1, "next"), link(last, "last")]
    if page > 1:
        links += [link(1, "first"), link(page - 1, "prev")]
    headers = [("Link", ", ".join(links))] if links else []
    return items[(page - 1) * per_page : page * per_page], headers


def _person(given: Any, user: dict[str, Any], now: str) -> gitrepo.Person:
    if isinstance(given, dict):
        if not given.get("name") or not given.get("email"):
            raise invalid('"name" and "email" are required for the committer and the author.')
        return gitrepo.Person(str(given["name"]), str(given["email"]), str(given.get("date") or now))
    return gitrepo.Person(user.get("name") or "Learner", user.get("email") or "learner@example.com", now)


def _submodule_url(git_dir: Any, sha: str, path: str) -> str:
    text = (gitrepo.read_file(git_dir, sha, ".gitmodules") or b"").decode("utf-8", "replace")
    block = re.search(rf"path\s*=\s*{re.escape(path)}\s*\n\s*url\s*=\s*(\S+)", text)
    return block.group(1) if block else ""


def _check_inputs(config: Any, inputs: dict[str, Any]) -> None:
    declared = (config or {}).get("inputs") or {} if isinstance(config, dict) else {}
    unexpected = sorted(set(inputs) - set(declared))
    if unexpected:
        raise HttpError(422, f"Unexpected inputs provided: {json.dumps(unexpected)}")
    for name, spec in declared.items():
        if isinstance(spec, dict) and spec.get("required") and "default" not in spec and name not in inputs:
            raise HttpError(422, f"Required input '{name}' not provided")


def mount_github(forge: ForgeHandle, world: World) -> None:
    """Serve the fake GitHub API at /api/v3 on `forge` and simulate Actions runs after pushes."""
    actions = Actions(world, forge.repos_dir)
    actions.baseline()
    forge.mount(API_PREFIX, GitHubApi(world, actions))
    forge.on_push(lambda owner, name: actions.pushed(owner, name))
    from wizard.sandbox.github.pages import GitHubPages

    forge.add_page(GitHubPages(world))
