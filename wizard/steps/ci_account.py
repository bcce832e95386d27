"""The service account a CI pipeline uses: the account, its roles, its key, and the key stored in the forge.

Chapters 8 and 14 follow the same recipe with other names and roles; declaring it once keeps the
two from drifting apart (a fix to the key's hand-off to the secret reaches both). The step ids are
`<chapter>.create-service-account`, `<chapter>.<grant>`, `<chapter>.create-key` and
`<chapter>.store-secret`, and each step's text is the chapter's `<step>.md`: the checkpoint keys on
those ids, so they never change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wizard.engine.step import Step, load_text
from wizard.steps.forge import StoreKeySecret
from wizard.steps.iam import CreateKey, CreateServiceAccount, GrantProjectRoles


@dataclass(frozen=True, kw_only=True)
class CiAccount:
    """The recipe's steps, in order, and the key step (other steps read the key it made)."""

    key: CreateKey
    steps: list[Step]


def ci_service_account(
    *,
    chapter: str,
    text_dir: Path,
    account_id: str,
    display_name: str,
    account_title: str,
    grant: str,
    grant_title: str,
    roles: Sequence[str],
    key_title: str,
    key_file: str,
    secret: str,
    secret_title: str = "Store the key as a CI secret",
) -> CiAccount:
    """The four steps of a CI service account named `account_id`, its key stored as the forge secret `secret`."""
    key = CreateKey(
        f"{chapter}.create-key",
        key_title,
        account_id=account_id,
        key_file=key_file,
        stored_by=f"{chapter}.store-secret",
        secret=secret,
        text=load_text(text_dir, "create-key.md"),
    )
    steps: list[Step] = [
        CreateServiceAccount(
            f"{chapter}.create-service-account",
            account_title,
            account_id=account_id,
            display_name=display_name,
            text=load_text(text_dir, "create-service-account.md"),
        ),
        GrantProjectRoles(
            f"{chapter}.{grant}",
            grant_title,
            account_id=account_id,
            roles=list(roles),
            text=load_text(text_dir, f"{grant}.md"),
        ),
        key,
        StoreKeySecret(
            f"{chapter}.store-secret",
            secret_title,
            name=secret,
            key_step=key,
            text=load_text(text_dir, "store-secret.md"),
        ),
    ]
    return CiAccount(key=key, steps=steps)
