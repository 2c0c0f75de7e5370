"""Households for every programme: who is eligible, who is not, and the boundaries (ages, birth order, the end of
高校生年代, fiscal-year ages, income bands, dates a programme starts). Today is 2026-12-10 (FY2026) unless a case
says otherwise.

A case is (programme, name, household, expected status, expected amounts in yen or None, expected checks or None).
"""

from __future__ import annotations

from datetime import date

import pytest

from knowledge_base.benefits import ELIGIBLE, MAYBE, NOT_ELIGIBLE, Child, Household, Programmes, evaluate, screen

TODAY = date(2026, 12, 10)
ELIG, MAY, NOT = ELIGIBLE, MAYBE, NOT_ELIGIBLE


def H(today: date = TODAY, **answers) -> Household:
    """A household that answered everything (no children, 35, employee insurance, taxed, no welfare) but `answers`."""
    base = {
        "children": (),
        "pregnant": False,
        "single_parent": False,
        "resident_age": 35,
        "insurance": "employee",
        "income_band": "3m_4_5m",
        "welfare": False,
    }
    base.update(answers)
    return Household(today=today, **base)


def kids(*months: int, disability: bool = False) -> tuple[Child, ...]:
    return tuple(Child(m, disability=disability) for m in months)


SINGLE = {"single_parent": True, "income_band": "1m_2m"}

CASES = [
    # ---- 児童手当: 15,000 under 3, 10,000 from 3 to 高校生年代, 30,000 from the 3rd child
    ("child_allowance", "acceptance: 2-year-old and newborn", H(children=kids(24, 0)), ELIG, [15000, 15000], ()),
    ("child_allowance", "no children", H(), NOT, None, None),
    ("child_allowance", "just under 3", H(children=kids(35)), ELIG, [15000], ()),
    ("child_allowance", "turned 3", H(children=kids(36)), ELIG, [10000], ()),
    ("child_allowance", "third child", H(children=kids(120, 60, 10)), ELIG, [10000, 10000, 30000], ()),
    (
        "child_allowance",
        "third child under 3 counts as third",
        H(children=kids(40, 30, 2)),
        ELIG,
        [10000, 15000, 30000],
        (),
    ),
    (
        "child_allowance",
        "a 20-year-old sibling makes the youngest the 3rd child",
        H(children=kids(240, 100, 20)),
        ELIG,
        [10000, 30000],
        ("older_child_confirmation",),
    ),
    ("child_allowance", "high-school age, 18 in May 2026", H(children=kids(223)), ELIG, [10000], ()),
    ("child_allowance", "high-school age ended 2026-03-31", H(children=kids(225)), NOT, None, None),
    ("child_allowance", "birthday decides (March/April)", H(children=kids(224)), MAY, None, ("birth_date",)),
    # ---- 児童扶養手当
    ("child_rearing_allowance", "single parent, low income", H(children=kids(60), **SINGLE), ELIG, None, ()),
    ("child_rearing_allowance", "two parents", H(children=kids(60), income_band="1m_2m"), NOT, None, None),
    (
        "child_rearing_allowance",
        "income above every limit",
        H(children=kids(60), single_parent=True, income_band="6m_8m"),
        NOT,
        None,
        None,
    ),
    (
        "child_rearing_allowance",
        "income inside the band of the limits",
        H(children=kids(60), single_parent=True, income_band="3m_4_5m"),
        MAY,
        None,
        ("income_limit",),
    ),
    (
        "child_rearing_allowance",
        "disabled 19-year-old",
        H(children=kids(230, disability=True), **SINGLE),
        ELIG,
        None,
        (),
    ),
    ("child_rearing_allowance", "19-year-old without disability", H(children=kids(230), **SINGLE), NOT, None, None),
    # ---- 特別児童扶養手当 (the grade is always checked at the counter)
    (
        "special_child_rearing_allowance",
        "disabled child",
        H(children=kids(100, disability=True), income_band="1m_2m"),
        MAY,
        [56800, 37830],
        ("disability_grade",),
    ),
    ("special_child_rearing_allowance", "no disability", H(children=kids(100)), NOT, None, None),
    ("special_child_rearing_allowance", "19 y 11 m", H(children=kids(239, disability=True)), MAY, None, None),
    ("special_child_rearing_allowance", "20 years old", H(children=kids(240, disability=True)), NOT, None, None),
    (
        "special_child_rearing_allowance",
        "FY2024 amounts in FY2024",
        H(date(2024, 6, 1), children=kids(100, disability=True)),
        MAY,
        [55350, 36860],
        None,
    ),
    # ---- 障害児福祉手当, 千葉市心身障害児童福祉手当
    (
        "disabled_child_welfare_allowance",
        "disabled child",
        H(children=kids(50, disability=True)),
        MAY,
        [16100],
        ("disability_grade", "income_limit"),
    ),
    ("disabled_child_welfare_allowance", "no disability", H(children=kids(50)), NOT, None, None),
    ("chiba_disabled_child_allowance", "disabled child", H(children=kids(50, disability=True)), MAY, [], None),
    ("chiba_disabled_child_allowance", "no children", H(), NOT, None, None),
    # ---- 子ども医療費助成: to the 3月31日 after 18
    ("child_medical_subsidy", "toddler", H(children=kids(24)), ELIG, [300], ()),
    ("child_medical_subsidy", "no children", H(), NOT, None, None),
    ("child_medical_subsidy", "high-school age", H(children=kids(223)), ELIG, None, ()),
    ("child_medical_subsidy", "after high-school age", H(children=kids(225)), NOT, None, None),
    # ---- ひとり親家庭等医療費助成
    (
        "single_parent_medical_subsidy",
        "single parent, NHI",
        H(children=kids(60), insurance="nhi", **SINGLE),
        ELIG,
        [],
        (),
    ),
    (
        "single_parent_medical_subsidy",
        "on public assistance",
        H(children=kids(60), welfare=True, **SINGLE),
        NOT,
        None,
        None,
    ),
    (
        "single_parent_medical_subsidy",
        "other insurance",
        H(children=kids(60), insurance="other", **SINGLE),
        MAY,
        None,
        ("insurance_type",),
    ),
    ("single_parent_medical_subsidy", "two parents", H(children=kids(60)), NOT, None, None),
    # ---- 妊婦のための支援給付 (from 2025-04-01)
    ("pregnancy_support_payment", "pregnant", H(pregnant=True), ELIG, [50000], ()),
    ("pregnancy_support_payment", "newborn", H(children=kids(0)), ELIG, [50000], ()),
    ("pregnancy_support_payment", "child born before April 2025", H(children=kids(30)), NOT, None, None),
    ("pregnancy_support_payment", "born around 1 April 2025", H(children=kids(20)), MAY, None, ("birth_date",)),
    ("pregnancy_support_payment", "born after 1 April 2025", H(children=kids(19)), ELIG, None, ()),
    ("pregnancy_support_payment", "before the programme", H(date(2025, 3, 1), pregnant=True), NOT, None, None),
    # ---- 妊婦健康診査, 多胎
    ("prenatal_checkups", "pregnant", H(pregnant=True), ELIG, [20500, 16600, 9500, 4500, 4500, 9500], ()),
    ("prenatal_checkups", "not pregnant", H(), NOT, None, None),
    ("multiple_pregnancy_checkups", "pregnant", H(pregnant=True), MAY, [4500], ("multiple_pregnancy",)),
    ("multiple_pregnancy_checkups", "not pregnant", H(), NOT, None, None),
    # ---- 乳幼児健康診査, 産後ケア
    ("infant_checkups", "baby", H(children=kids(10)), ELIG, [], ()),
    ("infant_checkups", "3 y 11 m", H(children=kids(47)), ELIG, None, ()),
    ("infant_checkups", "4 years", H(children=kids(48)), NOT, None, None),
    (
        "postnatal_care",
        "11 months, taxed or not unknown",
        H(children=kids(11)),
        ELIG,
        [5600, 2800, 2000, 1000, 1100, 550],
        (),
    ),
    ("postnatal_care", "taxed household", H(children=kids(3), income_band="6m_8m"), ELIG, [5600, 2000, 1100], ()),
    ("postnatal_care", "1 year", H(children=kids(12)), NOT, None, None),
    (
        "postnatal_care",
        "non-taxed household",
        H(children=kids(2), income_band="nontaxable"),
        ELIG,
        [2800, 1000, 550],
        (),
    ),
    # ---- childhood vaccinations (free within the legal period)
    ("vaccine_rotavirus", "newborn", H(children=kids(0)), ELIG, [], ()),
    ("vaccine_rotavirus", "8 months", H(children=kids(8)), NOT, None, None),
    ("vaccine_hepatitis_b", "11 months", H(children=kids(11)), ELIG, [], ()),
    ("vaccine_hepatitis_b", "1 year", H(children=kids(12)), NOT, None, None),
    ("vaccine_pneumococcal_child", "4 y 11 m", H(children=kids(59)), ELIG, [], ()),
    ("vaccine_pneumococcal_child", "5 years", H(children=kids(60)), NOT, None, None),
    ("vaccine_dpt_ipv_hib", "89 months", H(children=kids(89)), ELIG, [], ()),
    ("vaccine_dpt_ipv_hib", "90 months", H(children=kids(90)), NOT, None, None),
    ("vaccine_bcg", "11 months", H(children=kids(11)), ELIG, [], ()),
    ("vaccine_bcg", "1 year", H(children=kids(12)), NOT, None, None),
    ("vaccine_mr", "toddler", H(children=kids(13)), ELIG, [], ()),
    ("vaccine_mr", "year before school", H(children=kids(72)), ELIG, [], ()),
    ("vaccine_mr", "already at school", H(children=kids(82)), NOT, None, None),
    ("vaccine_mr", "birthday decides the school year", H(children=kids(80)), MAY, None, ("birth_date",)),
    ("vaccine_varicella", "2 y 11 m", H(children=kids(35)), ELIG, [], ()),
    ("vaccine_varicella", "3 years", H(children=kids(36)), NOT, None, None),
    ("vaccine_japanese_encephalitis", "3 years", H(children=kids(40)), ELIG, [], ()),
    ("vaccine_japanese_encephalitis", "between the stages", H(children=kids(100)), NOT, None, None),
    ("vaccine_japanese_encephalitis", "stage 2", H(children=kids(110)), ELIG, [], ()),
    ("vaccine_dt", "12 years", H(children=kids(144)), ELIG, [], ()),
    ("vaccine_dt", "10 years", H(children=kids(120)), NOT, None, None),
    ("vaccine_dt", "13 years", H(children=kids(156)), NOT, None, None),
    ("vaccine_hpv", "12 years (girls only)", H(children=kids(150)), MAY, [], ("girl",)),
    ("vaccine_hpv", "10 years", H(children=kids(130)), NOT, None, None),
    ("vaccine_rsv_maternal", "pregnant", H(pregnant=True), MAY, [], ("pregnancy_week",)),
    ("vaccine_rsv_maternal", "not pregnant", H(), NOT, None, None),
    ("vaccine_rsv_maternal", "before April 2026", H(date(2026, 3, 1), pregnant=True), NOT, None, None),
    # ---- adult vaccinations
    ("vaccine_elderly_flu", "65", H(resident_age=65), ELIG, [1800], ()),
    ("vaccine_elderly_flu", "59", H(resident_age=59), NOT, None, None),
    ("vaccine_elderly_flu", "60 (only with a disability)", H(resident_age=60), MAY, None, ("disability_grade",)),
    ("vaccine_elderly_pneumococcal", "65", H(resident_age=65), MAY, [], ("previous_vaccination",)),
    ("vaccine_elderly_pneumococcal", "66", H(resident_age=66), NOT, None, None),
    ("vaccine_elderly_shingles", "65 (turning 65 this year?)", H(resident_age=65), MAY, [4000, 10000], ("birth_date",)),
    ("vaccine_elderly_shingles", "67", H(resident_age=67), NOT, None, None),
    ("vaccine_elderly_shingles", "69 (may turn 70)", H(resident_age=69), MAY, None, ("birth_date",)),
    ("shingles_vaccine_subsidy", "50", H(resident_age=52), ELIG, [2000, 5000], ()),
    ("shingles_vaccine_subsidy", "49", H(resident_age=49), NOT, None, None),
    ("shingles_vaccine_subsidy", "before April 2026", H(date(2026, 3, 1), resident_age=52), NOT, None, None),
    ("elderly_vaccine_fee_exemption", "70 on welfare", H(resident_age=70, welfare=True), ELIG, [], ()),
    ("elderly_vaccine_fee_exemption", "70, taxed", H(resident_age=70, income_band="6m_8m"), NOT, None, None),
    (
        "elderly_vaccine_fee_exemption",
        "70, low income",
        H(resident_age=70, income_band="1m_2m"),
        MAY,
        None,
        ("nontaxable",),
    ),
    ("elderly_vaccine_fee_exemption", "50 on welfare", H(resident_age=50, welfare=True), NOT, None, None),
    # ---- health checks
    ("specific_health_checkup", "40 in NHI", H(resident_age=40, insurance="nhi"), ELIG, [500], ()),
    ("specific_health_checkup", "39 in NHI", H(resident_age=39, insurance="nhi"), NOT, None, None),
    ("specific_health_checkup", "74 in NHI", H(resident_age=74, insurance="nhi"), ELIG, None, ()),
    ("specific_health_checkup", "75 in NHI", H(resident_age=75, insurance="nhi"), NOT, None, None),
    ("specific_health_checkup", "employee insurance", H(resident_age=50), NOT, None, None),
    ("elderly_health_checkup", "75, late elderly", H(resident_age=75, insurance="late_elderly"), ELIG, [], ()),
    ("elderly_health_checkup", "75 in NHI", H(resident_age=75, insurance="nhi"), NOT, None, None),
    ("human_dock_subsidy", "35 in NHI", H(resident_age=35, insurance="nhi"), ELIG, [], ()),
    ("human_dock_subsidy", "34 in NHI", H(resident_age=34, insurance="nhi"), NOT, None, None),
    ("human_dock_subsidy", "80, late elderly", H(resident_age=80, insurance="late_elderly"), ELIG, None, ()),
    # ---- cancer screenings (age at the end of the fiscal year)
    ("cancer_screening_stomach", "45", H(resident_age=45), ELIG, [2200, 1100], ()),
    ("cancer_screening_stomach", "55 (endoscopy too)", H(resident_age=55), ELIG, [2200, 1100, 3000], ()),
    ("cancer_screening_stomach", "38", H(resident_age=38), NOT, None, None),
    ("cancer_screening_stomach", "39 (may turn 40)", H(resident_age=39), MAY, None, ("birth_date",)),
    ("cancer_screening_stomach", "72 (free)", H(resident_age=72), ELIG, [0], ()),
    ("cancer_screening_colorectal", "45", H(resident_age=45), ELIG, [600, 300], ()),
    ("cancer_screening_colorectal", "30", H(resident_age=30), NOT, None, None),
    ("cancer_screening_lung", "66 (X-ray free)", H(resident_age=66), ELIG, [0, 400, 100], ()),
    ("cancer_screening_lung", "30", H(resident_age=30), NOT, None, None),
    ("cancer_screening_cervical", "25", H(resident_age=25), MAY, [1200, 600, 1900], ("women",)),
    ("cancer_screening_cervical", "18", H(resident_age=18), NOT, None, None),
    ("cancer_screening_breast", "35", H(resident_age=35), MAY, [1200, 600], ("women",)),
    ("cancer_screening_breast", "45", H(resident_age=45), MAY, [1500, 750], ("women",)),
    ("cancer_screening_breast", "28", H(resident_age=28), NOT, None, None),
    ("cancer_screening_prostate", "54 (may turn 55)", H(resident_age=54), MAY, [1200], ("birth_date", "men")),
    ("cancer_screening_prostate", "57", H(resident_age=57), NOT, None, None),
    ("h_pylori_risk_test", "25", H(resident_age=25), ELIG, [500], ()),
    ("h_pylori_risk_test", "45", H(resident_age=45), NOT, None, None),
    ("h_pylori_risk_test", "39 (may turn 40)", H(resident_age=39), MAY, None, ("birth_date",)),
    ("periodontal_checkup", "40 (may turn 41)", H(resident_age=40), MAY, [500], ("birth_date",)),
    ("periodontal_checkup", "42", H(resident_age=42), NOT, None, None),
    ("cancer_screening_fee_exemption", "on welfare", H(resident_age=40, welfare=True), ELIG, [], ()),
    ("cancer_screening_fee_exemption", "non-taxed", H(resident_age=40, income_band="nontaxable"), ELIG, None, ()),
    ("cancer_screening_fee_exemption", "taxed", H(resident_age=40, income_band="6m_8m"), NOT, None, None),
    ("cancer_screening_fee_exemption", "17", H(resident_age=17, welfare=True), NOT, None, None),
    # ---- National Health Insurance
    (
        "nhi_premium_reduction",
        "NHI, low income",
        H(insurance="nhi", income_band="under_1m"),
        MAY,
        [],
        ("income_limit",),
    ),
    ("nhi_premium_reduction", "NHI, high income", H(insurance="nhi", income_band="6m_8m"), NOT, None, None),
    ("nhi_premium_reduction", "employee insurance", H(income_band="under_1m"), NOT, None, None),
    ("nhi_preschool_reduction", "NHI, toddler", H(insurance="nhi", children=kids(30)), ELIG, [], ()),
    ("nhi_preschool_reduction", "NHI, 7-year-old at school", H(insurance="nhi", children=kids(90)), NOT, None, None),
    ("nhi_preschool_reduction", "employee insurance", H(children=kids(30)), NOT, None, None),
    ("nhi_child_support_levy_exemption", "NHI, child", H(insurance="nhi", children=kids(100)), ELIG, [], ()),
    (
        "nhi_child_support_levy_exemption",
        "before FY2026",
        H(date(2026, 3, 1), insurance="nhi", children=kids(100)),
        NOT,
        None,
        None,
    ),
    (
        "high_cost_medical",
        "employee insurance, 40",
        H(resident_age=40),
        ELIG,
        [252600, 167400, 80100, 57600, 35400, 21000],
        (),
    ),
    ("high_cost_medical", "70 (no table for 70+)", H(resident_age=70, insurance="nhi"), ELIG, [], ()),
    ("high_cost_medical", "other insurance", H(insurance="other"), MAY, None, ("insurance_type",)),
    # ---- utilities, transport, welfare
    ("water_charge_reduction", "on welfare", H(welfare=True), ELIG, [], ()),
    ("water_charge_reduction", "receives 児童扶養手当", H(children=kids(60), **SINGLE), ELIG, None, ()),
    ("water_charge_reduction", "taxed, no allowance", H(income_band="6m_8m"), NOT, None, None),
    (
        "water_charge_reduction",
        "non-taxed (a disabled member?)",
        H(income_band="nontaxable"),
        MAY,
        None,
        ("household_disability",),
    ),
    ("sewer_charge_reduction", "on welfare", H(welfare=True), ELIG, [], ()),
    ("sewer_charge_reduction", "taxed", H(income_band="6m_8m"), NOT, None, None),
    ("jr_commuter_pass_discount", "receives 児童扶養手当", H(children=kids(60), **SINGLE), ELIG, [], ()),
    ("jr_commuter_pass_discount", "two parents", H(children=kids(60)), NOT, None, None),
    (
        "jr_commuter_pass_discount",
        "income decides the allowance",
        H(children=kids(60), single_parent=True, income_band="2m_3m"),
        MAY,
        None,
        ("income_limit",),
    ),
    ("home_helper_dispatch", "single parent", H(children=kids(60), **SINGLE), ELIG, [0, 70, 150, 0, 150, 300], ()),
    ("home_helper_dispatch", "two parents", H(children=kids(60)), NOT, None, None),
    ("single_parent_welfare_loans", "single parent", H(children=kids(60), **SINGLE), MAY, [], ("income_limit",)),
    ("single_parent_welfare_loans", "two parents", H(children=kids(60)), NOT, None, None),
    ("single_parent_welfare_loans", "child is 20", H(children=kids(240), **SINGLE), NOT, None, None),
]


@pytest.mark.parametrize(
    ("pid", "household", "status", "amounts", "checks"),
    [
        pytest.param(pid, hh, status, amounts, checks, id=f"{pid}: {name}")
        for pid, name, hh, status, amounts, checks in CASES
    ],
)
def test_household(
    programmes: Programmes, pid: str, household: Household, status: str, amounts: list[int] | None, checks
) -> None:
    finding = evaluate(pid, household, programmes)
    assert finding.status == status
    if status == NOT_ELIGIBLE:
        assert finding.amounts == () and finding.due == ()
    if amounts is not None:
        assert [a.yen for a in finding.amounts] == amounts
    if checks is not None:
        assert set(checks) <= set(finding.checks)
        if checks == ():
            assert finding.checks == ()


# Every insured resident can use these: no household is "not eligible" (boundaries are tested instead).
FOR_EVERY_INSURED = {"high_cost_medical"}


def test_every_programme_has_an_eligible_or_maybe_and_a_not_eligible_household(programmes: Programmes) -> None:
    positive = {pid for pid, _, _, status, _, _ in CASES if status in (ELIGIBLE, MAYBE)}
    negative = {pid for pid, _, _, status, _, _ in CASES if status == NOT_ELIGIBLE}
    ids = {p.id for p in programmes}
    assert ids - positive == set()
    assert ids - negative == FOR_EVERY_INSURED
    assert {pid for pid, *_ in CASES} <= ids


def test_acceptance_household_in_chuo_ward(programmes: Programmes) -> None:
    """The issue's household: a 2-year-old and a newborn (中央区, December 2026) — 児童手当 15,000 + 15,000 per month,
    子ども医療費助成, and the vaccinations now due for the newborn."""
    household = Household(TODAY, children=(Child(24), Child(0)))
    findings = {f.programme_id: f for f in screen(household, programmes)}
    allowance = findings["child_allowance"]
    assert allowance.status == ELIGIBLE
    assert [(a.yen, a.per) for a in allowance.amounts] == [(15000, "month"), (15000, "month")]
    assert sum(a.yen for a in allowance.amounts) == 30000
    assert findings["child_medical_subsidy"].status == ELIGIBLE
    due = {d.key: d for f in findings.values() for d in f.due}
    assert set(due) == {"rota_1", "hepb_1", "pcv_1", "dpt5_primary"}
    assert {d.programme_id for d in due.values()} == {
        "vaccine_rotavirus",
        "vaccine_hepatitis_b",
        "vaccine_pneumococcal_child",
        "vaccine_dpt_ipv_hib",
    }
