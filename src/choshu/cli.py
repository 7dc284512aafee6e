"""The `choshu` console command: Django's management commands with choshu's settings."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "choshu.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["choshu", *sys.argv[1:]])
