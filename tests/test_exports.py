"""`__all__` is the compatibility contract: it must list exactly the public names each package exports."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = [
    "cortex",
    "cortex.events",
    "cortex.store",
    "cortex.projections",
    "cortex.engine",
    "cortex.models",
    "cortex.tools",
    "cortex.agents",
    "cortex.testing",
    "cortex.observability",
]


@pytest.mark.parametrize("package", PACKAGES)
def test_all_matches_public_names(package: str) -> None:
    module = importlib.import_module(package)
    exported = set(module.__all__)
    for name in exported:
        assert getattr(module, name) is not None, f"{package}.{name} listed in __all__ but missing"
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("cortex") and name != "annotations"
    }
    assert public <= exported, f"{package} exposes names missing from __all__: {sorted(public - exported)}"
