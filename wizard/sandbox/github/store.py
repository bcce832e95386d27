"""The fake GitHub's part of the world: users, tokens, repositories and who may do what.

    world["forges"]["github"] = {
      "tokens": {token: {"login", "scopes": [...] | None, "repos": {...} (fine-grained), "note"}},
      "users": {login: {"id", "name", "email", "created_at", "type"?: "Organization"}},
      "repos": {"owner/name": {"id", "private", "default_branch", "created_at", "pushed_at",
                "collaborators": {login: role}, "protected_branches": {branch: {rule}},
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
        users[login] = {
            "id": next_id(data),
            "name": LEARNER_NAME if learner else login,
            "email": data.get("learner", "learner@example.com") if learner else f"{login}@example.com",
            "created_at": stamp(),
        }
    return users[login]


def actions_key_pair() -> dict[str, str]:
    """The repository's libsodium key pair for sealed-box secrets (GitHub's ids are digits)."""
    key = PrivateKey.generate()
    return {
        "key_id": str(random.randbelow(9 * 10**17) + 10**17),
        "public_key": base64.b64encode(bytes(key.public_key)).decode("ascii"),
        "private_key": base64.b64encode(bytes(key)).decode("ascii"),
    }


def new_token(
    data: dict[str, Any], login: str, scopes: list[str] | None, repos: dict[str, Any] | None, note: str = ""
) -> str:
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
    add_repo(world_data, full)
    token = _find_sandbox_token(forge, owner)
    if token is None:
        token = new_token(world_data, owner, FULL_SCOPES, None, note=SANDBOX_TOKEN_NOTE)
    return {"token": token, "api_url_path": API_PREFIX}


def _find_sandbox_token(forge: dict[str, Any], login: str) -> str | None:
    candidates = [
        t
        for t, r in forge.get("tokens", {}).items()
        if r.get("login") == login and r.get("scopes") is not None and set(FULL_SCOPES) <= set(r["scopes"])
    ]
    noted = [t for t in candidates if forge["tokens"][t].get("note") == SANDBOX_TOKEN_NOTE]
    return (noted or candidates or [None])[0]


def mint_github_token(
    world: World, scopes: list[str] | None, repos: dict[str, Any] | None = None, login: str = LEARNER_LOGIN
) -> str:
    """A new token: classic with `scopes`, or (scopes=None) fine-grained with `repos` permissions.

    A fine-grained token's permissions per repository are "read", "write" (see
    `FINE_GRAINED_SHORTHAND`) or a dict such as {"contents": "write", "secrets": "read"}.
    """
    if scopes is None:
        for full, level in (repos or {}).items():
            if isinstance(level, dict):
                wrong = {k: v for k, v in level.items() if v not in ("read", "write")}
                if wrong:
                    raise ValueError(f"permissions for {full} must be 'read' or 'write': {wrong}")
            elif level not in ("read", "write"):
                raise ValueError(f"permission for {full} must be 'read', 'write' or a dict, not {level!r}")
    with world.mutate() as data:
        return new_token(data, login, scopes, repos)


def sandbox_github_token(world: World, login: str = LEARNER_LOGIN) -> str:
    """The learner's full-scope token, which the wizard uses by itself in sandbox mode."""
    token = _find_sandbox_token(world.read().get("forges", {}).get("github", {}), login)
    if token is None:
        raise LookupError(
            "this sandbox has no GitHub token for the learner: it was created without the fake GitHub (seed_github)"
        )
    return token


# -- who may do what --------------------------------------------------------------------------
# A user's role on a repository: the owner is admin; collaborators (and organisation members
# given a role) have theirs. https://docs.github.com/en/organizations/managing-user-access-to-your-
# organizations-repositories/managing-repository-roles/repository-roles-for-an-organization
ROLES = ("read", "triage", "write", "maintain", "admin")
WRITE_ROLES = ("write", "maintain", "admin")

# Fine-grained tokens: repository permissions by name. A token minted with the shorthand
# "read" or "write" for a repository gets these.
FINE_GRAINED_SHORTHAND: dict[str, dict[str, str]] = {
    "read": {"metadata": "read", "contents": "read", "secrets": "read", "actions": "read"},
    "write": {"metadata": "read", "contents": "write", "secrets": "write", "workflows": "write", "actions": "write"},
}
_LEVELS = {"none": 0, "read": 1, "write": 2, "admin": 3}


def fine_grained_permissions(granted: Any) -> dict[str, str]:
    """A fine-grained token's permissions on one repository ({} when the repository is not selected)."""
    if granted is None:
        return {}
    if isinstance(granted, str):
        return dict(FINE_GRAINED_SHORTHAND[granted])
    return {"metadata": "read", **{str(k): str(v) for k, v in dict(granted).items()}}


def permits(permissions: dict[str, str], wanted: str) -> bool:
    """Does a fine-grained token grant `wanted` ("secrets=write", "contents=read", …)?"""
    name, _, level = wanted.partition("=")
    return _LEVELS.get(permissions.get(name, "none"), 0) >= _LEVELS.get(level or "read", 1)


def role_of(login: str | None, full: str, repo: dict[str, Any]) -> str | None:
    """`login`'s role on the repository `full`, None when they have none."""
    if not login:
        return None
    if full.split("/")[0] == login:
        return "admin"
    role = (repo.get("collaborators") or {}).get(login)
    return role if role in ROLES else None


@dataclass(frozen=True)
class Caller:
    token: str | None = None
    login: str | None = None
    scopes: tuple[str, ...] | None = None  # None: fine-grained (or anonymous)
    repos: dict[str, Any] = field(default_factory=dict)

    @property
    def anonymous(self) -> bool:
        return self.token is None

    @property
    def fine_grained(self) -> bool:
        return self.token is not None and self.scopes is None

    def permissions(self, full: str) -> dict[str, str]:
        """A fine-grained token's permissions on `full`."""
        return fine_grained_permissions(self.repos.get(full))

    def role(self, full: str, repo: dict[str, Any]) -> str | None:
        return None if self.anonymous else role_of(self.login, full, repo)

    def level(self, full: str, repo: dict[str, Any]) -> str:
        """'none', 'read' or 'write' on the repository's contents: the user's role, narrowed by the token."""
        public = not repo.get("private")
        if self.anonymous:
            return "read" if public else "none"
        role = self.role(full, repo)
        if self.fine_grained:
            permissions = self.permissions(full)
            if role in WRITE_ROLES and permits(permissions, "contents=write"):
                return "write"
            if role is not None and permissions:
                return "read"
            return "read" if public else "none"
        scopes = set(self.scopes or ())
        covered = "repo" in scopes or ("public_repo" in scopes and public)
        if role in WRITE_ROLES and covered:
            return "write"
        if role is not None and (public or "repo" in scopes):
            return "read"
        return "read" if public else "none"

    def granted(self, full: str) -> bool:
        """Whether a fine-grained token lists the repository (else only public reads work)."""
        return full in self.repos

    def may_change_workflows(self, full: str) -> bool:
        """Classic tokens need the `workflow` scope; fine-grained ones "Workflows: write"."""
        if self.anonymous:
            return False
        if self.fine_grained:
            return permits(self.permissions(full), "workflows=write")
        return "workflow" in set(self.scopes or ())


def caller_for(data: dict[str, Any], token: str | None) -> Caller | None:
    """The caller a token stands for; None for an unknown token."""
    if token is None:
        return Caller()
    record = github(data)["tokens"].get(token)
    if record is None:
        return None
    scopes = record.get("scopes")
    return Caller(
        token, record.get("login"), tuple(scopes) if scopes is not None else None, dict(record.get("repos") or {})
    )


def add_repo(
    data: dict[str, Any],
    full: str,
    private: bool = False,
    collaborators: dict[str, str] | None = None,
    organization: bool = False,
) -> dict[str, Any]:
    """A repository of the fake GitHub (its git side is made by `forge.create_repo`).

    `organization`: the owner is an organisation (a user that cannot log in); the learner
    reaches such a repository as a collaborator (`collaborators={"learner": "write"}`).
    Call inside `world.mutate()`; an existing repository gets the collaborators added.
    """
    owner = full.split("/")[0]
    user = _user(data, owner)
    if organization:
        user["type"] = "Organization"
    repos = github(data)["repos"]
    if full not in repos:
        repos[full] = {
            "id": next_id(data),
            "private": private,
            "default_branch": "main",
            "created_at": stamp(),
            "pushed_at": None,
            "actions_key": actions_key_pair(),
            "secrets": {},
            "runs": [],
        }
    for login, role in (collaborators or {}).items():
        if role not in ROLES:
            raise ValueError(f"role for {login} must be one of {ROLES}, not {role!r}")
        _user(data, login)
        repos[full].setdefault("collaborators", {})[login] = role
    return repos[full]


def protect_branch(data: dict[str, Any], full: str, branch: str = "main", enforce_admins: bool = False) -> None:
    """A branch protection rule that requires a pull request before merging (call inside `world.mutate()`).

    https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/
    managing-protected-branches/about-protected-branches — "Require a pull request before merging";
    administrators are exempt unless the rule is enforced for them ("Do not allow bypassing").
    """
    github(data)["repos"][full].setdefault("protected_branches", {})[branch] = {
        "required_pull_request_reviews": True,
        "enforce_admins": enforce_admins,
    }


def push_refusal(
    data: dict[str, Any], token: str | None, full: str, branch: str | None, changed: list[str]
) -> tuple[int, str] | None:
    """Why GitHub would refuse this push over HTTPS, as (HTTP status or 0 for a ref rejection, message).

    None when it is accepted. `branch` None: the HTTP stage (who pushes, with what access);
    else one branch update with the paths it changes (the pre-receive stage). Anonymous
    pushes are the sandbox's convenience (the owner pushes), unless `faults.git_auth` asks
    for credentials as GitHub does.
    """
    repo = github(data)["repos"].get(full)
    if repo is None:
        return None
    caller = caller_for(data, token) if token else None
    if token and caller is None:
        return 401, "Invalid username or token. Password authentication is not supported for Git operations."
    if caller is None:
        caller = Caller("anonymous-owner", full.split("/")[0], ("repo", "workflow"))
    if caller.level(full, repo) != "write":
        # git prints "remote: Permission to OWNER/REPO.git denied to LOGIN." then 403.
        return 403, f"Permission to {full}.git denied to {caller.login}."
    if branch is None:
        return None
    rule = (repo.get("protected_branches") or {}).get(branch)
    if rule and rule.get("required_pull_request_reviews"):
        admin = caller.role(full, repo) == "admin"
        if rule.get("enforce_admins") or not admin:
            return 0, (
                f"GH006: Protected branch update failed for refs/heads/{branch}.\n"
                "Changes must be made through a pull request."
            )
    workflows = [p for p in changed if p.startswith(".github/workflows/")]
    if workflows and not caller.may_change_workflows(full):
        # Recorded from github.com: "! [remote rejected] main -> main (refusing to allow a Personal
        # Access Token to create or update workflow `.github/workflows/x.yml` without `workflow` scope)";
        # fine-grained tokens: "... without `workflows` permission".
        what = "`workflows` permission" if caller.fine_grained else "`workflow` scope"
        kind = "a Personal Access Token" if caller.scopes is not None else "a fine-grained Personal Access Token"
        return 0, f"refusing to allow {kind} to create or update workflow `{workflows[0]}` without {what}"
    return None
