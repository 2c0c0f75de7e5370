"""The data files read with libyaml's parser (knowledge_base/core/data.py: several times faster, which a restarted
action server pays on every start) are the same documents as with PyYAML's own parser: a fact, an alias or an answer
read differently would change what residents are told."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from knowledge_base.core.data import YAML_LOADER, read_yaml

DATA = Path(__file__).resolve().parents[2] / "knowledge_base" / "data"
FILES = sorted(p for p in DATA.rglob("*") if p.suffix in (".yaml", ".yml"))


def test_libyaml_is_used_where_pyyaml_has_it() -> None:
    assert YAML_LOADER is getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(DATA)) for p in FILES])
def test_every_data_file_reads_the_same_with_either_parser(path: Path) -> None:
    problems: list[str] = []
    assert read_yaml(path, problems) == yaml.safe_load(path.read_text(encoding="utf-8"))
    assert problems == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [("a: [unclosed", "cannot read YAML"), ("!!python/object:os.system x", "cannot read YAML")],
    ids=["broken", "unsafe-tag"],
)
def test_a_bad_file_is_a_listed_problem_not_a_crash(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    problems: list[str] = []
    assert read_yaml(path, problems) is None
    assert len(problems) == 1 and problem in problems[0]
