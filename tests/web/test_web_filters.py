from datetime import date

from django.template import Context, Template

from choshu.web.templatetags.choshu import fiscal_year_label, revenue_label, status_label, wareki, wareki_short, yen


def test_yen_has_thousands_separators() -> None:
    assert yen(12345) == "12,345"
    assert yen(-1234567) == "-1,234,567"
    assert yen(0) == "0"
    assert yen(None) == ""


def test_wareki_carries_seireki_in_title() -> None:
    assert wareki(date(2025, 6, 30)) == '<time datetime="2025-06-30" title="2025-06-30">令和7年6月30日</time>'
    assert wareki_short(date(2019, 5, 1)) == '<time datetime="2019-05-01" title="2019-05-01">R1.5.1</time>'
    assert wareki(None) == ""


def test_wareki_before_showa() -> None:
    assert "大正14年3月3日" in wareki(date(1925, 3, 3))
    assert "T1.7.30" in wareki_short(date(1912, 7, 30))
    assert "明治45年7月29日" in wareki(date(1912, 7, 29))


def test_labels() -> None:
    assert revenue_label("nhi") == "国民健康保険料"
    assert status_label("late_fee_due") == "延滞金未納"
    assert fiscal_year_label(2025) == "令和7年度"
    assert fiscal_year_label(2019) == "令和元年度"


def test_filters_are_safe_html_in_templates() -> None:
    html = Template("{% load choshu %}{{ d|wareki_short }} {{ n|yen }}").render(
        Context({"d": date(1980, 4, 1), "n": 1000})
    )
    assert html == '<time datetime="1980-04-01" title="1980-04-01">S55.4.1</time> 1,000'
