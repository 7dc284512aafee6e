"""The payment-channel formats by name: ``choshu payments import --format NAME`` (pure Python).

Each name maps to its codec's ``parse(data, *, received_on) -> ChannelFile`` (docs/channel-formats.md):

| name                  | codec                                     |
|-----------------------|-------------------------------------------|
| ``zengin-debit-result`` | ``zengin_debit.parse_result`` (imported on first use) |
| ``cvs-csv``           | ``cvs_csv.parse``                         |
| ``cvs-120``           | ``cvs_fixed.parse``                       |
| ``payeasy``           | ``payeasy_result.parse``                  |
| ``eltax``             | ``eltax.parse``                           |
| ``bank-ocr``          | ``bank_ocr.parse``                        |
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from choshu.formats import bank_ocr, cvs_csv, cvs_fixed, eltax, payeasy_result
from choshu.formats.payment_event import ChannelFile


class ChannelParser(Protocol):
    def __call__(self, data: bytes, /, *, received_on: date) -> ChannelFile: ...


def _zengin_debit_result(data: bytes, /, *, received_on: date) -> ChannelFile:
    from choshu.formats.zengin_debit import parse_result

    return parse_result(data, received_on=received_on)


FORMATS: dict[str, ChannelParser] = {
    "zengin-debit-result": _zengin_debit_result,
    cvs_csv.FORMAT: cvs_csv.parse,
    cvs_fixed.FORMAT: cvs_fixed.parse,
    payeasy_result.FORMAT: payeasy_result.parse,
    eltax.FORMAT: eltax.parse,
    bank_ocr.FORMAT: bank_ocr.parse,
}


class UnknownFormat(ValueError):
    """A format name that is not in ``FORMATS``; the message lists the known ones."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown channel format {name!r}; known formats: {', '.join(FORMATS)}")


def parse_channel_file(name: str, data: bytes, *, received_on: date) -> ChannelFile:
    """Parse ``data`` as the channel format ``name``; raises ``UnknownFormat`` for another name."""
    try:
        parser = FORMATS[name]
    except KeyError:
        raise UnknownFormat(name) from None
    return parser(data, received_on=received_on)
