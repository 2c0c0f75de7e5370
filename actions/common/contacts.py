"""The city's general contact, for replies that cannot reach the places data (it failed to load) or fit no desk.

Every other phone number comes from knowledge_base/data/places/offices.yaml.
"""

from __future__ import annotations

# 千葉市役所コールセンター, as printed in the footer of the city's pages (knowledge_base/data/places/offices.yaml,
# office call_centre, with its source).
CALL_CENTRE_OFFICE = "call_centre"
CALL_CENTRE_PHONE = "043-245-4894"
