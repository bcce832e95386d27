"""The demo: a sandbox and a learner repository ready for chapter 7, reused across runs."""

from __future__ import annotations

import secrets
from pathlib import Path

import tomli_w

from wizard.engine.questions import load_answers_file

ANSWERS = "demo-answers.toml"


def default_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("mlops-wizard")) / "demo"


def prepare_demo(directory: Path | None) -> tuple[Path, dict[str, str]]:
    """Create (or reuse) the demo sandbox and its answers; return the folder and the answers."""
    from wizard.sandbox.init import init_sandbox
    from wizard.sandbox.world import World

    directory = Path(directory or default_dir()).expanduser().resolve()
    if not World(directory).exists():
        init_sandbox(directory)
    answers_path = directory / ANSWERS
    if not answers_path.exists():
        project = f"mlops-demo-{secrets.randbelow(9000) + 1000}"
        answers_path.write_text(
            tomli_w.dumps(
                {
                    "gcp": {
                        "project_id": project,
                        "bucket_name": f"{project}-data",
                        "bucket_location": "europe-west6",
                    }
                }
            ),
            "utf-8",
        )
    return directory, as_defaults(load_answers_file(answers_path))


def as_defaults(answers: dict[str, str]) -> dict[str, str]:
    """The demo's generated answers, as defaults: the bucket follows whichever project the learner picks."""
    project = answers.get("gcp.project_id")
    if project and answers.get("gcp.bucket_name") == f"{project}-data":
        answers["gcp.bucket_name"] = "{gcp.project_id}-data"
    return answers
