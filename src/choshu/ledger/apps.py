from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "choshu.ledger"
    verbose_name = "収納"
