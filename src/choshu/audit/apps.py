from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "choshu.audit"
    verbose_name = "監査"
