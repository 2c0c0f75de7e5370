"""Actions of the desk-tablet interpreter, called by the gateway over the action server's webhook (like
action_kb_health), so the loaded knowledge base and its e5 model are reused: cross-lingual matching of a sentence to
the phrasebook and the knowledge base's questions, and agent assist (curated answers in Japanese and the resident's
language)."""

# Not a topic residents ask the assistant about: no capability line, no fallback claim (actions/common/domains.py).
ANSWER_DOMAIN = False
