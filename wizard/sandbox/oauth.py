"""The sandbox's OAuth 2.0 token endpoint (Google's is https://oauth2.googleapis.com/token).

Two grants, the ones google-auth uses for the credentials a learner has:
- `refresh_token` (RFC 6749 §6) for the learner's `authorized_user` ADC file;
- `urn:ietf:params:oauth:grant-type:jwt-bearer` (RFC 7523) for service-account key files:
  the assertion is checked with the public key of the key it names (`kid`), its issuer must
  be an existing, enabled account, and its audience this endpoint
  (https://developers.google.com/identity/protocols/oauth2/service-account#httprest).

Error bodies are Google's (`error`, `error_description`, and for reauthentication
`error_subtype: invalid_rapt`, which google-auth turns into "Reauthentication is needed").
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs

from wizard.sandbox import auth
from wizard.sandbox.world import World

TOKEN_PATH = "/token"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# Google's texts, as its token endpoint sends them.
REVOKED = {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
REAUTH = {
    "error": "invalid_grant",
    "error_description": "reauth related error (invalid_rapt)",
    "error_uri": "https://support.google.com/a/answer/9368756",
    "error_subtype": "invalid_rapt",
}
BAD_SIGNATURE = {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
NO_ACCOUNT = {"error": "invalid_grant", "error_description": "Invalid grant: account not found"}


def token_response(world: World, body: bytes, audience: str) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body) for one POST to the token endpoint."""
    try:
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), strict_parsing=False).items()}
    except UnicodeDecodeError:
        form = {}
    grant = form.get("grant_type", "")
    if grant == "refresh_token":
        return _refresh(world, form)
    if grant == JWT_BEARER:
        return _jwt_bearer(world, form.get("assertion", ""), audience)
    if not grant:
        return 400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type: "}
    return 400, {"error": "unsupported_grant_type", "error_description": f"Invalid grant_type: {grant}"}


def _issued(world: World, principal: auth.Principal, scope: str) -> tuple[int, dict[str, Any]]:
    return 200, {
        "access_token": auth.mint_access_token(world, principal),
        "expires_in": auth.TOKEN_SECONDS,
        "scope": scope or auth.CLOUD_PLATFORM,
        "token_type": "Bearer",
    }


def _refresh(world: World, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
    if form.get("client_id") != auth.CLIENT_ID or form.get("client_secret") != auth.CLIENT_SECRET:
        return 401, {"error": "invalid_client", "error_description": "The OAuth client was not found."}
    owner = auth.refresh_token_owner(world.view(), form.get("refresh_token", ""))
    if owner is None:
        return 400, {"error": "invalid_grant", "error_description": "Bad Request"}
    state = auth.credentials_state(world)
    if state == "expired":
        return 400, dict(REAUTH)
    if state == "revoked":
        return 400, dict(REVOKED)
    return _issued(world, auth.Principal(owner, "user"), form.get("scope", ""))


def _jwt_bearer(world: World, assertion: str, audience: str) -> tuple[int, dict[str, Any]]:
    from google.auth import jwt

    try:
        header = json.loads(auth._unb64(assertion.split(".", 1)[0]))
        claims = jwt.decode(assertion, verify=False)
    except (ValueError, TypeError, IndexError):
        return 400, {"error": "invalid_grant", "error_description": "Invalid JWT: malformed assertion."}
    email = str(claims.get("iss") or "")
    data = world.view()
    account = auth.find_account(data, email)
    if account is None:
        return 400, dict(NO_ACCOUNT)
    if account.get("disabled"):
        return 400, {"error": "invalid_grant", "error_description": "Invalid grant: account disabled"}
    public = auth.public_key_of(data, email, str(header.get("kid") or ""))
    if public is None:
        return 400, dict(BAD_SIGNATURE)
    try:
        jwt.decode(assertion, certs={str(header.get("kid")): public}, verify=True, audience=None)
    except ValueError:
        return 400, dict(BAD_SIGNATURE)
    # google-auth signs for Google's endpoint whatever the key's token_uri says, and Google takes it.
    if claims.get("aud") not in (audience, GOOGLE_TOKEN_URI):
        return 400, {
            "error": "invalid_grant",
            "error_description": f"Invalid JWT: Failed audience check. The right audience is {audience}",
        }
    if float(claims.get("exp", 0)) - float(claims.get("iat", 0)) > 3600 or float(claims.get("exp", 0)) < time.time():
        return 400, {
            "error": "invalid_grant",
            "error_description": "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
            "reasonable timeframe. Check your iat and exp values in the JWT claim.",
        }
    return _issued(world, auth.Principal(email, "serviceAccount"), str(claims.get("scope") or ""))
