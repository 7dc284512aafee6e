"""The bank code table (金融機関コード・支店コード) behind formats.interchange.BankDirectory."""

from __future__ import annotations

from functools import cache


class ZenginCodeDirectory:
    """Banks and branches from the `zengin_code` package (data of zengin-code/source-data)."""

    def __init__(self) -> None:
        from zengin_code import Bank  # loads the whole table at import (~0.1 s)

        self._banks = Bank.all

    def has_bank(self, bank_code: str) -> bool:
        return bank_code in self._banks

    def has_branch(self, bank_code: str, branch_code: str) -> bool:
        bank = self._banks.get(bank_code)
        return bank is not None and branch_code in bank.branches


@cache
def default_directory() -> ZenginCodeDirectory:
    return ZenginCodeDirectory()
