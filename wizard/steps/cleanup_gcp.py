"""Removing what chapter 7 made in Google Cloud: the bucket (objects first), billing, the project."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wizard.engine.errors import WizardError
from wizard.engine.step import Context, Observation, Status, Step, fmt
from wizard.gcp import billing, buckets, projects
from wizard.steps.cleanup_base import differs, project_gone, require_agreement


def _size(total: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if total < 1024 or unit == "GB":
            return f"{total} {unit}" if unit == "bytes" else f"{total:.1f} {unit}"
        total /= 1024  # type: ignore[assignment]
    return f"{total} bytes"


@dataclass
class DeleteBucket(Step):
    """Every object, with progress, then the bucket: Google refuses to delete a bucket that is not empty."""

    id: str
    title: str
    ours_prefix: str = "dvcstore/"
    text: str = ""
    needs: Sequence[str] = ("gcp.project_id", "gcp.bucket_name")

    def command(self, answers: Mapping[str, str]) -> str:
        return fmt("gcloud storage rm --recursive gs://{gcp.bucket_name}   # its objects, then the bucket", answers)

    def intent(self, answers: Mapping[str, str]) -> str:
        return fmt("delete gs://{gcp.bucket_name} and its objects", answers)

    def _look(self, ctx: Context) -> tuple[bool, list[buckets.ObjectInfo], str | None, str]:
        """(exists and is the learner's, its objects, the difference to confirm, why it is left alone)."""
        project_id, name = ctx.answer("gcp.project_id"), ctx.answer("gcp.bucket_name")
        gone = project_gone(ctx)
        if gone:
            return False, [], None, gone
        try:
            info = buckets.find_bucket(ctx.target, project_id, name)
        except WizardError:
            # Someone else's bucket, or the learner's own with billing already off: never touched here; one in the
            # learner's project goes with the project.
            return False, [], None, f"gs://{name} cannot be read (someone else's, or billing is off): left alone"
        if info is None:
            return False, [], None, f"gs://{name} does not exist"
        objects = buckets.list_objects(ctx.target, project_id, name)
        foreign = [o.name for o in objects if not o.name.startswith(self.ours_prefix)]
        differences = []
        if foreign:
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            differences.append(f"gs://{name} holds {len(foreign)} object(s) outside {self.ours_prefix}: {shown}")
        project = projects.find_project(ctx.target, project_id)
        if project is not None and info.project_number and info.project_number != project.number:
            differences.append(f"gs://{name} belongs to another of your projects (number {info.project_number})")
        return True, objects, "; ".join(differences) or None, ""

    def observe(self, ctx: Context) -> Observation:
        exists, objects, difference, why = self._look(ctx)
        if not exists:
            return Observation(Status.DONE, why)
        total = sum(o.size for o in objects)
        name = ctx.answer("gcp.bucket_name")
        return differs(f"gs://{name} with {len(objects)} object(s), {_size(total)}", difference, objects=len(objects))

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        project_id, name = ctx.answer("gcp.project_id"), ctx.answer("gcp.bucket_name")
        exists, objects, difference, _why = self._look(ctx)
        require_agreement(ctx, self.id, difference)
        if not exists:
            return {}
        for done, obj in enumerate(objects, start=1):
            ctx.crash_point("before-call")
            buckets.delete_object(ctx.target, project_id, name, obj.name)
            if done == len(objects) or done % max(len(objects) // 10, 1) == 0:  # about ten lines, whatever the size
                ctx.progress(f"Deleted {done}/{len(objects)} objects", done / len(objects))
            ctx.crash_point("after-call")
        ctx.crash_point("before-bucket")
        buckets.delete_bucket(ctx.target, project_id, name)
        ctx.progress(
            f"Deleted gs://{name}. The DVC remote in your repository's history (.dvc/config) now points at "
            "nothing: `dvc pull` of those commits cannot find the data any more."
        )
        return {"objects": len(objects)}


@dataclass
class UnlinkBilling(Step):
    id: str
    title: str
    text: str = ""
    needs: Sequence[str] = ("gcp.project_id",)

    def command(self, answers: Mapping[str, str]) -> str:
        return fmt("gcloud billing projects unlink {gcp.project_id}", answers)

    def intent(self, answers: Mapping[str, str]) -> str:
        return fmt("unlink billing from {gcp.project_id}", answers)

    def observe(self, ctx: Context) -> Observation:
        gone = project_gone(ctx)
        if gone:
            return Observation(Status.DONE, gone)
        account = billing.linked_account(ctx.target, ctx.answer("gcp.project_id"))
        if account is None:
            return Observation(Status.DONE, "no billing account is linked")
        return Observation(Status.TODO, f"billing account {account} pays for it")

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        ctx.crash_point("before-call")
        billing.unlink(ctx.target, ctx.answer("gcp.project_id"))
        ctx.crash_point("after-call")
        return {}


@dataclass
class DeleteProject(Step):
    id: str
    title: str
    text: str = ""
    needs: Sequence[str] = ("gcp.project_id",)

    def command(self, answers: Mapping[str, str]) -> str:
        return fmt(
            "gcloud projects delete {gcp.project_id} --quiet   # restorable for 30 days: "
            "gcloud projects undelete {gcp.project_id}",
            answers,
        )

    def intent(self, answers: Mapping[str, str]) -> str:
        return fmt("request the deletion of {gcp.project_id}", answers)

    def observe(self, ctx: Context) -> Observation:
        project_id = ctx.answer("gcp.project_id")
        info = projects.find_project(ctx.target, project_id)
        if info is None:
            return Observation(Status.DONE, f"project {project_id} does not exist (or is not yours)")
        if info.state != "ACTIVE":
            return Observation(
                Status.DONE,
                f"project {project_id} is shut down ({info.state}); restorable for 30 "
                f"days with `gcloud projects undelete {project_id}`",
                {"state": info.state},
            )
        return Observation(Status.TODO, f"project {project_id} ({info.number}) is active")

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        ctx.crash_point("before-call")
        projects.request_deletion(ctx.target, ctx.answer("gcp.project_id"), ctx.progress)
        # A shut-down project can no longer carry API quota: back to the credentials' own quota project.
        ctx.target.set_quota_project(None)
        ctx.crash_point("after-call")
        return {}
