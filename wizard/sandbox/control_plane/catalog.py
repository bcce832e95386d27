"""The Google APIs the sandbox knows, with their titles and whether they need billing.

Service Usage rejects names it does not know, and refuses services that cost money on a
project without billing, so the fake needs this small catalogue. It holds what the guide
and the wizard touch plus a few neighbours a learner might type.
"""

from __future__ import annotations

from typing import NamedTuple


class ServiceInfo(NamedTuple):
    title: str
    needs_billing: bool


SERVICES: dict[str, ServiceInfo] = {
    "analyticshub.googleapis.com": ServiceInfo("Analytics Hub API", False),
    "bigqueryconnection.googleapis.com": ServiceInfo("BigQuery Connection API", False),
    "bigquerydatapolicy.googleapis.com": ServiceInfo("BigQuery Data Policy API", False),
    "bigquerymigration.googleapis.com": ServiceInfo("BigQuery Migration API", False),
    "bigqueryreservation.googleapis.com": ServiceInfo("BigQuery Reservation API", False),
    "bigquerystorage.googleapis.com": ServiceInfo("BigQuery Storage API", False),
    "cloudapis.googleapis.com": ServiceInfo("Google Cloud APIs", False),
    "cloudtrace.googleapis.com": ServiceInfo("Cloud Trace API", False),
    "dataform.googleapis.com": ServiceInfo("Dataform API", False),
    "dataplex.googleapis.com": ServiceInfo("Cloud Dataplex API", False),
    "datastore.googleapis.com": ServiceInfo("Cloud Datastore API", False),
    "servicemanagement.googleapis.com": ServiceInfo("Service Management API", False),
    "sql-component.googleapis.com": ServiceInfo("Cloud SQL", False),
    "artifactregistry.googleapis.com": ServiceInfo("Artifact Registry API", True),
    "bigquery.googleapis.com": ServiceInfo("BigQuery API", False),
    "cloudbilling.googleapis.com": ServiceInfo("Cloud Billing API", False),
    "cloudbuild.googleapis.com": ServiceInfo("Cloud Build API", True),
    "cloudresourcemanager.googleapis.com": ServiceInfo("Cloud Resource Manager API", False),
    "compute.googleapis.com": ServiceInfo("Compute Engine API", True),
    "container.googleapis.com": ServiceInfo("Kubernetes Engine API", True),
    "containerregistry.googleapis.com": ServiceInfo("Container Registry API", True),
    "iam.googleapis.com": ServiceInfo("Identity and Access Management (IAM) API", False),
    "iamcredentials.googleapis.com": ServiceInfo("IAM Service Account Credentials API", False),
    "logging.googleapis.com": ServiceInfo("Cloud Logging API", False),
    "monitoring.googleapis.com": ServiceInfo("Cloud Monitoring API", False),
    "pubsub.googleapis.com": ServiceInfo("Cloud Pub/Sub API", False),
    "run.googleapis.com": ServiceInfo("Cloud Run Admin API", True),
    "secretmanager.googleapis.com": ServiceInfo("Secret Manager API", False),
    "serviceusage.googleapis.com": ServiceInfo("Service Usage API", False),
    "storage-api.googleapis.com": ServiceInfo("Google Cloud Storage JSON API", False),
    "storage-component.googleapis.com": ServiceInfo("Cloud Storage", False),
    "storage.googleapis.com": ServiceInfo("Cloud Storage API", False),
    "sts.googleapis.com": ServiceInfo("Security Token Service API", False),
}

IAM_SERVICE = "iam.googleapis.com"

# What a new project starts with when created by the console, gcloud or the API
# (https://cloud.google.com/service-usage/docs/enabled-service#default). Cloud Resource
# Manager, Cloud Billing and IAM are not among them: a project used as quota project must
# enable them before calls billed to it can reach those APIs.
DEFAULT_SERVICES = (
    "analyticshub.googleapis.com",
    "bigquery.googleapis.com",
    "bigqueryconnection.googleapis.com",
    "bigquerydatapolicy.googleapis.com",
    "bigquerymigration.googleapis.com",
    "bigqueryreservation.googleapis.com",
    "bigquerystorage.googleapis.com",
    "cloudapis.googleapis.com",
    "cloudtrace.googleapis.com",
    "dataform.googleapis.com",
    "dataplex.googleapis.com",
    "datastore.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "servicemanagement.googleapis.com",
    "serviceusage.googleapis.com",
    "sql-component.googleapis.com",
    "storage-api.googleapis.com",
    "storage-component.googleapis.com",
    "storage.googleapis.com",
)
