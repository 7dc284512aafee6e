"""Conversion of a kana name to the Zengin (全銀協) character set (pure Python).

Zengin files carry names in single-byte characters (JIS X 0201): half-width katakana, A–Z,
0–9, space and a few symbols. Banks reject small kana (ｧ, ｯ, ｬ …) and expect them written
large (キユウヨ, not キュウヨ). See reference/formats.md §4.7 and docs/interchange.md.

Conversion: NFC → per character: keep what is already allowed; otherwise NFKC, hiragana →
katakana, small kana → large, ー → ``-``, ・ → ``.``, ¥ → ``\\`` (the yen sign of JIS X 0201),
full-width → half-width, a–z → A–Z. A character that does not end up in the allowed set is
rejected (never silently dropped): kanji cannot be converted mechanically.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import jaconv

# ｦ..ｯ is U+FF66..U+FF6F (ｦ and the small letters), ｰ U+FF70, ｱ..ﾝ U+FF71..U+FF9D, ﾞ ﾟ U+FF9E..U+FF9F.
_HALF_KANA = {chr(c) for c in range(0xFF71, 0xFFA0)} | {"\uff66"}  # ｱ..ﾝ ﾞ ﾟ and ｦ
ZENGIN_CHARS: frozenset[str] = frozenset(
    _HALF_KANA | set("ABCDEFGHIJKLMNOPQRSTUVWXYZ") | set("0123456789") | set(" ().-/\\,")
)
ZENGIN_NAME_WIDTH = 30  # 預金者名 in the Zengin data record (bytes = half-width characters)

_PRE = str.maketrans({"ー": "-", "－": "-", "ｰ": "-", "・": ".", "･": ".", "¥": "\\", "￥": "\\", "ヮ": "ワ"})


class ZenginKanaError(ValueError):
    """The text holds characters that have no Zengin form; ``chars`` lists them in order."""

    def __init__(self, chars: list[str]) -> None:
        self.chars = chars
        shown = " ".join(f"'{c}' (U+{ord(c):04X})" for c in chars)
        super().__init__(f"cannot be converted to the Zengin character set: {shown}")


@lru_cache(maxsize=4096)
def _convert_char(ch: str) -> str | None:
    if ch in ZENGIN_CHARS:
        return ch
    text = unicodedata.normalize("NFKC", ch).translate(_PRE)
    text = jaconv.hira2kata(text)
    text = jaconv.enlarge_smallkana(text).translate(_PRE)
    text = jaconv.z2h(text, kana=True, ascii=True, digit=True).upper()
    if text and all(c in ZENGIN_CHARS for c in text):
        return text
    return None


def to_zengin_kana(text: str) -> str:
    """The Zengin form of ``text``; raises ``ZenginKanaError`` naming what cannot be converted.

    Leading and trailing spaces are removed and runs of spaces collapse to one.
    >>> to_zengin_kana("キュウヨ　イチロウ")
    'ｷﾕｳﾖ ｲﾁﾛｳ'
    """
    out: list[str] = []
    bad: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        converted = _convert_char(ch)
        if converted is None:
            if ch not in bad:
                bad.append(ch)
        else:
            out.append(converted)
    if bad:
        raise ZenginKanaError(bad)
    return " ".join(part for part in "".join(out).split(" ") if part)


def is_zengin_text(text: str) -> bool:
    return all(c in ZENGIN_CHARS for c in text)
