from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "choshu.ledger"
    verbose_name = "収納"

    def ready(self) -> None:
        from choshu.ledger import bulk  # noqa: F401  registers the `in_array` lookup
