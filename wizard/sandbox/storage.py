"""The sandbox's Cloud Storage: gcp-storage-emulator behind a gate that acts like Google.

gcp-storage-emulator stores buckets and objects on disk and speaks the JSON API well enough
for google-cloud-storage, gcsfs and `dvc push`, but it ignores bucket settings on insert and
enforces nothing. This module serves it in-process on loopback behind a small gate:

- requests are routed with the emulator's own routing table (`server.HANDLERS`) and run by
  the emulator's own handler functions, request and response classes (no fork of its code);
- before a handler runs, the gate applies what Cloud Storage would enforce for the learner,
  using the sandbox world as the truth: bucket names (syntax, global namespace shared with
  everyone), the project's ownership, billing and enabled APIs, bucket ownership;
- bucket settings asked for on insert or patch (location, uniform bucket-level access,
  public access prevention) are kept in `world["buckets"]` and read back in every bucket
  resource, the way Google answers;
- errors carry Google's status, message, reason and, where Google sends one, an `ErrorInfo`
  detail (so `google.api_core` fills `exc.reason`, e.g. `SERVICE_DISABLED`);
- a project named to pay for the call (`userProject`, `x-goog-user-project`) must be one the
  caller may bill, with Cloud Storage enabled (see `check_user_project`);
- every call carries a bearer token (see `wizard.sandbox.auth`); the learner works on their
  own buckets, a service account only with the storage roles granted to it on the bucket's
  project (objectViewer reads, objectAdmin writes), otherwise 403 with Google's text;
- the same HTTPS server (TLS with the sandbox's CA) answers the OAuth 2.0 token endpoint
  at `/token` (see `wizard.sandbox.oauth`).

The emulator's files (data and its `.meta` index with its journal) are written atomically,
so a process killed with SIGKILL leaves them intact, without an fsync or a rewrite of the
whole index per object (`emulator_store`); `object_names()` reads that index without a server.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from http import HTTPStatus
from pathlib import Path
from typing import Any, Callable

from gcp_storage_emulator import exceptions as gse_exceptions
from gcp_storage_emulator import server as gse_server
from gcp_storage_emulator.handlers import buckets as gse_buckets
from gcp_storage_emulator.handlers import objects as gse_objects

from wizard.sandbox import auth, storage_listing
from wizard.sandbox.emulator_store import JournaledStorage
from wizard.sandbox.emulator_store import object_names as object_names  # re-exported
from wizard.sandbox.faults import http_fault
from wizard.sandbox.serving import Served, serve
from wizard.sandbox.world import World

logger = logging.getLogger(__name__)

STORAGE_SERVICE = "storage.googleapis.com"
# The JSON API's own service name; Google names it in its "API disabled" error.
STORAGE_JSON_API_SERVICE = "storage-api.googleapis.com"
DEFAULT_LOCATION = "US"

MULTI_REGIONS = {"US", "EU", "ASIA"}
DUAL_REGIONS = {"ASIA1", "EUR4", "EUR5", "EUR7", "EUR8", "NAM4"}
REGIONS = {
    "AFRICA-SOUTH1",
    "ASIA-EAST1",
    "ASIA-EAST2",
    "ASIA-NORTHEAST1",
    "ASIA-NORTHEAST2",
    "ASIA-NORTHEAST3",
    "ASIA-SOUTH1",
    "ASIA-SOUTH2",
    "ASIA-SOUTHEAST1",
    "ASIA-SOUTHEAST2",
    "AUSTRALIA-SOUTHEAST1",
    "AUSTRALIA-SOUTHEAST2",
    "EUROPE-CENTRAL2",
    "EUROPE-NORTH1",
    "EUROPE-NORTH2",
    "EUROPE-SOUTHWEST1",
    "EUROPE-WEST1",
    "EUROPE-WEST2",
    "EUROPE-WEST3",
    "EUROPE-WEST4",
    "EUROPE-WEST6",
    "EUROPE-WEST8",
    "EUROPE-WEST9",
    "EUROPE-WEST10",
    "EUROPE-WEST12",
    "ME-CENTRAL1",
    "ME-CENTRAL2",
    "ME-WEST1",
    "NORTHAMERICA-NORTHEAST1",
    "NORTHAMERICA-NORTHEAST2",
    "NORTHAMERICA-SOUTH1",
    "SOUTHAMERICA-EAST1",
    "SOUTHAMERICA-WEST1",
    "US-CENTRAL1",
    "US-EAST1",
    "US-EAST4",
    "US-EAST5",
    "US-SOUTH1",
    "US-WEST1",
    "US-WEST2",
    "US-WEST3",
    "US-WEST4",
}
PUBLIC_ACCESS_PREVENTION = {"enforced", "inherited"}

# Google's answer for an injected failure, by code name (gRPC or HTTP spelling).
_FAILURES: dict[str, tuple[int, str, str]] = {
    "UNAVAILABLE": (503, "backendError", "We encountered an internal error. Please try again."),
    "SERVICE_UNAVAILABLE": (503, "backendError", "We encountered an internal error. Please try again."),
    "INTERNAL": (500, "backendError", "We encountered an internal error. Please try again."),
    "INTERNAL_SERVER_ERROR": (500, "backendError", "We encountered an internal error. Please try again."),
    "DEADLINE_EXCEEDED": (504, "backendError", "Deadline exceeded."),
    "GATEWAY_TIMEOUT": (504, "backendError", "Deadline exceeded."),
    "RESOURCE_EXHAUSTED": (429, "rateLimitExceeded", "The rate of requests is too high. Please slow down."),
    "TOO_MANY_REQUESTS": (429, "rateLimitExceeded", "The rate of requests is too high. Please slow down."),
    "PERMISSION_DENIED": (403, "forbidden", "Permission denied."),
    "FORBIDDEN": (403, "forbidden", "Permission denied."),
    "NOT_FOUND": (404, "notFound", "Not Found"),
}

_IAM_DETAIL = "type.googleapis.com/google.rpc.ErrorInfo"


class GoogleError(Exception):
    """An error answered the way the Cloud Storage JSON API answers it."""

    def __init__(
        self,
        code: int,
        message: str,
        reason: str,
        *,
        domain: str = "global",
        extra: dict[str, Any] | None = None,
        details: list[dict[str, Any]] | None = None,
        status: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.reason = code, message, reason
        self.domain, self.extra, self.details, self.status = domain, extra or {}, details, status

    def body(self) -> dict[str, Any]:
        item = {"message": self.message, "domain": self.domain, "reason": self.reason, **self.extra}
        error: dict[str, Any] = {"code": self.code, "message": self.message, "errors": [item]}
        if self.status:
            error["status"] = self.status
        if self.details:
            error["details"] = self.details
        return {"error": error}


# -- Google's rules ---------------------------------------------------------------------------
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$")


def bucket_name_problem(name: Any) -> str | None:
    """Why Cloud Storage would refuse `name` as a bucket name, or None if it is valid."""
    if not isinstance(name, str) or not name:
        return "it is empty"
    if not 3 <= len(name) <= 63:
        return "it must have 3 to 63 characters"
    if not _BUCKET_NAME.match(name):
        return (
            "it may contain only lowercase letters, digits, '-', '_' and '.', "
            "and must start and end with a letter or a digit"
        )
    if name.startswith("goog"):
        return "it must not start with 'goog'"
    if "google" in name or "g00gle" in name:
        return "it must not contain 'google'"
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        return "it must not be an IP address"
    if ".." in name or ".-" in name or "-." in name:
        return "dots must separate non-empty parts"
    return None


def location_type(location: str) -> str:
    if location in MULTI_REGIONS:
        return "multi-region"
    if location in DUAL_REGIONS:
        return "dual-region"
    return "region"


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _now() -> str:
    return _rfc3339(datetime.now(timezone.utc))


def _denied(learner: str, permission: str, noun: str) -> GoogleError:
    return GoogleError(
        403,
        f"{learner} does not have {permission} access to the {noun}. Permission "
        f"'{permission}' denied on resource (or it may not exist).",
        "forbidden",
    )


def _domain_verified(world: dict[str, Any], name: str) -> bool:
    """Whether the learner verified the domain `name` is in (world["verified_domains"], none by default)."""
    return any(name == d or name.endswith("." + d) for d in world.get("verified_domains") or [])


def _bucket_not_found() -> GoogleError:
    return GoogleError(404, "The specified bucket does not exist.", "notFound")


def _billing_disabled(state: str) -> GoogleError:
    return GoogleError(
        403,
        f"The billing account for the owning project is disabled in state {state}",
        "accountDisabled",
        extra={"locationType": "header", "location": "Authorization"},
    )


def _service_disabled(project_number: str) -> GoogleError:
    url = f"https://console.developers.google.com/apis/api/{STORAGE_JSON_API_SERVICE}/overview?project={project_number}"
    message = (
        f"Cloud Storage JSON API has not been used in project {project_number} before or it "
        f"is disabled. Enable it by visiting {url} then retry. If you enabled this API "
        "recently, wait a few minutes for the action to propagate to our systems and retry."
    )
    details: list[dict[str, Any]] = [
        {
            "@type": _IAM_DETAIL,
            "reason": "SERVICE_DISABLED",
            "domain": "googleapis.com",
            "metadata": {
                "service": STORAGE_JSON_API_SERVICE,
                "serviceTitle": "Cloud Storage JSON API",
                "consumer": f"projects/{project_number}",
                "containerInfo": project_number,
                "activationUrl": url,
            },
        },
        {
            "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
            "locale": "en-US",
            "message": message,
        },
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [{"description": "Google developers console API activation", "url": url}],
        },
    ]
    return GoogleError(
        403,
        message,
        "accessNotConfigured",
        domain="usageLimits",
        extra={"extendedHelp": "https://console.developers.google.com"},
        details=details,
        status="PERMISSION_DENIED",
    )


# -- the project that pays (userProject / x-goog-user-project) --------------------------------
# A request may name a project to bill instead of the bucket's own: the `userProject` query
# parameter (https://cloud.google.com/storage/docs/requester-pays) or the `x-goog-user-project`
# header that google-auth adds for credentials with a quota project, as gcsfs (DVC) and
# google-cloud-storage send it (https://cloud.google.com/docs/quotas/quota-project). The caller
# needs serviceusage.services.use on that project, and Cloud Storage must be enabled there.
# The named project pays even when the bucket is not Requester Pays ("if the requester provides
# a billing project with their request, the requester's project is billed instead"), so it is
# checked on every request.
USER_PROJECT_HEADER = "x-goog-user-project"
# Roles that carry serviceusage.services.use (https://cloud.google.com/service-usage/docs/access-control).
_SERVICE_USERS = {
    "roles/owner",
    "roles/editor",
    "roles/serviceusage.serviceUsageConsumer",
    "roles/serviceusage.serviceUsageAdmin",
}


def _user_project_invalid() -> GoogleError:
    # Recorded answer for a project that does not exist (github.com/googleapis/java-storage/issues/42).
    return GoogleError(400, "User project specified in the request is invalid.", "invalid")


def _user_project_denied(email: str, ref: str) -> GoogleError:
    """Recorded text (github.com/googleapis/google-cloud-ruby/issues/6456), with the ErrorInfo the
    control plane gives for the same refusal, so clients read `reason` USER_PROJECT_DENIED."""
    message = (
        f"{email} does not have serviceusage.services.use access to the Google Cloud project. "
        "Permission 'serviceusage.services.use' denied on resource (or it may not exist)."
    )
    details = [
        {
            "@type": _IAM_DETAIL,
            "reason": "USER_PROJECT_DENIED",
            "domain": "googleapis.com",
            "metadata": {"consumer": f"projects/{ref}", "service": STORAGE_SERVICE},
        }
    ]
    return GoogleError(403, message, "forbidden", details=details, status="PERMISSION_DENIED")


def named_user_projects(query: dict[str, list[str]], header: str | None) -> list[str]:
    """Every project the request names to pay for it, header and query parameter alike."""
    names = [header or ""] + list(query.get("userProject") or [])
    return list(dict.fromkeys(n.strip() for n in names if n and n.strip()))


def check_user_project(world: dict[str, Any], caller: auth.Principal, ref: str) -> None:
    """Refuse as Cloud Storage does a project the caller may not bill, or where Storage is off.

    A project being created, or shut down, cannot pay either (strict where the documentation is silent).
    """
    from wizard.sandbox.control_plane.iam_policy import effective_roles

    projects = world.get("projects", {})
    project = projects.get(ref) or next((p for p in projects.values() if str(p.get("number")) == ref), None)
    if project is None or time.time() < float(project.get("ready_at") or 0):
        raise _user_project_invalid()
    roles: set[str] = set()
    if project.get("state", "ACTIVE") == "ACTIVE":
        roles = effective_roles(world, project, caller.member)
        if project.get("owner") == caller.email:
            roles.add("roles/owner")
    if not roles & _SERVICE_USERS:
        raise _user_project_denied(caller.email, ref)
    if not set(project.get("services") or []) & {STORAGE_SERVICE, STORAGE_JSON_API_SERVICE}:
        raise _service_disabled(str(project.get("number", "")))


# -- durable emulator storage -----------------------------------------------------------------
# The emulator's persistence is replaced by a journaled, locked one (see emulator_store).
def open_emulator_storage(data_dir: Path) -> JournaledStorage:
    return JournaledStorage(Path(data_dir))


# -- the gate ---------------------------------------------------------------------------------
GET, POST, PUT, PATCH, DELETE = "GET", "POST", "PUT", "PATCH", "DELETE"
TOKEN_PATH = "/token"

# Storage permissions of the roles a service account may hold on the bucket's project
# (https://cloud.google.com/storage/docs/access-control/iam-roles).
_OBJECT_READ = {"storage.objects.get", "storage.objects.list"}
_OBJECT_ALL = _OBJECT_READ | {
    "storage.objects.create",
    "storage.objects.delete",
    "storage.objects.update",
    "storage.objects.getIamPolicy",
    "storage.objects.setIamPolicy",
    "storage.objects.restore",
}
_BUCKET_READ = {"storage.buckets.get", "storage.buckets.list"}
_BUCKET_ALL = _BUCKET_READ | {
    "storage.buckets.create",
    "storage.buckets.delete",
    "storage.buckets.update",
    "storage.buckets.getIamPolicy",
    "storage.buckets.setIamPolicy",
}
ROLE_PERMISSIONS: dict[str, set[str]] = {
    "roles/storage.objectViewer": _OBJECT_READ,
    "roles/storage.objectCreator": {"storage.objects.create"},
    "roles/storage.objectUser": _OBJECT_ALL - {"storage.objects.getIamPolicy", "storage.objects.setIamPolicy"},
    "roles/storage.objectAdmin": _OBJECT_ALL,
    "roles/storage.admin": _OBJECT_ALL | _BUCKET_ALL,
    "roles/owner": _OBJECT_ALL | _BUCKET_ALL,
    "roles/editor": (_OBJECT_ALL | _BUCKET_ALL) - {"storage.buckets.setIamPolicy", "storage.objects.setIamPolicy"},
    "roles/viewer": _OBJECT_READ | _BUCKET_READ,
}


def storage_permissions(world: dict[str, Any], project_id: str, member: str) -> set[str]:
    """What `member` may do with the buckets of `project_id`, by its project-level roles in effect.

    A grant younger than `faults.iam_propagation_seconds` is in the policy but not yet in effect
    (https://cloud.google.com/iam/docs/access-change-propagation).
    """
    from wizard.sandbox.control_plane.iam_policy import effective_roles

    project = world.get("projects", {}).get(project_id) or {}
    granted: set[str] = set()
    for role in effective_roles(world, project, member):
        granted |= ROLE_PERMISSIONS.get(role, set())
    return granted


# emulator handler -> (API method name for fault injection, IAM permission, resource noun)
_OPS: dict[Callable[..., Any], tuple[str, str, str]] = {
    gse_buckets.get: ("storage.buckets.get", "storage.buckets.get", "bucket"),
    gse_buckets.patch: ("storage.buckets.patch", "storage.buckets.update", "bucket"),
    gse_buckets.delete: ("storage.buckets.delete", "storage.buckets.delete", "bucket"),
    gse_buckets.acl_list: ("storage.bucketAccessControls.list", "storage.buckets.getIamPolicy", "bucket"),
    gse_buckets.default_object_acl_list: (
        "storage.defaultObjectAccessControls.list",
        "storage.buckets.getIamPolicy",
        "bucket",
    ),
    gse_buckets.get_iam_policy: ("storage.buckets.getIamPolicy", "storage.buckets.getIamPolicy", "bucket"),
    gse_buckets.set_iam_policy: ("storage.buckets.setIamPolicy", "storage.buckets.setIamPolicy", "bucket"),
    gse_buckets.test_iam_permissions: ("storage.buckets.testIamPermissions", "storage.buckets.get", "bucket"),
    gse_objects.ls: ("storage.objects.list", "storage.objects.list", "bucket"),
    gse_objects.get: ("storage.objects.get", "storage.objects.get", "object"),
    gse_objects.download: ("storage.objects.get", "storage.objects.get", "object"),
    gse_objects.insert: ("storage.objects.insert", "storage.objects.create", "object"),
    gse_objects.upload_partial: ("storage.objects.insert", "storage.objects.create", "object"),
    gse_objects.xml_upload: ("storage.objects.insert", "storage.objects.create", "object"),
    gse_objects.delete: ("storage.objects.delete", "storage.objects.delete", "object"),
    gse_objects.patch: ("storage.objects.patch", "storage.objects.update", "object"),
    gse_objects.copy: ("storage.objects.copy", "storage.objects.create", "object"),
    gse_objects.rewrite: ("storage.objects.rewrite", "storage.objects.create", "object"),
    gse_objects.compose: ("storage.objects.compose", "storage.objects.create", "object"),
    gse_objects.acl_list: ("storage.objectAccessControls.list", "storage.objects.getIamPolicy", "object"),
    gse_objects.restore: ("storage.objects.restore", "storage.objects.restore", "object"),
    gse_objects.batch: ("storage.batch", "storage.objects.delete", "object"),
}
_OBJECT_NOT_FOUND_BODY = {gse_objects.get, gse_objects.download, gse_objects.delete, gse_objects.patch}
_NOUN = {
    "bucket": "Google Cloud Storage bucket",
    "object": "Google Cloud Storage object",
    "project": "Google Cloud project",
}


def split_multipart_related(body: bytes, content_type: str) -> list[tuple[dict[str, str], bytes]]:
    """The parts of a multipart/related body, byte for byte.

    The emulator parses uploads with the e-mail parser, which rewrites line endings and
    drops a trailing carriage return: binary files (DVC's cache is full of them) came back
    corrupted. Google keeps every byte; so does this.
    """
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise ValueError("multipart body without a boundary")
    delimiter = b"--" + match.group(1).encode("latin-1")
    chunks = body.split(delimiter)[1:]
    # Clients differ: google-resumable-media ends lines with CRLF, gcsfs with a bare LF. The
    # line break before a delimiter belongs to the delimiter, in the style the body uses; a
    # file's own trailing "\r" must survive.
    newline = b"\r\n" if chunks and chunks[0].startswith(b"\r\n") else b"\n"
    parts = []
    for chunk in chunks:
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        if chunk.startswith(newline):
            chunk = chunk[len(newline) :]
        if chunk.endswith(newline):
            chunk = chunk[: -len(newline)]
        head, _, content = chunk.partition(newline + newline)
        headers = {}
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.strip():
                headers[name.strip().lower()] = value.strip()
        if headers.get("content-transfer-encoding", "").lower() == "base64":
            content = base64.b64decode(content)
        parts.append((headers, content))
    return parts


class _ExactRequest(gse_server.Request):
    """The emulator's request, with multipart uploads split exactly instead of by the e-mail parser."""

    _data: Any  # the emulator's (untyped) parsed body, or its _UNSET marker

    @property
    def data(self) -> Any:
        content_type = self.get_header("Content-Type") or ""
        if self._data is gse_server._UNSET and content_type.startswith("multipart/related"):
            raw = gse_server._decode_raw_data(gse_server._read_raw_data(self._request_handler), self._request_handler)
            if raw:
                (_meta_headers, meta), (file_headers, content) = split_multipart_related(raw, content_type)[:2]
                self._data = {
                    "meta": json.loads(meta),
                    "content": content,
                    "content-type": file_headers.get("content-type", "application/octet-stream").split(";")[0],
                }
            else:
                self._data = None
        return super().data


class _Response(gse_server.Response):
    """The emulator's response, sent in one write: status line, headers and body together.

    The emulator writes the headers, then the body: two TLS records and two segments per answer,
    each waking the client up (thousands of times in a `dvc push`). The bytes on the wire are
    the same."""

    def close(self) -> None:
        handler = self._handler
        handler.send_response(self.status.value, self.status.phrase)
        for key, value in self._headers.items():
            handler.send_header(key, value)
        content = self._content.encode("utf-8") if isinstance(self._content, str) else self._content
        handler.send_header("Content-Length", str(len(content)))
        # `end_headers()` without its flush, then the body in the same buffer (http.server keeps it
        # in `_headers_buffer` until `flush_headers()`).
        handler._headers_buffer.append(b"\r\n")
        handler._headers_buffer.append(bytes(content))
        handler.flush_headers()


def _has_body(http_handler: Any) -> bool:
    try:
        length = int(http_handler.headers.get("Content-Length") or 0)
    except ValueError:
        return True
    return length > 0 or "chunked" in (http_handler.headers.get("Transfer-Encoding") or "").lower()


class _Gate:
    """Applies Cloud Storage's rules, then runs the emulator's handler."""

    def __init__(self, world: World, storage: JournaledStorage) -> None:
        self.world = world
        self.storage = storage
        self.stopped = threading.Event()
        # Bucket calls change the world and the emulator together: one at a time. Object calls
        # run concurrently; the journaled storage locks its own index.
        self.lock = threading.RLock()
        self.routes = [(re.compile(regex), handlers) for regex, handlers in gse_server.HANDLERS]

    # routing ---------------------------------------------------------------------------
    def handle(self, http_handler: Any, method: str) -> None:
        if self.stopped.is_set() or self.world.view()["faults"].get("offline"):
            # A connection kept alive from before: the server is gone, or the learner went offline.
            http_handler.close_connection = True
            return None
        if http_handler.path.split("?", 1)[0] == TOKEN_PATH:
            return self._token(http_handler, method)
        override = http_handler.headers.get("x-http-method-override")
        if override:
            method = override.upper()
        request = _ExactRequest(http_handler, method)
        response = _Response(http_handler)
        write = method in (POST, PUT, PATCH, DELETE)
        try:
            number = self.world.count("storage", write=write)
            handler, match = self._route(request, method)
            request.set_match(match)
            _ = request.data  # read the body now, outside the lock
            # After reading the body, so that the client sees an answer rather than a reset.
            transient = http_fault(self.world.view()["faults"], number)
            if transient is not None and handler is not gse_server._health_check:
                self.world.note_transient()
                raise GoogleError(transient.http_status, transient.message, transient.http_reason)
            caller = http_handler.headers.get("Authorization")
            if getattr(handler, "__module__", None) == gse_objects.__name__:
                self._dispatch(handler, request, response, caller)
            else:
                with self.lock:
                    self._dispatch(handler, request, response, caller)
        except GoogleError as err:
            self._error(response, err)
        except Exception:  # noqa: BLE001 - answer like Google, keep the server alive
            logger.exception("sandbox storage: %s %s failed", method, request.path)
            self._error(
                response, GoogleError(500, "We encountered an internal error. Please try again.", "backendError")
            )
        if _has_body(http_handler) and request._data is gse_server._UNSET:
            # The body was not read (refused before, or unreadable): what is left of it must not be
            # taken for the next request on this connection, so the server closes it (RFC 9112 §9.6).
            http_handler.close_connection = True
        try:
            response.close()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up (gcsfs does on partial reads); nothing left to answer

    def _route(self, request: Any, method: str) -> tuple[Callable[..., Any], Any]:
        for pattern, handlers in self.routes:
            match = pattern.fullmatch(request.path)
            if not match:
                continue
            handler = handlers.get(method)
            # As the emulator's router does: uploads POSTed to .../o without /upload.
            if handler is None and method == POST and request.query.get("uploadType") and request.path.endswith("/o"):
                handler = gse_objects.insert
            if handler is None:
                break
            return handler, match
        raise GoogleError(404, "Not Found", "notFound")

    def _token(self, http_handler: Any, method: str) -> None:
        """The OAuth 2.0 token endpoint, served beside the JSON API like a Google front end."""
        from wizard.sandbox.oauth import token_response

        length = int(http_handler.headers.get("Content-Length") or 0)
        body = http_handler.rfile.read(length) if length else b""
        if method != POST:
            status, answer = 405, {"error": "invalid_request", "error_description": "Use POST."}
        else:
            host, port = http_handler.server.server_address[:2]
            status, answer = token_response(self.world, body, f"https://{host}:{port}{TOKEN_PATH}")
        payload = json.dumps(answer).encode("utf-8")
        try:
            http_handler.send_response(status)
            http_handler.send_header("Content-Type", "application/json; charset=utf-8")
            http_handler.send_header("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
            http_handler.send_header("Content-Length", str(len(payload)))
            http_handler.end_headers()
            http_handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _caller(self, world: dict[str, Any], authorization: str | None, permission: str, noun: str) -> auth.Principal:
        """The principal behind the bearer token; 401 as Cloud Storage answers without a good one."""
        try:
            return auth.principal_of(self.world, authorization, world)
        except auth.AuthFailure as failure:
            if failure.missing:
                message = (
                    f"Anonymous caller does not have {permission} access to the {_NOUN[noun]}. "
                    f"Permission '{permission}' denied on resource (or it may not exist)."
                )
                raise GoogleError(
                    401, message, "required", extra={"locationType": "header", "location": "Authorization"}
                ) from None
            raise GoogleError(
                401, "Invalid Credentials", "authError", extra={"locationType": "header", "location": "Authorization"}
            ) from None

    def _paying_caller(
        self, world: dict[str, Any], request: Any, authorization: str | None, permission: str, noun: str
    ) -> auth.Principal:
        """The caller, once the project it names to pay (if any) may pay for Cloud Storage."""
        caller = self._caller(world, authorization, permission, noun)
        for ref in named_user_projects(request.query, request.get_header(USER_PROJECT_HEADER)):
            check_user_project(world, caller, ref)
        return caller

    @staticmethod
    def _error(response: Any, err: GoogleError) -> None:
        response.status = HTTPStatus(err.code)
        response.json(err.body())

    def _dispatch(
        self, handler: Callable[..., Any], request: Any, response: Any, authorization: str | None = None
    ) -> None:
        if handler is gse_server._health_check:
            return handler(request, response, self.storage)
        if handler is gse_server._wipe_data:
            raise GoogleError(404, "Not Found", "notFound")  # not an API of the real service
        # The world as it is now, read once for the whole request, without a copy: never changed here.
        world = self.world.view()
        if handler is gse_buckets.insert:
            self._inject(world, "storage.buckets.insert")
            self._only_learner(
                world,
                self._paying_caller(world, request, authorization, "storage.buckets.create", "project"),
                "storage.buckets.create",
            )
            return self._insert_bucket(request, response)
        if handler is gse_buckets.ls:
            self._inject(world, "storage.buckets.list")
            self._only_learner(
                world,
                self._paying_caller(world, request, authorization, "storage.buckets.list", "project"),
                "storage.buckets.list",
            )
            return self._list_buckets(request, response)
        api_method, permission, noun = _OPS.get(handler, ("storage.unknown", "storage.objects.get", "object"))
        self._inject(world, api_method)
        caller = self._paying_caller(world, request, authorization, permission, noun)
        if handler is gse_objects.batch:
            for item in request.data or []:
                self._check_bucket(world, item.get("bucket_name"), permission, noun, caller)
        else:
            self._check_bucket(world, request.params.get("bucket_name"), permission, noun, caller)
            if request.params.get("dest_bucket_name"):
                self._check_bucket(
                    world, request.params["dest_bucket_name"], "storage.objects.create", "object", caller
                )
        if handler is gse_buckets.get:
            return self._get_bucket(world, request, response)
        if handler is gse_buckets.patch:
            return self._patch_bucket(request, response)
        if handler is gse_buckets.delete:
            return self._delete_bucket(request, response)
        if handler is gse_objects.ls:
            return self._list_objects(request, response)
        handler(request, response, self.storage)
        if response.status == HTTPStatus.NOT_FOUND and handler in _OBJECT_NOT_FOUND_BODY and not response._content:
            name = f"{request.params.get('bucket_name')}/{request.params.get('object_id')}"
            self._error(response, GoogleError(404, f"No such object: {name}", "notFound"))
        if request.method == DELETE and response.status == HTTPStatus.OK and not response._content:
            response.status = HTTPStatus.NO_CONTENT

    def _list_objects(self, request: Any, response: Any) -> None:
        """The emulator's selection of objects, answered in Google's pages (see `storage_listing`)."""
        query = request.query

        def first(name: str) -> str | None:
            return query[name][0] if query.get(name) else None

        bucket, prefix, delimiter = request.params["bucket_name"], first("prefix"), first("delimiter")
        match_glob = first("matchGlob")
        soft_deleted = (first("softDeleted") or "").lower() in ("1", "true", "yes")
        try:
            # Every object first, the offsets applied to names, then the emulator's own grouping into prefixes.
            objects, _ = self.storage.get_file_list(bucket, prefix, None, match_glob, soft_deleted=soft_deleted)
            objects = storage_listing.within_offsets(objects, query)
            prefixes: list[str] = []
            if delimiter:
                candidates = [(str(o.get("name", "")), o) for o in objects]
                objects, found = self.storage._apply_list_delimiter(candidates, prefix, delimiter, match_glob)
                prefixes = sorted(found)
            response.json(storage_listing.list_page(objects, prefixes, query))
        except gse_exceptions.NotFound:
            raise _bucket_not_found() from None
        except (gse_exceptions.BadRequest, storage_listing.ListingError) as err:
            raise GoogleError(400, str(err) or "Invalid argument.", "invalid") from None

    @staticmethod
    def _inject(world: dict[str, Any], api_method: str) -> None:
        code = (world["faults"].get("fail") or {}).get(api_method)
        if not code:
            return
        status, reason, message = _FAILURES.get(str(code).upper(), _FAILURES["UNAVAILABLE"])
        raise GoogleError(status, message, reason)

    # rules -----------------------------------------------------------------------------
    @staticmethod
    def _only_learner(world: dict[str, Any], caller: auth.Principal, permission: str) -> None:
        """Strict: the guide's service accounts hold no project-level bucket roles."""
        if caller.email != world["learner"]:
            raise _denied(caller.email, permission, _NOUN["project"])

    def _check_bucket(
        self, world: dict[str, Any], name: str | None, permission: str, noun: str, caller: auth.Principal | None = None
    ) -> None:
        """403 for someone else's bucket, 404 for none; the learner's must be usable.

        A service account needs a role that carries `permission` on the bucket's project.
        """
        learner = world["learner"]
        bucket = world["buckets"].get(name or "")
        if bucket is None:
            raise _bucket_not_found()
        if caller is not None and caller.kind == "serviceAccount":
            project_id = bucket.get("project", "")
            if permission not in storage_permissions(world, project_id, caller.member):
                raise _denied(caller.email, permission, _NOUN[noun])
        elif caller is not None and caller.email != learner:
            raise _denied(caller.email, permission, _NOUN[noun])
        elif bucket.get("owner") != learner:
            raise _denied(learner, permission, _NOUN[noun])
        project = world["projects"].get(bucket.get("project", ""))
        if project is not None:
            self._check_billing(world, project)
            # Calls on a bucket count against its project, where the JSON API must be enabled
            # (cloud.google.com/storage/docs/json_api/v1/status-codes#403-forbidden, accessNotConfigured).
            if not set(project.get("services") or []) & {STORAGE_SERVICE, STORAGE_JSON_API_SERVICE}:
                raise _service_disabled(str(project.get("number", "")))
        if self.storage.get_bucket(name) is None:  # world says it exists: heal the emulator
            self.storage.create_bucket(name, gse_buckets._make_bucket_resource(name))

    @staticmethod
    def _check_billing(world: dict[str, Any], project: dict[str, Any]) -> None:
        account_id = project.get("billing_account")
        if not account_id:
            raise _billing_disabled("absent")
        account = world.get("billing_accounts", {}).get(account_id)
        if account is None or not account.get("open", False):
            raise _billing_disabled("closed")

    def _learner_project(self, world: dict[str, Any], project_id: str, permission: str) -> dict[str, Any]:
        learner = world["learner"]
        project = world["projects"].get(project_id)
        usable = (
            project is not None
            and project.get("owner") == learner
            and project.get("state", "ACTIVE") == "ACTIVE"
            and time.time() >= float(project.get("ready_at") or 0)
        )
        if not usable:
            raise _denied(learner, permission, _NOUN["project"])
        return project

    # bucket calls ----------------------------------------------------------------------
    def _insert_bucket(self, request: Any, response: Any) -> None:
        body = request.data if isinstance(request.data, dict) else {}
        name = body.get("name") or ""
        if bucket_name_problem(name):
            raise GoogleError(400, f"Invalid bucket name: '{name}'", "invalid")
        project_id = (request.query.get("project") or [""])[0]
        if not project_id:
            raise GoogleError(
                400,
                "Required parameter: project",
                "required",
                extra={"locationType": "parameter", "location": "project"},
            )
        world = self.world.read()
        learner = world["learner"]
        project = self._learner_project(world, project_id, "storage.buckets.create")
        services = set(project.get("services") or [])
        if not services & {STORAGE_SERVICE, STORAGE_JSON_API_SERVICE}:
            raise _service_disabled(str(project.get("number", "")))
        self._check_billing(world, project)
        if "." in name and not _domain_verified(world, name):
            # Google's text (recorded: github.com/googleapis/google-cloud-go/issues/529); names with dots
            # need verified domain ownership (cloud.google.com/storage/docs/domain-name-verification).
            raise GoogleError(
                403, "The bucket you tried to create requires domain ownership verification.", "forbidden"
            )

        location = str(body.get("location") or DEFAULT_LOCATION).upper()
        if location not in REGIONS | MULTI_REGIONS | DUAL_REGIONS:
            raise GoogleError(400, "The specified location constraint is not valid.", "invalid")
        iam = body.get("iamConfiguration") or {}
        uniform = bool(
            (iam.get("uniformBucketLevelAccess") or {}).get("enabled")
            or (iam.get("bucketPolicyOnly") or {}).get("enabled")
        )
        prevention = iam.get("publicAccessPrevention") or "inherited"
        if prevention == "unspecified":
            prevention = "inherited"
        if prevention not in PUBLIC_ACCESS_PREVENTION:
            raise GoogleError(400, f"Invalid argument for publicAccessPrevention: {prevention}", "invalid")

        with self.world.mutate() as live:
            existing = live["buckets"].get(name)
            if existing is not None:
                if existing.get("owner") == learner:
                    raise GoogleError(
                        409,
                        "Your previous request to create the named bucket succeeded and you already own it.",
                        "conflict",
                    )
                raise GoogleError(
                    409,
                    "The requested bucket name is not available. The bucket "
                    "namespace is shared by all users of the system. Please "
                    "select a different name and try again.",
                    "conflict",
                )
            record = {
                "project": project_id,
                "owner": learner,
                "location": location,
                "uniform_access": uniform,
                "public_access_prevention": prevention,
                "create_time": _now(),
            }
            # The emulator first (a leftover from a crash is simply taken over), then the world.
            resource = gse_buckets._make_bucket_resource(name, project_number=project.get("number"))
            for key in ("labels", "versioning", "storageClass"):
                if key in body:
                    resource[key] = body[key]
            self.storage.create_bucket(name, resource)
            live["buckets"][name] = record
        response.json(self._resource(name, record, project))

    def _list_buckets(self, request: Any, response: Any) -> None:
        project_id = (request.query.get("project") or [""])[0]
        if not project_id:
            raise GoogleError(
                400,
                "Required parameter: project",
                "required",
                extra={"locationType": "parameter", "location": "project"},
            )
        world = self.world.read()
        project = self._learner_project(world, project_id, "storage.buckets.list")
        prefix = (request.query.get("prefix") or [""])[0]
        items = [
            self._resource(name, record, project)
            for name, record in sorted(world["buckets"].items())
            if record.get("project") == project_id and name.startswith(prefix)
        ]
        body: dict[str, Any] = {"kind": "storage#buckets"}
        if items:
            body["items"] = items
        response.json(body)

    def _get_bucket(self, world: dict[str, Any], request: Any, response: Any) -> None:
        name = request.params["bucket_name"]
        record = world["buckets"][name]
        response.json(self._resource(name, record, world["projects"].get(record["project"])))

    def _patch_bucket(self, request: Any, response: Any) -> None:
        name = request.params["bucket_name"]
        body = request.data if isinstance(request.data, dict) else {}
        iam = body.get("iamConfiguration")
        with self.world.mutate() as live:
            record = live["buckets"][name]
            if isinstance(iam, dict):
                ula = iam.get("uniformBucketLevelAccess") or iam.get("bucketPolicyOnly")
                if isinstance(ula, dict) and "enabled" in ula:
                    record["uniform_access"] = bool(ula["enabled"])
                prevention = iam.get("publicAccessPrevention")
                if prevention == "unspecified":
                    prevention = "inherited"
                if prevention is not None:
                    if prevention not in PUBLIC_ACCESS_PREVENTION:
                        raise GoogleError(400, f"Invalid argument for publicAccessPrevention: {prevention}", "invalid")
                    record["public_access_prevention"] = prevention
            patch = {k: v for k, v in body.items() if k not in ("location", "iamConfiguration")}
            request._data = patch  # the emulator keeps the other fields (labels, versioning, ...)
            gse_buckets.patch(request, response, self.storage)
            project = live["projects"].get(record["project"])
            response.json(self._resource(name, record, project))

    def _delete_bucket(self, request: Any, response: Any) -> None:
        # https://cloud.google.com/storage/docs/xml-api/delete-bucket and .../json_api/v1/buckets/delete:
        # only an empty bucket can be deleted; otherwise 409 Conflict, "The bucket you tried to delete is not empty."
        name = request.params["bucket_name"]
        with self.world.mutate() as live:
            if self.storage.get_file_list(name)[0]:
                raise GoogleError(409, "The bucket you tried to delete is not empty.", "conflict")
            gse_buckets.delete(request, response, self.storage)
            live["buckets"].pop(name, None)
        response.status = HTTPStatus.NO_CONTENT

    def _resource(self, name: str, record: dict[str, Any], project: dict[str, Any] | None) -> dict[str, Any]:
        """The emulator's bucket resource with the settings Google would read back."""
        resource = dict(self.storage.get_bucket(name) or gse_buckets._make_bucket_resource(name))
        created = record.get("create_time") or resource.get("timeCreated") or _now()
        uniform = bool(record.get("uniform_access"))
        ula: dict[str, Any] = {"enabled": uniform}
        if uniform:
            try:
                since = datetime.fromisoformat(created.replace("Z", "+00:00"))
            except ValueError:
                since = datetime.now(timezone.utc)
            ula["lockedTime"] = _rfc3339(since + timedelta(days=90))
        location = record.get("location") or DEFAULT_LOCATION
        resource.update(
            {
                "id": name,
                "name": name,
                "selfLink": f"https://www.googleapis.com/storage/v1/b/{name}",
                "projectNumber": str((project or {}).get("number") or resource.get("projectNumber", "")),
                "location": location,
                "locationType": location_type(location),
                "timeCreated": created,
                "iamConfiguration": {
                    "bucketPolicyOnly": dict(ula),
                    "uniformBucketLevelAccess": dict(ula),
                    "publicAccessPrevention": record.get("public_access_prevention", "inherited"),
                },
            }
        )
        if uniform:  # Google does not return ACLs of a bucket with uniform access
            resource.pop("acl", None)
            resource.pop("defaultObjectAcl", None)
        return resource


# -- the server -------------------------------------------------------------------------------
_DATE_CACHE: list[tuple[int, str]] = [(0, "")]  # (second, its HTTP-date), shared by every thread


class _RequestHandler(gse_server.RequestHandler):
    """The emulator's request handler, with every method routed through the gate."""

    # Connections are kept alive between requests, HTTP/1.1's default (RFC 9112 §9.3,
    # https://www.rfc-editor.org/rfc/rfc9112#section-9.3), which Google's front ends follow: a `dvc push` of
    # thousands of small objects otherwise spent most of its time in a TLS handshake per object.
    # Headers and body leave in two writes: without Nagle's algorithm the body is not held back
    # waiting for the client's delayed ACK (40 ms per request).
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def __init__(self, gate: _Gate, *args: Any, **kwargs: Any) -> None:
        self.gate = gate
        super().__init__(gate.storage, *args, **kwargs)

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The `Date` header (RFC 9110 §6.6.1: to the second), formatted once per second, not per answer."""
        if timestamp is not None:
            return super().date_time_string(timestamp)
        second = int(time.time())
        stamp = _DATE_CACHE[0]
        if stamp[0] != second:
            stamp = (second, super().date_time_string(second))
            _DATE_CACHE[0] = stamp
        return stamp[1]

    def handle(self) -> None:
        # `faults.offline`: the learner's network is down; connections to Google fail at once.
        if self.gate.world.fault("offline"):
            self.close_connection = True
            return
        super().handle()

    def do_GET(self) -> None:
        self.gate.handle(self, GET)

    def do_POST(self) -> None:
        self.gate.handle(self, POST)

    def do_PUT(self) -> None:
        self.gate.handle(self, PUT)

    def do_PATCH(self) -> None:
        self.gate.handle(self, PATCH)

    def do_DELETE(self) -> None:
        self.gate.handle(self, DELETE)


@dataclass
class StorageHandle:
    """A running sandbox storage server."""

    host: str
    port: int
    data_dir: Path
    _served: Served = field(repr=False)
    _gate: _Gate | None = field(default=None, repr=False)
    world_root: Path | None = None

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def token_uri(self) -> str:
        return f"{self.url}{TOKEN_PATH}"

    def stop(self) -> None:
        if self._gate is not None:
            self._gate.stopped.set()
        self._served.stop()
        self._served.httpd.hang_up()  # connections kept alive: their clients reconnect elsewhere
        if self._gate is not None:  # what is still in memory, to disk
            self._gate.storage.close()
            self._gate.world.flush()

    def __enter__(self) -> StorageHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def start_storage(world: World, data_dir: Path, host: str = "127.0.0.1", port: int = 0) -> StorageHandle:
    """Serve the sandbox's Cloud Storage JSON API on `host:port` (0 picks a free port)."""
    data_dir = Path(data_dir)
    storage = open_emulator_storage(data_dir)
    gate = _Gate(world, storage)

    def record_token_uri(bound: int) -> None:
        with world.mutate() as data:
            data.setdefault("auth", {})["token_uri"] = f"https://{host}:{bound}{TOKEN_PATH}"

    served = serve("storage", partial(_RequestHandler, gate), world.root, host, port, before=record_token_uri)
    return StorageHandle(
        host=host, port=served.port, data_dir=data_dir, _served=served, _gate=gate, world_root=Path(world.root)
    )
