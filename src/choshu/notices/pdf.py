"""What every PDF of choshu shares: the embedded Japanese font.

reportlab's built-in CID fonts (HeiseiMin, HeiseiKakuGo) are not embedded and poppler renders
their digits as empty boxes, so every document embeds the TrueType font at
``settings.PDF_FONT_PATH`` (IPAex Gothic, Debian's fonts-ipaexfont).
"""

from functools import cache

from django.conf import settings
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_NAME = "IPAexGothic"


@cache
def _register(path: str) -> str:
    pdfmetrics.registerFont(TTFont(FONT_NAME, path))
    return FONT_NAME


def japanese_font() -> str:
    """The registered font's name (registered once per process)."""
    return _register(str(settings.PDF_FONT_PATH))
