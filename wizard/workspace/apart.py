"""The wizard must live apart from the learner's project environment.

Chapter 7 writes that environment's `pip freeze` to `requirements-freeze.txt`, and the guide's CI
installs that file. A wizard installed in the same environment would put itself (as a `file://`
path no CI can reach) and its forty-odd packages in the freeze, and chapter 8's first run would
fail. So before any change, a run checks that the learner's environment neither is the one the
wizard runs in nor holds an installed mlops-wizard, and otherwise stops, saying how to install it
apart (pipx or uv's tool environments).
"""

from __future__ import annotations

import sys
from pathlib import Path

from wizard.engine.errors import WizardError
from wizard.workspace.repo import Workspace

DISTRIBUTION = "mlops_wizard"
INSTALL_APART = (
    "Install the wizard in an environment of its own and run it from there: `pipx install PATH` or "
    "`uv tool install PATH`, where PATH is the wizard's folder or wheel (the README's \"Installing\" says more)."
)


def learner_environment(workspace: Workspace) -> Path | None:
    """The prefix of the environment chapter 7 freezes (the guide's `.venv`), or None if there is none yet."""
    try:
        python = workspace.python()
    except WizardError:
        return None
    return python.parent.parent


def _holds_wizard(prefix: Path) -> bool:
    patterns = (
        f"lib/python3*/site-packages/{DISTRIBUTION}-*.dist-info",
        f"Lib/site-packages/{DISTRIBUTION}-*.dist-info",
    )
    return any(any(prefix.glob(pattern)) for pattern in patterns)


def ensure_installed_apart(workspace: Workspace) -> None:
    """Stop before any change when the learner's freeze would list the wizard."""
    prefix = learner_environment(workspace)
    if prefix is None:
        return
    why = (
        "Chapter 7 writes this environment's `pip freeze` to requirements-freeze.txt, which your CI installs: "
        "the wizard and its dependencies would be listed there (mlops-wizard itself as a file path your CI cannot "
        "reach), and the pipeline of chapter 8 would fail."
    )
    if prefix.resolve() == Path(sys.prefix).resolve():
        raise WizardError(
            what=f"The wizard is running inside your project's environment ({prefix}).",
            why=why,
            fix=f"{INSTALL_APART} Then remove it from your project's environment "
            f"(`{prefix / 'bin' / 'pip'} uninstall mlops-wizard`) and run `mlops-wizard` again. Nothing was changed.",
        )
    if _holds_wizard(prefix):
        raise WizardError(
            what=f"mlops-wizard is installed in your project's environment ({prefix}).",
            why=why,
            fix=f"Remove it from there (`{prefix / 'bin' / 'pip'} uninstall mlops-wizard`) and keep the copy you "
            f"are running, installed apart. {INSTALL_APART} Nothing was changed.",
        )
