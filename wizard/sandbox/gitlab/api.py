"""The fake GitLab REST API (v4): routing, authentication, and the endpoints python-gitlab calls.

Answers are GitLab's, errors included: bodies (`{"message": ...}` from the API,
`{"error": ...}` from Grape's parameter checks and the OAuth guard), status codes and the
pagination headers python-gitlab reads. See the package docstring for the list.
"""

from __future__ import annotations

import json
import math
import re
import time
from email.utils import formatdate
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, unquote

from wizard.sandbox.forge import ForgeRequest, ForgeResponse, rate_limited
from wizard.sandbox.gitlab import repo as git_repo
from wizard.sandbox.gitlab import store
from wizard.sandbox.gitlab.base import (
    INJECTED_BY_NUMBER,
    INJECTED_ERRORS,
    INSUFFICIENT,
    READ_METHODS,
    Call,
    GitLabError,
    Route,
    bad_params,
    message,
    not_found,
    route_not_found,
)
from wizard.sandbox.gitlab.pipelines_api import PipelineEndpoints
from wizard.sandbox.gitlab.repository_api import RepositoryEndpoints
from wizard.sandbox.world import World


class GitLabApp(RepositoryEndpoints, PipelineEndpoints):
    """`app(ForgeRequest) -> ForgeResponse` serving /api/v4 from the world and the forge's repositories."""

    def __init__(self, world: World, repos_dir: Path, base_url: str = "") -> None:
        self.world = world
        self.repos_dir = Path(repos_dir)
        self.base_url = base_url  # for CI_SERVER_URL in pipelines started by a push
        P = r"/projects/(?P<project>[^/]+)"
        table: list[tuple[str, str, str, Callable[..., ForgeResponse], str]]
        F = P + r"/repository/files/(?P<file>[^/]+)"
        table = [
            ("GET", r"/user", "user.get", self.get_user, "user"),
            ("GET", r"/personal_access_tokens/self", "personal_access_tokens.get", self.get_token, "any"),
            ("GET", P, "projects.get", self.get_project, "api"),
            ("GET", P + r"/variables", "variables.list", self.list_variables, "api"),
            ("POST", P + r"/variables", "variables.create", self.create_variable, "api"),
            ("GET", P + r"/variables/(?P<key>[^/]+)", "variables.get", self.get_variable, "api"),
            ("PUT", P + r"/variables/(?P<key>[^/]+)", "variables.update", self.update_variable, "api"),
            ("DELETE", P + r"/variables/(?P<key>[^/]+)", "variables.delete", self.delete_variable, "api"),
            ("GET", P + r"/repository/branches/(?P<branch>.+)", "branches.get", self.get_branch, "api"),
            ("GET", F, "files.get", self.get_file, "api"),
            ("HEAD", F, "files.get", self.get_file, "api"),
            ("GET", F + r"/raw", "files.raw", self.get_raw_file, "api"),
            ("POST", F, "files.create", self.create_file, "api"),
            ("PUT", F, "files.update", self.update_file, "api"),
            ("DELETE", F, "files.delete", self.delete_file, "api"),
            ("GET", P + r"/repository/commits", "commits.list", self.list_commits, "api"),
            ("POST", P + r"/repository/commits", "commits.create", self.create_commit, "api"),
            ("GET", P + r"/repository/commits/(?P<sha>[^/]+)", "commits.get", self.get_commit, "api"),
            ("GET", P + r"/pipelines", "pipelines.list", self.list_pipelines, "api"),
            ("GET", P + r"/pipelines/latest", "pipelines.latest", self.latest_pipeline, "api"),
            ("GET", P + r"/pipelines/(?P<pipeline>[^/]+)", "pipelines.get", self.get_pipeline, "api"),
            ("POST", P + r"/pipelines/(?P<pipeline>[^/]+)/retry", "pipelines.retry", self.retry_pipeline, "api"),
            ("GET", P + r"/pipelines/(?P<pipeline>[^/]+)/jobs", "jobs.list", self.list_jobs, "api"),
            ("POST", P + r"/pipeline", "pipelines.create", self.create_pipeline, "api"),
            ("GET", P + r"/jobs/(?P<job>[^/]+)", "jobs.get", self.get_job, "api"),
            ("GET", P + r"/jobs/(?P<job>[^/]+)/trace", "jobs.trace", self.get_trace, "api"),
        ]
        self.routes = [Route(m, re.compile(f"^{p}$"), op, h, s) for m, p, op, h, s in table]

    # -- dispatch ------------------------------------------------------------------------------
    def __call__(self, request: ForgeRequest) -> ForgeResponse:
        self.world.count("gitlab", write=request.method not in READ_METHODS)
        try:
            return self._dispatch(request)
        except GitLabError as error:
            return error.response()

    def _dispatch(self, request: ForgeRequest) -> ForgeResponse:
        path = request.path[len(request.prefix) :] or "/"
        matched = [(route, m) for route in self.routes if (m := route.pattern.match(path))]
        if not matched:
            raise route_not_found()
        chosen = next(((r, m) for r, m in matched if r.method == request.method), None)
        if chosen is None:
            raise GitLabError(405, {"error": "405 Not Allowed"})
        route, match = chosen
        self._inject(route.operation)
        params = self._params(request)
        username, token = self._authenticate(request, params, route)
        call = Call(request, params, username, token)
        return route.handler(call, **match.groupdict())

    def _inject(self, operation: str) -> None:
        limited = rate_limited(self.world, "gitlab")
        if limited is not None:
            # GitLab's rate-limit answer: 429 "Retry later" with RateLimit-* and Retry-After
            # (https://docs.gitlab.com/ee/administration/settings/user_and_ip_rate_limits.html#response-headers).
            seconds = limited[0]
            reset = math.ceil(time.time() + seconds)
            raise GitLabError(
                429,
                "Retry later\n",
                [
                    ("RateLimit-Limit", "600"),
                    ("RateLimit-Observed", "601"),
                    ("RateLimit-Remaining", "0"),
                    ("RateLimit-Reset", str(reset)),
                    ("RateLimit-ResetTime", formatdate(reset, usegmt=True)),
                    ("Retry-After", str(max(1, math.ceil(seconds)))),
                ],
            )
        code = self.world.take_failure(f"gitlab.{operation}")
        if not code:
            return
        name = str(code).upper()
        status, body = INJECTED_ERRORS.get(INJECTED_BY_NUMBER.get(name, name), INJECTED_ERRORS["UNAVAILABLE"])
        headers = [("Retry-After", "1")] if status == 429 else []
        raise GitLabError(status, body, headers)

    @staticmethod
    def _params(request: ForgeRequest) -> dict[str, Any]:
        params: dict[str, Any] = {k: v[-1] for k, v in request.query.items()}
        for key, values in request.query.items():
            if key.endswith("[]"):
                params[key[:-2]] = values
        ctype = (request.header("content-type") or "").split(";")[0].strip().lower()
        if request.body:
            if ctype == "application/json" or request.body.lstrip()[:1] in (b"{", b"["):
                try:
                    body = json.loads(request.body)
                except ValueError:
                    raise bad_params("The request body could not be parsed as JSON") from None
                if isinstance(body, dict):
                    params.update(body)
            elif ctype == "application/x-www-form-urlencoded":
                form = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
                params.update({k.removesuffix("[]"): (v if k.endswith("[]") else v[-1]) for k, v in form.items()})
        return params

    def _authenticate(self, request: ForgeRequest, params: dict[str, Any], route: Route) -> tuple[str, dict[str, Any]]:
        secret = (
            request.header("private-token") or params.pop("private_token", None) or params.pop("access_token", None)
        )
        authorization = request.header("authorization") or ""
        if not secret and authorization.lower().startswith("bearer "):
            secret = authorization[7:].strip()
        unauthorized = message(401, "401 Unauthorized")
        if not secret:
            raise unauthorized
        record = self.world.read().get("forges", {}).get("gitlab", {}).get("tokens", {}).get(secret)
        if record is None or not record.get("active", True) or record.get("revoked") or store.token_expired(record):
            raise unauthorized
        scopes = set(record.get("scopes", []))
        read = request.method in READ_METHODS
        allowed = {"api"} | ({"read_api"} if read else set())
        if route.scope == "user" and read:
            allowed |= {"read_user"}
        if route.scope != "any" and not scopes & allowed:
            wanted = " ".join(sorted(allowed, key=["api", "read_api", "read_user"].index))
            raise GitLabError(
                403,
                {"error": "insufficient_scope", "error_description": INSUFFICIENT, "scope": wanted},
                [
                    (
                        "WWW-Authenticate",
                        (
                            'Bearer realm="Protected by OAuth 2.0", error="insufficient_scope", '
                            f'error_description="{INSUFFICIENT}", scope="{wanted}"'
                        ),
                    )
                ],
            )
        return record["username"], record

    # -- user and token ------------------------------------------------------------------------
    def get_user(self, call: Call) -> ForgeResponse:
        user = self._user(call.username)
        body = {
            **self._user_basic(call, call.username),
            "created_at": user.get("created_at"),
            "bio": "",
            "location": "",
            "public_email": None,
            "website_url": "",
            "organization": "",
            "job_title": "",
            "bot": False,
            "email": user.get("email"),
            "commit_email": user.get("email"),
            "projects_limit": 100000,
            "can_create_group": True,
            "can_create_project": True,
            "two_factor_enabled": False,
            "external": False,
            "private_profile": False,
            "identities": [],
        }
        return ForgeResponse.json(body)

    def get_token(self, call: Call) -> ForgeResponse:
        t = call.token
        user = self._user(call.username)
        return ForgeResponse.json(
            {
                "id": t.get("id"),
                "name": t.get("name"),
                "revoked": bool(t.get("revoked")),
                "created_at": t.get("created_at"),
                "description": None,
                "scopes": list(t.get("scopes", [])),
                "user_id": user["id"],
                "last_used_at": store.now_iso(),
                "active": True,
                "expires_at": t.get("expires_at"),
            }
        )

    # -- projects ------------------------------------------------------------------------------
    def get_project(self, call: Call, project: str) -> ForgeResponse:
        path, record = self._project(call, project)
        return ForgeResponse.json(self._project_json(call, path, record))

    def _project_json(self, call: Call, path: str, record: dict[str, Any]) -> dict[str, Any]:
        namespace, _, name = path.rpartition("/")
        owner = self._user(namespace)
        empty = git_repo.is_empty(self._repo(path))
        return {
            "id": record["id"],
            "description": None,
            "name": name,
            "name_with_namespace": f"{owner['name']} / {name}",
            "path": name,
            "path_with_namespace": path,
            "created_at": record.get("created_at"),
            "default_branch": None if empty else record.get("default_branch", "main"),
            "tag_list": [],
            "topics": [],
            "ssh_url_to_repo": f"git@{call.base.split('//', 1)[-1]}:{path}.git",
            "http_url_to_repo": f"{call.base}/{path}.git",
            "web_url": f"{call.base}/{path}",
            "readme_url": None,
            "avatar_url": None,
            "forks_count": 0,
            "star_count": 0,
            "last_activity_at": record.get("created_at"),
            "namespace": {
                "id": owner["id"],
                "name": owner["name"],
                "path": namespace,
                "kind": "user",
                "full_path": namespace,
                "parent_id": None,
                "avatar_url": None,
                "web_url": f"{call.base}/{namespace}",
            },
            "visibility": record.get("visibility", "private"),
            "empty_repo": empty,
            "archived": False,
            "jobs_enabled": True,
            "builds_access_level": "enabled",
            "ci_config_path": None,
            "permissions": {"project_access": self._access(call, path), "group_access": None},
        }

    def _access(self, call: Call, path: str) -> dict[str, int] | None:
        level = store.access_level(self.world.read(), call.username, path)
        return {"access_level": level, "notification_level": 3} if level else None

    # -- branches ------------------------------------------------------------------------------
    def get_branch(self, call: Call, project: str, branch: str) -> ForgeResponse:
        """GET /projects/:id/repository/branches/:branch — `can_push` is the caller's own answer.

        https://docs.gitlab.com/ee/api/branches.html#get-single-repository-branch ("can_push":
        whether the current user can push to the branch; "developers_can_push" for protected ones).
        """
        path, record = self._project(call, project)
        name = unquote(branch)
        repo = self._repo(path)
        sha = git_repo.branches(repo).get(name)
        if sha is None:
            raise not_found("Branch")
        data = self.world.read()
        needed = store.push_level(record, name)
        commit = {"id": sha, "short_id": sha[:8]}
        return ForgeResponse.json(
            {
                "name": name,
                "merged": False,
                "protected": needed is not None,
                "default": name == record.get("default_branch", "main"),
                "developers_can_push": needed is not None and 0 < needed <= store.DEVELOPER,
                "developers_can_merge": False,
                "can_push": store.can_push(data, call.username, path, name),
                "web_url": f"{call.base}/{path}/-/tree/{name}",
                "commit": commit,
            }
        )

    # -- CI/CD variables -----------------------------------------------------------------------
    def list_variables(self, call: Call, project: str) -> ForgeResponse:
        _, record = self._project(call, project, maintainer=True)
        items = [store.variable_json(k, v) for k, v in sorted(record.get("variables", {}).items())]
        return self._paginate(call, items)

    def get_variable(self, call: Call, project: str, key: str) -> ForgeResponse:
        _, record = self._project(call, project, maintainer=True)
        var = record.get("variables", {}).get(unquote(key))
        if var is None:
            raise not_found("Variable")
        return ForgeResponse.json(store.variable_json(unquote(key), var))

    def _variable_fields(self, params: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
        """`base` with the request's fields, after Grape's parameter checks (400 {"error": ...})."""
        for name in ("masked", "protected", "raw", "masked_and_hidden"):
            if name in params and not store.is_bool(params[name]):
                raise bad_params(f"{name} is invalid")
        if params.get("variable_type") not in (None, *store.VARIABLE_TYPES):
            raise bad_params("variable_type does not have a valid value")
        var = dict(base)
        for name in ("masked", "protected", "raw"):
            if name in params:
                var[name] = store.to_bool(params[name])
        if store.to_bool(params.get("masked_and_hidden")):
            var["masked"], var["hidden"] = True, True
        for name in ("value", "variable_type", "environment_scope", "description"):
            if name in params and params[name] is not None:
                var[name] = str(params[name])
        return var

    def create_variable(self, call: Call, project: str) -> ForgeResponse:
        self._required(call.params, "key", "value")
        key = str(call.params["key"]).strip()
        with self.world.mutate() as data:
            _, record = self._project(call, project, data, maintainer=True)
            variables = record.setdefault("variables", {})
            base = {
                "key": key,
                "value": "",
                "masked": False,
                "protected": False,
                "raw": False,
                "variable_type": "env_var",
                "environment_scope": "*",
                "description": None,
            }
            var = self._variable_fields(call.params, base)
            errors = store.validate_variable(var, key in variables)
            if errors:
                raise message(400, errors)
            variables[key] = store.variable_record(var)
            return ForgeResponse.json(store.variable_json(key, variables[key]), 201)

    def update_variable(self, call: Call, project: str, key: str) -> ForgeResponse:
        key = unquote(key)
        with self.world.mutate() as data:
            _, record = self._project(call, project, data, maintainer=True)
            variables = record.setdefault("variables", {})
            if key not in variables:
                raise not_found("Variable")
            var = self._variable_fields(call.params, {**variables[key], "key": key})
            errors = store.validate_variable(var, False) or store.validate_hidden_update(variables[key], var)
            if errors:
                raise message(400, errors)
            variables[key] = store.variable_record(var)
            return ForgeResponse.json(store.variable_json(key, variables[key]))

    def delete_variable(self, call: Call, project: str, key: str) -> ForgeResponse:
        key = unquote(key)
        with self.world.mutate() as data:
            _, record = self._project(call, project, data, maintainer=True)
            if record.get("variables", {}).pop(key, None) is None:
                raise not_found("Variable")
        return ForgeResponse(204)
