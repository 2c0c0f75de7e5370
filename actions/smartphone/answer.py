"""action_smartphone_answer: smartphone how-to questions, from the curated guides (knowledge_base/data/smartphone/)."""

from __future__ import annotations

from actions.common.faq_answer import DomainAnswerAction


class ActionSmartphoneAnswer(DomainAnswerAction):
    domain_name = "smartphone"
