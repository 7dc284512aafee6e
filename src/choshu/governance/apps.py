from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "choshu.governance"
    verbose_name = "委託・外部結合"

    def ready(self) -> None:
        # The registries of export kinds and retention rules fill themselves on import.
        from choshu.governance import exports, retention  # noqa: F401
