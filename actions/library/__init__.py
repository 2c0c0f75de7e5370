"""Library actions: questions about the city libraries, opening hours, and reference requests (a form)."""

CONTACT_OFFICE = "chuo_library"  # 中央図書館 (knowledge_base/data/places/offices.yaml)
HELP_BUTTONS = (("help_button_library", '/ask_library{"faq_id": "library_loan_limits"}'),)
