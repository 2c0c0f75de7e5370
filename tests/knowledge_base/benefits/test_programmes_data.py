"""The benefits data loads and is consistent; broken data is reported with a message naming the programme and field."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from knowledge_base.benefits import Programmes, load_programmes
from knowledge_base.benefits.load import CATEGORIES, ENGINE_CHECKS, MAX_QUESTIONS, MIN_QUESTIONS
from knowledge_base.benefits.models import QUESTION_CODES
from knowledge_base.core.data import DataError

# The programmes the issue asks for (where the fact files support them).
REQUIRED = (
    "child_allowance",
    "child_rearing_allowance",
    "special_child_rearing_allowance",
    "child_medical_subsidy",
    "single_parent_medical_subsidy",
    "prenatal_checkups",
    "infant_checkups",
    "postnatal_care",
    "specific_health_checkup",
    "nhi_premium_reduction",
    "high_cost_medical",
    "water_charge_reduction",
    "sewer_charge_reduction",
    "jr_commuter_pass_discount",
    "disabled_child_welfare_allowance",
    "cancer_screening_stomach",
    "cancer_screening_breast",
)
# One due item per routine childhood vaccination series (the worker reminds per item).
VACCINATION_KEYS = {
    "vaccine_rotavirus": {"rota_1"},
    "vaccine_hepatitis_b": {"hepb_1", "hepb_3"},
    "vaccine_pneumococcal_child": {"pcv_1", "pcv_booster"},
    "vaccine_dpt_ipv_hib": {"dpt5_primary", "dpt5_booster"},  # 5種混合 includes ヒブ (Hib)
    "vaccine_bcg": {"bcg"},
    "vaccine_mr": {"mr_1", "mr_2"},
    "vaccine_varicella": {"varicella_1", "varicella_2"},
    "vaccine_japanese_encephalitis": {"je_primary", "je_booster", "je_2"},
    "vaccine_dt": {"dt_2"},
    "vaccine_hpv": {"hpv_1"},
}
_FY = re.compile(r"^FY20\d\d$")


def test_real_data_has_the_programmes(programmes: Programmes) -> None:
    assert len(programmes) >= 25
    ids = {p.id for p in programmes}
    assert set(REQUIRED) <= ids
    assert {p.category for p in programmes} <= set(CATEGORIES)


def test_every_programme_says_how_where_and_from_which_page(programmes: Programmes) -> None:
    for p in programmes:
        assert p.source.startswith("http"), p.id
        assert p.source_date, p.id
        assert p.certainty in ("confirmed", "uncertain"), p.id
        assert p.apply.how and p.apply.office, p.id
        assert p.documents, p.id
        assert MIN_QUESTIONS <= len(p.questions) <= MAX_QUESTIONS, p.id


def test_every_amount_has_its_fiscal_year(programmes: Programmes) -> None:
    for p in programmes:
        for param in p.params.values():
            for value in param.values:
                assert value.fy == "undated" or _FY.match(value.fy), (p.id, param.name)
                assert all(_FY.match(fy) for fy in value.confirmed_for), (p.id, param.name)
                assert value.fy == "undated" or value.confirmed_for, (p.id, param.name)


def test_fy2026_amounts_are_only_claimed_where_a_source_states_them(programmes: Programmes) -> None:
    """The fact files found FY2026 amounts only for the shingles subsidy that starts in FY2026."""
    claimed = {
        p.id for p in programmes for param in p.params.values() for v in param.values if "FY2026" in v.confirmed_for
    }
    assert claimed == {"shingles_vaccine_subsidy"}


def test_corrected_amounts(programmes: Programmes) -> None:
    """benefits_health_2.md corrections 1–3: the FY2025 child-rearing amounts start in April 2025, not Nov 2024."""
    first = programmes.get("child_rearing_allowance").params["first_full"]
    assert [(v.start.isoformat(), v.value, v.fy) for v in first.values] == [
        ("2024-11-01", 45500, "FY2024"),
        ("2025-04-01", 46690, "FY2025"),
    ]
    grade1 = programmes.get("special_child_rearing_allowance").params["grade1"]
    assert grade1.values[-1].value == 56800
    assert programmes.get("disabled_child_welfare_allowance").params["monthly"].values[-1].value == 16100


def test_child_allowance_amounts(programmes: Programmes) -> None:
    params = programmes.get("child_allowance").params
    assert {name: p.values[-1].value for name, p in params.items()} == {
        "under3_first_second": 15000,
        "age3_to_hs_first_second": 10000,
        "third_plus": 30000,
    }


@pytest.mark.parametrize(("pid", "keys"), sorted(VACCINATION_KEYS.items()))
def test_vaccinations_have_due_items(programmes: Programmes, pid: str, keys: set[str]) -> None:
    assert {item.key for item in programmes.get(pid).schedule} == keys


@pytest.mark.parametrize("lang", ["en", "ja-easy"])
def test_curated_languages_cover_every_programme(programmes: Programmes, lang: str) -> None:
    for p in programmes:
        text = p.translations.get(lang)
        assert text is not None, f"{p.id} has no {lang} text"
        assert text.name and text.summary and text.apply and text.documents, p.id
        assert len(text.questions) >= 4, p.id
        assert set(text.schedule) == {item.key for item in p.schedule}, p.id
        if lang == "en":
            assert set(text.amount_labels) == set(p.params), p.id
            assert "(" in text.name, f"{p.id}: the English name carries the official Japanese name"


@pytest.mark.parametrize("lang", ["ja", "en", "ja-easy"])
def test_every_check_code_has_a_text(programmes: Programmes, lang: str) -> None:
    codes = set(ENGINE_CHECKS) | set(QUESTION_CODES) | set(programmes.checks)
    texts = programmes.checks if lang == "ja" else programmes.languages[lang].checks
    assert codes - set(texts) == set()


@pytest.mark.parametrize("lang", ["en", "ja-easy"])
def test_every_income_band_has_a_label(programmes: Programmes, lang: str) -> None:
    assert set(programmes.languages[lang].income_bands) == {band.code for band in programmes.income_bands}


def test_income_bands_are_ranges(programmes: Programmes) -> None:
    bands = {band.code: band for band in programmes.income_bands}
    assert "nontaxable" in bands
    ranged = [band for band in programmes.income_bands if band.code != "nontaxable"]
    assert ranged[0].min_yen == 0 and ranged[-1].max_yen is None
    for lower, upper in itertools.pairwise(ranged):
        assert lower.max_yen is not None and upper.min_yen == lower.max_yen + 1
    assert "child_rearing_allowance" in bands["2m_3m"].decides


def test_missing_data_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load_programmes(tmp_path)


def _programme(data: dict, pid: str) -> dict:
    return next(p for p in data["programmes"] if p["id"] == pid)


def _set(pid: str, **changes):
    return lambda data: _programme(data, pid).update(changes)


def _pop(pid: str, key: str):
    return lambda data: _programme(data, pid).pop(key)


def _value(pid: str, param: str):
    return lambda data: _programme(data, pid)["params"][param]["values"][0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: _programme(d, "child_allowance")["apply"].update(office="kodomo_desk"),
            "unknown office 'kodomo_desk'",
        ),
        (_pop("child_allowance", "source"), "programme child_allowance: missing 'source'"),
        (_set("child_allowance", source="the city page"), "source must be a URL"),
        (_pop("prenatal_checkups", "source_date"), "programme prenatal_checkups: missing 'source_date'"),
        (lambda d: _value("child_allowance", "third_plus")(d).pop("fy"), "param third_plus value 0: missing 'fy'"),
        (lambda d: _value("child_allowance", "third_plus")(d).update(fy="2024"), "'fy' must look like FY2025"),
        (
            lambda d: _value("child_allowance", "third_plus")(d).pop("confirmed_for"),
            "param third_plus value 0: missing 'confirmed_for'",
        ),
        (lambda d: _value("child_allowance", "third_plus")(d).pop("from"), "param third_plus value 0: missing 'from'"),
        (lambda d: _value("child_allowance", "third_plus")(d).update(value="30,000円"), "whole number of yen"),
        (_set("child_medical_subsidy", certainty="probably"), "certainty must be one of"),
        (_set("child_medical_subsidy", category="money"), "category must be one of"),
        (_set("child_medical_subsidy", questions=["子どもの医療費"]), "needs 6–8 questions"),
        (_set("child_medical_subsidy", conditions=[{"has_kids": True}]), "unknown condition 'has_kids'"),
        (
            _set("child_rearing_allowance", conditions=[{"income_band": {"eligible": ["rich"]}}]),
            "unknown income band 'rich'",
        ),
        (
            _set("jr_commuter_pass_discount", conditions=[{"programme": "jidou_fuyou"}]),
            "unknown programme 'jidou_fuyou'",
        ),
        (_set("vaccine_hpv", conditions=[{"check": "boys"}]), "unknown check code 'boys'"),
        (_set("vaccine_hpv", conditions=[{"insurance": {"in": ["private"]}}]), "unknown insurance 'private'"),
        (_set("child_medical_subsidy", summary="保護者負担は1回300円です。"), "writes an amount into the text"),
        (
            lambda d: _programme(d, "prenatal_checkups")["amounts"].append({"param": "d_ticket", "per": "visit"}),
            "amount refers to unknown param 'd_ticket'",
        ),
        (
            lambda d: _programme(d, "prenatal_checkups")["amounts"][0].update(per="week"),
            "amount per must be one of",
        ),
        (lambda d: d["programmes"].append(dict(_programme(d, "vaccine_bcg"))), "duplicate id"),
        (
            lambda d: _programme(d, "vaccine_mr")["schedule"].append({"key": "bcg", "at_months": 4, "label": "BCG"}),
            "schedule key 'bcg' is also used by vaccine_bcg",
        ),
        (
            lambda d: d["income_bands"]["bands"][3].update(decides=[]),
            "should list child_rearing_allowance in 'decides'",
        ),
        (_set("child_allowance", calc="magic"), "unknown calc 'magic'"),
    ],
)
def test_broken_data_is_reported(edit_programmes, change, message: str) -> None:
    data_dir = edit_programmes(change)
    with pytest.raises(DataError) as caught:
        load_programmes(data_dir)
    assert any(message in problem for problem in caught.value.problems), caught.value.problems


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["programmes"].update(no_such_programme={"name": "x", "summary": "x", "apply": "x"}),
            "programme 'no_such_programme' is not in programmes.yaml",
        ),
        (lambda d: d["programmes"]["child_allowance"].pop("summary"), "programme child_allowance: missing 'summary'"),
        (
            lambda d: d["programmes"]["child_allowance"]["amount_labels"].update(bonus="Bonus"),
            "amount_labels has unknown param 'bonus'",
        ),
        (
            lambda d: d["programmes"]["child_allowance"].update(summary="It is 15,000 yen a month."),
            "i18n/en.yaml summary writes an amount into the text",
        ),
    ],
)
def test_broken_translations_are_reported(edit_programmes, change, message: str) -> None:
    data_dir = edit_programmes(change, file="i18n/en.yaml")
    with pytest.raises(DataError) as caught:
        load_programmes(data_dir)
    assert any(message in problem for problem in caught.value.problems), caught.value.problems


def test_bad_yaml_names_the_file(data_copy: Path) -> None:
    (data_copy / "benefits" / "programmes.yaml").write_text("programmes: [unclosed\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"programmes\.yaml: cannot read YAML"):
        load_programmes(data_copy)


def test_offices_are_checked_against_the_given_ids(data_copy: Path) -> None:
    with pytest.raises(DataError, match="unknown office 'call_centre'"):
        load_programmes(data_copy, offices={"ward_office_chuo": object()})
