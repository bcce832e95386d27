"""A learner's `origin` in all the shapes it comes in."""

import pytest

from wizard.forges.detect import parse_origin


@pytest.mark.parametrize(
    "url, kind, host, path",
    [
        ("https://github.com/jane/mlops.git", "github", "github.com", "jane/mlops"),
        ("https://github.com/jane/mlops", "github", "github.com", "jane/mlops"),
        ("https://jane:tok@github.com/jane/mlops.git", "github", "github.com", "jane/mlops"),
        ("git@github.com:jane/mlops.git", "github", "github.com", "jane/mlops"),
        ("ssh://git@github.com/jane/mlops.git", "github", "github.com", "jane/mlops"),
        ("https://gitlab.com/group/sub/mlops.git", "gitlab", "gitlab.com", "group/sub/mlops"),
        ("git@gitlab.com:group/mlops.git", "gitlab", "gitlab.com", "group/mlops"),
        ("ssh://git@gitlab.example.org:2222/team/mlops.git", "gitlab", "gitlab.example.org", "team/mlops"),
        ("https://code.example.org/team/mlops.git", "unknown", "code.example.org", "team/mlops"),
        ("http://127.0.0.1:8080/learner/mlops-guide.git", "unknown", "127.0.0.1:8080", "learner/mlops-guide"),
    ],
)
def test_origins_are_understood(url, kind, host, path):
    ref = parse_origin(url)
    assert (ref.kind, ref.host, ref.path) == (kind, host, path)


def test_enterprise_and_self_managed_hosts_are_named_by_flags():
    ref = parse_origin("https://ghe.corp.example/jane/mlops.git", github_url="https://ghe.corp.example")
    assert ref is not None and ref.kind == "github"
    assert parse_origin("git@code.example.org:team/mlops.git", gitlab_url="https://code.example.org").kind == "gitlab"
    assert parse_origin("http://127.0.0.1:8080/a/b.git", github_url="http://127.0.0.1:8080").kind == "github"


@pytest.mark.parametrize(
    "url", ["", "not a url", "file:///tmp/repo.git", "https://github.com/onlyowner", "https://github.com/a/b/c"]
)
def test_what_is_not_a_forge_repository_is_refused(url):
    assert parse_origin(url) is None


def test_web_url_and_description():
    ref = parse_origin("git@github.com:jane/mlops.git")
    assert ref.web_url == "https://github.com/jane/mlops"
    assert ref.describe() == "jane/mlops on GitHub (github.com)"
    assert (ref.owner, ref.name) == ("jane", "mlops")
