"""The clean-up: what chapters 14, 8 and 7 created, removed in dependency order.

Content only. This module deliberately has no `CHAPTER`: it is not a chapter the learner walks
through, so the chapter scan leaves it out; `mlops-wizard clean-up` builds it with `cleanup_chapter`.

Order: the CI secrets first (CI stops using the keys), then the keys and the key files, then
the accounts and their roles, then (only when asked) chapter 13's cluster and registry, then the
bucket's objects and the bucket, billing, and last the project, whose deletion takes whatever is
left inside it with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from chapters import ch08_reproduce_in_ci as ch08
from chapters import ch14_continuous_deployment as ch14
from wizard.engine.chapter import Chapter
from wizard.engine.step import Context, Step, load_text
from wizard.steps.cleanup_forge import DeleteCiSecret
from wizard.steps.cleanup_gcp import DeleteBucket, DeleteProject, UnlinkBilling
from wizard.steps.cleanup_gke import DeleteCluster, DeleteRegistry
from wizard.steps.cleanup_iam import DeleteKeys, DeleteServiceAccount

TEXT = Path(__file__).parent / "text" / "cleanup"
CHAPTERS = (14, 8, 7)  # what clean-up undoes by default, newest first

CLUSTER_COST = (
    "about $0.10 an hour for the cluster (GKE's management fee; the free tier covers one zonal "
    "cluster per billing account) plus its nodes' VMs, about $0.07–0.10 an hour each for the guide's "
    "two e2-standard-2 nodes: roughly $100–220 a month while it runs"
)
REGISTRY_COST = "storage of the pushed images: $0.10 per GB per month beyond the first 0.5 GB, which is free"


def _registry(ctx: Context) -> tuple[str, str]:
    preflight = ch14.CHAPTER.step("ch14.preflight")
    return preflight._registry(ctx, ctx.answer("gke.cluster_zone"))  # type: ignore[attr-defined]


def _account_steps(chapter: int) -> tuple[Step, Step, Step]:
    module = ch14 if chapter == 14 else ch08
    return (
        DeleteCiSecret(
            f"cleanup.ch{chapter:02d}-secret",
            f"Delete the CI secret {module.SECRET_NAME}",
            name=module.SECRET_NAME,
            text=load_text(TEXT, "secret.md"),
        ),
        DeleteKeys(
            f"cleanup.ch{chapter:02d}-keys",
            f"Delete the keys of {module.ACCOUNT_ID} and its key file",
            key_step=module.KEY,
            text=load_text(TEXT, "keys.md"),
        ),
        DeleteServiceAccount(
            f"cleanup.ch{chapter:02d}-account",
            f"Delete {module.ACCOUNT_ID} and its roles",
            account_id=module.ACCOUNT_ID,
            text=load_text(TEXT, "account.md"),
        ),
    )


CHAPTER13 = [
    DeleteCluster(
        "cleanup.ch13-cluster",
        "Delete chapter 13's GKE cluster",
        cost=CLUSTER_COST,
        text=load_text(TEXT, "chapter13.md"),
    ),
    DeleteRegistry(
        "cleanup.ch13-registry",
        "Delete chapter 13's Artifact Registry repository",
        cost=REGISTRY_COST,
        where=_registry,
        text=load_text(TEXT, "chapter13.md"),
    ),
]

CHAPTER7 = [
    DeleteBucket(
        "cleanup.bucket",
        "Delete the bucket's objects, then the bucket",
        ours_prefix="dvcstore/",
        text=load_text(TEXT, "bucket.md"),
    ),
    UnlinkBilling("cleanup.billing", "Unlink billing from the project", text=load_text(TEXT, "billing.md")),
    DeleteProject("cleanup.project", "Request the project's deletion", text=load_text(TEXT, "project.md")),
]


def cleanup_chapter(chapters: Iterable[int] = CHAPTERS, include_chapter13: bool = False) -> Chapter:
    """The removals for the chosen chapters, in dependency order."""
    chosen = set(chapters)
    unknown = chosen - {7, 8, 14}
    if unknown:
        from wizard.engine.errors import WizardError

        raise WizardError(
            what=f"Clean-up knows chapters 7, 8 and 14, not {', '.join(map(str, sorted(unknown)))}.",
            fix="Give --chapter 7, 8 and/or 14 (all three when none is given); chapter 13's cluster and registry "
            "come with --include-chapter-13.",
        )
    per = {n: _account_steps(n) for n in (14, 8) if n in chosen}
    steps: list[Step] = [per[n][0] for n in per] + [per[n][1] for n in per] + [per[n][2] for n in per]
    if include_chapter13:
        steps += CHAPTER13
    if 7 in chosen:
        steps += CHAPTER7
    return Chapter(
        number=0,
        title="Clean up: undo chapters " + ", ".join(str(n) for n in sorted(chosen, reverse=True)),
        steps=steps,
        intro=load_text(TEXT, "intro.md"),
        summary=load_text(TEXT, "summary.md" if 7 in chosen else "summary-partial.md"),
    )


def left_alone(include_chapter13: bool) -> list[Step]:
    """Steps observed only to tell the learner what stays (and what it costs), never run."""
    return [] if include_chapter13 else list(CHAPTER13)


STAYS = load_text(TEXT, "stays.md")


def cleanup_script(answers: dict[str, str]) -> str:
    """The clean-up as a shell script; chapter 13's commands are there, commented out."""
    from wizard.engine.questions import QUESTIONS
    from wizard.engine.step import fmt
    from wizard.script import render_script

    text = render_script(cleanup_chapter(), answers)
    filled = {key: answers.get(key) or QUESTIONS[key].default or "" for key in ("gke.cluster_name", "gke.cluster_zone")}
    extra = [
        "",
        "# Chapter 13's cluster and registry (made by the guide, not the wizard; they cost money while they",
        "# exist). Uncomment to delete them too, before the project:",
    ]
    for step in CHAPTER13:
        extra += ["# " + line for line in fmt(step.command({**answers, **filled}), answers).splitlines()]
    return text + "\n".join(extra) + "\n"
