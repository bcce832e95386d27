"""The learner's Google login: find it, prove it works, and explain why it does not.

A login found on disk is not a login that works: a refresh token may be revoked, or the
organisation may ask for reauthentication every few hours. Google only says so when a
token is refreshed, and the clients then wrap that answer in something else (gRPC turns a
failing metadata plugin into UNAVAILABLE, which looks like a network problem). So the
credentials step refreshes a token itself, with a short timeout, and every failure of the
auth layer is mapped to its cause here.
"""

from __future__ import annotations

from typing import Any

from wizard.engine.auth_errors import LOGIN, explain, no_login
from wizard.engine.errors import WizardError

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
# How long one token request may take: offline must be said within seconds, not minutes.
REFRESH_TIMEOUT = 8.0


def default_credentials() -> Any:
    """google.auth.default(), or the WizardError a learner without a login needs."""
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        creds, _project = google.auth.default(scopes=SCOPES)
    except DefaultCredentialsError as exc:
        raise no_login(str(exc)) from None
    return creds


def refresh_now(creds: Any) -> str:
    """Refresh a token; return who is logged in, or raise the explained failure."""
    from google.auth.transport.requests import Request

    request = Request()

    def timed(*args: Any, **kwargs: Any) -> Any:
        kwargs["timeout"] = REFRESH_TIMEOUT
        return request(*args, **kwargs)

    try:
        creds.refresh(timed)
    except Exception as exc:  # noqa: BLE001 - every failure is explained
        raise explain(exc, "checking your Google login") or WizardError(
            what=f"Your Google login could not be checked: {type(exc).__name__}: {exc}",
            why="Refreshing an access token failed.",
            fix=f"Run `{LOGIN}` and run the wizard again.",
        ) from None
    return (
        getattr(creds, "service_account_email", None)
        or getattr(creds, "account", None)
        or "your application default credentials"
    )
