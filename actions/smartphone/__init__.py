"""Smartphone actions: how-to answers, the classes for seniors (listing with filters) and seat bookings (a form).

No official Chiba City page on the classes exists, so questions go to the city call centre, and the catalogue is an
example until staff load the real one; every answer drawn from example data says so.
"""

CONTACT_OFFICE = "call_centre"  # 千葉市コールセンター (knowledge_base/data/places/offices.yaml)
HELP_BUTTONS = (("help_button_smartphone", "/list_smartphone_classes"),)
