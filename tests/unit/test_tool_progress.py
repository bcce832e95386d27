"""Progress read from the tools' own output: a recorded `dvc push` of the demo repository (54 files)."""

from pathlib import Path

from wizard.workspace.progress import DvcProgress, human, pip_line

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


def test_pip_says_which_package_it_is_at():
    line = "Requirement already satisfied: dvc[gs] in ./.venv/lib/python3.11/site-packages (3.50.0)"
    assert pip_line(line).message == "already installed: dvc[gs]"
    assert pip_line("Collecting gcsfs>=2024.2.0").message == "collecting gcsfs>=2024.2.0"
    assert pip_line("  ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 1.2/1.2 MB 3.1 MB/s eta 0:00:00") is None
