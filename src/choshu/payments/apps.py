from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "choshu.payments"
    verbose_name = "収納・消込"

    def ready(self) -> None:
        from choshu.payments import levy_upload  # the export engine's registry is filled at start-up

        levy_upload.register()
