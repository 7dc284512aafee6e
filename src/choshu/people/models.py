"""宛名: persons (individuals and businesses) and households."""

from django.db import models


class Household(models.Model):
    """世帯. NHI premiums are levied on the head (世帯主)."""

    household_no = models.CharField("世帯番号", max_length=15, unique=True)

    def __str__(self) -> str:
        return self.household_no


class Person(models.Model):
    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", "個人"
        BUSINESS = "business", "法人・事業者"

    class Residency(models.TextChoices):
        RESIDENT = "resident", "住登者"
        NONRESIDENT = "nonresident", "住登外"
        MOVED_OUT = "moved_out", "転出"
        DECEASED = "deceased", "死亡"

    class Sex(models.TextChoices):
        MALE = "1", "男"
        FEMALE = "2", "女"

    atena_no = models.CharField("宛名番号", max_length=15, unique=True)
    kind = models.CharField("区分", max_length=10, choices=Kind.choices)
    name = models.CharField("氏名・名称", max_length=100)
    name_kana = models.CharField("カナ氏名", max_length=100)
    # Search key: katakana without spaces (see people.search.kana_key); a prefix is a range scan.
    kana_key = models.CharField(max_length=100, db_index=True)
    birth_date = models.DateField("生年月日", null=True, blank=True, db_index=True)
    sex = models.CharField("性別", max_length=1, choices=Sex.choices, blank=True)
    postal_code = models.CharField("郵便番号", max_length=8)
    address = models.CharField("住所", max_length=200, db_index=True)
    address_extra = models.CharField("方書", max_length=100, blank=True)
    residency = models.CharField("住登区分", max_length=12, choices=Residency.choices)
    moved_out_on = models.DateField("転出日", null=True, blank=True)
    phone = models.CharField("電話番号", max_length=20, blank=True)
    household = models.ForeignKey(
        Household, verbose_name="世帯", null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    is_household_head = models.BooleanField("世帯主", default=False)
    corporate_no = models.CharField("法人番号", max_length=13, blank=True)
    designation_no = models.CharField("指定番号", max_length=20, null=True, blank=True, unique=True)

    class Meta:
        indexes = [models.Index(fields=["name"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="individual") | models.Q(birth_date__isnull=False),
                name="person_individual_has_birth_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(residency="moved_out") | models.Q(moved_out_on__isnull=False),
                name="person_moved_out_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.atena_no} {self.name}"
