"""Procedures for foreign residents (registration, insurance, pension, tax, desks) as curated answers."""

from knowledge_base.core.domain import faq_domain

DOMAIN = faq_domain("foreign_residents")
