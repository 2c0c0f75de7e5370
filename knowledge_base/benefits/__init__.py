"""Chiba City benefits and health programmes: rules as data (data/benefits/) and a small rules engine.

`DOMAIN` joins the knowledge base as a question-and-answer domain (one entry per programme) whose service also
exposes `.programmes`; the engine (`screen`, `evaluate`, `needed_questions`, `due_reminders`) and
`programme_answer` work on a `Programmes` object. Nothing is read at import.
"""

from knowledge_base.benefits.domain import DOMAIN, BenefitsDomain
from knowledge_base.benefits.engine import (
    compute_amounts,
    due_reminders,
    evaluate,
    household_due,
    monthly_total,
    needed_questions,
    schedule_window,
    screen,
)
from knowledge_base.benefits.load import load_programmes, validate
from knowledge_base.benefits.models import (
    ELIGIBLE,
    INSURANCES,
    MAYBE,
    NOT_ELIGIBLE,
    QUESTION_CODES,
    Amount,
    Child,
    Due,
    Finding,
    Household,
    Programme,
    Programmes,
)
from knowledge_base.benefits.render import (
    amount_label,
    amount_lines,
    band_label,
    check_text,
    due_lines,
    programme_answer,
    programme_name,
    schedule_label,
)

__all__ = [
    "DOMAIN",
    "ELIGIBLE",
    "INSURANCES",
    "MAYBE",
    "NOT_ELIGIBLE",
    "QUESTION_CODES",
    "Amount",
    "BenefitsDomain",
    "Child",
    "Due",
    "Finding",
    "Household",
    "Programme",
    "Programmes",
    "amount_label",
    "amount_lines",
    "band_label",
    "check_text",
    "compute_amounts",
    "due_lines",
    "due_reminders",
    "evaluate",
    "household_due",
    "load_programmes",
    "monthly_total",
    "needed_questions",
    "programme_answer",
    "programme_name",
    "schedule_label",
    "schedule_window",
    "screen",
    "validate",
]
