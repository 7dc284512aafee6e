"""Name pools for the demo city: (kanji, kana) pairs that belong together.

The core pools are Faker's ja_JP person provider tables (``last_name_pairs`` with their
population weights, ``first_name_male_pairs``, ``first_name_female_pairs``): each entry is one
(kanji, katakana, romaji) record, so a name and its kana always come from the same record.
Faker has only 50 surnames and about 50 given names; the extra pairs below (common names and
their usual readings) make kana search in a large city selective enough to be realistic.

Pools are plain tuples sampled with the caller's seeded ``random.Random``: calling Faker once
per row would be slow and would not follow the demo seed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Generic, TypeVar

from faker.providers.person.ja_JP import Provider as _FakerJaPerson

Pair = tuple[str, str]  # (kanji, katakana)
T = TypeVar("T")

# Surnames ranked after Faker's 50, with a population weight in the same unit as Faker's.
_EXTRA_LAST: tuple[tuple[str, str, int], ...] = (
    ("中野", "ナカノ", 54000),
    ("原田", "ハラダ", 53000),
    ("小野", "オノ", 53000),
    ("田村", "タムラ", 52000),
    ("竹内", "タケウチ", 51000),
    ("金子", "カネコ", 51000),
    ("和田", "ワダ", 50000),
    ("中山", "ナカヤマ", 50000),
    ("石田", "イシダ", 49000),
    ("上田", "ウエダ", 49000),
    ("森田", "モリタ", 48000),
    ("原", "ハラ", 47000),
    ("柴田", "シバタ", 47000),
    ("酒井", "サカイ", 46000),
    ("工藤", "クドウ", 46000),
    ("横山", "ヨコヤマ", 45000),
    ("宮崎", "ミヤザキ", 45000),
    ("宮本", "ミヤモト", 44000),
    ("内田", "ウチダ", 44000),
    ("高木", "タカギ", 43000),
    ("安藤", "アンドウ", 43000),
    ("谷口", "タニグチ", 42000),
    ("大野", "オオノ", 42000),
    ("丸山", "マルヤマ", 41000),
    ("今井", "イマイ", 41000),
    ("高田", "タカダ", 40000),
    ("河野", "コウノ", 40000),
    ("小山", "コヤマ", 39000),
    ("上野", "ウエノ", 39000),
    ("武田", "タケダ", 38000),
    ("村田", "ムラタ", 38000),
    ("増田", "マスダ", 37000),
    ("杉山", "スギヤマ", 37000),
    ("平野", "ヒラノ", 36000),
    ("大塚", "オオツカ", 36000),
    ("千葉", "チバ", 35000),
    ("久保", "クボ", 35000),
    ("松井", "マツイ", 34000),
    ("小島", "コジマ", 34000),
    ("岩崎", "イワサキ", 33000),
    ("桜井", "サクライ", 33000),
    ("野口", "ノグチ", 32000),
    ("松尾", "マツオ", 32000),
    ("野村", "ノムラ", 31000),
    ("木下", "キノシタ", 31000),
    ("菊地", "キクチ", 30000),
    ("佐野", "サノ", 30000),
    ("大西", "オオニシ", 29000),
    ("杉本", "スギモト", 29000),
    ("新井", "アライ", 28000),
    ("浜田", "ハマダ", 28000),
    ("菅原", "スガワラ", 27000),
    ("市川", "イチカワ", 27000),
    ("水野", "ミズノ", 26000),
    ("小松", "コマツ", 26000),
    ("島田", "シマダ", 25000),
    ("古川", "フルカワ", 25000),
    ("小田", "オダ", 24000),
    ("吉川", "ヨシカワ", 24000),
    ("山内", "ヤマウチ", 23000),
    ("西田", "ニシダ", 23000),
    ("飯田", "イイダ", 22000),
    ("菅野", "カンノ", 22000),
    ("服部", "ハットリ", 21000),
    ("川口", "カワグチ", 21000),
    ("松岡", "マツオカ", 20000),
    ("田口", "タグチ", 20000),
    ("北村", "キタムラ", 19000),
    ("安田", "ヤスダ", 19000),
    ("中田", "ナカタ", 18000),
    ("川上", "カワカミ", 18000),
    ("平田", "ヒラタ", 17000),
    ("五十嵐", "イガラシ", 17000),
    ("辻", "ツジ", 16000),
    ("関", "セキ", 16000),
    ("本田", "ホンダ", 15000),
    ("久保田", "クボタ", 15000),
    ("東", "ヒガシ", 14000),
    ("須藤", "スドウ", 14000),
    ("荒木", "アラキ", 13000),
    ("黒田", "クロダ", 13000),
    ("大橋", "オオハシ", 12000),
    ("望月", "モチヅキ", 12000),
    ("永井", "ナガイ", 11000),
    ("星野", "ホシノ", 11000),
    ("片山", "カタヤマ", 10000),
    ("土屋", "ツチヤ", 10000),
)

_EXTRA_MALE: tuple[Pair, ...] = (
    ("大輔", "ダイスケ"),
    ("健太", "ケンタ"),
    ("翔", "ショウ"),
    ("拓也", "タクヤ"),
    ("達也", "タツヤ"),
    ("誠", "マコト"),
    ("博", "ヒロシ"),
    ("隆", "タカシ"),
    ("茂", "シゲル"),
    ("清", "キヨシ"),
    ("勇", "イサム"),
    ("実", "ミノル"),
    ("正人", "マサト"),
    ("雄一", "ユウイチ"),
    ("剛", "ツヨシ"),
    ("悠斗", "ユウト"),
    ("陽翔", "ハルト"),
    ("蓮", "レン"),
    ("湊", "ミナト"),
    ("大翔", "ヒロト"),
    ("悠真", "ユウマ"),
    ("颯太", "ソウタ"),
    ("樹", "イツキ"),
    ("大和", "ヤマト"),
    ("陸", "リク"),
    ("海斗", "カイト"),
    ("拓海", "タクミ"),
    ("修", "オサム"),
    ("明", "アキラ"),
    ("豊", "ユタカ"),
    ("和夫", "カズオ"),
    ("正", "タダシ"),
    ("進", "ススム"),
    ("秀樹", "ヒデキ"),
    ("哲也", "テツヤ"),
    ("智之", "トモユキ"),
    ("圭", "ケイ"),
    ("光", "ヒカル"),
    ("俊介", "シュンスケ"),
    ("慎一", "シンイチ"),
    ("浩二", "コウジ"),
    ("勝", "マサル"),
    ("弘", "ヒロシ"),
    ("功", "イサオ"),
    ("信也", "シンヤ"),
)

_EXTRA_FEMALE: tuple[Pair, ...] = (
    ("恵子", "ケイコ"),
    ("京子", "キョウコ"),
    ("幸子", "サチコ"),
    ("和子", "カズコ"),
    ("洋子", "ヨウコ"),
    ("節子", "セツコ"),
    ("美智子", "ミチコ"),
    ("久美子", "クミコ"),
    ("由美", "ユミ"),
    ("真由美", "マユミ"),
    ("智子", "トモコ"),
    ("裕子", "ユウコ"),
    ("恵", "メグミ"),
    ("愛", "アイ"),
    ("彩", "アヤ"),
    ("美穂", "ミホ"),
    ("麻衣", "マイ"),
    ("沙織", "サオリ"),
    ("陽菜", "ヒナ"),
    ("葵", "アオイ"),
    ("凛", "リン"),
    ("結菜", "ユイナ"),
    ("美咲", "ミサキ"),
    ("さくら", "サクラ"),
    ("芽依", "メイ"),
    ("紬", "ツムギ"),
    ("杏", "アン"),
    ("莉子", "リコ"),
    ("彩花", "アヤカ"),
    ("優花", "ユウカ"),
    ("千尋", "チヒロ"),
    ("奈々", "ナナ"),
    ("瞳", "ヒトミ"),
    ("友美", "トモミ"),
    ("由紀", "ユキ"),
    ("真理子", "マリコ"),
    ("文子", "フミコ"),
    ("静香", "シズカ"),
    ("早紀", "サキ"),
    ("理恵", "リエ"),
    ("七海", "ナナミ"),
    ("順子", "ジュンコ"),
    ("典子", "ノリコ"),
    ("弘子", "ヒロコ"),
    ("美香", "ミカ"),
)


def _dedupe(pairs: Sequence[Pair]) -> tuple[Pair, ...]:
    seen: set[str] = set()
    out: list[Pair] = []
    for kanji, kana in pairs:
        if kanji not in seen:
            seen.add(kanji)
            out.append((kanji, kana))
    return tuple(out)


def _faker_last() -> list[tuple[str, str, int]]:
    return [(k[0], k[1], int(w)) for k, w in _FakerJaPerson.last_name_pairs.items()]


LAST_NAMES_WEIGHTED: tuple[tuple[str, str, int], ...] = tuple(
    {row[0]: row for row in (*_faker_last(), *_EXTRA_LAST)}.values()
)
MALE_FIRST: tuple[Pair, ...] = _dedupe([(p[0], p[1]) for p in _FakerJaPerson.first_name_male_pairs] + list(_EXTRA_MALE))
FEMALE_FIRST: tuple[Pair, ...] = _dedupe(
    [(p[0], p[1]) for p in _FakerJaPerson.first_name_female_pairs] + list(_EXTRA_FEMALE)
)


class WeightedPool(Generic[T]):
    """Weighted sampling by table lookup: one ``random()`` call per pick."""

    def __init__(self, items: Sequence[tuple[T, int]], size: int = 8192) -> None:
        total = sum(w for _, w in items)
        table: list[T] = []
        acc = 0.0
        for item, w in items:
            acc += w * size / total
            while len(table) < round(acc):
                table.append(item)
        while len(table) < size:
            table.append(items[-1][0])
        self.table = table
        self.size = size

    def pick(self, rng: random.Random) -> T:
        return self.table[int(rng.random() * self.size)]


LAST_NAME_POOL: WeightedPool[Pair] = WeightedPool([((kanji, kana), w) for kanji, kana, w in LAST_NAMES_WEIGHTED])


# 法人の種類 with the 組織区分 digits used in the demo's corporate numbers.
CORPORATE_FORMS: tuple[tuple[str, str, int], ...] = (
    ("株式会社", "01", 70),
    ("有限会社", "02", 15),
    ("合同会社", "05", 10),
    ("一般社団法人", "09", 5),
)

# Business-name parts with kana. Category words (業種) come last: 山田建設, 新宿商事.
BUSINESS_WORDS: tuple[Pair, ...] = (
    ("建設", "ケンセツ"),
    ("工業", "コウギョウ"),
    ("商事", "ショウジ"),
    ("産業", "サンギョウ"),
    ("物産", "ブッサン"),
    ("電気", "デンキ"),
    ("印刷", "インサツ"),
    ("不動産", "フドウサン"),
    ("食品", "ショクヒン"),
    ("運輸", "ウンユ"),
    ("設計", "セッケイ"),
    ("企画", "キカク"),
    ("製作所", "セイサクショ"),
    ("技研", "ギケン"),
    ("通信", "ツウシン"),
    ("情報", "ジョウホウ"),
    ("水産", "スイサン"),
    ("薬品", "ヤクヒン"),
    ("興産", "コウサン"),
    ("商会", "ショウカイ"),
    ("工務店", "コウムテン"),
    ("総業", "ソウギョウ"),
    ("システム", "システム"),
    ("保険", "ホケン"),
    ("事務所", "ジムショ"),
    ("商店", "ショウテン"),
    ("出版", "シュッパン"),
    ("デザイン", "デザイン"),
)
PLACE_WORDS: tuple[Pair, ...] = (
    ("新宿", "シンジュク"),
    ("四谷", "ヨツヤ"),
    ("神楽坂", "カグラザカ"),
    ("落合", "オチアイ"),
    ("高田馬場", "タカダノババ"),
    ("早稲田", "ワセダ"),
    ("大久保", "オオクボ"),
    ("戸山", "トヤマ"),
    ("牛込", "ウシゴメ"),
    ("市谷", "イチガヤ"),
    ("東京", "トウキョウ"),
    ("日本", "ニホン"),
    ("関東", "カントウ"),
    ("武蔵野", "ムサシノ"),
    ("富士", "フジ"),
    ("大和", "ヤマト"),
)
KATAKANA_WORDS: tuple[str, ...] = (
    "サクラ",
    "ミドリ",
    "アサヒ",
    "ヒカリ",
    "ミライ",
    "アオバ",
    "ソレイユ",
    "エール",
    "ユニオン",
    "グローバル",
    "パシフィック",
    "スター",
    "フロンティア",
    "ハーモニー",
)


def corporate_number(base12: str) -> str:
    """A 法人番号: the check digit (検査用数字) followed by the 12-digit base number.

    check = 9 − (Σ Pn × Qn mod 9), Pn the n-th digit from the right, Qn = 1 for odd n, 2 for even n
    (法人番号の指定等に関する省令 第2条). The 国税庁's own number 7000012050002 is an example.
    """
    if len(base12) != 12 or not base12.isdigit():
        raise ValueError(f"base number must be 12 digits, got {base12!r}")
    total = sum(int(ch) * (1 if n % 2 else 2) for n, ch in enumerate(reversed(base12), start=1))
    return f"{9 - total % 9}{base12}"


def is_valid_corporate_number(number: str) -> bool:
    return len(number) == 13 and number.isdigit() and corporate_number(number[1:]) == number
