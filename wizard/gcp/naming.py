"""Google's published naming rules, and names built to pass them.

Pure: no network. The messages say which rule broke and how to fix it, so a mistyped name
never costs a round trip or leaves half-made resources.
"""

from __future__ import annotations

import ipaddress
import re
import secrets

_PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_BUCKET_CHARS = re.compile(r"^[a-z0-9._-]+$")
_BILLING = re.compile(r"^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$")

# Cloud Storage locations (regions, dual- and multi-regions) as listed on cloud.google.com.
BUCKET_LOCATIONS: tuple[str, ...] = (
    "europe-west6",
    "europe-west1",
    "europe-west2",
    "europe-west3",
    "europe-west4",
    "europe-west8",
    "europe-west9",
    "europe-west10",
    "europe-west12",
    "europe-central2",
    "europe-north1",
    "europe-north2",
    "europe-southwest1",
    "us-central1",
    "us-east1",
    "us-east4",
    "us-east5",
    "us-south1",
    "us-west1",
    "us-west2",
    "us-west3",
    "us-west4",
    "northamerica-northeast1",
    "northamerica-northeast2",
    "northamerica-south1",
    "southamerica-east1",
    "southamerica-west1",
    "asia-east1",
    "asia-east2",
    "asia-northeast1",
    "asia-northeast2",
    "asia-northeast3",
    "asia-south1",
    "asia-south2",
    "asia-southeast1",
    "asia-southeast2",
    "australia-southeast1",
    "australia-southeast2",
    "me-central1",
    "me-central2",
    "me-west1",
    "africa-south1",
    "eu",
    "us",
    "asia",
    "eur4",
    "nam4",
    "asia1",
)


def validate_project_id(value: str) -> str | None:
    if not 6 <= len(value) <= 30:
        return f"A project ID has 6 to 30 characters; '{value}' has {len(value)}."
    if not value[0].isalpha() or not value[0].islower():
        return "A project ID starts with a lowercase letter."
    if value.endswith("-"):
        return "A project ID cannot end with a hyphen."
    if not _PROJECT_ID.match(value):
        return "A project ID holds only lowercase letters, digits and hyphens (e.g. mlops-project-1234)."
    if "google" in value or "ssl" in value.split("-") or value in {"null", "undefined"}:
        return "A project ID cannot contain restricted words such as 'google' or 'ssl'."
    return None


def validate_bucket_name(value: str) -> str | None:
    if not 3 <= len(value) <= 63:
        return f"A bucket name has 3 to 63 characters; '{value}' has {len(value)}."
    if not _BUCKET_CHARS.match(value):
        return "A bucket name holds only lowercase letters, digits, '-', '_' and '.'."
    if not (value[0].isalnum() and value[-1].isalnum()):
        return "A bucket name starts and ends with a letter or a digit."
    if value.startswith("goog") or "google" in value or "g00gle" in value:
        return "A bucket name cannot start with 'goog' or contain 'google'."
    try:
        ipaddress.ip_address(value)
    except ValueError:
        pass
    else:
        return "A bucket name cannot be an IP address."
    if ".." in value or ".-" in value or "-." in value:
        return "A bucket name cannot have '..', '.-' or '-.'."
    return None


def validate_bucket_location(value: str) -> str | None:
    if value.lower() not in BUCKET_LOCATIONS:
        return (
            f"'{value}' is not a Cloud Storage location. Use a region such as europe-west6 "
            "(Zurich) or us-central1; see https://cloud.google.com/storage/docs/locations."
        )
    return None


def validate_billing_account(value: str) -> str | None:
    if not _BILLING.match(normalize_billing_account(value)):
        return "A billing account ID looks like 012345-6789AB-CDEF01 (see `gcloud billing accounts list`)."
    return None


_GKE_NAME = re.compile(r"^[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?$")
_ZONE = re.compile(r"^[a-z]+-[a-z]+[0-9]+(?:-[a-z])?$")


def validate_cluster_name(value: str) -> str | None:
    if not _GKE_NAME.match(value):
        return (
            "A GKE cluster name has 1–40 lowercase letters, digits or hyphens, starts with a letter and "
            "does not end with a hyphen (the guide's is mlops-kubernetes)."
        )
    return None


def validate_cluster_zone(value: str) -> str | None:
    if not _ZONE.match(value):
        return "A cluster location is a zone like europe-west6-a or a region like europe-west6."
    return None


def normalize_billing_account(value: str) -> str:
    value = value.strip()
    if value.startswith("billingAccounts/"):
        value = value.split("/", 1)[1]
    return value.upper()


def suggest_ids(base: str, count: int = 3, limit: int = 30) -> list[str]:
    """IDs built from `base` with a random suffix: free in all likelihood, valid by construction."""
    base = re.sub(r"[^a-z0-9-]", "-", base.lower()).strip("-") or "mlops"
    if not base[0].isalpha():
        base = "p-" + base
    out: list[str] = []
    while len(out) < count:
        suffix = f"-{secrets.randbelow(9000) + 1000}"
        candidate = base[: limit - len(suffix)].rstrip("-") + suffix
        if candidate not in out:
            out.append(candidate)
    return out
