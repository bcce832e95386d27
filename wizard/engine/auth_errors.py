"""Authentication failures explained: expired, revoked, missing login, or offline.

Google only says a login is bad when a token is refreshed, and the clients wrap that answer
in their own errors (gRPC turns a failing metadata plugin into UNAVAILABLE, which looks like
a network problem and would be retried). `explain` walks an exception's chain and names the
cause with the command that fixes it; `translate` asks it first.
"""

from __future__ import annotations

from typing import Any

from wizard.engine.errors import WizardError

LOGIN = "gcloud auth application-default login"


def no_login(detail: str = "") -> WizardError:
    return WizardError(
        what="No Google Cloud credentials were found on this machine.",
        why=(detail.splitlines()[0] if detail else "No application default credentials are set up."),
        fix=f"Install the gcloud CLI, run `gcloud init` and then `{LOGIN}` (DVC uses these too), "
        "and run the wizard again.",
    )


def _text(exc: BaseException) -> str:
    parts = [str(exc)]
    for arg in getattr(exc, "args", ()):
        if isinstance(arg, dict):
            parts.extend(str(v) for v in arg.values())
    return " ".join(parts)


def explain(exc: BaseException, doing: str) -> WizardError | None:
    """A WizardError for an authentication failure anywhere in the chain of `exc`, else None.

    Walks `__cause__`/`__context__` because the clients re-raise auth failures as their own
    errors (gRPC: UNAVAILABLE "Getting metadata from plugin failed with error: …").
    """
    from google.auth import exceptions as auth_exc

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found = _explain_one(current, doing, auth_exc)
        if found is not None:
            return found
        current = current.__cause__ or current.__context__
    return None


def _explain_one(exc: BaseException, doing: str, auth_exc: Any) -> WizardError | None:
    text = _text(exc)
    lowered = text.lower()
    if isinstance(exc, auth_exc.DefaultCredentialsError):
        return no_login(str(exc))
    if "reauth" in lowered or "invalid_rapt" in lowered:
        return WizardError(
            what=f"Your Google login has expired: Google asks you to sign in again ({doing}).",
            why="Your organisation or Google requires reauthentication after a while; the saved "
            "login can no longer get access tokens.",
            fix=f"Run `{LOGIN}`, sign in again in the browser, and run the wizard again.",
        )
    if "invalid_grant" in lowered:
        return WizardError(
            what=f"Your Google login is no longer valid ({doing}).",
            why="Google answered invalid_grant: the saved login was revoked or has expired "
            "(for example after a password change, `gcloud auth revoke`, or a long time unused).",
            fix=f"Run `{LOGIN}` to sign in again, then run the wizard again.",
        )
    if isinstance(exc, auth_exc.TransportError) or (
        "metadata from plugin failed" in lowered
        and ("connection" in lowered or "timed out" in lowered or "max retries" in lowered)
    ):
        return WizardError(
            what=f"Google could not be reached ({doing}): you seem to be offline.",
            why="Getting an access token from Google's sign-in server failed: " + text.splitlines()[0][:300],
            fix="Check your internet connection (Wi-Fi, VPN, proxy), then run the wizard again; nothing was changed.",
            retryable=True,
        )
    if isinstance(exc, auth_exc.RefreshError):
        return WizardError(
            what=f"Your Google login could not get an access token ({doing}).",
            why=text.splitlines()[0][:300],
            fix=f"Run `{LOGIN}` to sign in again, then run the wizard again.",
        )
    return None
