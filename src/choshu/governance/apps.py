from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "choshu.governance"
    verbose_name = "委託・外部結合"
