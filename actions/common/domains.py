"""The domains of the action server, found by package (`actions/<domain>/__init__.py`), for help and fallback.

Each domain package declares `CONTACT_OFFICE` (the office id of its desk in the places data) and `HELP_BUTTONS`
(message key of the title, payload), and may declare `FALLBACK_CLAIM` ("module:function", an async function
(dispatcher, tracker, domain) -> events or None) to answer a message the NLU did not place but the domain recognises
for certain; its message catalogue has `capability_<domain>`. Nothing here names a domain.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

_ACTIONS_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ActionDomain:
    name: str
    contact_office: str | None
    help_buttons: tuple[tuple[str, str], ...]
    fallback_claim: str | None = None  # "module:function"

    @property
    def capability_key(self) -> str:
        return f"capability_{self.name}"


@lru_cache(maxsize=1)
def action_domains() -> tuple[ActionDomain, ...]:
    found: list[ActionDomain] = []
    for module in sorted(pkgutil.iter_modules([str(_ACTIONS_DIR)]), key=lambda m: m.name):
        if not module.ispkg or module.name == "common":
            continue
        package = importlib.import_module(f"actions.{module.name}")
        if not getattr(package, "ANSWER_DOMAIN", True):
            continue  # a tool for staff (the interpreter), not a topic residents ask about
        found.append(
            ActionDomain(
                name=module.name,
                contact_office=getattr(package, "CONTACT_OFFICE", None),
                help_buttons=tuple(getattr(package, "HELP_BUTTONS", ())),
                fallback_claim=getattr(package, "FALLBACK_CLAIM", None),
            )
        )
    return tuple(found)


def contact_office(domain: str | None) -> str | None:
    """The desk that answers for a domain (None for an unknown domain)."""
    return next((d.contact_office for d in action_domains() if d.name == domain), None)


def fallback_claims() -> list[Any]:
    """The domains' fallback claims as callables, in domain order."""
    claims = []
    for domain in action_domains():
        if domain.fallback_claim:
            module, _, function = domain.fallback_claim.partition(":")
            claims.append(getattr(importlib.import_module(module), function))
    return claims
