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
        users[username] = {"id": next_id(data, "user"), "name": username.replace("-", " ").title(),
                           "email": email, "created_at": now_iso()}
    return users[username]


def add_token(data: dict[str, Any], scopes: list[str], username: str = "learner", expired: bool = False,
              name: str = "mlops-wizard") -> str:
    ensure_user(data, username)
    token = "sandbox-gl-" + secrets.token_hex(16)
    today = date.today()
    expires = today - timedelta(days=1) if expired else today + timedelta(days=30)
    gitlab(data)["tokens"][token] = {
        "id": next_id(data, "token"), "name": name, "username": username, "scopes": list(scopes),
        "active": not expired, "revoked": False, "expires_at": expires.isoformat(), "created_at": now_iso(),
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
            "id": next_id(world_data, "project"), "name": name, "namespace": namespace,
            "default_branch": "main", "visibility": "private", "protected_branches": ["main"],
            "created_at": now_iso(), "variables": {}, "pipelines": [],
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
    return value is None or isinstance(value, bool) or str(value).strip().lower() in (
        "true", "false", "1", "0", "t", "f", "yes", "no", "y", "n", "on", "off")


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
        "variable_type": var.get("variable_type", "env_var"), "key": key,
        "value": None if var.get("hidden") else var.get("value"), "hidden": bool(var.get("hidden")),
        "protected": bool(var.get("protected")), "masked": bool(var.get("masked")),
        "raw": bool(var.get("raw")), "environment_scope": var.get("environment_scope", "*"),
        "description": var.get("description"),
    }
