"""Which DVC remote points at the learner's bucket, read from `.dvc/config` (whatever its name).

Pure functions over the config's text or data: a remote made by hand (`storage`, say) that
points at the bucket is the chapter's remote, adopted rather than duplicated.
"""

from __future__ import annotations

from typing import Mapping

Config = Mapping[str, Mapping[str, str]]


def parse(text: str) -> dict[str, dict[str, str]]:
    """`.dvc/config` (configobj format, as DVC writes it) from its text."""
    from configobj import ConfigObj, ConfigObjError

    try:
        parsed = ConfigObj(text.splitlines(), encoding="utf-8")
    except ConfigObjError:
        return {}
    return {str(k): dict(v) for k, v in parsed.items() if isinstance(v, dict)}


def split_url(url: str) -> tuple[str, str] | None:
    """(bucket, path in it) of a `gs://` URL, or None."""
    if not url.startswith("gs://"):
        return None
    bucket, _, path = url[len("gs://") :].partition("/")
    return bucket, path.strip("/")


def remotes(config: Config) -> dict[str, str]:
    """Remote name → URL."""
    out = {}
    for section, values in config.items():
        if section.startswith('remote "') and section.endswith('"') and "url" in values:
            out[section[len('remote "') : -1]] = values["url"]
    return out


def default(config: Config) -> str | None:
    return config.get("core", {}).get("remote")


def on_bucket(config: Config, bucket: str, preferred: str = "data") -> tuple[str, str] | None:
    """(name, URL) of the remote that points into `bucket`: the default one first, then `preferred`, then any."""
    found = {name: url for name, url in remotes(config).items() if (split_url(url) or ("", ""))[0] == bucket}
    for name in (default(config), preferred):
        if name in found:
            return name, found[name]
    return next(iter(sorted(found.items())), None)


def default_on_bucket(text: str, bucket: str) -> bool:
    """Whether this config's default remote points into `bucket` (what chapter 7 commits)."""
    config = parse(text)
    found = on_bucket(config, bucket)
    return found is not None and default(config) == found[0]


_NAMED = ("remote", "machine", "db")


def with_default_remote(text: str, name: str, url: str | None = None) -> str:
    """`.dvc/config`'s text after `dvc remote add -d NAME URL` (or `dvc remote default NAME` without a URL).

    Written the way DVC writes it (dvc/config.py: the file read with configobj into a dict, keys lower-cased,
    named sections such as `'remote "data"'` after the others, then configobj's own writer), without
    starting DVC: a second and a half of its imports for two lines."""
    from configobj import ConfigObj

    def lower(value: object) -> object:
        return {str(k).lower(): lower(v) for k, v in value.items()} if isinstance(value, dict) else value

    loaded = lower(ConfigObj(text.splitlines()).dict())
    assert isinstance(loaded, dict)
    plain = {k: v for k, v in loaded.items() if not k.startswith(tuple(f'{n} "' for n in _NAMED))}
    named = {k: v for k, v in loaded.items() if k not in plain}
    if url is not None:
        named.setdefault(f'remote "{name}"', {})["url"] = url
    plain.setdefault("core", {})["remote"] = name
    ordered = {k: v for k, v in plain.items() if v}  # DVC drops empty sections
    for kind in _NAMED:
        ordered.update({k: v for k, v in named.items() if k.startswith(f'{kind} "')})
    return "".join(f"{line}\n" for line in ConfigObj(ordered).write())
