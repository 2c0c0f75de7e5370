"""A data change re-embeds only the texts that are new (knowledge_base/core/index.py): every process that loads the
knowledge base after a data change — each restarted action server — answers in seconds, not after minutes of
embedding. What it may never do is answer from a stale vector: the rebuilt indexes must equal a full rebuild.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from knowledge_base.core.index import FunctionEmbedder, load_or_build
from knowledge_base.garbage.models import load_knowledge
from knowledge_base.garbage.service import corpora
from settings import KnowledgeBaseSettings

ITEMS = Path("garbage") / "items" / "funen.yaml"


class CountingEmbedder(FunctionEmbedder):
    """The fake encoder, remembering every text it was asked to embed."""

    def __init__(self, model_id: str, encode: object) -> None:
        self.texts: list[str] = []

        def counted(texts: Sequence[str]) -> np.ndarray:
            self.texts.extend(texts)
            return encode(texts)  # type: ignore[operator]

        super().__init__(model_id, counted, counted)


def build(settings: KnowledgeBaseSettings, embedder: FunctionEmbedder, force: bool = False) -> dict[str, np.ndarray]:
    indexes = load_or_build(corpora(load_knowledge(settings.data_dir)), settings.data_dir, settings.index_dir,
                            embedder, force=force)  # fmt: skip
    return {name: (index.vectors(), [row.text for row in index.rows]) for name, index in indexes.by_name.items()}


def edit(data_dir: Path, old: str, new: str) -> None:
    path = data_dir / ITEMS
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(a[k][1] == b[k][1] and np.allclose(a[k][0], b[k][0]) for k in a)


@pytest.mark.parametrize(
    ("change", "new_texts"),
    [
        (lambda d: edit(d, "雨傘", "日傘"), ["日傘"]),  # an alias renamed: that text only
        (
            lambda d: edit(d, "aliases: [かさ, 雨傘, umbrella]", "aliases: [かさ, 雨傘, umbrella, 折りたたみ傘]"),
            ["折りたたみ傘"],
        ),
        (lambda d: (d / "garbage" / "notes.yaml").write_text("- unrelated: true\n", encoding="utf-8"), []),
    ],
    ids=["alias-renamed", "alias-added", "unrelated-file"],
)
def test_a_data_change_embeds_only_new_texts_and_equals_a_full_rebuild(
    fixture_settings: KnowledgeBaseSettings, hashed_bigrams: object, change: object, new_texts: list[str]
) -> None:
    first = CountingEmbedder("test/hashed-bigrams", hashed_bigrams)
    build(fixture_settings, first)
    assert len(first.texts) > 20  # the first build embeds every row
    change(fixture_settings.data_dir)  # type: ignore[operator]
    again = CountingEmbedder("test/hashed-bigrams", hashed_bigrams)
    rebuilt = build(fixture_settings, again)
    assert sorted(again.texts) == sorted(new_texts)
    assert same(rebuilt, build(fixture_settings, CountingEmbedder("test/hashed-bigrams", hashed_bigrams), force=True))


def distinct_texts(settings: KnowledgeBaseSettings) -> int:
    return sum(len({row.text for row in c.rows}) for c in corpora(load_knowledge(settings.data_dir)).values())


def test_vectors_of_another_model_or_role_are_never_reused(
    fixture_settings: KnowledgeBaseSettings, hashed_bigrams: object
) -> None:
    build(fixture_settings, CountingEmbedder("test/hashed-bigrams", hashed_bigrams))
    other = CountingEmbedder("test/other-model", hashed_bigrams)
    build(fixture_settings, other)
    assert len(other.texts) == distinct_texts(fixture_settings)  # everything again
    # The same model, but each index recorded with the other role (rows that were passages are now queries): again.
    meta_path = fixture_settings.index_dir / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["roles"] = {name: "passage" if role == "query" else "query" for name, role in meta["roles"].items()}
    meta["data_hash"] = "0" * 64  # stale: rebuild
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    swapped = CountingEmbedder("test/other-model", hashed_bigrams)
    build(fixture_settings, swapped)
    assert len(swapped.texts) == distinct_texts(fixture_settings)


def test_indexes_saved_before_roles_were_recorded_get_them_on_the_next_load(
    fixture_settings: KnowledgeBaseSettings, hashed_bigrams: object
) -> None:
    build(fixture_settings, CountingEmbedder("test/hashed-bigrams", hashed_bigrams))
    meta_path = fixture_settings.index_dir / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    roles = meta.pop("roles")
    meta_path.write_text(json.dumps(meta), encoding="utf-8")  # as an older version wrote it
    loaded = CountingEmbedder("test/hashed-bigrams", hashed_bigrams)
    build(fixture_settings, loaded)
    assert loaded.texts == []  # still current: loaded, not rebuilt
    assert json.loads(meta_path.read_text(encoding="utf-8"))["roles"] == roles
