"""Reusable Google Cloud steps. Chapters instantiate them with their ids, texts and answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from wizard.engine.errors import WizardError
from wizard.engine.step import Context, Observation, Reason, Status, Step, fmt
from wizard.gcp import billing, buckets, projects, services


@dataclass
class CheckCredentials(Step):
    """Read-only: do the credentials the Google clients (and DVC) use really work?

    A token is refreshed now: a login that is missing, revoked, expired (reauthentication)
    or unreachable (offline) is found here, before any change, and named with its fix.
    """

    id: str
    title: str
    text: str = ""
    mutating: bool = False
    needs: Sequence[str] = ()
    checks_login: bool = field(default=True, kw_only=True)  # the runner runs it before anything else calls Google

    def command(self, answers: Mapping[str, str]) -> str:
        return "gcloud init\ngcloud auth application-default login"

    def observe(self, ctx: Context) -> Observation:
        who = ctx.target.check_login()  # raises a WizardError naming the fix
        return Observation(Status.DONE, f"signed in: {who} can get access tokens")

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        self.observe(ctx)
        return {}


@dataclass
class CreateProject(Step):
    id: str
    title: str
    text: str = ""
    needs: Sequence[str] = ("gcp.project_id",)
    # How long to wait for a project whose creation an interrupted run started.
    adopt_wait_seconds: float = 120.0

    def command(self, answers: Mapping[str, str]) -> str:
        enable = " ".join(services.QUOTA_PROJECT_SERVICES)
        return fmt(
            "gcloud projects create {gcp.project_id}\ngcloud config set project {gcp.project_id}\n"
            f"gcloud services enable {enable} --project {{gcp.project_id}}\n"
            "gcloud auth application-default set-quota-project {gcp.project_id}",
            answers,
        )

    def intent(self, answers: Mapping[str, str]) -> str:
        return fmt("create project {gcp.project_id}", answers)

    def observe(self, ctx: Context) -> Observation:
        project_id = ctx.answer("gcp.project_id")
        info = projects.find_project(ctx.target, project_id)
        if info is None:
            return Observation(Status.TODO, f"project {project_id} does not exist yet")
        if info.state != "ACTIVE":
            return Observation(Status.DRIFTED, f"project {project_id} is {info.state}", {"number": info.number})
        if not services.quota_project_ready(ctx.target, project_id):
            return Observation(
                Status.TODO,
                f"project {project_id} exists; the APIs that manage it are not enabled "
                "yet: " + ", ".join(services.QUOTA_PROJECT_SERVICES),
                {"number": info.number},
            )
        ctx.target.set_quota_project(project_id)
        return Observation(Status.DONE, f"project {project_id} exists (number {info.number})", {"number": info.number})

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        project_id = ctx.answer("gcp.project_id")
        current = projects.find_project(ctx.target, project_id)
        if current is not None and current.state != "ACTIVE":
            raise WizardError(
                what=f"Project {project_id} is scheduled for deletion.",
                why="It was deleted less than 30 days ago; Google keeps it recoverable until then.",
                fix=f"Restore it with `gcloud projects undelete {project_id}`, or choose another project ID.",
            )
        ctx.crash_point("before-call")
        info = current or projects.create_project(
            ctx.target,
            project_id,
            ctx.progress,
            # After an interrupted run, ALREADY_EXISTS most likely means our own creation is
            # still under way: wait for the project to show up before calling it taken.
            adopt_wait=self.adopt_wait_seconds if ctx.interrupted else 0.0,
            after_call=lambda: ctx.crash_point("after-call"),
        )
        ctx.crash_point("after-create")
        # Calls billed to the new project (billing, IAM, policies) need these APIs on it first.
        services.prepare_quota_project(
            ctx.target, project_id, ctx.progress, after_call=lambda: ctx.crash_point("after-enable")
        )
        return {"number": info.number}


@dataclass
class LinkBilling(Step):
    id: str
    title: str
    text: str = ""
    needs: Sequence[str] = ("gcp.project_id", "gcp.billing_account")

    def command(self, answers: Mapping[str, str]) -> str:
        return fmt(
            "gcloud billing accounts list\n"
            "gcloud billing projects link {gcp.project_id} --billing-account {gcp.billing_account}",
            answers,
        )

    def intent(self, answers: Mapping[str, str]) -> str:
        return fmt("link billing account {gcp.billing_account} to {gcp.project_id}", answers)

    def preflight(self, ctx: Context) -> None:
        wanted = ctx.answer("gcp.billing_account")
        accounts = {a.account_id: a for a in billing.list_accounts(ctx.target)}
        if wanted not in accounts:
            known = ", ".join(f"{a.account_id} ({a.display_name})" for a in accounts.values() if a.open)
            raise WizardError(
                what=f"Billing account {wanted} is not one of yours.",
                why=f"Your open accounts: {known}." if known else "You have no open billing account.",
                fix=f"Pick one from `gcloud billing accounts list` (or add one in the console: {billing.CONSOLE}).",
            )
        if not accounts[wanted].open:
            raise WizardError(
                what=f"Billing account {wanted} is closed.",
                why="A closed account cannot pay for a project.",
                fix=f"Reopen it or pick an open one in the console ({billing.CONSOLE}).",
            )

    def observe(self, ctx: Context) -> Observation:
        project_id = ctx.answer("gcp.project_id")
        if projects.find_project(ctx.target, project_id) is None:
            return Observation(Status.TODO, "the project does not exist yet")
        linked = billing.linked_account(ctx.target, project_id)
        if linked is None:
            return Observation(Status.TODO, "no billing account is linked")
        wanted = ctx.answer("gcp.billing_account")
        detail = f"paid by {linked}" + ("" if linked == wanted else f" (you chose {wanted}; the existing link is kept)")
        return Observation(Status.DONE, detail, {"billing_account": linked})

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        ctx.crash_point("before-call")
        billing.link(ctx.target, ctx.answer("gcp.project_id"), ctx.answer("gcp.billing_account"))
        ctx.crash_point("after-call")
        return {"billing_account": ctx.answer("gcp.billing_account")}


@dataclass
class EnableServices(Step):
    id: str
    title: str
    services: Sequence[str] = field(default_factory=list)
    text: str = ""
    needs: Sequence[str] = ("gcp.project_id",)

    def command(self, answers: Mapping[str, str]) -> str:
        return fmt("gcloud services enable " + " ".join(self.services) + " --project {gcp.project_id}", answers)

    def intent(self, answers: Mapping[str, str]) -> str:
        return "enable " + ", ".join(self.services)

    def observe(self, ctx: Context) -> Observation:
        project_id = ctx.answer("gcp.project_id")
        if projects.find_project(ctx.target, project_id) is None:
            return Observation(Status.TODO, "the project does not exist yet")
        on = services.enabled(ctx.target, project_id, self.services)
        missing = [s for s in self.services if s not in on]
        if missing:
            return Observation(Status.TODO, "not enabled yet: " + ", ".join(missing))
        return Observation(Status.DONE, "enabled: " + ", ".join(self.services))

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        project_id = ctx.answer("gcp.project_id")
        on = services.enabled(ctx.target, project_id, self.services)
        missing = [s for s in self.services if s not in on]
        ctx.crash_point("before-call")
        services.enable(ctx.target, project_id, missing, ctx.progress)
        ctx.crash_point("after-call")
        return {"services": list(self.services)}


@dataclass
class CreateBucket(Step):
    id: str
    title: str
    text: str = ""
    needs: Sequence[str] = ("gcp.project_id", "gcp.bucket_name", "gcp.bucket_location")

    def command(self, answers: Mapping[str, str]) -> str:
        return fmt(
            "gcloud storage buckets create gs://{gcp.bucket_name} \\\n"
            "    --project={gcp.project_id} \\\n"
            "    --location={gcp.bucket_location} \\\n"
            "    --uniform-bucket-level-access \\\n"
            "    --public-access-prevention",
            answers,
        )

    def intent(self, answers: Mapping[str, str]) -> str:
        return fmt("create bucket gs://{gcp.bucket_name} in {gcp.bucket_location}", answers)

    def preflight(self, ctx: Context) -> None:
        # A bucket that belongs to someone else is found before anything is created.
        try:
            buckets.find_bucket(ctx.target, ctx.answer("gcp.project_id"), ctx.answer("gcp.bucket_name"))
        except WizardError as exc:
            if exc.details.get("cause") != "billing-disabled":
                raise  # the learner's own bucket, refused for billing: the billing step comes first and fixes it

    def _compare(self, ctx: Context, found: buckets.BucketInfo) -> Observation:
        project = projects.find_project(ctx.target, ctx.answer("gcp.project_id"))
        location = ctx.answer("gcp.bucket_location")
        outputs = {"location": found.location, "project_number": found.project_number}
        if project is None or found.project_number != project.number:
            return Observation(
                Status.DRIFTED, "the bucket exists in another of your projects", outputs, reason=Reason.ELSEWHERE
            )
        problems = []
        if found.location != location:
            problems.append(f"location is {found.location}, not {location}")
        if not found.uniform_access:
            problems.append("uniform bucket-level access is off")
        if found.public_access_prevention != "enforced":
            problems.append("public access prevention is not enforced")
        if problems:
            moved = found.location != location  # a bucket's location is fixed for good; the rest can change
            reason = Reason.FIXED_SETTING if moved else Reason.SETTINGS
            return Observation(Status.DRIFTED, "; ".join(problems), outputs, reason=reason)
        return Observation(Status.DONE, f"gs://{found.name} in {found.location}, private, uniform access", outputs)

    def observe(self, ctx: Context) -> Observation:
        found = buckets.find_bucket(ctx.target, ctx.answer("gcp.project_id"), ctx.answer("gcp.bucket_name"))
        if found is None:
            return Observation(Status.TODO, "the bucket does not exist yet")
        return self._compare(ctx, found)

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        project_id, name = ctx.answer("gcp.project_id"), ctx.answer("gcp.bucket_name")
        found = buckets.find_bucket(ctx.target, project_id, name)
        existed = found is not None
        if found is None:
            ctx.crash_point("before-call")
            found = buckets.create_bucket(ctx.target, project_id, name, ctx.answer("gcp.bucket_location"))
            ctx.crash_point("after-call")
        observation = self._compare(ctx, found)
        if observation.status is Status.DRIFTED:
            if observation.reason is Reason.ELSEWHERE:
                raise WizardError(
                    what=f"Bucket gs://{name} already exists in another of your projects.",
                    why="A bucket belongs to one project for good.",
                    fix="Choose another bucket name, or delete the old bucket if you no longer need it.",
                )
            if observation.reason is Reason.FIXED_SETTING:
                raise WizardError(
                    what=f"Bucket gs://{name} already exists, in {found.location}.",
                    why="A bucket's location cannot change after it is created.",
                    fix=f"Answer bucket_location = {found.location} to keep it, or choose another bucket name.",
                )
            if existed:  # the learner's own bucket: its settings change only once shown and agreed
                from wizard.steps.changes import confirm_change

                confirm_change(
                    ctx,
                    f"Make your existing bucket gs://{name} private as the guide's (uniform bucket-level access, "
                    "public access prevention)?",
                    f"gs://{name} exists and {observation.detail}. Uniform access drops its object ACLs in favour of "
                    "IAM; public access prevention refuses any public grant.",
                    f"gcloud storage buckets update gs://{name} --uniform-bucket-level-access "
                    "--public-access-prevention",
                )
            buckets.enforce_privacy(ctx.target, project_id, name)
        return dict(observation.outputs)
