"""Kana normalisation for search keys (pure Python)."""

import unicodedata

import jaconv


def kana_key(text: str) -> str:
    """Full-width katakana without spaces: the form persons are searched by (カナ検索)."""
    text = unicodedata.normalize("NFKC", text)
    return jaconv.hira2kata(text).replace(" ", "").replace("\u3000", "")
