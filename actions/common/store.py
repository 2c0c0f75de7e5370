"""The application database for the actions (reference requests, unanswered questions), opened on first use.

Migrations run once per process before the first query (idempotent), so the embedded SQLite default needs nothing
started by hand. Storage calls are synchronous SQLAlchemy: callers run them in a thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from storage.repositories import Repositories

from actions.common.errors import StoreUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
_lock = threading.Lock()
_repositories: Repositories | None = None


def repositories() -> Repositories:
    global _repositories
    if _repositories is None:
        with _lock:
            if _repositories is None:
                from storage.db import create_engine_from_url, database_url
                from storage.migrate import upgrade
                from storage.repositories import Repositories

                url = database_url()
                try:
                    upgrade(url)
                    _repositories = Repositories.for_engine(create_engine_from_url(url))
                except Exception as exc:  # a database problem must become a polite reply, not a dead action
                    log.error("opening the application database failed: %s", type(exc).__name__)
                    raise StoreUnavailable(type(exc).__name__) from exc
    return _repositories


def call(operation: Callable[[Repositories], T]) -> T:
    """Run one storage operation; any database failure becomes StoreUnavailable (logged by type only)."""
    repos = repositories()
    try:
        return operation(repos)
    except Exception as exc:
        log.error("application database operation failed: %s", type(exc).__name__)
        raise StoreUnavailable(type(exc).__name__) from exc


def set_repositories(repos: Repositories | None) -> Repositories | None:
    """Replace the process-wide repositories and return the previous ones (tests)."""
    global _repositories
    with _lock:
        previous, _repositories = _repositories, repos
    return previous


def record_unanswered(text: str, lang: str, intent: str, domain: str | None) -> None:
    """Count a question the assistant could not answer (masked, no sender); a failure costs the count, not the reply."""
    try:
        call(lambda repos: repos.unanswered.record(text, lang, intent, domain))
    except Exception as exc:
        log.warning("could not record an unanswered question: %s", type(exc).__name__)
