"""The guide's older edition (its step 6), recognised by its names, explained, and removed only when asked.

It made one secret `GCP_SERVICE_ACCOUNT_KEY` for a service account with the broad
`roles/viewer` on the whole project, and a workflow with `iterative/setup-dvc`. The current
edition uses `dvc-service-account` with `roles/storage.objectViewer` only, and the secret
`DVC_GCP_SERVICE_ACCOUNT_KEY`. The old credential stays valid until someone removes it: the
wizard says so and offers to, never doing it by itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from wizard.engine.step import Context, Observation, Status, Step, fmt

KEPT = "older-edition-kept"
FLAG = "--remove-older-edition"
OLDER_WORKFLOW_MARKS = ("iterative/setup-dvc", "secrets.GCP_SERVICE_ACCOUNT_KEY", "${GCP_SERVICE_ACCOUNT_KEY}")


def is_older_workflow(text: str) -> bool:
    return any(mark in text for mark in OLDER_WORKFLOW_MARKS)


@dataclass
class Leftovers:
    accounts: dict[str, list[str]] = field(default_factory=dict)  # email -> live user-managed key ids
    secret: bool = False

    def __bool__(self) -> bool:
        return bool(self.accounts) or self.secret

    def describe(self, secret: str, role: str) -> str:
        parts = [
            f"{email} with {role} on the whole project and {len(keys)} live key(s)"
            for email, keys in self.accounts.items()
        ]
        if self.secret:
            parts.append(f"the CI secret {secret}")
        return "; ".join(parts)


@dataclass
class OlderEdition(Step):
    id: str
    title: str
    secret: str = "GCP_SERVICE_ACCOUNT_KEY"
    role: str = "roles/viewer"
    current: str = "dvc-service-account"  # the current edition's account, never touched here
    text: str = ""
    needs: Sequence[str] = ("gcp.project_id",)

    def command(self, answers: Mapping[str, str]) -> str:
        github = answers.get("forge.kind", "github") != "gitlab"
        return fmt(
            "# only if you no longer need the older edition's credential:\n"
            "gcloud iam service-accounts keys list --iam-account=ACCOUNT_EMAIL --managed-by=user\n"
            "gcloud iam service-accounts keys delete KEY_ID --iam-account=ACCOUNT_EMAIL\n"
            "gcloud projects remove-iam-policy-binding {gcp.project_id} \\\n"
            f'    --member="serviceAccount:ACCOUNT_EMAIL" --role="{self.role}"\n'
            + (f"gh secret delete {self.secret}" if github else f"glab variable delete {self.secret}"),
            answers,
        )

    def _found(self, ctx: Context) -> Leftovers:
        from wizard.gcp import iam

        project_id = ctx.answer("gcp.project_id")
        policy = ctx.target.projects().get_iam_policy(
            request={"resource": f"projects/{project_id}", "options": {"requested_policy_version": 3}},
            retry=ctx.target.retry(),
        )
        found = Leftovers()
        for binding in policy.bindings:
            if binding.role != self.role:
                continue
            for member in binding.members:
                if not member.startswith("serviceAccount:") or member.split(":", 1)[1].startswith(f"{self.current}@"):
                    continue
                email = member.split(":", 1)[1]
                if email.endswith(f"@{project_id}.iam.gserviceaccount.com") and iam.find_account(
                    ctx.target, project_id, email
                ):
                    found.accounts[email] = [k.key_id for k in iam.user_keys(ctx.target, project_id, email)]
        if ctx.forge is not None:
            from wizard.forges.connect import open_forge

            try:
                found.secret = open_forge(ctx).get_secret(self.secret) is not None
            except Exception:  # noqa: BLE001 - no token yet: the secret is looked at once there is one
                found.secret = False
        return found

    def observe(self, ctx: Context) -> Observation:
        found = self._found(ctx)
        if not found:
            return Observation(Status.DONE, "no credential of the guide's older edition")
        what = found.describe(self.secret, self.role)
        if ctx.memory.get(KEPT):
            return Observation(
                Status.DONE,
                f"the older edition's credential is kept, as you chose: {what} (remove it later with {FLAG})",
            )
        return Observation(Status.DRIFTED, f"the older edition's credential is still alive: {what}")

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        found = self._found(ctx)
        what = found.describe(self.secret, self.role)
        explanation = (
            f"The guide's older edition made {what}. The current edition uses {self.current} with "
            "roles/storage.objectViewer only (it can read the bucket, nothing else) and the secret "
            f"DVC_GCP_SERVICE_ACCOUNT_KEY. The older credential can still read everything in the project "
            "until it is removed."
        )
        ctx.progress(explanation)
        agreed = ctx.options.get("remove_older_edition") or (
            ctx.confirm is not None and ctx.confirm("Remove the older edition's credential?", explanation)
        )
        if not agreed:
            ctx.memory[KEPT] = True
            ctx.progress(
                f"Kept: nothing of it was changed. To remove it, run again with {FLAG} (or the commands "
                "this step shows)."
            )
            return {}
        self._remove(ctx, found)
        return {"removed": what}

    def _remove(self, ctx: Context, found: Leftovers) -> None:
        from wizard.gcp import iam

        project_id = ctx.answer("gcp.project_id")
        for email, keys in found.accounts.items():
            for key in keys:
                iam.delete_key(ctx.target, project_id, email, key)
                ctx.progress(f"Deleted key {key[:8]}… of {email}")
            self._revoke(ctx, project_id, f"serviceAccount:{email}")
            ctx.progress(f"Removed {self.role} from {email}")
        if found.secret:
            from wizard.forges.connect import open_forge

            open_forge(ctx).delete_secret(self.secret)
            ctx.progress(f"Deleted the CI secret {self.secret}")

    def _revoke(self, ctx: Context, project_id: str, member: str) -> None:
        """Remove `member` from the role: read, modify, write with the etag; again if someone changed it meanwhile."""
        from google.api_core import exceptions

        for _attempt in range(5):
            policy = ctx.target.projects().get_iam_policy(
                request={"resource": f"projects/{project_id}", "options": {"requested_policy_version": 3}},
                retry=ctx.target.retry(),
            )
            changed = False
            for binding in policy.bindings:
                if binding.role == self.role and member in binding.members:
                    binding.members.remove(member)
                    changed = True
            if not changed:
                return
            kept = [b for b in policy.bindings if b.members]
            del policy.bindings[:]
            policy.bindings.extend(kept)
            policy.version = 3
            try:
                ctx.target.projects().set_iam_policy(
                    request={"resource": f"projects/{project_id}", "policy": policy}, retry=None
                )
                return
            except (exceptions.Aborted, exceptions.Conflict):
                time.sleep(ctx.target.poll_initial)
