"""Billing accounts and project billing through google-cloud-billing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wizard.engine.errors import WizardError
from wizard.gcp import retry

CONSOLE = "https://console.cloud.google.com/billing"


@dataclass(frozen=True)
class BillingAccount:
    account_id: str
    display_name: str
    open: bool


def list_accounts(target: Any) -> list[BillingAccount]:
    from wizard.engine.reads import kept

    def read() -> list[BillingAccount]:
        accounts = target.billing().list_billing_accounts(retry=retry.policy())
        return [BillingAccount(a.name.split("/", 1)[1], a.display_name, bool(a.open_)) for a in accounts]

    return kept(target, ("billing-accounts",), read)  # one read per run: the default and the check share it


def open_accounts(target: Any) -> list[BillingAccount]:
    return [a for a in list_accounts(target) if a.open]


def default_account(target: Any) -> str:
    """The single open account, or an error that says what to do when there are none or many."""
    accounts = open_accounts(target)
    if not accounts:
        raise no_open_account()
    if len(accounts) > 1:
        listing = "; ".join(f"{a.account_id} ({a.display_name})" for a in accounts)
        raise WizardError(
            what="You have several open billing accounts; the wizard will not guess which one pays.",
            why=f"Open accounts: {listing}.",
            fix="Give one as gcp.billing_account in the answers file (or pick it when asked).",
        )
    return accounts[0].account_id


def no_open_account() -> WizardError:
    return WizardError(
        what="You have no open billing account.",
        why="A project needs a billing account before it can create a storage bucket.",
        fix=f"Add one in the Google Cloud console ({CONSOLE}), then run the wizard again.",
    )


def linked_account(target: Any, project_id: str) -> str | None:
    info = target.billing().get_project_billing_info(name=f"projects/{project_id}", retry=retry.policy())
    if not info.billing_enabled or not info.billing_account_name:
        return None
    return info.billing_account_name.split("/", 1)[1]


def link(target: Any, project_id: str, account_id: str) -> None:
    from google.api_core import exceptions
    from google.cloud import billing_v1

    try:
        target.billing().update_project_billing_info(
            name=f"projects/{project_id}",
            project_billing_info=billing_v1.ProjectBillingInfo(billing_account_name=f"billingAccounts/{account_id}"),
            retry=retry.policy(),  # an upsert: linking the same account again changes nothing
        )
    except exceptions.FailedPrecondition as exc:
        text = str(exc)
        if "quota" in text.lower():
            raise WizardError(
                what=f"Billing account {account_id} cannot take another project.",
                why="Cloud billing quota exceeded: each billing account may pay for a limited "
                "number of projects (often 3 to 5 for new accounts).",
                fix="Unlink or delete a project you no longer use (`gcloud billing projects unlink "
                "OLD_PROJECT`), or ask Google for more: "
                "https://support.google.com/code/contact/billing_quota_increase — then retry.",
                retryable=True,
            ) from None
        raise
    except (exceptions.PermissionDenied, exceptions.NotFound) as exc:
        raise WizardError(
            what=f"Billing account {account_id} cannot be linked to {project_id}.",
            why=getattr(exc, "message", str(exc)),
            fix=f"Check that the account is open and that you may use it (`gcloud billing accounts list`, {CONSOLE}).",
        ) from None


def unlink(target: Any, project_id: str) -> None:
    """Disable billing: an empty account name, as `gcloud billing projects unlink` sends."""
    from google.cloud import billing_v1

    target.billing().update_project_billing_info(
        name=f"projects/{project_id}",
        project_billing_info=billing_v1.ProjectBillingInfo(billing_account_name=""),
        retry=None,
    )
