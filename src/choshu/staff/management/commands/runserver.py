"""`runserver` with the client allowlist applied to the static files it serves outside the middleware."""

from typing import Any

from django.contrib.staticfiles.management.commands.runserver import Command as StaticFilesRunserver

from choshu.staff.models import Right
from choshu.web.middleware import AllowedClientsWSGI


class Command(StaticFilesRunserver):
    required_right = Right.NONE  # serves the screens, which check every request themselves

    def get_handler(self, *args: Any, **options: Any) -> Any:
        return AllowedClientsWSGI(super().get_handler(*args, **options))
