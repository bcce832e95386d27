"""Plumbing shared by the fake GitLab's endpoints: GitLab's error bodies, routes, the caller,
and the helpers every endpoint uses (project lookup and access, users, pagination).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode

from wizard.sandbox.forge import ForgeRequest, ForgeResponse, create_repo, repo_path
from wizard.sandbox.gitlab import store
from wizard.sandbox.world import World

READ_METHODS = ("GET", "HEAD")
INSUFFICIENT = "The request requires higher privileges than provided by the access token."

# Injected failures: world["faults"]["fail"]["gitlab.<operation>"] = CODE.
INJECTED_ERRORS: dict[str, tuple[int, Any]] = {
    "UNAVAILABLE": (503, {"message": "503 Service Unavailable"}),
    "SERVICE_UNAVAILABLE": (503, {"message": "503 Service Unavailable"}),
    "INTERNAL": (500, {"message": "500 Internal Server Error"}),
    "INTERNAL_SERVER_ERROR": (500, {"message": "500 Internal Server Error"}),
    "BAD_GATEWAY": (502, {"message": "502 Bad Gateway"}),
    "DEADLINE_EXCEEDED": (504, {"message": "504 Gateway Timeout"}),
    "GATEWAY_TIMEOUT": (504, {"message": "504 Gateway Timeout"}),
    "RESOURCE_EXHAUSTED": (429, "Retry later\n"),
    "TOO_MANY_REQUESTS": (429, "Retry later\n"),
    "PERMISSION_DENIED": (403, {"message": "403 Forbidden"}),
    "FORBIDDEN": (403, {"message": "403 Forbidden"}),
    "NOT_FOUND": (404, {"message": "404 Not Found"}),
    "UNAUTHENTICATED": (401, {"message": "401 Unauthorized"}),
    "UNAUTHORIZED": (401, {"message": "401 Unauthorized"}),
    "CONFLICT": (409, {"message": "409 Conflict"}),
}
INJECTED_BY_NUMBER = {str(status): name for name, (status, _) in reversed(list(INJECTED_ERRORS.items()))}


class GitLabError(Exception):
    def __init__(self, status: int, body: Any, headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(status, body)
        self.status, self.body, self.headers = status, body, headers or []

    def response(self) -> ForgeResponse:
        if isinstance(self.body, str):
            response = ForgeResponse.text(self.body, self.status)
            response.headers.extend(self.headers)
            return response
        return ForgeResponse.json(self.body, self.status, self.headers)


def message(status: int, text: Any) -> GitLabError:
    return GitLabError(status, {"message": text})


def not_found(what: str) -> GitLabError:
    return message(404, f"404 {what} Not Found")


def bad_params(text: str) -> GitLabError:
    return GitLabError(400, {"error": text})


def route_not_found() -> GitLabError:
    return GitLabError(404, {"error": "404 Not Found"})


def record_not_found() -> GitLabError:
    return message(404, "404 Not found")  # ActiveRecord::RecordNotFound, as GitLab words it


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    operation: str  # the injected-failure name is "gitlab." + operation
    handler: Callable[..., ForgeResponse]
    scope: str = "api"  # "api" (read_api for reads), "user" (read_user too), "any" (every scope)


@dataclass
class Call:
    """One authenticated request."""

    request: ForgeRequest
    params: dict[str, Any]
    username: str
    token: dict[str, Any]

    @property
    def base(self) -> str:
        return self.request.base_url


class Endpoints:
    """What every group of endpoints needs; `GitLabApp` puts the groups together.

    The repository endpoints start pipelines (`trigger`) and show a commit's last pipeline
    (`_pipeline_json`): both come from `PipelineEndpoints`, the other half of `GitLabApp`.
    """

    world: World
    repos_dir: Path
    base_url: str

    def _project(
        self, call: Call, raw_id: str, data: dict[str, Any] | None = None, maintainer: bool = False
    ) -> tuple[str, dict[str, Any]]:
        """The project `raw_id` names (numeric id or URL-encoded path) if the caller may see it.

        Reads of a public project are open to anyone; other reads need a role on the project,
        writes at least Developer, and `maintainer` (CI/CD variables) Maintainer or Owner
        (https://docs.gitlab.com/ee/user/permissions.html: "Manage CI/CD variables": Maintainer).
        """
        data = data if data is not None else self.world.read()
        projects = store.gitlab(data)["projects"]
        found = None
        if raw_id.isdigit():
            found = next(((p, r) for p, r in projects.items() if str(r.get("id")) == raw_id), None)
        else:
            wanted = unquote(raw_id).strip("/").lower()
            found = next(((p, r) for p, r in projects.items() if p.lower() == wanted), None)
        if found is None:
            raise not_found("Project")
        path, record = found
        level = store.access_level(data, call.username, path)
        if level == 0 and record.get("visibility") != "public":
            raise not_found("Project")
        if maintainer and level < store.MAINTAINER:
            raise message(403, "403 Forbidden")
        if call.request.method not in READ_METHODS and level < store.DEVELOPER:
            raise message(403, "403 Forbidden")
        return path, record

    def _repo(self, path: str) -> Path:
        namespace, _, name = path.rpartition("/")
        location = repo_path(self.repos_dir, namespace, name)
        if not (location / "HEAD").exists():
            create_repo(self.repos_dir, namespace, name)
        return location

    def _user(self, username: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        data = data if data is not None else self.world.read()
        return store.gitlab(data)["users"].get(username) or {"id": 0, "name": username, "email": ""}

    def _user_basic(self, call: Call, username: str) -> dict[str, Any]:
        user = self._user(username)
        return {
            "id": user["id"],
            "username": username,
            "name": user["name"],
            "state": "active",
            "locked": False,
            "avatar_url": None,
            "web_url": f"{call.base}/{username}",
        }

    @staticmethod
    def _required(params: dict[str, Any], *names: str) -> None:
        missing = [name for name in names if params.get(name) is None]
        if missing:
            raise bad_params(", ".join(f"{name} is missing" for name in missing))

    def _paginate(self, call: Call, items: list[Any]) -> ForgeResponse:
        try:
            per_page = min(100, max(1, int(call.params.get("per_page", 20))))
            page = max(1, int(call.params.get("page", 1)))
        except (TypeError, ValueError):
            raise bad_params("page is invalid") from None
        total = len(items)
        pages = max(1, math.ceil(total / per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        query = {k: v for k, v in call.request.query.items() if k not in ("page", "per_page")}

        def link(number: int) -> str:
            pairs = [(k, v) for k, values in query.items() for v in values]
            pairs += [("page", str(number)), ("per_page", str(per_page))]
            return f"{call.base}{call.request.path}?{urlencode(pairs)}"

        links = []
        if page < pages:
            links.append(f'<{link(page + 1)}>; rel="next"')
        if page > 1:
            links.append(f'<{link(page - 1)}>; rel="prev"')
        links += [f'<{link(1)}>; rel="first"', f'<{link(pages)}>; rel="last"']
        headers = [
            ("X-Page", str(page)),
            ("X-Per-Page", str(per_page)),
            ("X-Total", str(total)),
            ("X-Total-Pages", str(pages)),
            ("X-Next-Page", str(page + 1) if page < pages else ""),
            ("X-Prev-Page", str(page - 1) if page > 1 else ""),
            ("Link", ", ".join(links)),
        ]
        return ForgeResponse.json(chunk, 200, headers)
