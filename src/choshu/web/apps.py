from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "choshu.web"
    verbose_name = "画面"
