"""CSV exports open in Excel: BOM, header row, fixed columns, Japanese intact, no formulas from residents' text."""

from __future__ import annotations

import csv
import io

from storage.export import (
    REFERENCE_REQUEST_COLUMNS,
    UNANSWERED_COLUMNS,
    UNANSWERED_COUNT_COLUMNS,
    reference_requests_csv,
    unanswered_counts_csv,
    unanswered_csv,
)
from storage.repositories import Repositories

BOM = b"\xef\xbb\xbf"


def rows(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data[len(BOM) :].decode("utf-8"), newline="")))


def test_reference_requests_csv(repos: Repositories) -> None:
    repos.reference_requests.create(
        "千葉氏と亥鼻城の資料を探しています", "043-000-0000", "chuo_library", "ja", True, "U1"
    )
    repos.reference_requests.create('=HYPERLINK("http://x")', "@me", None, "en", False, "U2")
    data = reference_requests_csv(repos.reference_requests.list())
    assert b"\r\n" in data  # Excel's line ends
    header, first, second = rows(data)
    assert tuple(header) == REFERENCE_REQUEST_COLUMNS
    record = dict(zip(header, first, strict=True))
    assert record["question"] == "千葉氏と亥鼻城の資料を探しています"
    assert record["number"].startswith("R-") and record["status"] == "received"
    assert record["created_at"] == "2026-01-05 09:30:00"  # 00:30 UTC shown as Japan time
    assert (record["library"], record["lang"], record["consent"]) == ("chuo_library", "ja", "yes")
    other = dict(zip(header, second, strict=True))
    assert other["question"] == '\'=HYPERLINK("http://x")' and other["contact"] == "'@me"
    assert (other["library"], other["consent"]) == ("", "no")


def test_unanswered_csvs(repos: Repositories) -> None:
    repos.unanswered.record("やさしい にほんご で おしえて", "ja-easy", "nlu_fallback", None)
    repos.unanswered.record("やさしい にほんご で おしえて", "ja-easy", "nlu_fallback", None)
    repos.unanswered.record("-1 + 2", "en", "out_of_scope", "garbage")
    header, *lines = rows(unanswered_csv(repos.unanswered.list()))
    assert tuple(header) == UNANSWERED_COLUMNS
    assert [line[1:] for line in lines] == [
        ["2026-01-05 09:30:00", "ja-easy", "nlu_fallback", "", "やさしい にほんご で おしえて"],
        ["2026-01-05 09:30:00", "ja-easy", "nlu_fallback", "", "やさしい にほんご で おしえて"],
        ["2026-01-05 09:30:00", "en", "out_of_scope", "garbage", "'-1 + 2"],
    ]
    header, *lines = rows(unanswered_counts_csv(repos.unanswered.counts()))
    assert tuple(header) == UNANSWERED_COUNT_COLUMNS
    assert lines == [["2", "ja-easy", "やさしい にほんご で おしえて"], ["1", "en", "'-1 + 2"]]


def test_empty_export_is_just_the_header() -> None:
    assert rows(reference_requests_csv([])) == [list(REFERENCE_REQUEST_COLUMNS)]
