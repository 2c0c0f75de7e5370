"""bot/components/speedups.py: Rasa's per-turn work made cheaper without changing what a resident gets.

- An action server's answer is still validated on every call: an invalid one fails with the same error as Rasa's own.
- The NLU graph runs in one worker thread, so the event loop is free meanwhile; its result is Rasa's own.
- The embedded profile's SQLite tracker store keeps conversations across a restart in WAL mode.
- Event classes, a kept tracker, dialogue states continued from the last prediction and the graph runner give what
  Rasa's own code gives; a kept tracker is never used once another server, a deletion or a failed turn changed the
  conversation.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.components import speedups

VALID = [
    {"events": [], "responses": [{"text": "電池は有害ごみです。"}]},
    {"events": [{"event": "slot", "name": "town", "value": "青葉町"}], "responses": []},
    {},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"no_event_key": 1}]},
    {"responses": [{"text": "x"}], "events": [{"event": 3}]},
]


@pytest.mark.parametrize("result", VALID)
def test_a_valid_action_answer_passes_as_with_rasa(result: dict[str, Any]) -> None:
    action = RemoteAction("action_garbage_item", None)
    assert RemoteAction._validate_action_result(action, result) is True
    assert speedups.validate_action_result(action, result) is True


@pytest.mark.parametrize("result", INVALID)
def test_an_invalid_action_answer_fails_with_rasas_own_error(result: dict[str, Any]) -> None:
    action = RemoteAction("action_garbage_item", None)
    with pytest.raises(ValidationError) as rasa_error:
        RemoteAction._validate_action_result(action, result)
    with pytest.raises(ValidationError) as ours:
        speedups.validate_action_result(action, result)
    assert ours.value.message == rasa_error.value.message
    assert "Failed to validate Action server response" in ours.value.message


class FakeProcessor:
    """What parse_message uses of Rasa's MessageProcessor; the graph call records the thread it ran in."""

    http_interpreter = None

    def __init__(self) -> None:
        self.threads: list[str] = []
        self.updated: list[dict[str, Any]] = []

    def _parse_message_with_graph(self, message: Any, tracker: Any, only_output_properties: bool) -> dict[str, Any]:
        self.threads.append(threading.current_thread().name)
        return {"text": message.text, "intent": {"name": "ask_garbage_item", "confidence": 0.9}}

    def _update_full_retrieval_intent(self, parse_data: dict[str, Any]) -> None:
        self.updated.append(parse_data)

    def _check_for_unseen_features(self, parse_data: dict[str, Any]) -> None:
        pass


def test_the_nlu_graph_runs_off_the_event_loop_and_returns_rasas_result() -> None:
    processor = FakeProcessor()
    message = SimpleNamespace(text="電池はどうやって捨てますか", sender_id="r1")

    async def parse() -> tuple[dict[str, Any], str]:
        return await speedups.parse_message(processor, message), threading.current_thread().name

    parsed, loop_thread = asyncio.run(parse())
    assert parsed["intent"]["name"] == "ask_garbage_item" and parsed["text"] == message.text
    assert processor.updated == [parsed]
    assert processor.threads and processor.threads[0].startswith("nlu")
    assert processor.threads[0] != loop_thread


def _tracker(sender: str, text: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        sender, [ActionExecuted("action_listen"), UserUttered(text, {"name": "ask_garbage_item", "confidence": 1.0})]
    )


def test_a_tuned_sqlite_store_keeps_conversations_in_wal_mode(tmp_path: Path) -> None:
    db = tmp_path / "tracker.db"
    domain = Domain.empty()
    store = SQLTrackerStore(domain, dialect="sqlite", db=str(db))
    assert speedups.tune_sqlite_store(store) is True
    assert speedups.tune_sqlite_store(store) is True  # once is enough; a second call changes nothing
    asyncio.run(store.save(_tracker("r1", "ソファを捨てたい")))
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    reopened = SQLTrackerStore(domain, dialect="sqlite", db=str(db))  # as after a restart
    tracker = asyncio.run(reopened.retrieve("r1"))
    assert tracker is not None and tracker.latest_message.text == "ソファを捨てたい"


def test_other_stores_are_left_alone() -> None:
    assert speedups.tune_sqlite_store(InMemoryTrackerStore(Domain.empty())) is False
    assert speedups.tune_sqlite_store(None) is False


# --- event classes ------------------------------------------------------------------------------------------------


def test_event_classes_are_found_as_rasa_finds_them() -> None:
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    speedups.install()
    names = {cls.type_name for cls in all_subclasses(Event)}
    assert len(names) > 20
    for name in sorted(names):
        assert speedups.resolve_by_type(name) is speedups._original_resolve_by_type(name)
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("topic") is None  # Rasa's old event name, still accepted
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")


# --- states of a conversation, continued instead of replayed --------------------------------------------------------

SYNTHETIC_DOMAIN = """
version: "3.1"
intents: [greet, ask_item, inform_town, affirm, deny, bye]
entities: [town, item]
slots:
  town: {type: text, influence_conversation: true, mappings: [{type: from_entity, entity: town}]}
  sure: {type: bool, influence_conversation: true, mappings: [{type: custom}]}
  kind: {type: categorical, values: [burnable, bulky], mappings: [{type: custom}]}
  note: {type: text, influence_conversation: false, mappings: [{type: custom}]}
forms:
  town_form: {required_slots: [town]}
actions: [action_answer, action_ask_town, action_fallback]
responses:
  utter_bye: [{text: bye}]
"""


def _random_events(domain: Domain, rng: Any, length: int) -> list[Any]:
    """A conversation as Rasa's processor writes it, with the events that make Rasa undo or restart turns."""
    from rasa.shared.core import events as ev

    intents = [*domain.intents, "nlu_fallback"]
    actions = [name for name in domain.action_names_or_texts if not name.startswith("action_listen")]
    slots = [slot.name for slot in domain.slots]
    out: list[Any] = [ev.ActionExecuted("action_session_start"), ev.SessionStarted()]
    out.append(ev.ActionExecuted("action_listen"))
    for _ in range(length):
        roll = rng.random()
        if roll < 0.35:
            entities = [{"entity": "town", "value": "青葉町"}] if rng.random() < 0.3 else []
            out.append(ev.UserUttered("t", {"name": rng.choice(intents), "confidence": 0.9}, entities))
        elif roll < 0.6:
            out.append(ev.ActionExecuted(rng.choice(actions), hide_rule_turn=rng.random() < 0.3))
        elif roll < 0.7:
            out.append(ev.ActionExecuted("action_listen"))
        elif roll < 0.8:
            name = rng.choice(slots)
            value = {"sure": rng.choice([True, False, None]), "kind": rng.choice(["burnable", "bulky", None])}.get(
                name, rng.choice(["青葉町", "x", None])
            )
            out.append(ev.SlotSet(name, value))
        elif roll < 0.85:
            out.append(ev.ActiveLoop(rng.choice(["town_form", None])))
        elif roll < 0.9:
            out.append(ev.BotUttered("reply"))
        elif roll < 0.93:
            out.append(ev.FollowupAction("action_answer"))
        elif roll < 0.96:
            out.append(ev.ActionReverted())
        elif roll < 0.98:
            out.append(ev.UserUtteranceReverted())
        else:
            out.append(rng.choice([ev.Restarted(), ev.SessionStarted()]))
    return out


def _domains(repo: Path) -> list[Domain]:
    return [Domain.from_yaml(SYNTHETIC_DOMAIN), Domain.load(str(repo / "bot" / "domain"))]


@pytest.mark.parametrize("seed", range(12))
def test_states_continued_turn_by_turn_are_rasas_own(repo: Path, seed: int) -> None:
    """The states the policies predict from, asked now and then while a conversation grows (as the processor asks,
    several events apart), are exactly those Rasa computes from scratch, for every set of arguments the policies
    use — also after events that undo turns, restart or start a new session."""
    import random

    rng = random.Random(seed)
    domain = _domains(repo)[seed % 2]
    rule_only = {"rule_only_slots": ["sure"], "rule_only_loops": ["town_form"]}
    tracker = DialogueStateTracker("s", domain.slots)
    for event in _random_events(domain, rng, 120):
        tracker.update(event, domain)
        if rng.random() < 0.6:
            continue
        for omit, ignore, data in [(False, False, None), (True, False, None), (False, True, rule_only)]:
            fast = speedups.states_for_tracker_history(domain, tracker, omit, ignore, data)
            with _as_rasa():
                assert fast == domain.states_for_tracker_history(tracker, omit, ignore, data)
            if fast:  # callers change the states they get (Rasa's featurizers do): the kept ones must not change
                fast[-1].setdefault("user", {})["text"] = "changed"
                fast[0].clear()
    checked = speedups.states_for_tracker_history(domain, tracker, False, True, rule_only)
    with _as_rasa():
        assert checked == domain.states_for_tracker_history(tracker, False, True, rule_only)


@contextmanager
def _as_rasa() -> Iterator[None]:
    """Rasa's own methods in place of every speed-up `install()` made (a test earlier in this process installs them),
    so the comparisons below are with Rasa's code, not with the speed-ups themselves."""
    replaced = {key: getattr(*key) for key in speedups._replaced}
    for (cls, name), original in speedups._replaced.items():
        setattr(cls, name, original)
    try:
        yield
    finally:
        for (cls, name), current in replaced.items():
            setattr(cls, name, current)


@pytest.mark.parametrize("seed", range(12))
def test_applied_events_continued_are_rasas_own(repo: Path, seed: int) -> None:
    """The applied events, asked now and then while a conversation grows, are those Rasa's own walk finds — also
    after undone turns, restarts, new sessions and a loop name first seen mid-conversation."""
    import random

    rng = random.Random(seed)
    domain = _domains(repo)[seed % 2]
    tracker = DialogueStateTracker("s", domain.slots)
    for event in _random_events(domain, rng, 150):
        tracker.update(event, domain)
        if rng.random() < 0.5:
            continue
        fast = speedups.applied_events(tracker)
        with _as_rasa():
            expected = tracker.applied_events()
        assert [id(e) for e in fast] == [id(e) for e in expected]  # the same event objects, in order
        fast.clear()  # a caller changing its list changes nothing kept
    with _as_rasa():
        assert speedups.applied_events(tracker) == tracker.applied_events()


def test_applied_events_walk_again_for_another_event_deque() -> None:
    tracker = _tracker("s", "傘は？")
    assert [getattr(e, "text", None) for e in speedups.applied_events(tracker)] == [None, "傘は？"]
    # replaced, not appended: as many events, the first the same
    tracker.events = tracker._create_events([tracker.events[0], UserUttered("電池", {"name": "ask_garbage_item"})])
    assert [getattr(e, "text", None) for e in speedups.applied_events(tracker)] == [None, "電池"]


def test_memoization_predicts_what_rasa_predicts(repo: Path) -> None:
    """MemoizationPolicy without the debug copy of its states remembers the same next action from a story."""
    import random

    from rasa.core.policies.memoization import MemoizationPolicy

    rng = random.Random(3)
    domain = _domains(repo)[0]
    config = {**MemoizationPolicy.get_default_config(), "max_history": 3}
    policy = MemoizationPolicy(config, None, None, SimpleNamespace(is_finetuning=False))  # type: ignore[arg-type]
    rasa_predict = speedups.rasa_original(MemoizationPolicy, "predict_action_probabilities")
    remembered = 0
    for _ in range(30):
        tracker = DialogueStateTracker("s", domain.slots)
        for event in _random_events(domain, rng, rng.randint(2, 30)):
            tracker.update(event, domain)
        with _as_rasa():
            key = policy._create_feature_key(policy._prediction_states(tracker, domain))
        if rng.random() < 0.5 and key:
            policy.lookup[key] = rng.choice(domain.action_names_or_texts)
        fast = speedups.memoization_predict(policy, tracker, domain)
        expected = rasa_predict(policy, tracker, domain)
        assert (fast.probabilities, fast.policy_name) == (expected.probabilities, expected.policy_name)
        remembered += max(expected.probabilities) == 1.0
    assert remembered >= 5


def test_an_empty_domain_is_still_empty_and_a_loaded_one_is_not(repo: Path) -> None:
    assert speedups.domain_is_empty(Domain.empty()) is True
    loaded = _domains(repo)[1]
    assert speedups.domain_is_empty(loaded) is False
    assert speedups.domain_is_empty(loaded) is False  # worked out once, the same answer


# --- trackers kept between turns ------------------------------------------------------------------------------------


def _turn(tracker: DialogueStateTracker, text: str) -> None:
    tracker.update(UserUttered(text, {"name": "ask_garbage_item", "confidence": 1.0}))
    tracker.update(ActionExecuted("action_answer"))
    tracker.update(ActionExecuted("action_listen"))


def _store_url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    if kind == "sqlite":
        return {"dialect": "sqlite", "db": str(tmp_path / "tracker.db")}
    from sqlalchemy.engine import make_url

    url = make_url(request.getfixturevalue("pg_url"))
    return {"dialect": "postgresql", "host": url.host, "port": url.port, "db": url.database, "username": url.username,
            "query": dict(url.query)}  # fmt: skip


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_kept_tracker_is_used_only_while_the_database_holds_the_same(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A server hands out the tracker it saved last; a turn another server stored, a deletion, or a turn that failed
    before it was saved make it read the database as Rasa does."""
    domain = Domain.empty()
    config = _store_url(kind, tmp_path, request)
    here, other = SQLTrackerStore(domain, **config), SQLTrackerStore(domain, **config)  # two Rasa servers
    cache = speedups.cache_trackers(here)
    assert cache is not None and speedups.cache_trackers(here) is cache
    run = asyncio.run

    tracker = _tracker("r1", "ソファを捨てたい")
    run(here.save(tracker))
    again = run(here.retrieve("r1"))
    assert again is tracker and cache.hits == 1  # no read of the conversation
    _turn(again, "電池は？")
    run(here.save(again))
    assert run(here.retrieve("r1")) is again and cache.hits == 2

    # another server answers the next turn: this one must see it
    theirs = run(other.retrieve("r1"))
    assert theirs is not None
    _turn(theirs, "青葉町です")
    run(other.save(theirs))
    fresh = run(here.retrieve("r1"))
    assert fresh is not again and fresh.latest_message.text == "青葉町です"
    assert [e.as_dict() for e in fresh.events] == [e.as_dict() for e in theirs.events]
    run(here.save(fresh))  # nothing new: kept again

    # a turn that fails after changing the tracker, before saving it
    kept = run(here.retrieve("r1"))
    assert kept is fresh
    _turn(kept, "途中で落ちた質問")
    reread = run(here.retrieve("r1"))
    assert reread is not kept and reread.latest_message.text == "青葉町です"

    # "forget me" deletes the conversation in the database (the gateway does it, not this server)
    run(here.save(reread))
    with other.session_scope() as session:
        session.query(other.SQLEvent).filter(other.SQLEvent.sender_id == "r1").delete()
        session.commit()
    assert run(here.retrieve("r1")) is None


def test_a_turn_that_starts_a_new_session_is_not_kept(tmp_path: Path) -> None:
    from rasa.shared.core.events import SessionStarted

    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db"))
    cache = speedups.cache_trackers(store)
    tracker = _tracker("r2", "古い会話")
    asyncio.run(store.save(tracker))
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    _turn(tracker, "新しい会話")
    asyncio.run(store.save(tracker))
    reread = asyncio.run(store.retrieve("r2"))
    assert reread is not tracker and cache is not None
    assert type(reread.events[0]).__name__ == "SessionStarted"
    assert reread.latest_message.text == "新しい会話"


def test_only_sql_stores_get_a_kept_tracker() -> None:
    assert speedups.cache_trackers(InMemoryTrackerStore(Domain.empty())) is None
    assert speedups.cache_trackers(None) is None


def test_the_kept_store_writes_the_rows_rasa_writes(tmp_path: Path) -> None:
    """Same columns, same JSON, same order, for a conversation saved after every turn and across a new session."""
    import sqlalchemy as sa
    from rasa.shared.core.events import SessionStarted, SlotSet

    rasas = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "rasa.db"))
    ours = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "ours.db"))
    assert speedups.cache_trackers(ours) is not None
    tracker = _tracker("r3", "カセットボンベは？")
    for step in range(5):
        _turn(tracker, f"質問 {step}")
        tracker.update(SlotSet("town", "青葉町" if step % 2 else None))
        if step == 3:
            tracker.update(ActionExecuted("action_session_start"))
            tracker.update(SessionStarted())
        for store in (rasas, ours):
            asyncio.run(store.save(tracker))

    def rows(store: SQLTrackerStore) -> list[tuple[Any, ...]]:
        with store.engine.connect() as connection:
            columns = "sender_id, type_name, timestamp, intent_name, action_name, data"
            result = connection.execute(sa.text(f"SELECT {columns} FROM events ORDER BY id"))
            return [tuple(row) for row in result]

    assert len(rows(rasas)) > 20 and rows(ours) == rows(rasas)


# --- the graph runner -----------------------------------------------------------------------------------------------


class _Step:
    """A graph component that records its calls: `add` sums its inputs and its config's number, `fail` raises."""

    calls: ClassVar[list[str]] = []

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: Any, resource: Any, execution_context: Any) -> _Step:
        return cls(config)

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    def add(self, **values: int) -> int:
        _Step.calls.append(self.config["name"])
        return self.config["number"] + sum(values.values())

    def fail(self, **values: int) -> int:
        raise ValueError(f"{self.config['name']} cannot answer")


def _graph_runner(tmp_path: Path) -> Any:
    from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    step = type("Step", (_Step, GraphComponent), {})

    def node(name: str, needs: dict[str, str], number: int, fn: str = "add", target: bool = False) -> SchemaNode:
        config = {"name": name, "number": number}
        return SchemaNode(needs=needs, uses=step, constructor_name="create", fn=fn, config=config, is_target=target)

    schema = GraphSchema(
        {
            "a": node("a", {"x": "__x__"}, 1),
            "b": node("b", {"a": "a"}, 10),
            "c": node("c", {"a": "a", "b": "b", "y": "__y__"}, 100, target=True),
            "d": node("d", {"b": "b"}, 1000, target=True),
            "broken": node("broken", {"a": "a"}, 0, fn="fail"),
        }
    )
    return DaskGraphRunner(schema, LocalModelStorage(tmp_path), ExecutionContext(schema, "test"))


@pytest.mark.parametrize("targets", [None, ["c"], ["d", "b"], ["a"]])
def test_the_graph_runner_answers_what_dask_answers(tmp_path: Path, targets: list[str] | None) -> None:
    from rasa.engine.runner.dask import DaskGraphRunner

    runner = _graph_runner(tmp_path)
    inputs = {"__x__": 2, "__y__": 5}
    _Step.calls = []
    expected = DaskGraphRunner.run(runner, inputs, targets)
    dask_calls, _Step.calls = sorted(_Step.calls), []
    for _ in range(2):  # the second call uses the minimal schema worked out by the first
        assert speedups.run_graph(runner, inputs, targets) == expected
        assert sorted(_Step.calls) == dask_calls  # every needed node once, nothing else
        _Step.calls = []
    if targets is None:
        assert expected == {"c": 100 + 3 + 13 + 5, "d": 1000 + 13}


def test_a_failing_node_fails_the_run_as_under_dask(tmp_path: Path) -> None:
    from rasa.engine.exceptions import GraphComponentException
    from rasa.engine.runner.dask import DaskGraphRunner

    runner = _graph_runner(tmp_path)
    with pytest.raises(GraphComponentException) as under_dask:
        DaskGraphRunner.run(runner, {"__x__": 1}, ["broken"])
    with pytest.raises(GraphComponentException) as ours:
        speedups.run_graph(runner, {"__x__": 1}, ["broken"])
    assert str(ours.value) == str(under_dask.value) and "broken" in str(ours.value)


# --- the action call: the current turn's events and the message's e5 vector ----------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_an_action_call_holds_what_rasa_sends_but_only_the_current_turns_events(repo: Path, seed: int) -> None:
    """Everything the action server reads is what Rasa's own call holds — slots, latest message, active loop, and the
    slot events at the end that rasa_sdk's form validation looks at — with the events of the current turn only."""
    import random

    from rasa.shared.core.events import Event
    from rasa.utils.endpoints import EndpointConfig
    from rasa_sdk import Tracker

    rng = random.Random(seed)
    domain = _domains(repo)[seed % 2]
    action = RemoteAction("action_answer", EndpointConfig("http://127.0.0.1:1/webhook"))
    original = speedups._original_action_call_format or RemoteAction._action_call_format
    tracker = DialogueStateTracker("s", domain.slots)
    trimmed_any = False
    for event in _random_events(domain, rng, 150):
        tracker.update(event, domain)
        if rng.random() < 0.7:
            continue
        rasa_call = original(action, tracker, domain)
        ours = speedups.action_call_format(action, tracker, domain)
        full_events = rasa_call["tracker"].pop("events")
        turn = ours["tracker"].pop("events")
        assert ours == rasa_call
        assert full_events[len(full_events) - len(turn) :] == turn  # a suffix of Rasa's events...
        users = [e for e in full_events if e["event"] == "user"]
        assert (turn[0]["event"] == "user") if users else (turn == full_events)  # ...from the latest user message on
        assert not any(e["event"] == "user" for e in turn[1:])
        trimmed_any |= len(turn) < len(full_events)
        sdk_full = Tracker.from_dict({**rasa_call["tracker"], "events": full_events})
        sdk_turn = Tracker.from_dict({**ours["tracker"], "events": turn})
        assert sdk_turn.slots_to_validate() == sdk_full.slots_to_validate()
        assert (sdk_turn.slots, sdk_turn.latest_message, sdk_turn.active_loop) == (
            sdk_full.slots,
            sdk_full.latest_message,
            sdk_full.active_loop,
        )
        assert [Event.from_parameters(e) for e in turn] == list(tracker.events)[len(tracker.events) - len(turn) :]
    assert trimmed_any


def test_an_action_call_carries_the_e5_vector_of_the_message_the_nlu_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    import base64

    import numpy as np
    from rasa.utils.endpoints import EndpointConfig

    from bot.components import e5_featurizer

    monkeypatch.setattr(e5_featurizer, "_recent", type(e5_featurizer._recent)())
    vector = np.linspace(-0.1, 0.1, 384, dtype=np.float32)
    e5_featurizer._remember(["電池は何ごみ？"], vector[None, :])
    domain = Domain.empty()
    action = RemoteAction("action_garbage_item", EndpointConfig("http://127.0.0.1:1/webhook"))

    call = speedups.action_call_format(action, _tracker("a", "電池は何ごみ？"), domain)
    shared = call[speedups.SHARED_VECTOR_FIELD]
    assert shared["text"] == "電池は何ごみ？"
    np.testing.assert_array_equal(np.frombuffer(base64.b64decode(shared["vector"]), dtype="<f4"), vector)

    other = speedups.action_call_format(action, _tracker("b", "傘は？"), domain)  # not embedded here: no field
    assert speedups.SHARED_VECTOR_FIELD not in other
