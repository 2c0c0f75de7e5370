"""City contact points the replies refer residents to when the data cannot settle a question."""

from __future__ import annotations

# 家庭ごみ相談ダイヤル (Mon–Sat 9:00–17:00), as published on the collection-day page (CC BY 4.0, 千葉市).
CONSULT_PHONE = "043-204-5380"
CONSULT_SOURCE = "https://www.city.chiba.jp/kankyo/junkan/shushugyomu/shushubi.html"
# The official collection-day table (knowledge_base/data/collection_days/SOURCE.md) comes from the same page.
COLLECTION_DAYS_SOURCE = CONSULT_SOURCE
