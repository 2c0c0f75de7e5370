"""Custom actions of the Chiba City Assistant (rasa_sdk imports every submodule and registers its Action classes).

One module per concern; nothing is loaded at import time — the knowledge base is loaded on first use (`actions.kb`).
"""
