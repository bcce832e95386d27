"""One observation per fact within a run: what is kept, what is forgotten, and what is never kept."""

from __future__ import annotations

import threading
import time

import pytest

from wizard.engine.reads import KeptClient, Reads


class _Policies:
    """A stand-in for a Google client's surface: one read that is kept, one that is not, one write."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.members = ["user:a"]

    def get_iam_policy(self, resource: str, retry: object = None) -> dict[str, list[str]]:
        self.calls.append("get_iam_policy")
        return {"members": list(self.members)}

    def get_operation(self, name: str) -> str:
        self.calls.append("get_operation")
        return "RUNNING"

    def set_iam_policy(self, resource: str, members: list[str]) -> None:
        self.calls.append("set_iam_policy")
        self.members = members


def test_two_steps_reading_the_same_policy_ask_google_once_until_the_run_changes_it() -> None:
    client = _Policies()
    kept = KeptClient("projects", client, Reads())
    first = kept.get_iam_policy("projects/p", retry=object())
    first["members"].append("edited by the caller")  # a caller editing its copy changes nothing kept
    assert kept.get_iam_policy("projects/p", retry=object()) == {"members": ["user:a"]}
    assert client.calls == ["get_iam_policy"]
    kept.set_iam_policy("projects/p", ["user:a", "user:b"])
    assert kept.get_iam_policy("projects/p") == {"members": ["user:a", "user:b"]}
    assert client.calls == ["get_iam_policy", "set_iam_policy", "get_iam_policy"]


def test_operations_are_polled_never_kept() -> None:
    client = _Policies()
    kept = KeptClient("projects", client, Reads())
    kept.get_operation("operations/1")
    kept.get_operation("operations/1")
    assert client.calls == ["get_operation", "get_operation"]


def test_a_fact_not_true_yet_is_read_again_and_a_wait_reads_fresh() -> None:
    reads, answers = Reads(), iter([LookupError("not visible yet"), "seen", "seen again"])

    def look() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    with pytest.raises(LookupError):
        reads.get("account", look)
    assert reads.get("account", look) == "seen"
    assert reads.get("account", look) == "seen"  # kept
    with reads.fresh():
        assert reads.get("account", look) == "seen again"


def test_side_by_side_observations_of_one_fact_share_one_read() -> None:
    reads, calls = Reads(), []

    def slow() -> str:
        calls.append(1)
        time.sleep(0.2)
        return "policy"

    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(reads.get("policy", slow))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["policy"] * 4 and len(calls) == 1


def test_an_answer_read_while_the_run_wrote_is_not_kept() -> None:
    reads, answers = Reads(), iter(["before the write", "after the write"])

    def read_during_write() -> str:
        reads.clear()  # the run writes while this read is on its way
        return next(answers)

    assert reads.get("fact", read_during_write) == "before the write"
    assert reads.get("fact", lambda: next(answers)) == "after the write"
