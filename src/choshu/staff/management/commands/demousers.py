from typing import Any

from django.core.management.base import BaseCommand

from choshu.staff.demo import demo_users_ensure
from choshu.staff.models import Right


class Command(BaseCommand):
    help = "Create one demo user per role and print their user names and passwords."
    required_right = Right.NONE  # staff accounts of the demo, no resident's data

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("デモ利用者 (user / password / role):")
        for username, password, label in demo_users_ensure():
            self.stdout.write(f"  {username:<12} {password:<18} {label}")
