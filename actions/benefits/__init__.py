"""Benefits actions: a direct answer about one programme (answer.py), the screening form of at most ten skippable,
adaptive questions and its list of programmes (screening.py), opt-in "For You" reminders by LINE or e-mail and
stopping them (reminders.py), and "forget me" (forget.py).

Questions about a programme go to the city call centre unless the programme names its own desk (the resident's
ward office, a health centre); the engine (knowledge_base/benefits/) decides eligibility and amounts, and every
answer says that the city decides.
"""

CONTACT_OFFICE = "call_centre"  # 千葉市コールセンター (knowledge_base/data/places/offices.yaml)
HELP_BUTTONS = (("help_button_benefits", "/screen_benefits"),)
