"""action_library_answer: library rules and services from the curated answers (knowledge_base/data/library/)."""

from __future__ import annotations

from actions.common.faq_answer import DomainAnswerAction


class ActionLibraryAnswer(DomainAnswerAction):
    domain_name = "library"
