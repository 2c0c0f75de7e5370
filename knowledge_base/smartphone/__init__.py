"""Smartphone help for seniors: step-by-step how-tos as questions with curated answers (data/smartphone/faq.yaml).

The class catalogue (dates, seats, bookings) is application data in storage/smartphone.py, not knowledge."""

from knowledge_base.core.domain import faq_domain

DOMAIN = faq_domain("smartphone")
