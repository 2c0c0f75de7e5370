"""Foreign-resident procedure actions: registration, My Number card, insurance, pension, tax, desks."""

CONTACT_OFFICE = "ccia_desk"  # 千葉市外国人総合相談窓口 (knowledge_base/data/places/offices.yaml)
HELP_BUTTONS = (("help_button_foreign", '/ask_foreign_residents{"faq_id": "fr_move_in_abroad"}'),)
