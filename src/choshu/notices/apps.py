from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "choshu.notices"
    verbose_name = "納付書・督促状・催告書"
