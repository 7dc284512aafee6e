from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "choshu.staff"
    verbose_name = "職員"

    def ready(self) -> None:
        from choshu.staff import auth_events

        auth_events.connect()
