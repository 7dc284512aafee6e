from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "choshu.people"
    verbose_name = "宛名"
