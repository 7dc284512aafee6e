from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "choshu.cases"
    verbose_name = "滞納整理"
