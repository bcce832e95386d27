"""requirements.txt edits keep everything of the learner's but the one extra."""

from wizard.workspace.requirements import add_extra, has_extra, pinned


def test_guides_example_gets_gs_extra_and_keeps_the_pin():
    text = "tensorflow==2.12.0\nmatplotlib==3.7.1\npyyaml==6.0\ndvc==3.47.0\n"
    new, changed = add_extra(text, "dvc", "gs")
    assert changed
    assert new == "tensorflow==2.12.0\nmatplotlib==3.7.1\npyyaml==6.0\ndvc[gs]==3.47.0\n"


def test_other_extras_markers_and_comments_survive():
    text = "# data\ndvc[s3] >= 3.0 ; python_version >= '3.8'  # pinned later\nrequests\n"
    new, changed = add_extra(text, "dvc", "gs")
    assert changed
    assert new.splitlines()[1] == "dvc[s3,gs] >= 3.0 ; python_version >= '3.8'  # pinned later"
    assert new.splitlines()[0] == "# data" and new.splitlines()[2] == "requests"


def test_second_edit_changes_nothing():
    once, _ = add_extra("dvc==3.47.0", "dvc", "gs")
    twice, changed = add_extra(once, "dvc", "gs")
    assert not changed and twice == once == "dvc[gs]==3.47.0"


def test_missing_package_is_appended():
    new, changed = add_extra("pyyaml==6.0", "dvc", "gs")
    assert changed and new == "pyyaml==6.0\ndvc[gs]\n"


def test_lookalike_names_are_not_touched():
    new, changed = add_extra("dvc-gs==3.0.0\ndvc==3.47.0\n", "dvc", "gs")
    assert new == "dvc-gs==3.0.0\ndvc[gs]==3.47.0\n"
    assert has_extra(new, "dvc", "gs")


def test_pinned_reads_a_freeze():
    freeze = "dvc==3.47.0\ndvc-gs==3.0.1\n-e git+https://example.org/x#egg=x\nPyYAML==6.0\n"
    assert pinned(freeze) == {"dvc": "==3.47.0", "dvc-gs": "==3.0.1", "pyyaml": "==6.0"}
