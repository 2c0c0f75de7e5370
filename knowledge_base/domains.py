"""The domains of the knowledge base, found by package: every `knowledge_base/<name>/` that exposes `DOMAIN`.

Adding a domain is adding its folders (see README "Adding a domain"); no list here or elsewhere names them.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from pathlib import Path

from knowledge_base.core.domain import DomainSpec

_PACKAGE_DIR = Path(__file__).resolve().parent
_NOT_DOMAINS = frozenset({"core", "places", "data"})


@lru_cache(maxsize=1)
def domain_specs() -> tuple[DomainSpec, ...]:
    """Every domain's spec, in name order (stable index names and logs)."""
    specs: list[DomainSpec] = []
    for module in sorted(pkgutil.iter_modules([str(_PACKAGE_DIR)]), key=lambda m: m.name):
        if not module.ispkg or module.name in _NOT_DOMAINS:
            continue
        spec = getattr(importlib.import_module(f"knowledge_base.{module.name}"), "DOMAIN", None)
        if isinstance(spec, DomainSpec):
            specs.append(spec)
    return tuple(specs)
