"""google.iam.admin.v1.IAM: service accounts and their keys (chapter 8).

What it reproduces, because each one breaks naive automation:
- every call fails with SERVICE_DISABLED until iam.googleapis.com is enabled;
- a new account is invisible (NOT_FOUND) for `faults.service_account_visibility_seconds`
  although CreateServiceAccount already answered, and creating it again is ALREADY_EXISTS;
- at most 10 user-managed keys per account; an organization policy may forbid keys;
- each account also has a Google-managed (SYSTEM_MANAGED) key that shows in unfiltered
  key lists and cannot be deleted.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from google.cloud.iam_admin_v1.types import iam
from google.protobuf import empty_pb2

from wizard.sandbox.auth import token_uri
from wizard.sandbox.world import World

from . import clock, iam_policy, key_material
from .access import learner_project, parse_project_name
from .catalog import IAM_SERVICE, SERVICES
from .errors import (
    already_exists,
    failed_precondition,
    iam_permission_denied,
    invalid_argument,
    not_found,
    precondition_violation,
    service_disabled,
)
from .paging import page
from .rpc import Rpc, service_handler

ACCOUNT_ID = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])$")
ACCOUNT_ID_RULE = (
    "The account ID must be 6-30 characters long, and match the regular expression "
    "[a-z]([-a-z0-9]*[a-z0-9]) to comply with RFC1035."
)
_ACCOUNT_NAME = re.compile(r"^projects/([^/]+)/serviceAccounts/([^/]+)$")
_KEY_NAME = re.compile(r"^projects/([^/]+)/serviceAccounts/([^/]+)/keys/([^/]+)$")
MAX_USER_KEYS = 10
SA_ETAG = b"01021920"  # Google sends this constant etag ("MDEwMjE5MjA=" in JSON)
USER_KEY_VALID_BEFORE = "9999-12-31T23:59:59.000000Z"
KEY_CREATION_DISABLED = "Key creation is not allowed on this service account."
NO_KEY_POLICY = "constraints/iam.disableServiceAccountKeyCreation"
NO_KEY_MANAGED_POLICY = "constraints/iam.managed.disableServiceAccountKeyCreation"


def account_email(account_id: str, project_id: str) -> str:
    return f"{account_id}@{project_id}{iam_policy.SA_DOMAIN}"


def _system_key_id(account: dict[str, Any]) -> str:
    return hashlib.sha1(f"system:{account['unique_id']}".encode()).hexdigest()


def account_message(project_id: str, email: str, account: dict[str, Any]) -> iam.ServiceAccount:
    return iam.ServiceAccount(
        name=f"projects/{project_id}/serviceAccounts/{email}",
        project_id=project_id,
        unique_id=account["unique_id"],
        email=email,
        display_name=account.get("display_name", ""),
        description=account.get("description", ""),
        oauth2_client_id=account["unique_id"],
        etag=SA_ETAG,
        disabled=bool(account.get("disabled")),
    )


def key_message(
    project_id: str, email: str, key_id: str, key: dict[str, Any], system: bool = False
) -> iam.ServiceAccountKey:
    return iam.ServiceAccountKey(
        name=f"projects/{project_id}/serviceAccounts/{email}/keys/{key_id}",
        key_algorithm=iam.ServiceAccountKeyAlgorithm[key.get("key_algorithm", "KEY_ALG_RSA_2048")],
        valid_after_time=clock.parse_iso(key["valid_after"]),
        valid_before_time=clock.parse_iso(key["valid_before"]),
        key_origin=iam.ServiceAccountKeyOrigin.GOOGLE_PROVIDED,
        key_type=iam.ListServiceAccountKeysRequest.KeyType.SYSTEM_MANAGED
        if system
        else iam.ListServiceAccountKeysRequest.KeyType.USER_MANAGED,
        disabled=bool(key.get("disabled")),
    )


def system_key(account: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The Google-managed key every account has; derived, never stored."""
    created = clock.parse_iso(account.get("create_time")) or clock.parse_iso(
        clock.iso(float(account.get("ready_at", 0)))
    )
    return _system_key_id(account), {
        "valid_after": clock.iso(created.timestamp()),
        "valid_before": clock.iso((created + timedelta(days=730)).timestamp()),
    }


class IamAdminService:
    def __init__(self, world: World) -> None:
        self.world = world

    # -- resolution ------------------------------------------------------------------
    def _project(self, data: dict[str, Any], ref: str, permission: str) -> dict[str, Any]:
        """The learner's project with the IAM API enabled, or Google's error."""
        project = learner_project(data, ref, denied=iam_permission_denied(permission))
        if IAM_SERVICE not in project.get("services", []):
            raise service_disabled(IAM_SERVICE, SERVICES[IAM_SERVICE].title, ref)
        return project

    def _account(
        self,
        data: dict[str, Any],
        ref: str,
        who: str,
        permission: str,
        missing: str = "Unknown service account",
    ) -> tuple[dict[str, Any], str, dict[str, Any]]:
        """(project, email, account) for projects/{ref}/serviceAccounts/{who}.

        `ref` may be "-" (Google then finds the project from the account); `who` is an email
        or a unique id. An account not visible yet is NOT_FOUND, as at Google.
        """
        if ref == "-":
            ref = self._project_of(data, who, permission)
        project = self._project(data, ref, permission)
        accounts = project.get("service_accounts", {})
        email = who if who in accounts else next((e for e, a in accounts.items() if a.get("unique_id") == who), None)
        if email is None:
            raise not_found(missing.format(email=who))
        account = accounts[email]
        if clock.now() < float(account.get("ready_at", 0)):
            raise not_found(missing.format(email=who))
        return project, email, account

    def _project_of(self, data: dict[str, Any], who: str, permission: str) -> str:
        if "@" in who:
            domain = who.split("@", 1)[1]
            if domain.endswith(iam_policy.SA_DOMAIN):
                return domain[: -len(iam_policy.SA_DOMAIN)]
        else:
            for project_id, project in data.get("projects", {}).items():
                if any(a.get("unique_id") == who for a in project.get("service_accounts", {}).values()):
                    return project_id
        raise iam_permission_denied(permission)

    @staticmethod
    def _split(pattern: re.Pattern[str], name: str, shape: str) -> tuple[str, ...]:
        match = pattern.match(name or "")
        if not match:
            raise invalid_argument(f"Invalid resource name {name!r}; expected {shape}.", "name")
        return match.groups()

    # -- service accounts ------------------------------------------------------------
    def create_service_account(self, request: iam.CreateServiceAccountRequest) -> iam.ServiceAccount:
        ref = parse_project_name(request.name)
        account_id = request.account_id
        if not (6 <= len(account_id) <= 30 and ACCOUNT_ID.match(account_id)):
            raise invalid_argument(ACCOUNT_ID_RULE, "account_id")
        wanted = request.service_account
        if len(wanted.display_name) > 100:
            raise invalid_argument("The display name must be at most 100 characters.", "service_account.display_name")
        if len(wanted.description) > 256:
            raise invalid_argument("The description must be at most 256 characters.", "service_account.description")
        now = clock.now()
        with self.world.mutate() as data:
            project = self._project(data, ref, "iam.serviceAccounts.create")
            project_id = project["project_id"]
            email = account_email(account_id, project_id)
            accounts = project.setdefault("service_accounts", {})
            if email in accounts:
                raise already_exists(
                    f"Service account {account_id} already exists within project projects/{project_id}.",
                    f"projects/{project_id}/serviceAccounts/{email}",
                )
            delay = float(data["faults"].get("service_account_visibility_seconds", 0.5))
            accounts[email] = {
                "unique_id": str(10**20 + secrets.randbelow(9 * 10**20)),
                "display_name": wanted.display_name,
                "description": wanted.description,
                "create_time": clock.iso(now),
                "ready_at": now + delay,
                "disabled": False,
                "keys": {},
            }
            return account_message(project_id, email, accounts[email])

    def get_service_account(self, request: iam.GetServiceAccountRequest) -> iam.ServiceAccount:
        ref, who = self._split(_ACCOUNT_NAME, request.name, "projects/{project}/serviceAccounts/{email}")
        project, email, account = self._account(self.world.read(), ref, who, "iam.serviceAccounts.get")
        return account_message(project["project_id"], email, account)

    def list_service_accounts(self, request: iam.ListServiceAccountsRequest) -> iam.ListServiceAccountsResponse:
        ref = parse_project_name(request.name)
        project = self._project(self.world.read(), ref, "iam.serviceAccounts.list")
        now = clock.now()
        visible = sorted(
            (email, account)
            for email, account in project.get("service_accounts", {}).items()
            if now >= float(account.get("ready_at", 0))
        )
        chunk, token = page(visible, request.page_size, request.page_token, default_size=20, max_size=100)
        return iam.ListServiceAccountsResponse(
            accounts=[account_message(project["project_id"], e, a) for e, a in chunk], next_page_token=token
        )

    def delete_service_account(self, request: iam.DeleteServiceAccountRequest) -> empty_pb2.Empty:
        # https://cloud.google.com/iam/docs/service-accounts-delete-undelete: deleting an account deletes its
        # keys with it, and "role bindings are not immediately removed": they name the account as
        # `deleted:serviceAccount:EMAIL?uid=UNIQUE_ID` (see iam_policy.forget_service_account).
        ref, who = self._split(_ACCOUNT_NAME, request.name, "projects/{project}/serviceAccounts/{email}")
        with self.world.mutate() as data:
            project, email, account = self._account(data, ref, who, "iam.serviceAccounts.delete")
            del project["service_accounts"][email]
            iam_policy.forget_service_account(project, email, account["unique_id"])
        return empty_pb2.Empty()

    # -- keys ------------------------------------------------------------------------
    def create_service_account_key(self, request: iam.CreateServiceAccountKeyRequest) -> iam.ServiceAccountKey:
        ref, who = self._split(_ACCOUNT_NAME, request.name, "projects/{project}/serviceAccounts/{email}")
        if request.private_key_type not in (
            iam.ServiceAccountPrivateKeyType.TYPE_UNSPECIFIED,
            iam.ServiceAccountPrivateKeyType.TYPE_GOOGLE_CREDENTIALS_FILE,
        ):
            raise invalid_argument(
                "The sandbox makes JSON key files only (TYPE_GOOGLE_CREDENTIALS_FILE).", "private_key_type"
            )
        algorithm = request.key_algorithm or iam.ServiceAccountKeyAlgorithm.KEY_ALG_RSA_2048
        bits = {
            iam.ServiceAccountKeyAlgorithm.KEY_ALG_RSA_1024: 1024,
            iam.ServiceAccountKeyAlgorithm.KEY_ALG_RSA_2048: 2048,
        }.get(algorithm)
        if bits is None:
            raise invalid_argument(f"Unsupported key algorithm {algorithm.name}.", "key_algorithm")
        missing = "Not found; Gaia id not found for email {email}"
        self._check_key_allowed(self.world.read(), ref, who, missing)  # fail fast, before RSA work
        material = key_material.generate(bits)  # outside the world lock: it takes a while
        now = clock.now()
        with self.world.mutate() as data:
            project, email, account = self._check_key_allowed(data, ref, who, missing)
            stamp = clock.iso(now)
            record = {
                "create_time": stamp,
                "valid_after": stamp,
                "valid_before": USER_KEY_VALID_BEFORE,
                "public_key_fingerprint": material.public_key_fingerprint,
                "public_key_pem": material.public_key_pem,
                "key_algorithm": iam.ServiceAccountKeyAlgorithm(algorithm).name,
            }
            account.setdefault("keys", {})[material.key_id] = record
            message = key_message(project["project_id"], email, material.key_id, record)
            endpoint = token_uri(data)
        message.private_key_type = iam.ServiceAccountPrivateKeyType.TYPE_GOOGLE_CREDENTIALS_FILE
        message.private_key_data = key_material.credentials_json(
            material, project["project_id"], email, account["unique_id"], endpoint
        )
        return message

    def _check_key_allowed(self, data: dict[str, Any], ref: str, who: str, missing: str):
        project, email, account = self._account(data, ref, who, "iam.serviceAccountKeys.create", missing)
        forbidden = data["faults"].get("disable_key_creation")
        if forbidden:
            # true or "legacy": the legacy constraint; "managed": its managed form, enforced by default
            # in organisations created since May 2024 (cloud.google.com/organization-policy/
            # restrict-service-accounts#disable_service_account_key_creation). Google's answer is the same
            # text; the violation names the constraint (recorded: github.com/google/create-service-account/issues/21).
            constraint = NO_KEY_MANAGED_POLICY if str(forbidden).lower() == "managed" else NO_KEY_POLICY
            account_name = f"projects/{project['project_id']}/serviceAccounts/{email}"
            subject = f"{account_name}?configvalue={quote(email, safe='')}"
            raise failed_precondition(
                KEY_CREATION_DISABLED, [precondition_violation(constraint, subject, KEY_CREATION_DISABLED)]
            )
        if len(account.get("keys", {})) >= MAX_USER_KEYS:
            raise failed_precondition()
        return project, email, account

    def list_service_account_keys(
        self, request: iam.ListServiceAccountKeysRequest
    ) -> iam.ListServiceAccountKeysResponse:
        ref, who = self._split(_ACCOUNT_NAME, request.name, "projects/{project}/serviceAccounts/{email}")
        project, email, account = self._account(self.world.read(), ref, who, "iam.serviceAccountKeys.list")
        kinds = set(request.key_types) or {
            iam.ListServiceAccountKeysRequest.KeyType.USER_MANAGED,
            iam.ListServiceAccountKeysRequest.KeyType.SYSTEM_MANAGED,
        }
        keys = []
        if iam.ListServiceAccountKeysRequest.KeyType.SYSTEM_MANAGED in kinds:
            key_id, key = system_key(account)
            keys.append(key_message(project["project_id"], email, key_id, key, system=True))
        if iam.ListServiceAccountKeysRequest.KeyType.USER_MANAGED in kinds:
            for key_id, key in sorted(account.get("keys", {}).items(), key=lambda item: item[1].get("create_time", "")):
                keys.append(key_message(project["project_id"], email, key_id, key))
        return iam.ListServiceAccountKeysResponse(keys=keys)

    def _key(self, data: dict[str, Any], name: str, permission: str):
        ref, who, key_id = self._split(_KEY_NAME, name, "projects/{project}/serviceAccounts/{email}/keys/{key}")
        project, email, account = self._account(data, ref, who, permission)
        return project, email, account, key_id

    def get_service_account_key(self, request: iam.GetServiceAccountKeyRequest) -> iam.ServiceAccountKey:
        project, email, account, key_id = self._key(self.world.read(), request.name, "iam.serviceAccountKeys.get")
        system_id, system = system_key(account)
        if key_id == system_id:
            return key_message(project["project_id"], email, key_id, system, system=True)
        key = account.get("keys", {}).get(key_id)
        if key is None:
            raise not_found(f"Service account key {key_id} does not exist.")
        return key_message(project["project_id"], email, key_id, key)

    def delete_service_account_key(self, request: iam.DeleteServiceAccountKeyRequest) -> empty_pb2.Empty:
        with self.world.mutate() as data:
            project, email, account, key_id = self._key(data, request.name, "iam.serviceAccountKeys.delete")
            if key_id == _system_key_id(account):
                raise failed_precondition()
            if key_id not in account.get("keys", {}):
                raise not_found(f"Service account key {key_id} does not exist.")
            del account["keys"][key_id]
        return empty_pb2.Empty()

    def handler(self):
        return service_handler(
            self.world,
            "google.iam.admin.v1.IAM",
            "iam",
            [
                Rpc(
                    "CreateServiceAccount",
                    iam.CreateServiceAccountRequest,
                    iam.ServiceAccount,
                    self.create_service_account,
                    write=True,
                ),
                Rpc(
                    "GetServiceAccount",
                    iam.GetServiceAccountRequest,
                    iam.ServiceAccount,
                    self.get_service_account,
                    write=False,
                ),
                Rpc(
                    "ListServiceAccounts",
                    iam.ListServiceAccountsRequest,
                    iam.ListServiceAccountsResponse,
                    self.list_service_accounts,
                    write=False,
                ),
                Rpc(
                    "DeleteServiceAccount",
                    iam.DeleteServiceAccountRequest,
                    empty_pb2.Empty,
                    self.delete_service_account,
                    write=True,
                ),
                Rpc(
                    "CreateServiceAccountKey",
                    iam.CreateServiceAccountKeyRequest,
                    iam.ServiceAccountKey,
                    self.create_service_account_key,
                    write=True,
                ),
                Rpc(
                    "ListServiceAccountKeys",
                    iam.ListServiceAccountKeysRequest,
                    iam.ListServiceAccountKeysResponse,
                    self.list_service_account_keys,
                    write=False,
                ),
                Rpc(
                    "GetServiceAccountKey",
                    iam.GetServiceAccountKeyRequest,
                    iam.ServiceAccountKey,
                    self.get_service_account_key,
                    write=False,
                ),
                Rpc(
                    "DeleteServiceAccountKey",
                    iam.DeleteServiceAccountKeyRequest,
                    empty_pb2.Empty,
                    self.delete_service_account_key,
                    write=True,
                ),
            ],
        )
