"""`python -m storage.migrate`: bring the application database (CHIBA_DATABASE_URL) to the newest schema.

Safe to run any number of times: an up-to-date database is left as it is. Exit 0 when the database is at the newest
revision, 2 when it cannot be reached or the URL is not usable.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import URL, Engine
from sqlalchemy.exc import ArgumentError, OperationalError

from storage.db import create_engine_from_url, database_url, display_url

ALEMBIC_INI = Path(__file__).resolve().with_name("alembic.ini")
# Alembic's `context` and `op` are process-wide proxies, so one process runs one upgrade at a time; upgrades from
# several processes are serialised by the database (see migrations/env.py).
_UPGRADE_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class Upgrade:
    url: str  # password hidden
    before: str | None  # revision before the upgrade; None = an empty database
    after: str | None

    @property
    def changed(self) -> bool:
        return self.before != self.after


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(target: str | URL | Engine | None = None, revision: str = "head") -> Upgrade:
    """Migrate the database at `target` (a URL or an Engine; default CHIBA_DATABASE_URL) to `revision`."""
    from alembic import command
    from alembic.config import Config

    engine = target if isinstance(target, Engine) else create_engine_from_url(target or database_url())
    try:
        with _UPGRADE_LOCK:
            config = Config(str(ALEMBIC_INI))
            config.attributes["engine"] = engine
            command.upgrade(config, revision)  # env.py records the revision it found in attributes["before"]
            return Upgrade(display_url(engine.url), config.attributes.get("before"), current_revision(engine))
    finally:
        if engine is not target:
            engine.dispose()


def _reason(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    return lines[0] if lines else type(cause).__name__


def main() -> int:
    try:
        url = database_url()
        result = upgrade(url)
    except (ArgumentError, ValueError) as exc:
        print(f"storage: CHIBA_DATABASE_URL is not usable: {_reason(exc)}", file=sys.stderr)
        return 2
    except (OperationalError, OSError) as exc:
        print(f"storage: cannot reach the database {display_url(url)}: {_reason(exc)}", file=sys.stderr)
        return 2
    if result.changed:
        print(f"storage: {result.url}: upgraded from {result.before or 'an empty database'} to {result.after}")
    else:
        print(f"storage: {result.url}: already at revision {result.after}, nothing to do")
    return 0


if __name__ == "__main__":
    sys.exit(main())
