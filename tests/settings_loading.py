"""Load settings.py afresh with given environment variables, as a deployment would get them."""

from __future__ import annotations

import importlib.util

import pytest


def settings_from_environment(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, object]:
    """The settings module's values with these environment variables set (a fresh copy of the
    module, not the one Django loaded, so nothing else sees it). Raises what settings.py raises."""
    import hachioji_portal.settings

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    path = hachioji_portal.settings.__file__
    spec = importlib.util.spec_from_file_location("hachioji_portal._settings_from_environment", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {k: v for k, v in vars(module).items() if k.isupper()}
