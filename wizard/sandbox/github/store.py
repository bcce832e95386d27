"""The fake GitHub's part of the world: users, tokens, repositories and who may do what.

    world["forges"]["github"] = {
      "tokens": {token: {"login", "scopes": [...] | None, "repos": {...} (fine-grained), "note"}},
      "users": {login: {"id", "name", "email", "created_at"}},
      "repos": {"owner/name": {"id", "private", "default_branch", "created_at", "pushed_at",
                "actions_key": {"key_id", "public_key", "private_key"},
                "secrets": {NAME: {"created_at", "updated_at", **key_facts(value).to_world()}},
                "runs": [...], "heads": {branch: sha}}}}

Secret values never enter the world: only their facts (see `ci_checks.key_facts`). Tokens
are random and made at run time. Ids come from the world's shared counter.
"""

from __future__ import annotations

import base64
import secrets as random
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from nacl.public import PrivateKey

from wizard.sandbox.world import World

API_PREFIX = "/api/v3"
FULL_SCOPES = ["repo", "workflow"]
SANDBOX_TOKEN_NOTE = "mlops-wizard sandbox"
LEARNER_LOGIN = "learner"
LEARNER_NAME = "Learner"


# -- time -------------------------------------------------------------------------------------
def stamp(epoch: float | None = None) -> str:
    """How the world stores a moment: RFC 3339 with microseconds (runs need sub-second times)."""
    moment = datetime.fromtimestamp(time.time() if epoch is None else epoch, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def shown(text: str | None) -> str | None:
    """How GitHub shows a moment: whole seconds, UTC, a Z."""
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- records ----------------------------------------------------------------------------------
def github(data: dict[str, Any]) -> dict[str, Any]:
    return data.setdefault("forges", {}).setdefault("github", {"tokens": {}, "users": {}, "repos": {}})


def next_id(data: dict[str, Any]) -> int:
    number = int(data.get("next_number", 100000000001))
    data["next_number"] = number + 1
    return number


def _user(data: dict[str, Any], login: str) -> dict[str, Any]:
    users = github(data)["users"]
    if login not in users:
        learner = login == LEARNER_LOGIN
        users[login] = {"id": next_id(data), "name": LEARNER_NAME if learner else login,
                        "email": data.get("learner", "learner@example.com") if learner else f"{login}@example.com",
                        "created_at": stamp()}
    return users[login]


def actions_key_pair() -> dict[str, str]:
    """The repository's libsodium key pair for sealed-box secrets (GitHub's ids are digits)."""
    key = PrivateKey.generate()
    return {"key_id": str(random.randbelow(9 * 10**17) + 10**17),
            "public_key": base64.b64encode(bytes(key.public_key)).decode("ascii"),
            "private_key": base64.b64encode(bytes(key)).decode("ascii")}


def new_token(data: dict[str, Any], login: str, scopes: list[str] | None, repos: dict[str, str] | None,
              note: str = "") -> str:
    _user(data, login)
    token = ("sandbox-gh-" if scopes is not None else "sandbox-gh-pat-") + random.token_hex(16)
    record: dict[str, Any] = {"login": login, "scopes": list(scopes) if scopes is not None else None}
    if scopes is None:
        record["repos"] = dict(repos or {})
    if note:
        record["note"] = note
    github(data)["tokens"][token] = record
    return token


def seed_github(world_data: dict[str, Any], owner: str, name: str) -> dict[str, str]:
    """Create the learner, their full-scope classic token and the repository `owner/name`.

    Call inside `world.mutate()`. Idempotent: a second call returns the same token.
    """
    forge = github(world_data)
    _user(world_data, owner)
    full = f"{owner}/{name}"
    if full not in forge["repos"]:
        forge["repos"][full] = {"id": next_id(world_data), "private": False, "default_branch": "main",
                                "created_at": stamp(), "pushed_at": None, "actions_key": actions_key_pair(),
                                "secrets": {}, "runs": []}
    token = _find_sandbox_token(forge, owner)
    if token is None:
        token = new_token(world_data, owner, FULL_SCOPES, None, note=SANDBOX_TOKEN_NOTE)
    return {"token": token, "api_url_path": API_PREFIX}


def _find_sandbox_token(forge: dict[str, Any], login: str) -> str | None:
    candidates = [t for t, r in forge.get("tokens", {}).items()
                  if r.get("login") == login and r.get("scopes") is not None and set(FULL_SCOPES) <= set(r["scopes"])]
    noted = [t for t in candidates if forge["tokens"][t].get("note") == SANDBOX_TOKEN_NOTE]
    return (noted or candidates or [None])[0]


def mint_github_token(world: World, scopes: list[str] | None, repos: dict[str, str] | None = None,
                      login: str = LEARNER_LOGIN) -> str:
    """A new token: classic with `scopes`, or (scopes=None) fine-grained with `repos` permissions."""
    if scopes is None:
        for full, level in (repos or {}).items():
            if level not in ("read", "write"):
                raise ValueError(f"permission for {full} must be 'read' or 'write', not {level!r}")
    with world.mutate() as data:
        return new_token(data, login, scopes, repos)


def sandbox_github_token(world: World, login: str = LEARNER_LOGIN) -> str:
    """The learner's full-scope token, which the wizard uses by itself in sandbox mode."""
    token = _find_sandbox_token(world.read().get("forges", {}).get("github", {}), login)
    if token is None:
        raise LookupError("this sandbox has no GitHub token for the learner: it was created without the "
                          "fake GitHub (seed_github)")
    return token


# -- who may do what --------------------------------------------------------------------------
@dataclass(frozen=True)
class Caller:
    token: str | None = None
    login: str | None = None
    scopes: tuple[str, ...] | None = None  # None: fine-grained (or anonymous)
    repos: dict[str, str] = field(default_factory=dict)

    @property
    def anonymous(self) -> bool:
        return self.token is None

    @property
    def fine_grained(self) -> bool:
        return self.token is not None and self.scopes is None

    def level(self, full: str, repo: dict[str, Any]) -> str:
        """'none', 'read' or 'write' on the repository `full`."""
        public = not repo.get("private")
        if self.anonymous:
            return "read" if public else "none"
        if self.fine_grained:
            granted = self.repos.get(full)
            if granted in ("read", "write"):
                return granted
            return "read" if public else "none"
        owner = full.split("/")[0]
        scopes = set(self.scopes or ())
        if owner == self.login and ("repo" in scopes or ("public_repo" in scopes and public)):
            return "write"
        return "read" if public else "none"

    def granted(self, full: str) -> bool:
        """Whether a fine-grained token lists the repository (else only public reads work)."""
        return full in self.repos

    @property
    def may_change_workflows(self) -> bool:
        if self.fine_grained:
            return True  # "write" on the repository includes the Workflows permission here
        return "workflow" in set(self.scopes or ())


def caller_for(data: dict[str, Any], token: str | None) -> Caller | None:
    """The caller a token stands for; None for an unknown token."""
    if token is None:
        return Caller()
    record = github(data)["tokens"].get(token)
    if record is None:
        return None
    scopes = record.get("scopes")
    return Caller(token, record.get("login"), tuple(scopes) if scopes is not None else None,
                  dict(record.get("repos") or {}))
