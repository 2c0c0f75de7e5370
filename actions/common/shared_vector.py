"""The message's e5 query vector, sent by the Rasa server with its action call, handed to the knowledge base.

The Rasa server embeds every message with multilingual-e5-small for its NLU (bot/components/e5_featurizer.py) and adds
that vector to the action call under SHARED_VECTOR_FIELD (bot/components/speedups.py). Retrieval here needs the same
text's vector; encoding it again was most of the action server's CPU. `VectorSharingExecutor` takes the field out of
the call before rasa_sdk sees it and offers the vector to the loaded knowledge base, which uses it once the first one
proved equal to its own encoder's (knowledge_base/core/batcher.py). A missing or malformed field changes nothing: the
text is encoded here as before.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

from rasa_sdk.executor import ActionExecutor

from actions.common.kb import loaded_kb

logger = logging.getLogger(__name__)

# Same key as bot/components/speedups.SHARED_VECTOR_FIELD (the bot environment is not importable here).
SHARED_VECTOR_FIELD = "chiba_e5_query"
MAX_VECTOR_CHARS = 16_384  # base64 of 4,096 floats: e5-small has 384; anything longer is not ours


def offer_shared_vector(action_call: dict[str, Any]) -> bool:
    """Remove SHARED_VECTOR_FIELD from `action_call` and offer its vector to the loaded knowledge base (True if kept).
    Nothing happens without a loaded knowledge base (the first action loads it and encodes as before)."""
    import numpy as np

    shared = action_call.pop(SHARED_VECTOR_FIELD, None)
    kb = loaded_kb()
    if not isinstance(shared, dict) or kb is None:
        return False
    text, encoded = shared.get("text"), shared.get("vector")
    if not isinstance(text, str) or not text or not isinstance(encoded, str) or len(encoded) > MAX_VECTOR_CHARS:
        logger.debug("shared query vector ignored: malformed field")
        return False
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        logger.debug("shared query vector ignored: not base64")
        return False
    if not raw or len(raw) % 4:
        return False
    return kb.offer_query_vector(text, np.frombuffer(raw, dtype="<f4"))


class VectorSharingExecutor(ActionExecutor):
    """rasa_sdk's executor; a call's shared query vector goes to the knowledge base before the action runs."""

    async def run(self, action_call: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        offer_shared_vector(action_call)
        return await super().run(action_call, *args, **kwargs)
