"""Seed the limitation event kinds (時効の事由) from the rules' defaults; a lawyer corrects the rows."""

from django.db import migrations


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    from choshu.rules.limitation import DEFAULT_KINDS

    LimitationRule = apps.get_model("cases", "LimitationRule")
    LimitationRule.objects.bulk_create(
        LimitationRule(
            code=k.code, label=k.label, effect=k.effect.value, offset_days=k.offset_days, first_only=k.first_only
        )
        for k in DEFAULT_KINDS.values()
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
