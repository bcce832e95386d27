"""Who is calling: the sandbox's identities, access tokens and the learner's login.

Google authenticates every call with an OAuth 2.0 bearer token and knows the principal
behind it (https://cloud.google.com/docs/authentication). The sandbox does the same, so
that the wizard's clients, DVC and the simulated CI runs go through google-auth's real
flows instead of anonymous credentials:

- the learner's login is an `authorized_user` application default credentials file
  (`DIR/gcloud/application_default_credentials.json`, as `gcloud auth application-default
  login` writes it), whose refresh token the sandbox's token endpoint exchanges;
- service-account keys made by the IAM fake are exchanged with the JWT-bearer grant
  (RFC 7523), signed with the key and checked with the account's public key;
- access tokens are short-lived and signed by the sandbox (HMAC with a secret kept 0600 in
  the folder), so any fake can verify one without a shared table.

The knob `faults.credentials` turns the learner's login `valid`, `expired` (Google then asks
for reauthentication), `revoked`, or `missing` (no ADC file where google-auth looks).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard.fsutil import atomic_write_json
from wizard.sandbox.world import World

SECRET_FILE = "tls/oauth-secret"
GCLOUD_DIR = "gcloud"
ADC_FILE = "application_default_credentials.json"
SIGNED_OUT_DIR = "gcloud-signed-out"  # a gcloud configuration folder without a login
CLIENT_ID = "sandbox-adc-client.apps.googleusercontent.com"
CLIENT_SECRET = "sandbox-adc-client-secret"  # gcloud's own client secret is public too
TOKEN_PREFIX = "ya29.sbx-"
TOKEN_SECONDS = 3599  # what Google's token endpoint answers in expires_in
CREDENTIAL_STATES = ("valid", "expired", "revoked", "missing")
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"


@dataclass(frozen=True)
class Principal:
    """`email` is the learner's or a service account's; `kind` is "user" or "serviceAccount"."""

    email: str
    kind: str

    @property
    def member(self) -> str:
        return f"{self.kind}:{self.email}"


class AuthFailure(Exception):
    """The bearer token is absent (`missing`) or not acceptable (`invalid`)."""

    def __init__(self, missing: bool, detail: str = "") -> None:
        super().__init__(detail or ("no credential" if missing else "invalid credential"))
        self.missing = missing


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_SECRETS: dict[Path, bytes] = {}
# The same keys by the sandbox folder as callers name it: every API call checks a token, and
# resolving the folder's real path costs a system call per path component.
_SECRETS_BY_ROOT: dict[Path, bytes] = {}
_SECRETS_LOCK = threading.Lock()


def _secret(root: Path) -> bytes:
    """The key that signs this sandbox's access tokens, the same for every thread and process.

    The token endpoint and the API servers may each be the first to need it; created with
    "link if absent", the first writer wins and everyone else reads its key, so a token minted
    by one is never refused by another.
    """
    known = _SECRETS_BY_ROOT.get(root)
    if known is not None:
        return known
    path = (Path(root) / SECRET_FILE).resolve()
    with _SECRETS_LOCK:
        if path not in _SECRETS:
            _SECRETS[path] = _read_or_create_secret(path)
        _SECRETS_BY_ROOT[Path(root)] = _SECRETS[path]
        return _SECRETS[path]


def _read_or_create_secret(path: Path) -> bytes:
    try:
        return bytes.fromhex(path.read_text("ascii").strip())
    except (OSError, ValueError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_bytes(32).hex())
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(draft, path)  # fails if another writer was first: then its key is the key
    except FileExistsError:
        pass
    finally:
        draft.unlink(missing_ok=True)
    return bytes.fromhex(path.read_text("ascii").strip())


def ensure_secret(root: Path) -> None:
    """Made when the sandbox is made, so copies of a sandbox share nothing in flight."""
    _secret(root)


def credentials_state(world: World) -> str:
    return _state_of(world.view())


# -- access tokens ------------------------------------------------------------------------
def mint_access_token(world: World, principal: Principal, seconds: int = TOKEN_SECONDS) -> str:
    payload = _b64(
        json.dumps(
            {"sub": principal.email, "kind": principal.kind, "exp": int(time.time()) + seconds}, separators=(",", ":")
        ).encode()
    )
    mac = hmac.new(_secret(world.root), payload.encode(), hashlib.sha256).digest()
    return f"{TOKEN_PREFIX}{payload}.{_b64(mac)}"


def principal_of(world: World, authorization: str | None, snapshot: dict[str, Any] | None = None) -> Principal:
    """The caller behind an `Authorization` header, or AuthFailure as Google would refuse it.

    `snapshot`: the world as the caller already viewed it for this request (`World.view()`), so a
    request reads the world once."""
    data = snapshot if snapshot is not None else world.view()
    if not authorization:
        raise AuthFailure(missing=True)
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthFailure(missing=False, detail="not a bearer token")
    token = token.strip()
    if token.startswith(TOKEN_PREFIX):
        principal = _check_sandbox_token(world, token[len(TOKEN_PREFIX) :])
    elif token.count(".") == 2:
        principal = _check_self_signed_jwt(world, token)
    else:
        raise AuthFailure(missing=False, detail="unknown token")
    if principal.kind == "user" and _state_of(data) in ("expired", "revoked"):
        # A revoked login or one that needs reauthentication stops its access tokens too.
        raise AuthFailure(missing=False, detail="the login behind this token is no longer valid")
    if principal.kind == "serviceAccount":
        _check_account_usable(data, principal.email)
    return principal


def _state_of(world_data: dict[str, Any]) -> str:
    state = str((world_data.get("faults") or {}).get("credentials") or "valid")
    return state if state in CREDENTIAL_STATES else "valid"


# Tokens whose signature was checked: (sandbox folder, token) -> (principal, expiry). A client
# sends the same token with each of thousands of calls (a `dvc push`); its signature and claims
# cannot change, so they are checked once; the expiry is still checked on every call.
_VERIFIED: dict[tuple[Path, str], tuple[Principal, float]] = {}
_VERIFIED_MAX = 4096


def _check_sandbox_token(world: World, body: str) -> Principal:
    key = (world.root, body)
    known = _VERIFIED.get(key)
    if known is None:
        known = _verify_sandbox_token(world, body)
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED[key] = known
    principal, expiry = known
    if expiry < time.time():
        raise AuthFailure(missing=False, detail="token expired")
    return principal


def _verify_sandbox_token(world: World, body: str) -> tuple[Principal, float]:
    payload, _, mac = body.partition(".")
    wanted = hmac.new(_secret(world.root), payload.encode(), hashlib.sha256).digest()
    try:
        good = hmac.compare_digest(_unb64(mac), wanted)
        claims = json.loads(_unb64(payload))
        expiry = float(claims.get("exp", 0))
    except (ValueError, TypeError, AttributeError):
        raise AuthFailure(missing=False, detail="malformed token") from None
    if not good:
        raise AuthFailure(missing=False, detail="signature does not match")
    return Principal(str(claims.get("sub")), str(claims.get("kind"))), expiry


def _check_self_signed_jwt(world: World, token: str) -> Principal:
    """A JWT a service account signed itself: Google accepts these as access tokens too
    (https://developers.google.com/identity/protocols/oauth2/service-account#jwt-auth)."""
    from google.auth import jwt

    try:
        header = json.loads(_unb64(token.split(".", 1)[0]))
        claims = jwt.decode(token, verify=False)
    except (ValueError, TypeError):
        raise AuthFailure(missing=False, detail="malformed JWT") from None
    email = str(claims.get("iss") or "")
    public = public_key_of(world.view(), email, str(header.get("kid") or ""))
    if public is None:
        raise AuthFailure(missing=False, detail="unknown key")
    try:
        jwt.decode(token, certs={str(header.get("kid")): public}, verify=True, audience=None)
    except (ValueError, TypeError):
        raise AuthFailure(missing=False, detail="bad JWT signature") from None
    return Principal(email, "serviceAccount")


# -- service accounts ------------------------------------------------------------------------
def find_account(world_data: dict[str, Any], email: str) -> dict[str, Any] | None:
    for project in world_data.get("projects", {}).values():
        account = project.get("service_accounts", {}).get(email)
        if account is not None:
            return account
    return None


def public_key_of(world_data: dict[str, Any], email: str, key_id: str) -> str | None:
    account = find_account(world_data, email)
    key = (account or {}).get("keys", {}).get(key_id)
    if not key or key.get("disabled"):
        return None
    return key.get("public_key_pem")


def _check_account_usable(world_data: dict[str, Any], email: str) -> None:
    account = find_account(world_data, email)
    if account is None or account.get("disabled"):
        raise AuthFailure(missing=False, detail="the service account is deleted or disabled")


def token_uri(world_data: dict[str, Any]) -> str | None:
    """The sandbox's OAuth 2.0 token endpoint, once its HTTPS server has been bound."""
    return world_data.get("auth", {}).get("token_uri")


# -- the learner's login ------------------------------------------------------------------------
def adc_path(root: Path) -> Path:
    return Path(root) / GCLOUD_DIR / ADC_FILE


def write_learner_login(world: World, token_endpoint: str) -> Path:
    """What `gcloud auth application-default login` leaves: an authorized_user file (0600).

    Only the refresh token's hash is kept in the world; the token itself lives in the file.
    Run again (a new port, a new sandbox copy), it rewrites the file with the same token.
    """
    path = adc_path(world.root)
    refresh = None
    try:
        existing = json.loads(path.read_text("utf-8"))
        refresh = existing.get("refresh_token")
    except (OSError, ValueError):
        pass
    with world.mutate() as data:
        auth = data.setdefault("auth", {})
        known = auth.setdefault("refresh_tokens", {})
        if not refresh or _hash(refresh) not in known:
            refresh = "1//sbx-" + secrets.token_urlsafe(40)
        known[_hash(refresh)] = {"principal": data["learner"], "client_id": CLIENT_ID}
    atomic_write_json(
        path,
        {
            "account": "",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": refresh,
            "token_uri": token_endpoint,
            "type": "authorized_user",
            "universe_domain": "googleapis.com",
        },
        mode=0o600,
    )
    return path


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def refresh_token_owner(world_data: dict[str, Any], refresh_token: str) -> str | None:
    record = world_data.get("auth", {}).get("refresh_tokens", {}).get(_hash(refresh_token))
    return record.get("principal") if record else None
