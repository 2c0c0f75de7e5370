"""Custom actions of the Chiba City Assistant (rasa_sdk imports every subpackage and registers its Action classes).

One package per domain (`actions/<domain>/`) plus `actions/common/` for what they share; nothing is loaded at import
time — the knowledge base is loaded on first use (`actions.common.kb`).
"""
