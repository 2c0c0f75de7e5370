"""Chiba City libraries: rules, services and reference requests as questions with curated answers (data/library/)."""

from knowledge_base.core.domain import faq_domain

DOMAIN = faq_domain("library")
