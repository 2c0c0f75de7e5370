"""Keeping personal data out of what is stored: masking free text and replacing sender ids by salted hashes."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

# Hyphens and dashes residents type between digit groups (NFKC has already turned the full-width ones into "-").
_DASHES = "\\-‐‑‒–—―−ー"
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
# LINE user / group / room ids.
_LINE_ID = re.compile(r"[UCR][0-9a-f]{32}")
# Candidate phone numbers: digit groups with separators; only those with enough digits are masked (see _phone).
_PHONE = re.compile(rf"\+?\(?\d[\d\s().{_DASHES}]{{7,}}\d")
_PHONE_MIN_DIGITS = 9
_POSTAL = re.compile(rf"〒\s*\d{{3}}[{_DASHES}]?\d{{4}}|(?<!\d)\d{{3}}[{_DASHES}]\d{{4}}(?!\d)")
_DIGITS = re.compile(r"\d{4,}")


def _phone(match: re.Match[str]) -> str:
    found = match.group()
    return "[phone]" if sum(ch.isdigit() for ch in found) >= _PHONE_MIN_DIGITS else found


def mask(text: str) -> str:
    """`text` (NFKC-normalised) with e-mail addresses, LINE ids, phone numbers, postal codes and runs of 4+ digits
    replaced by [email], [line-id], [phone], [postal] and [number]. Ordinary words are kept."""
    text = unicodedata.normalize("NFKC", text)
    text = _EMAIL.sub("[email]", text)
    text = _LINE_ID.sub("[line-id]", text)
    text = _PHONE.sub(_phone, text)
    text = _POSTAL.sub("[postal]", text)
    return _DIGITS.sub("[number]", text)


def sender_key(sender_id: str, salt: str) -> str:
    """HMAC-SHA256 of a sender id under the salt (hex): finds a resident's rows again without storing their id."""
    return hmac.new(salt.encode("utf-8"), sender_id.encode("utf-8"), hashlib.sha256).hexdigest()
