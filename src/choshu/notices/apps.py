from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "choshu.notices"
    verbose_name = "納付書・督促状・催告書"

    def ready(self) -> None:
        from choshu.notices import print_data  # the export engine's registry is filled at start-up

        print_data.register()
