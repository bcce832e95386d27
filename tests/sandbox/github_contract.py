"""GitHub's official OpenAPI description as a test oracle for the fake GitHub API.

`contracts/github-rest-subset.json` is the subset of `@octokit/openapi` 23.0.2 (GitHub's
own description, MIT) for the endpoints the wizard uses, references already resolved.
`Recorder` wraps the mounted app and keeps every exchange that went over the wire;
`Contract.problems(exchange)` lists where a request or response body departs from the
description. OpenAPI 3.0 is read as JSON Schema draft 4 with two readings: `nullable:
true` adds null to the type, and `oneOf` is checked as `anyOf` (GitHub's error bodies are
alternatives that overlap, so exactly-one can never hold).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator

from wizard.sandbox.forge import ForgeRequest, ForgeResponse

CONTRACT = Path(__file__).parent / "contracts" / "github-rest-subset.json"
API_PREFIX = "/api/v3"


@dataclass
class Exchange:
    method: str
    path: str  # below /api/v3, raw
    request_body: bytes
    status: int
    content_type: str
    response_body: bytes

    def response_json(self) -> Any:
        return json.loads(self.response_body) if self.response_body else None

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status}"


class Recorder:
    """An app wrapper that keeps every request and response of the app it wraps."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.exchanges: list[Exchange] = []

    def __call__(self, request: ForgeRequest) -> ForgeResponse:
        response = self.app(request)
        content_type = next((v for k, v in response.headers if k.lower() == "content-type"), "")
        self.exchanges.append(
            Exchange(
                request.method,
                request.path[len(request.prefix) :],
                request.body,
                response.status,
                content_type,
                response.body,
            )
        )
        return response


def _json_schema(schema: Any) -> Any:
    """OpenAPI 3.0 schema object → JSON Schema (draft 4)."""
    if isinstance(schema, list):
        return [_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key in ("example", "examples", "externalDocs", "discriminator", "xml") or key.startswith("x-"):
            continue
        if key == "properties":
            out[key] = {name: _json_schema(sub) for name, sub in value.items()}
        else:
            out["anyOf" if key == "oneOf" else key] = _json_schema(value)
    if out.pop("nullable", False):
        if "type" in out:
            out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]

    @property
    def id(self) -> str:
        return self.spec["operationId"]


class Contract:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        operations = []
        for template, item in document["paths"].items():
            # {path} and {ref} hold slashes; the root of the contents API is ".../contents/".
            regex = re.sub(r"\{path\}$", r"(?P<path>.*)", template)
            regex = re.sub(r"\{ref\}$", r"(?P<ref>.+)", regex)
            regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", regex)
            for method, spec in item.items():
                if isinstance(spec, dict) and "operationId" in spec:
                    operations.append(Operation(method.upper(), template, re.compile(f"^{regex}$"), spec))
        # The most literal template wins: ".../secrets/public-key" before ".../secrets/{secret_name}".
        self.operations = sorted(operations, key=lambda op: -len(re.sub(r"\{\w+\}", "", op.template)))

    def operation(self, method: str, path: str) -> Operation | None:
        return next((op for op in self.operations if op.method == method and op.pattern.match(path)), None)

    def problems(self, exchange: Exchange) -> list[str]:
        """Where the exchange departs from the description (empty when it conforms)."""
        op = self.operation(exchange.method, exchange.path)
        if op is None:
            return [f"{exchange}: no such operation in the contract"]
        found = []
        body_spec = op.spec.get("requestBody", {}).get("content", {}).get("application/json")
        if exchange.request_body and body_spec:
            found += _validate(body_spec["schema"], json.loads(exchange.request_body), f"{exchange} request")
        elif op.spec.get("requestBody", {}).get("required") and not exchange.request_body:
            found.append(f"{exchange}: the request has no body but the contract requires one")
        response = op.spec["responses"].get(str(exchange.status))
        if response is None:
            if exchange.status < 400:
                return [*found, f"{exchange}: status {exchange.status} is not in the contract"]
            # GitHub answers errors its descriptions leave out (401, 404 on secrets...): a Basic Error.
            response = {"content": {"application/json": {"schema": _BASIC_ERROR}}}
        content = response.get("content")
        if not content:
            if exchange.response_body:
                found.append(f"{exchange}: the contract has no body for this status but one was sent")
            return found
        schema = (content.get("application/json") or next(iter(content.values())))["schema"]
        if "json" not in exchange.content_type:
            return [*found, f"{exchange}: response is {exchange.content_type!r}, not JSON"]
        found += _validate(schema, exchange.response_json(), f"{exchange} response")
        return found


_BASIC_ERROR = {
    "type": "object",
    "required": ["message", "documentation_url"],
    "properties": {
        "message": {"type": "string"},
        "documentation_url": {"type": "string"},
        "status": {"type": "string"},
    },
}


def _validate(schema: dict[str, Any], value: Any, where: str) -> list[str]:
    validator = Draft4Validator(_json_schema(schema))
    return [
        f"{where}: {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}"
        for e in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
    ]


@lru_cache(maxsize=1)
def contract() -> Contract:
    return Contract(json.loads(CONTRACT.read_text("utf-8")))
