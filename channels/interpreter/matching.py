"""The gateway's side of the interpreter's matching: one call of action_interpreter_understand on the action server
(the process that holds the knowledge base and the e5 model), and machine translation where it may be shown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from channels.errors import BackendTimeout, BackendUnavailable, BadGateway
from translations.mt_base import Reason, Translation, Translator

log = logging.getLogger("channels.interpreter")

UNDERSTAND_ACTION = "action_interpreter_understand"


class MatchingUnavailable(BackendUnavailable):
    code = "matching_unavailable"
    message = "Matching to the phrasebook and the knowledge base is not available right now. Please use the phrasebook."
    message_ja = "いまは、フレーズ集と知識ベースへの照合を利用できません。フレーズ集から選んでください。"


def action_call(text: str, lang: str, role: str) -> dict[str, Any]:
    """The smallest action call rasa_sdk accepts (as channels/health.py sends), with the sentence and its metadata."""
    return {
        "next_action": UNDERSTAND_ACTION,
        "sender_id": "interpreter",
        "tracker": {
            "sender_id": "interpreter",
            "slots": {},
            "latest_message": {"text": text, "metadata": {"lang": lang, "role": role}},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": None,
        },
        "domain": {},
        "version": "3.6.21",
    }


async def understand(
    session: aiohttp.ClientSession, action_server_base: str, text: str, lang: str, role: str, timeout: float
) -> dict[str, Any]:
    """The action's `interpreter` object; MatchingUnavailable / BackendTimeout / BadGateway otherwise."""
    try:
        async with session.post(
            action_server_base + "/webhook",
            json=action_call(text, lang, role),
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as resp:
            if resp.status != 200:
                log.warning("interpreter matching: action server answered %d", resp.status)
                raise MatchingUnavailable()
            body = await resp.json(content_type=None)
    except TimeoutError as exc:
        raise BackendTimeout() from exc
    except aiohttp.ClientError as exc:
        raise MatchingUnavailable() from exc
    except ValueError as exc:
        raise BadGateway() from exc
    responses = body.get("responses") if isinstance(body, dict) else None
    for response in responses if isinstance(responses, list) else []:
        custom = response.get("custom") if isinstance(response, dict) else None
        if isinstance(custom, dict) and "interpreter" in custom:
            result = custom["interpreter"]
            if not isinstance(result, dict):  # the knowledge base did not load, or the call was refused
                log.warning("interpreter matching failed: %s", custom.get("error", "unknown"))
                raise MatchingUnavailable()
            return result
    raise BadGateway()


@dataclass
class MachineTranslation:
    """A translator (translations.mt: guarded, glossary, Argos) and which pairs have installed packages."""

    translator: Translator
    has_pair: Callable[[str, str], bool]

    def available(self, a: str, b: str) -> bool:
        """Both directions between `a` and `b` are installed (a counter conversation goes both ways)."""
        return self.has_pair(a, b) and self.has_pair(b, a)

    async def translate(self, text: str, source: str, target: str) -> Translation:
        if not self.has_pair(source, target):
            return Translation.failed("none", Reason.NO_PACKAGE, target)
        # CTranslate2 blocks: keep it off the event loop.
        return await asyncio.to_thread(self.translator.translate, text, source, target)


def default_machine_translation() -> MachineTranslation:
    """Argos with the guard and the glossary (translations.mt), from MachineTranslationSettings."""
    from settings import MachineTranslationSettings
    from translations.mt import build_translator
    from translations.mt_argos import ArgosTranslator

    settings = MachineTranslationSettings.from_env()
    routes = ArgosTranslator(settings)  # reads metadata.json only: no model is loaded to answer route()

    def has_pair(source: str, target: str) -> bool:
        return settings.enabled and routes.route(source, target) is not None

    return MachineTranslation(build_translator(settings), has_pair)


def mt_json(result: Translation | None, source: str, target: str) -> dict[str, Any]:
    """What the page shows: the labelled text, or plainly that free translation is unavailable (and why)."""
    if result is not None and result.ok and result.text.strip():
        return {"ok": True, "text": result.text, "engine": result.engine, "source": source, "target": target}
    reason = result.reason.value if result is not None else Reason.NO_PACKAGE.value
    return {"ok": False, "reason": reason, "source": source, "target": target}
