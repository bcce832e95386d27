"""A run reads each fact once, and again only after it changed something: chapter 8's calls stay near the minimum."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import ci_world, run_chapter


@pytest.mark.parametrize("forge", ["github"])
def test_chapter8_reads_the_project_policy_and_each_secret_once_per_change(after_ch7: Path, forge: str, home: Path):
    before = ci_world(after_ch7)["calls"]["by_service"]
    result = run_chapter(after_ch7, 8, home)
    assert result.returncode == 0, result.stdout + result.stderr
    after = ci_world(after_ch7)["calls"]["by_service"]

    def reads(service: str) -> int:
        return after.get(service, {}).get("reads", 0) - before.get(service, {}).get("reads", 0)

    # origin's branch: the push check (1), one `git ls-remote` before the commit (2 requests), the push's own
    # ref advertisement (1); the push's answer stands for origin's branch after it, for the verification and
    # the run watch (each of them used to ask again).
    assert reads("git") <= 4, after
    # The project's policy: read once for the older edition's check and the grant, once after the grant;
    # the project itself once (each step used to read both again).
    assert reads("resourcemanager") <= 4, after
