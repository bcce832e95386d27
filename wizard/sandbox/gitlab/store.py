"""The fake GitLab's records in the world: users, personal access tokens, projects, CI/CD variables.

Everything lives in `world["forges"]["gitlab"]` (schema in the package docstring). Tokens
are made at run time (`sandbox-gl-` + random hex), never written into the repository.
"""

from __future__ import annotations

import base64
import re
import secrets
from datetime import date, datetime, timedelta, timezone
from typing import Any

from wizard.sandbox import ci_checks
from wizard.sandbox.world import World

SANDBOX_TOKEN_NAME = "mlops-wizard sandbox"
DEFAULT_SCOPES = ["api", "read_repository", "write_repository"]
FIRST_IDS = {"user": 1, "token": 1, "project": 4815162, "pipeline": 1000001, "job": 9000001}

# Ci::HasVariable and Ci::Maskable, as GitLab validates them.
KEY_RULE = re.compile(r"\A[a-zA-Z0-9_]+\Z")
MASKED = re.compile(r"\A[a-zA-Z0-9_+=/@:.~-]{8,}\Z")
MASKED_RAW = re.compile(r"\A\S{8,}\Z")
VARIABLE_TYPES = ("env_var", "file")


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def gitlab(data: dict[str, Any]) -> dict[str, Any]:
    """The fake GitLab's part of the world, created empty if needed."""
    forge = data.setdefault("forges", {}).setdefault("gitlab", {})
    forge.setdefault("tokens", {})
    forge.setdefault("users", {})
    forge.setdefault("projects", {})
    forge.setdefault("next_ids", dict(FIRST_IDS))
    return forge


def next_id(data: dict[str, Any], kind: str) -> int:
    ids = gitlab(data)["next_ids"]
    value = int(ids.get(kind, FIRST_IDS[kind]))
    ids[kind] = value + 1
    return value


def ensure_user(data: dict[str, Any], username: str) -> dict[str, Any]:
    users = gitlab(data)["users"]
    if username not in users:
        email = data.get("learner", "learner@example.com") if username == "learner" else f"{username}@example.com"
        users[username] = {
            "id": next_id(data, "user"),
            "name": username.replace("-", " ").title(),
            "email": email,
            "created_at": now_iso(),
        }
    return users[username]


def add_token(
    data: dict[str, Any],
    scopes: list[str],
    username: str = "learner",
    expired: bool = False,
    name: str = "mlops-wizard",
) -> str:
    ensure_user(data, username)
    token = "sandbox-gl-" + secrets.token_hex(16)
    today = date.today()
    expires = today - timedelta(days=1) if expired else today + timedelta(days=30)
    gitlab(data)["tokens"][token] = {
        "id": next_id(data, "token"),
        "name": name,
        "username": username,
        "scopes": list(scopes),
        "active": not expired,
        "revoked": False,
        "expires_at": expires.isoformat(),
        "created_at": now_iso(),
    }
    return token


def seed_gitlab(world_data: dict[str, Any], path: str) -> dict[str, Any]:
    """Create the learner, their token and the project `path` (call inside `world.mutate()`).

    Safe to call again: an existing sandbox token and project are kept.
    """
    forge = gitlab(world_data)
    namespace, _, name = path.rpartition("/")
    ensure_user(world_data, namespace or "learner")
    token = next((t for t, record in forge["tokens"].items() if record.get("name") == SANDBOX_TOKEN_NAME), None)
    if token is None:
        token = add_token(world_data, DEFAULT_SCOPES, namespace or "learner", name=SANDBOX_TOKEN_NAME)
    if path not in forge["projects"]:
        forge["projects"][path] = {
            "id": next_id(world_data, "project"),
            "name": name,
            "namespace": namespace,
            "default_branch": "main",
            "visibility": "private",
            "protected_branches": ["main"],
            "created_at": now_iso(),
            "variables": {},
            "pipelines": [],
        }
    return {"token": token}


def mint_gitlab_token(world: World, scopes: list[str], username: str = "learner", expired: bool = False) -> str:
    """A new personal access token (for tests and workshops: read-only, expired, ...)."""
    with world.mutate() as data:
        return add_token(data, scopes, username, expired)


def sandbox_gitlab_token(world: World) -> str:
    """The learner's token made by `seed_gitlab`."""
    tokens = world.read().get("forges", {}).get("gitlab", {}).get("tokens", {})
    for token, record in tokens.items():
        if record.get("name") == SANDBOX_TOKEN_NAME:
            return token
    raise LookupError("the sandbox has no GitLab token: was it seeded with seed_gitlab()?")


def token_expired(record: dict[str, Any]) -> bool:
    expires = record.get("expires_at")
    return bool(expires) and date.fromisoformat(str(expires)[:10]) < date.today()


# -- CI/CD variables -----------------------------------------------------------------------------
def to_bool(value: Any, default: bool = False) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "t", "on")


def is_bool(value: Any) -> bool:
    """Does Grape accept this as a Boolean parameter?"""
    return (
        value is None
        or isinstance(value, bool)
        or str(value).strip().lower() in ("true", "false", "1", "0", "t", "f", "yes", "no", "y", "n", "on", "off")
    )


def validate_variable(var: dict[str, Any], key_taken: bool) -> dict[str, list[str]]:
    """GitLab's validation errors for a variable record ({} when valid)."""
    errors: dict[str, list[str]] = {}
    key = var["key"]
    if not key:
        errors.setdefault("key", []).append("can't be blank")
    elif len(key) > 255:
        errors.setdefault("key", []).append("is too long (maximum is 255 characters)")
    if key and not KEY_RULE.match(key):
        errors.setdefault("key", []).append("can contain only letters, digits and '_'.")
    if key_taken:
        errors.setdefault("key", []).append(f"({key}) has already been taken")
    if var["masked"]:
        rule = MASKED_RAW if var["raw"] else MASKED
        if not rule.match(var["value"]):
            errors.setdefault("value", []).append("is invalid")
    return errors


def validate_hidden_update(stored: dict[str, Any], var: dict[str, Any]) -> dict[str, list[str]]:
    """GitLab's rule for "masked and hidden" variables on update ({} when the update is allowed).

    Source: GitLab's app/models/concerns/ci/hidable_variable.rb (validate_masked_and_hidden_on_update)
    and spec/requests/api/ci/variables_spec.rb, which expects 400 with
    `{"message": {"base": ["The visibility setting cannot be changed for masked and hidden variables."]}}`.
    Only a variable created with `masked_and_hidden` is hidden; its value may still be replaced.
    """
    masked_changed = bool(stored.get("masked")) != bool(var.get("masked"))
    hidden_changed = bool(stored.get("hidden")) != bool(var.get("hidden"))
    if not masked_changed and not hidden_changed:
        return {}
    if not var.get("hidden") and not hidden_changed:
        return {}
    if hidden_changed:
        return {"base": ["Only new variables can be set as masked and hidden."]}
    return {"base": ["The visibility setting cannot be changed for masked and hidden variables."]}


def variable_record(var: dict[str, Any]) -> dict[str, Any]:
    """What the world keeps: the value (GitLab's own database) and facts about the key it holds."""
    var = {k: v for k, v in var.items() if k != "key"}
    value = var["value"]
    facts = ci_checks.key_facts(value)
    if not facts.valid_json_key:
        try:
            decoded = base64.b64decode(value.replace("\n", ""), validate=True)
            decoded_facts = ci_checks.key_facts(decoded)
            if decoded_facts.valid_json_key or decoded.lstrip().startswith(b"{"):
                facts = decoded_facts
        except ValueError:
            pass
    return {**var, **facts.to_world()}


def variable_json(key: str, var: dict[str, Any]) -> dict[str, Any]:
    return {
        "variable_type": var.get("variable_type", "env_var"),
        "key": key,
        "value": None if var.get("hidden") else var.get("value"),
        "hidden": bool(var.get("hidden")),
        "protected": bool(var.get("protected")),
        "masked": bool(var.get("masked")),
        "raw": bool(var.get("raw")),
        "environment_scope": var.get("environment_scope", "*"),
        "description": var.get("description"),
    }


# -- who may push -------------------------------------------------------------------------------
GUEST, REPORTER, DEVELOPER, MAINTAINER, OWNER = 10, 20, 30, 40, 50
PUSH_SCOPES = ("api", "write_repository")


def access_level(data: dict[str, Any], username: str | None, path: str) -> int:
    """`username`'s role on the project `path` (0: none): Owner in their own namespace, else as a member."""
    project = gitlab(data)["projects"].get(path)
    if project is None or not username:
        return 0
    if path.split("/", 1)[0] == username:
        return OWNER
    return int((project.get("members") or {}).get(username, 0))


def add_member(data: dict[str, Any], path: str, username: str, level: int) -> None:
    """Make `username` a member of `path` with a role (30 Developer, 40 Maintainer…); inside `world.mutate()`."""
    ensure_user(data, username)
    gitlab(data)["projects"][path].setdefault("members", {})[username] = int(level)


def push_level(project: dict[str, Any], branch: str) -> int | None:
    """The role needed to push to `branch` when it is protected (None: not protected).

    `protected_branches` is a list of names (GitLab's default rule: "Allowed to push and merge:
    Maintainers") or {name: {"push_access_level": 0 | 30 | 40}} (0: No one).
    https://docs.gitlab.com/ee/user/project/repository/branches/protected.html
    """
    rules = project.get("protected_branches") or []
    if isinstance(rules, dict):
        rule = rules.get(branch)
        return None if rule is None else int(rule.get("push_access_level", MAINTAINER))
    return MAINTAINER if branch in rules else None


def can_push(data: dict[str, Any], username: str | None, path: str, branch: str) -> bool:
    level = access_level(data, username, path)
    if level < DEVELOPER:
        return False
    needed = push_level(gitlab(data)["projects"][path], branch)
    return needed is None or (needed > 0 and level >= needed)


def push_refusal(
    data: dict[str, Any], token: str | None, path: str, branch: str | None, changed: list[str]
) -> tuple[int, str] | None:
    """Why GitLab would refuse this push over HTTPS: (HTTP status, or 0 for a ref rejection, message).

    Messages as GitLab prints them through git ("remote: GitLab: You are not allowed to push code
    to protected branches on this project." then "! [remote rejected] main -> main (pre-receive hook
    declined)"; "You are not allowed to push code to this project." with 403). Anonymous pushes are
    the sandbox's convenience (the namespace's owner pushes) unless `faults.git_auth` is set.
    """
    project = gitlab(data)["projects"].get(path)
    if project is None:
        return None
    if token:
        record = gitlab(data)["tokens"].get(token)
        if record is None or not record.get("active", True) or record.get("revoked") or token_expired(record):
            return 401, (
                "HTTP Basic: Access denied. If a password was provided for Git authentication, the password "
                "was incorrect or you're required to use a token instead of a password."
            )
        username = record["username"]
        if not set(record.get("scopes", [])) & set(PUSH_SCOPES):
            return 403, "You are not allowed to push code to this project."
    else:
        username = path.split("/", 1)[0]
    if access_level(data, username, path) < DEVELOPER:
        return 403, "You are not allowed to push code to this project."
    if branch is not None and not can_push(data, username, path, branch):
        return 0, "GitLab: You are not allowed to push code to protected branches on this project."
    return None
