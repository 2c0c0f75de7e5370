"""The Rasa project as a whole: data validation, conversation tests, what the trained model understands,
and the served model answering through the gateway channel.

Needs the trained model var/rasa/models/chiba.tar.gz (`make train`).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

TIMEOUT_S = 600


@pytest.fixture(scope="session")
def model(repo: Path) -> Path:
    path = repo / "var" / "rasa" / "models" / "chiba.tar.gz"
    assert path.is_file(), f"{path} is missing: train it first with `make train`"
    return path


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)


def test_data_validates(repo: Path, rasa_bin: Path, rasa_env: dict[str, str]) -> None:
    result = run(
        [str(rasa_bin), "data", "validate", "--config", "../config.yml", "--domain", "domain",
         "--data", "data", "../nlu_data"],
        repo / "bot", rasa_env,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_conversation_stories_pass(repo: Path, rasa_bin: Path, rasa_env: dict[str, str], model: Path,
                                   tmp_path: Path) -> None:  # fmt: skip
    result = run(
        [str(rasa_bin), "test", "core", "--model", str(model), "--stories", "tests/test_stories.yml",
         "--fail-on-prediction-errors", "--out", str(tmp_path / "results")],
        repo / "bot", rasa_env,
    )  # fmt: skip
    failed = tmp_path / "results" / "failed_test_stories.yml"
    details = failed.read_text(encoding="utf-8") if failed.exists() else result.stdout[-3000:]
    assert result.returncode == 0, details + result.stderr[-2000:]


@pytest.fixture(scope="module")
def agent(model: Path) -> Any:
    from rasa.core.agent import Agent

    return Agent.load(str(model))


def parse(agent: Any, text: str) -> dict[str, Any]:
    return asyncio.run(agent.parse_message(text))


# Sentences written for these tests (not copied from the training data): a resident must reach the right action.
@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("こんにちは！", "greet"),
        ("ありがとう、助かった", "thank"),
        ("それじゃまたね", "goodbye"),
        ("このチャットでは何が聞けますか", "help"),
        ("使い終わったスプレー缶はどうやって捨てればいいですか", "ask_garbage_item"),
        ("古いソファーを処分したいです", "ask_garbage_item"),
        ("電気ストーブは何ごみ？", "ask_garbage_item"),
        ("中央区青葉町の可燃ごみはいつ？", "ask_collection_day"),
        ("燃えないごみの日はいつ", "ask_collection_day"),
        ("青葉町です", "inform_town"),
        ("稲毛区の小仲台2丁目", "inform_town"),
        ("粗大ごみの申し込み方法", "ask_bulky_waste"),
        ("ごみは何時までに出せばいいの？", "ask_garbage_rule"),
        ("年末年始のごみの収集はありますか", "ask_garbage_rule"),
        # Libraries, foreign-resident procedures, hand-off and opening hours, in several languages.
        ("図書館で借りた本の返却日を延ばしたいです", "ask_library"),
        ("電子書籍を読めるサービスはある？", "ask_library"),
        ("千葉の戦国時代について書かれた本を探してほしい", "request_reference"),
        ("受付番号R-000012の調べものはどうなりましたか", "check_reference_status"),
        ("区役所の人と直接話したいです", "ask_human"),
        ("若葉区役所は今日何時まで開いてますか", "ask_office_hours"),
        ("来月日本に来ます。住民登録はどこでしますか", "ask_foreign_residents"),
        ("国民年金の保険料が高くて払えません", "ask_foreign_residents"),
        ("Can I read library e-books on my phone?", "ask_library"),
        ("I need help finding old maps of Chiba, can the library research it for me?", "request_reference"),
        ("Do I have to join the health insurance if I work part time?", "ask_foreign_residents"),
        ("我想办理图书馆的借书证", "ask_library"),
        ("刚到日本，要去区役所办什么手续？", "ask_foreign_residents"),
        ("Tôi muốn gia hạn sách đã mượn", "ask_library"),
        ("Quero falar com um funcionário da prefeitura", "ask_human"),
    ],
)
def test_model_understands_residents(agent: Any, text: str, intent: str) -> None:
    assert parse(agent, text)["intent"]["name"] == intent


@pytest.mark.parametrize(
    "text",
    [
        "今日の天気はどうですか",
        "明日は雨ですか",
        "おすすめのラーメン屋を教えて",
        "横浜市のごみの日を教えて",
        "総理大臣は誰ですか",
    ],
)
def test_off_topic_is_not_answered_as_garbage_or_small_talk(agent: Any, text: str) -> None:
    assert parse(agent, text)["intent"]["name"] in {"out_of_scope", "nlu_fallback"}


def test_button_payload_carries_entities(agent: Any) -> None:
    result = parse(agent, '/ask_garbage_item{"item": "スプレー缶"}')

    assert result["intent"]["name"] == "ask_garbage_item"
    assert {e["entity"]: e["value"] for e in result["entities"]} == {"item": "スプレー缶"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(method: str, url: str, body: bytes | None = None) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture(scope="module")
def served(repo: Path, rasa_bin: Path, rasa_env: dict[str, str], model: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # fmt: skip
    """`rasa run` exactly as deployed (endpoints.yml, credentials.yml), with the real action server beside it."""
    port, actions_port = free_port(), free_port()
    tmp = tmp_path_factory.mktemp("rasa_run")
    # The action server runs in the services environment (Python 3.11); replies come from it in every language.
    actions_log = (tmp / "actions.log").open("w")
    actions = subprocess.Popen(
        [str(repo / ".venvs/services/bin/python"), "-m", "rasa_sdk", "--actions", "actions", "-p", str(actions_port)],
        cwd=repo, env={**os.environ, "PYTHONPATH": str(repo), "SANIC_HOST": "127.0.0.1"},
        stdout=actions_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    env = {**rasa_env, "CHIBA_TRACKER_DB": str(tmp / "tracker.db"),
           "ACTION_SERVER_URL": f"http://127.0.0.1:{actions_port}/webhook"}  # fmt: skip
    log = (tmp / "rasa.log").open("w")
    proc = subprocess.Popen(
        [str(rasa_bin), "run", "--model", str(model), "--endpoints", "endpoints.yml", "--credentials",
         "credentials.yml", "-i", "127.0.0.1", "-p", str(port)],
        cwd=repo / "bot", env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/webhooks/gateway"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp / "rasa.log").read_text()[-3000:]
            try:
                if http("GET", f"{base}/health")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError, json.JSONDecodeError):
                pass
            time.sleep(1)
        else:
            pytest.fail("rasa run did not become healthy: " + (tmp / "rasa.log").read_text()[-3000:])
        while time.monotonic() < deadline:
            assert actions.poll() is None, (tmp / "actions.log").read_text()[-3000:]
            try:
                if http("GET", f"http://127.0.0.1:{actions_port}/health")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError, json.JSONDecodeError):
                pass
            time.sleep(1)
        yield base
    finally:
        for child in (proc, actions):
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
        log.close()
        actions_log.close()


def test_served_model_greets_through_the_gateway_channel(served: str) -> None:
    body = json.dumps({"sender": "test-user", "message": "こんにちは", "metadata": {"lang": "ja"}}).encode()
    status, answer = http("POST", f"{served}/webhook", body)

    assert status == 200
    assert "千葉市" in answer["messages"][0]["text"]
    assert answer["meta"]["intent"] == "greet"
    assert answer["meta"]["fallback"] is False


def test_served_help_gives_the_phone_number_and_buttons(served: str) -> None:
    body = json.dumps({"sender": "test-user-2", "message": "何ができますか"}).encode()
    status, answer = http("POST", f"{served}/webhook", body)

    assert status == 200
    assert "043-204-5380" in answer["messages"][0]["text"]  # the garbage helpline
    assert "043-245-4894" in answer["messages"][0]["text"]  # the city call centre for everything else
    payloads = [button["payload"] for button in answer["messages"][0]["buttons"]]
    for start in ("/ask_garbage_item", "/ask_library", "/ask_foreign_residents"):
        assert any(p.startswith(start) for p in payloads), payloads


def test_served_bad_json_is_a_400(served: str) -> None:
    status, answer = http("POST", f"{served}/webhook", b"{oops")

    assert status == 400
    assert "error" in answer
