from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "choshu.demo"
    verbose_name = "デモ自治体"
