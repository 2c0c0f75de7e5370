"""Household-garbage actions: item category, collection days, bulky waste, rules."""

CONTACT_OFFICE = "garbage_consult"  # 家庭ごみ相談ダイヤル (knowledge_base/data/places/offices.yaml)
# Offered by the help message; payloads go straight to the intent (no NLU), titles are translated.
HELP_BUTTONS = (
    ("help_button_item", '/ask_garbage_item{"item": "スプレー缶"}'),
    ("help_button_days", "/ask_collection_day"),
    ("help_button_bulky", "/ask_bulky_waste"),
)
# A message the NLU did not place whose item phrase is largely a known item name (「ビーサン壊れた」) is answered as an
# item question.
FALLBACK_CLAIM = "actions.garbage.item:claim_fallback"
