from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "choshu.staff"
    verbose_name = "職員"
