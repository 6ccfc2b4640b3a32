"""IDE integrations: configuration files written into users' workspaces."""

from __future__ import annotations

from importlib import resources


def template(name: str) -> str:
    """A file of ``templates/`` (shipped in the wheel as ``smdebug_local.templates``)."""
    return resources.files("smdebug_local.templates").joinpath(name).read_text()
