"""The rules engine: calendar rules, three-valued conditions, amounts by date, due items, the adaptive form's
questions, the rendered answer and the domain wiring."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from knowledge_base.benefits import (
    DOMAIN,
    ELIGIBLE,
    MAYBE,
    NOT_ELIGIBLE,
    Child,
    Household,
    Programmes,
    due_reminders,
    evaluate,
    monthly_total,
    needed_questions,
    programme_answer,
    screen,
)
from knowledge_base.benefits.dates import add_months, birth_range, fiscal_year, fy_end_reaching, fy_start_reaching

TODAY = date(2026, 12, 10)  # FY2026; no FY2026 amounts were found for most programmes
REAL_DATA = Path(__file__).resolve().parents[3] / "knowledge_base" / "data"

# ---------------------------------------------------------------- calendar rules


@pytest.mark.parametrize(
    ("day", "fy"),
    [(date(2026, 3, 31), 2025), (date(2026, 4, 1), 2026), (date(2026, 12, 10), 2026), (date(2027, 1, 5), 2026)],
)
def test_fiscal_year(day: date, fy: int) -> None:
    assert fiscal_year(day) == fy


@pytest.mark.parametrize(
    ("birth", "age", "end"),
    [
        (date(2008, 4, 1), 18, date(2026, 3, 31)),  # born 1 April: the earlier school year
        (date(2008, 4, 2), 18, date(2027, 3, 31)),
        (date(2008, 3, 15), 18, date(2026, 3, 31)),
        (date(2008, 12, 25), 18, date(2027, 3, 31)),
        (date(2020, 6, 1), 6, date(2027, 3, 31)),  # MR stage 2: the year before elementary school
    ],
)
def test_fy_end_reaching(birth: date, age: int, end: date) -> None:
    assert fy_end_reaching(birth, age) == end
    assert fy_start_reaching(birth, age) == date(end.year - 1, 4, 1)


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2026, 12, 10), -24) == date(2024, 12, 10)


def test_birth_range() -> None:
    assert birth_range(0, TODAY) == (date(2026, 11, 11), date(2026, 12, 10))
    assert birth_range(24, TODAY) == (date(2024, 11, 11), date(2024, 12, 10))


# ---------------------------------------------------------------- three-valued logic


@pytest.mark.parametrize(
    ("pid", "household", "check"),
    [
        ("child_allowance", Household(TODAY), "children"),
        ("prenatal_checkups", Household(TODAY), "pregnant"),
        ("child_rearing_allowance", Household(TODAY, children=(Child(60),), income_band="1m_2m"), "single_parent"),
        ("special_child_rearing_allowance", Household(TODAY, children=(Child(60),)), "child_disability"),
        ("specific_health_checkup", Household(TODAY, insurance="nhi"), "resident_age"),
        ("specific_health_checkup", Household(TODAY, resident_age=50), "insurance"),
        (
            "child_rearing_allowance",
            Household(TODAY, children=(Child(60),), single_parent=True),
            "income_band",
        ),
        ("sewer_charge_reduction", Household(TODAY, income_band="6m_8m"), "welfare"),
    ],
)
def test_an_unanswered_question_gives_maybe_with_its_code(
    programmes: Programmes, pid: str, household: Household, check: str
) -> None:
    finding = evaluate(pid, household, programmes)
    assert finding.status == MAYBE
    assert check in finding.checks


def test_an_empty_household_is_never_silently_not_eligible(programmes: Programmes) -> None:
    """Nothing answered: every programme that exists today is "maybe" and says what to check."""
    findings = {f.programme_id: f for f in screen(Household(TODAY), programmes)}
    for p in programmes:
        if p.period_from and p.period_from > TODAY:
            assert p.id not in findings
            continue
        assert findings[p.id].status == MAYBE, p.id
        assert findings[p.id].checks, p.id


def test_screen_lists_eligible_first_then_maybe_and_no_not_eligible(programmes: Programmes) -> None:
    household = Household(TODAY, children=(Child(24), Child(0)))
    findings = screen(household, programmes)
    statuses = [f.status for f in findings]
    assert NOT_ELIGIBLE not in statuses
    assert statuses == sorted(statuses, key=lambda s: s != ELIGIBLE)
    assert statuses[0] == ELIGIBLE


def test_unknown_programme(programmes: Programmes) -> None:
    with pytest.raises(KeyError, match="unknown benefits programme"):
        evaluate("basic_income", Household(TODAY), programmes)


def test_a_limit_inside_the_band_is_maybe_with_what_to_check(programmes: Programmes) -> None:
    household = Household(TODAY, children=(Child(60),), single_parent=True, income_band="2m_3m")
    finding = evaluate("child_rearing_allowance", household, programmes)
    assert (finding.status, finding.checks) == (MAYBE, ("income_limit",))


def test_a_check_the_form_does_not_ask_keeps_maybe(programmes: Programmes) -> None:
    finding = evaluate("vaccine_rsv_maternal", Household(TODAY, pregnant=True), programmes)
    assert (finding.status, finding.checks) == (MAYBE, ("pregnancy_week",))


# ---------------------------------------------------------------- amounts


def test_amounts_carry_their_fiscal_year_and_whether_today_is_confirmed(programmes: Programmes) -> None:
    household = Household(TODAY, children=(Child(10),))
    [amount] = evaluate("child_allowance", household, programmes).amounts
    assert (amount.yen, amount.per, amount.fy, amount.confirmed) == (15000, "month", "FY2025", False)
    in_fy2025 = replace(household, today=date(2025, 6, 1))
    [amount] = evaluate("child_allowance", in_fy2025, programmes).amounts
    assert (amount.fy, amount.confirmed) == ("FY2025", True)


def test_amounts_follow_the_date(programmes: Programmes) -> None:
    household = Household(TODAY, children=(Child(60),), single_parent=True, income_band="under_1m")
    in_fy2024 = replace(household, today=date(2025, 1, 15))
    by_label = {a.label: a for a in evaluate("child_rearing_allowance", in_fy2024, programmes).amounts}
    assert (by_label["first_full"].yen, by_label["first_full"].confirmed) == (45500, True)
    by_label = {a.label: a for a in evaluate("child_rearing_allowance", household, programmes).amounts}
    assert (by_label["first_full"].yen, by_label["first_full"].fy, by_label["first_full"].confirmed) == (
        46690,
        "FY2025",
        False,
    )


def test_amounts_that_ended_are_not_confirmed(programmes: Programmes) -> None:
    """高額療養費: the limits in the data applied until July 2026."""
    finding = evaluate("high_cost_medical", Household(TODAY, insurance="nhi", resident_age=40), programmes)
    assert finding.status == ELIGIBLE
    assert {a.label: a.yen for a in finding.amounts}["limit_c"] == 80100
    assert not any(a.confirmed for a in finding.amounts)
    july = evaluate("high_cost_medical", Household(date(2025, 7, 1), insurance="nhi", resident_age=40), programmes)
    assert all(a.confirmed for a in july.amounts)


def test_amount_rows_follow_the_household(programmes: Programmes) -> None:
    welfare = evaluate("postnatal_care", Household(TODAY, children=(Child(1),), welfare=True), programmes)
    assert [a.label for a in welfare.amounts] == ["stay_welfare", "day_welfare", "home_welfare"]
    taxed = Household(TODAY, children=(Child(1),), welfare=False, income_band="6m_8m")
    assert [a.yen for a in evaluate("postnatal_care", taxed, programmes).amounts] == [5600, 2000, 1100]
    unknown = evaluate("postnatal_care", Household(TODAY, children=(Child(1),)), programmes)
    assert len(unknown.amounts) == 9


# ---------------------------------------------------------------- due items


def test_household_due_items_for_a_newborn(programmes: Programmes) -> None:
    household = Household(TODAY, children=(Child(0),))
    due = [d for f in screen(household, programmes) for d in f.due]
    assert {d.key for d in due} == {"rota_1", "hepb_1", "pcv_1", "dpt5_primary"}
    assert all(d.due_from == date(2027, 2, 10) for d in due)  # 2 months after the latest possible birthday


def test_due_items_of_an_older_child_are_not_repeated(programmes: Programmes) -> None:
    """A 2-year-old: the infant series started long ago, nothing starts within 60 days."""
    household = Household(TODAY, children=(Child(24),))
    assert [d for f in screen(household, programmes) for d in f.due] == []


def test_due_reminders_on_a_fixed_date(programmes: Programmes) -> None:
    born = date(2026, 12, 1)
    assert due_reminders(born, date(2027, 2, 13), programmes) == []
    first = due_reminders(born, date(2027, 2, 14), programmes)
    assert [(d.key, d.due_from) for d in first] == [
        ("dpt5_primary", date(2027, 2, 28)),
        ("hepb_1", date(2027, 2, 28)),
        ("pcv_1", date(2027, 2, 28)),
        ("rota_1", date(2027, 2, 28)),
    ]
    rota = next(d for d in first if d.key == "rota_1")
    assert (rota.programme_id, rota.due_until) == ("vaccine_rotavirus", date(2027, 3, 16))  # 15 weeks after 1 Dec
    later = due_reminders(born, date(2027, 4, 20), programmes)
    assert {d.key for d in later} == {"checkup_4m", "bcg"}
    assert due_reminders(born, date(2027, 4, 20), programmes, ahead_days=3) == []


def test_due_reminders_for_a_school_year_window(programmes: Programmes) -> None:
    """MR stage 2: the year before elementary school (an April birth belongs to the later school year)."""
    due = due_reminders(date(2021, 4, 1), date(2027, 4, 1), programmes)
    mr2 = next(d for d in due if d.key == "mr_2")
    assert (mr2.due_from, mr2.due_until) == (date(2027, 4, 1), date(2028, 4, 1))


# ---------------------------------------------------------------- the adaptive form


def test_needed_questions_start_with_children(programmes: Programmes) -> None:
    assert needed_questions(Household(TODAY), programmes)[0] == "children"


def test_needed_questions_drop_child_questions_without_children(programmes: Programmes) -> None:
    needed = needed_questions(Household(TODAY, children=()), programmes)
    assert "children" not in needed
    assert "single_parent" not in needed and "child_disability" not in needed
    assert "resident_age" in needed


def test_needed_questions_ask_about_a_childs_disability_once_there_are_children(programmes: Programmes) -> None:
    needed = needed_questions(Household(TODAY, children=(Child(60),)), programmes)
    assert needed[:2] == ["pregnant", "single_parent"]
    assert "child_disability" in needed


def test_income_is_asked_when_an_undecided_programme_needs_it(programmes: Programmes) -> None:
    single_parent = Household(
        TODAY,
        children=(Child(60, disability=False),),
        pregnant=False,
        single_parent=True,
        resident_age=35,
        insurance="employee",
        welfare=False,
    )
    assert needed_questions(single_parent, programmes) == ["income_band"]


def test_income_is_not_asked_when_nothing_depends_on_it(programmes: Programmes) -> None:
    on_welfare = Household(TODAY, children=(), pregnant=False, resident_age=35, insurance="employee", welfare=True)
    assert needed_questions(on_welfare, programmes) == []


def test_nothing_is_asked_twice(programmes: Programmes) -> None:
    answered = Household(
        TODAY,
        children=(Child(24, disability=False), Child(0, disability=False)),
        pregnant=False,
        single_parent=False,
        resident_age=33,
        insurance="nhi",
        income_band="3m_4_5m",
        welfare=False,
    )
    assert needed_questions(answered, programmes) == []


# ---------------------------------------------------------------- the answer text

ACCEPTANCE = Household(TODAY, children=(Child(24), Child(0)))


def test_answer_in_japanese_computes_the_household_amounts(programmes: Programmes) -> None:
    text = programme_answer(programmes.get("child_allowance"), "ja", TODAY, ACCEPTANCE, programmes=programmes)
    assert "【児童手当】" in text
    assert text.count("月15,000円") == 2
    assert "合計: 月30,000円" in text
    assert "2025年度の額です。2026年度の額は確認できていません。" in text
    assert "マイナポータル" in text and "15日以内" in text
    assert "出典: https://" in text


def test_answer_without_a_household_lists_the_amounts(programmes: Programmes) -> None:
    text = programme_answer(programmes.get("child_allowance"), "ja", TODAY)
    assert "3歳未満（第1子・第2子）: 15,000円（月額）" in text
    assert "第3子以降（高校生年代まで）: 30,000円（月額）" in text


def test_answer_in_english(programmes: Programmes) -> None:
    text = programme_answer(programmes.get("child_allowance"), "en", TODAY, ACCEPTANCE, programmes=programmes)
    assert text.startswith("【Child allowance (児童手当)】")
    assert "15,000 yen per month" in text and "Total: 30,000 yen per month" in text
    assert "These are the FY2025 amounts; the FY2026 amounts are not confirmed." in text


def test_answer_falls_back_to_english_then_japanese(programmes: Programmes) -> None:
    # Every language has curated text now; a programme's text missing in one language falls back to English.
    from dataclasses import replace

    programme = programmes.get("child_medical_subsidy")
    without_vi = replace(programme, translations={k: v for k, v in programme.translations.items() if k != "vi"})
    vietnamese = programme_answer(without_vi, "vi", TODAY, programmes=programmes)
    assert "Child medical expense subsidy" in vietnamese and "300 yen" in vietnamese
    easy = programme_answer(programmes.get("child_medical_subsidy"), "ja-easy", TODAY, programmes=programmes)
    assert "こどもの びょういんの お金" in easy and "300円" in easy


def test_uncertain_answers_say_so_unless_the_reply_adds_it(programmes: Programmes) -> None:
    p = programmes.get("child_medical_subsidy")
    assert "確認できていない点があります" in programme_answer(p, "ja", TODAY)
    assert "確認できていない点があります" not in programme_answer(p, "ja", TODAY, caution=False)


def test_the_ward_picks_the_desk_phone(programmes: Programmes) -> None:
    p = programmes.get("child_rearing_allowance")
    text = programme_answer(p, "ja", TODAY, ward="chuo")
    assert "電話（中央区）: 043-221-2172" in text and "043-275-6421" not in text


def test_child_rearing_totals_for_two_children(programmes: Programmes) -> None:
    household = Household(TODAY, children=(Child(60), Child(30)), single_parent=True, income_band="1m_2m")
    text = programme_answer(programmes.get("child_rearing_allowance"), "ja", TODAY, household)
    assert "合計: 月57,720円" in text  # 46,690 + 11,030
    assert "月16,530円〜57,700円" in text  # 11,010 + 5,520 … 46,680 + 11,020


def test_answer_for_a_household_lists_what_is_due(programmes: Programmes) -> None:
    household = Household(TODAY, children=(Child(11),))
    text = programme_answer(programmes.get("vaccine_mr"), "ja", TODAY, household)
    assert "MR 1期（1歳になったらなるべく早く）: 2027年1月10日から2027年12月10日まで" in text


def test_answer_words_come_with_the_programme(programmes: Programmes) -> None:
    """Without `programmes=` the answer still uses the English words of en.yaml (and says when a page is undated)."""
    text = programme_answer(programmes.get("vaccine_hpv"), "en", TODAY)
    assert "How to apply:" in text and "(date not shown)" in text
    assert "日付なし" in programme_answer(programmes.get("vaccine_hpv"), "ja", TODAY)


def test_monthly_total(programmes: Programmes) -> None:
    finding = evaluate("child_allowance", ACCEPTANCE, programmes)
    assert monthly_total(finding.amounts) == 30000


# ---------------------------------------------------------------- the domain


@pytest.fixture
def benefits_data_dir(tmp_path: Path) -> Path:
    shutil.copytree(REAL_DATA / "benefits", tmp_path / "benefits")
    return tmp_path


def test_domain_builds_a_faq_domain_with_the_programmes(benefits_data_dir: Path, tmp_path: Path, fake_embedder):
    from knowledge_base.core.index import load_or_build
    from knowledge_base.places import load_places
    from settings import KnowledgeBaseSettings

    offices = load_places(REAL_DATA).offices
    data = DOMAIN.load(benefits_data_dir, offices)
    assert DOMAIN.name == "benefits"
    assert DOMAIN.summary(data).startswith(f"{len(data.programmes)} ")
    corpora = DOMAIN.corpora(data)
    indexes = load_or_build(corpora, benefits_data_dir, tmp_path / "index", fake_embedder)
    settings = KnowledgeBaseSettings(data_dir=benefits_data_dir, index_dir=tmp_path / "index")
    service = DOMAIN.service(data, indexes, lambda text: fake_embedder.queries([text])[0], settings)
    assert service.classified and service.programmes is data.programmes
    assert [entry.id for entry in service.entries] == [p.id for p in data.programmes]
    entry = service.faq.exact("児童手当はいくらもらえますか")
    assert entry is not None and entry.id == "child_allowance"
    assert "15,000円" in entry.answer and entry.domain == "benefits"
    assert set(entry.translations) >= {"en", "ja-easy"}
    assert "15,000 yen" in (entry.answer_in("en") or "")
    assert service.faq.exact("How much is the child allowance?").id == "child_allowance"
    nhi = service.faq.get("nhi_premium_reduction")
    assert nhi.office == "ward_office"  # the resident's own ward office, as the FAQ actions know it
    uncertain = service.faq.get("child_medical_subsidy")
    assert uncertain.certainty == "uncertain" and uncertain.phone == "043-245-4894"
    assert service.health()["programmes"] == len(data.programmes)
