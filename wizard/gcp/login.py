"""The learner's Google login: find it, prove it works, and explain why it does not.

A login found on disk is not a login that works: a refresh token may be revoked, or the
organisation may ask for reauthentication every few hours. Google only says so when a
token is refreshed, and the clients then wrap that answer in something else (gRPC turns a
failing metadata plugin into UNAVAILABLE, which looks like a network problem). So the
credentials step refreshes a token itself, with a short timeout, and every failure of the
auth layer is mapped to its cause here.
"""

from __future__ import annotations

import os
from typing import Any

from wizard.engine.auth_errors import LOGIN, explain, no_login
from wizard.engine.errors import WizardError

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
# How long one token request may take: offline must be said within seconds, not minutes.
REFRESH_TIMEOUT = 8.0


def default_credentials() -> Any:
    """google.auth.default()'s credentials, or the WizardError a learner without a login needs.

    The login file is read the way google.auth.default() finds it (GOOGLE_APPLICATION_CREDENTIALS,
    then gcloud's application default credentials), but without the project ID it also looks for:
    for gcloud's file it runs `gcloud config get project`, a second or two per call where gcloud
    is installed, and the wizard never uses that project. Elsewhere (GCE, GAE) it is asked itself.
    """
    import warnings

    import google.auth
    from google.auth import _cloud_sdk
    from google.auth.credentials import with_scopes_if_required
    from google.auth.exceptions import DefaultCredentialsError

    explicit = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")
    path = explicit or _cloud_sdk.get_application_default_credentials_path()
    try:
        if explicit or os.path.isfile(path):
            with warnings.catch_warnings():
                # google-auth warns that a file from elsewhere should be validated: this is the file
                # google.auth.default() itself would load, and it silences the same warning.
                warnings.simplefilter("ignore", DeprecationWarning)
                creds, _project = google.auth.load_credentials_from_file(path)
            # As google.auth.default() does: scopes only where the credentials require them.
            return with_scopes_if_required(creds, SCOPES)
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
