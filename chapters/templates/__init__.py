"""The CI files of chapters 8 and 14, as text the wizard writes into the learner's repository.

- `github/mlops.yml`: `.github/workflows/mlops.yml` (chapter 8), exactly as the guide has it.
- `gitlab/gitlab-ci.yml`: `.gitlab-ci.yml` (chapter 8), exactly as the guide has it.
- `github/deploy.yml`: `.github/workflows/deploy.yml` (chapter 14), with `{gke.cluster_name}`
  and `{gke.cluster_zone}` to fill with the learner's answers.
- `github/mlops-deploy-job.yml`: the `deploy` job to add under `jobs:` in `mlops.yml`
  (chapter 14), indented as it sits there.
- `gitlab/deploy-job.yml`: the `deploy` job to add to `.gitlab-ci.yml` (chapter 14), with
  `{gke.cluster_name}`, `{gke.cluster_zone}` and `{gcp.project_id}`; `deploy` must also be
  added to `stages:`, after `train`.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent


def template_text(name: str) -> str:
    """The text of a template by its name relative to this folder, e.g. `github/mlops.yml`."""
    path = (HERE / name).resolve()
    if HERE.resolve() not in path.parents:
        raise ValueError(f"'{name}' is not a template name")
    return path.read_text("utf-8")


def renderer(name: str):  # noqa: ANN201 - Callable[[Mapping[str, str]], str]
    """A function filling the template's `{key}` placeholders from the learner's answers, read when called."""

    def render(answers):  # noqa: ANN001, ANN202
        from wizard.engine.step import fmt

        return fmt(template_text(name), answers)

    return render
