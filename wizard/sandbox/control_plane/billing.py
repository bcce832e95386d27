"""google.cloud.billing.v1.CloudBilling: billing accounts and the project's link to one.

Linking billing is where many learners get stuck: a free-trial billing account pays for
only a few projects, and Google then answers FAILED_PRECONDITION with a QuotaFailure
("Cloud billing quota exceeded"). Projects pending deletion still count against that
quota, as they do at Google.
"""

from __future__ import annotations

import re
from typing import Any

from google.cloud.billing_v1.types import cloud_billing as cb

from wizard.sandbox.world import World

from .access import billing_enabled, learner_project, parse_project_name
from .errors import (
    billing_quota_exceeded,
    failed_precondition,
    invalid_argument,
    permission_denied,
    precondition_violation,
)
from .paging import page
from .rpc import Rpc, service_handler

_ACCOUNT_NAME = re.compile(r"^billingAccounts/([A-Z0-9]{6}-[A-Z0-9]{6}-[A-Z0-9]{6})$")


def parse_account_name(name: str, field: str = "name") -> str:
    match = _ACCOUNT_NAME.match(name or "")
    if not match:
        raise invalid_argument(
            f"Invalid billing account name {name!r}; expected billingAccounts/XXXXXX-XXXXXX-XXXXXX.", field
        )
    return match.group(1)


def account_message(account_id: str, account: dict[str, Any]) -> cb.BillingAccount:
    return cb.BillingAccount(
        name=f"billingAccounts/{account_id}",
        open_=bool(account.get("open")),
        display_name=account.get("display_name", ""),
        currency_code=account.get("currency_code", "USD"),
    )


def billing_info_message(data: dict[str, Any], project: dict[str, Any]) -> cb.ProjectBillingInfo:
    account_id = project.get("billing_account")
    return cb.ProjectBillingInfo(
        name=f"projects/{project['project_id']}/billingInfo",
        project_id=project["project_id"],
        billing_account_name=f"billingAccounts/{account_id}" if account_id else "",
        billing_enabled=billing_enabled(data, project),
    )


def linked_projects(data: dict[str, Any], account_id: str) -> list[str]:
    """Projects paying with `account_id`, including those pending deletion (they count)."""
    return sorted(p["project_id"] for p in data.get("projects", {}).values() if p.get("billing_account") == account_id)


class CloudBillingService:
    def __init__(self, world: World) -> None:
        self.world = world

    def _learner_account(self, data: dict[str, Any], account_id: str) -> dict[str, Any]:
        account = data.get("billing_accounts", {}).get(account_id)
        if account is None or account.get("owner") != data["learner"]:
            raise permission_denied()
        return account

    def list_billing_accounts(self, request: cb.ListBillingAccountsRequest) -> cb.ListBillingAccountsResponse:
        data = self.world.read()
        mine = sorted(
            (account_id, account)
            for account_id, account in data.get("billing_accounts", {}).items()
            if account.get("owner") == data["learner"]
        )
        wanted = (request.filter or "").replace(" ", "").lower()
        if wanted in ("open=true", "open:true"):
            mine = [item for item in mine if item[1].get("open")]
        elif wanted in ("open=false", "open:false"):
            mine = [item for item in mine if not item[1].get("open")]
        elif wanted:
            raise invalid_argument(f"Unsupported filter {request.filter!r}.", "filter")
        chunk, token = page(mine, request.page_size, request.page_token, default_size=50, max_size=100)
        return cb.ListBillingAccountsResponse(
            billing_accounts=[account_message(i, a) for i, a in chunk], next_page_token=token
        )

    def get_billing_account(self, request: cb.GetBillingAccountRequest) -> cb.BillingAccount:
        data = self.world.read()
        account_id = parse_account_name(request.name)
        return account_message(account_id, self._learner_account(data, account_id))

    def get_project_billing_info(self, request: cb.GetProjectBillingInfoRequest) -> cb.ProjectBillingInfo:
        data = self.world.read()
        project = learner_project(data, parse_project_name(request.name))
        return billing_info_message(data, project)

    def update_project_billing_info(self, request: cb.UpdateProjectBillingInfoRequest) -> cb.ProjectBillingInfo:
        wanted_name = request.project_billing_info.billing_account_name
        with self.world.mutate() as data:
            project = learner_project(data, parse_project_name(request.name))
            if not wanted_name:
                # https://cloud.google.com/billing/docs/reference/rest/v1/projects/updateBillingInfo: an empty
                # billingAccountName disables billing (`gcloud billing projects unlink`).
                project["billing_account"] = None
                return billing_info_message(data, project)
            account_id = parse_account_name(wanted_name, "project_billing_info.billing_account_name")
            account = self._learner_account(data, account_id)
            if project.get("billing_account") == account_id:
                return billing_info_message(data, project)  # already linked: nothing to check
            if project.get("state") != "ACTIVE":
                raise failed_precondition()
            if not account.get("open"):
                # Approximation: Google refuses a closed account with FAILED_PRECONDITION.
                raise failed_precondition(
                    details=[
                        precondition_violation(
                            "billing-account-open",
                            f"billingAccounts/{account_id}",
                            f"Billing account billingAccounts/{account_id} is closed.",
                        )
                    ]
                )
            quota = int(account.get("project_quota", 5))
            if data["faults"].get("billing_quota_exceeded") or len(linked_projects(data, account_id)) >= quota:
                raise billing_quota_exceeded(account_id)
            project["billing_account"] = account_id
            return billing_info_message(data, project)

    def handler(self):
        return service_handler(
            self.world,
            "google.cloud.billing.v1.CloudBilling",
            "billing",
            [
                Rpc(
                    "ListBillingAccounts",
                    cb.ListBillingAccountsRequest,
                    cb.ListBillingAccountsResponse,
                    self.list_billing_accounts,
                    write=False,
                ),
                Rpc(
                    "GetBillingAccount",
                    cb.GetBillingAccountRequest,
                    cb.BillingAccount,
                    self.get_billing_account,
                    write=False,
                ),
                Rpc(
                    "GetProjectBillingInfo",
                    cb.GetProjectBillingInfoRequest,
                    cb.ProjectBillingInfo,
                    self.get_project_billing_info,
                    write=False,
                ),
                Rpc(
                    "UpdateProjectBillingInfo",
                    cb.UpdateProjectBillingInfoRequest,
                    cb.ProjectBillingInfo,
                    self.update_project_billing_info,
                    write=True,
                ),
            ],
        )
