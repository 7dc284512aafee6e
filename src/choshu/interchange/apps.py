from django.apps import AppConfig


class InterchangeConfig(AppConfig):
    name = "choshu.interchange"
    verbose_name = "連携ファイル取込"
