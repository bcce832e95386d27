"""Progress read from the tools' own output: a recorded `dvc push` of the demo repository (54 files)."""

from pathlib import Path

from wizard.workspace.progress import DvcProgress, PipProgress, human
from wizard.workspace.requirements import count

RECORDED = Path(__file__).parent / "data" / "dvc-push-progress.txt"  # DVC_IGNORE_ISATTY=true, split at \r and \n


def test_dvc_push_becomes_files_and_bytes_that_only_go_up():
    bars = DvcProgress(total_files=54)
    updates = [u for u in map(bars.feed, RECORDED.read_text().splitlines()) if u is not None]
    assert updates, "no progress found in DVC's output"
    fractions = [u.fraction for u in updates]
    assert fractions == sorted(fractions) and 0.9 < fractions[-1] <= 1.0
    assert updates[-1].message.startswith("dvc push: 53/54 files, ") and updates[-1].message.endswith(" sent")
    assert bars.sent > 1024


def test_lines_that_are_not_bars_are_left_to_the_log():
    bars = DvcProgress(total_files=3)
    assert bars.feed("54 files pushed") is None
    assert bars.feed("Collecting          |65.0 [00:00,  151entry/s]") is None
    assert bars.feed("  0% Querying remote cache|          |0/3 [00:00<?,    ?files/s]") is None


def test_sizes_read_like_a_person_would_say_them():
    assert human(75) == "75 B" and human(1792) == "1.8 KiB" and human(5 * 1024**2) == "5.0 MiB"


# Recorded `pip install --requirement requirements.txt` (pip 23.2): a fresh environment and three requirements
# (click, pyyaml, rich, which brings three dependencies), then the same environment and a fourth requirement.
PIP_FRESH = Path(__file__).parent / "data" / "pip-install-fresh.txt"
PIP_AGAIN = Path(__file__).parent / "data" / "pip-install-again.txt"


def test_pip_counts_the_requirements_of_the_file_and_fills_the_bar_once_installed():
    pip = PipProgress(total=3)
    updates = [u for u in map(pip.feed, PIP_FRESH.read_text().splitlines()) if u is not None]
    messages = [u.message for u in updates]
    fractions = [u.fraction for u in updates]
    assert fractions == sorted(fractions), "the bar never goes back"
    assert messages[0] == "pip: 1/3 requirements (collecting click==8.1.7)"
    assert "pip: 3/3 requirements, 3 dependencies (collecting mdurl-0.1.2-py3-none-any.whl)" in messages
    assert messages[-2:] == ["pip: installing 6 packages", "pip: 6 packages installed"]
    assert fractions[-1] == 1.0 and fractions[-2] < 1.0


def test_pip_counts_what_is_already_installed_and_ignores_comments():
    pip = PipProgress(total=4)  # click, pyyaml, rich, a comment, a blank line, typing-extensions
    updates = [u for u in map(pip.feed, PIP_AGAIN.read_text().splitlines()) if u is not None]
    assert updates[0].message == "pip: 1/4 requirements (already installed click==8.1.7)"
    assert "pip: 4/4 requirements (collecting typing_extensions-4.16.0-py3-none-any.whl)" in [
        u.message for u in updates
    ]
    assert updates[-1].message == "pip: 1 package installed" and updates[-1].fraction == 1.0


def test_pip_bars_and_notices_are_not_progress():
    pip = PipProgress(total=2)
    assert pip.feed("     ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 97.9/97.9 kB 97.7 MB/s eta 0:00:00") is None
    assert pip.feed("  Downloading click-8.1.7-py3-none-any.whl (97 kB)") is None
    assert pip.feed("[notice] A new release of pip is available: 23.2.1 -> 25.0") is None


def test_the_total_is_every_requirement_of_the_file_but_not_its_options_or_comments():
    text = "# the project\n--index-url https://example.org/simple\npyyaml==6.0.1\ndvc[gs]==3.50.0  # data\n\n"
    text += "./wheels/tiny_tool-1.0-py3-none-any.whl\n-e ./tools/mine\n-r more.txt\n"
    assert count(text) == 4
