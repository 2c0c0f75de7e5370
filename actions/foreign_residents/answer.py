"""action_foreign_residents_answer: procedures for foreign residents from the curated answers."""

from __future__ import annotations

from actions.common.faq_answer import DomainAnswerAction


class ActionForeignResidentsAnswer(DomainAnswerAction):
    domain_name = "foreign_residents"
