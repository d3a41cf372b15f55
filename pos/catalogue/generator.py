"""Deterministic product data for the demo and the benchmarks: real EAN-13s, PL/CZ/UA names."""
from __future__ import annotations

import random

from pos.catalogue.barcodes import with_check_digit
from pos.catalogue.importer import ProductRow

_WORDS = {
    "590": (["Chleb", "Masło", "Żurek", "Kiełbasa", "Śledź", "Pierogi", "Twaróg", "Ogórki", "Jabłka", "Kawa",
             "Herbata", "Czekolada", "Sok", "Piwo", "Woda", "Mąka", "Cukier", "Ser", "Szynka", "Ciastka"],
            ["żytni", "śląski", "łowicki", "góralski", "zielony", "słodki", "kwaśny", "świeży", "wędzony",
             "pełnoziarnisty", "domowy", "mazurski", "ekologiczny", "pikantny", "łagodny"]),
    "859": (["Chléb", "Máslo", "Rohlík", "Sýr", "Šunka", "Pivo", "Káva", "Čaj", "Jablka", "Mléko",
             "Buchty", "Koláč", "Knedlík", "Párky", "Hořčice", "Čokoláda", "Džus", "Tvaroh", "Řízek", "Zelí"],
           ["žitný", "český", "moravský", "čerstvý", "uzený", "sladký", "kyselý", "domácí", "řezaný",
            "pšeničný", "hořký", "světlý", "tmavý", "pikantní", "jemný"]),
    "482": (["Хліб", "Масло", "Борщ", "Сало", "Вареники", "Ковбаса", "Сир", "Кава", "Чай", "Яблука",
             "Молоко", "Пиріжки", "Гречка", "Квас", "Мед", "Шоколад", "Сік", "Узвар", "Паляниця", "Ряжанка"],
            ["житній", "український", "київський", "свіжий", "копчений", "солодкий", "їстівний", "домашній",
             "гострий", "ніжний", "пшеничний", "ґрунтовний", "запашний", "степовий", "карпатський"]),
}
_VAT_WEIGHTS = (("A", 30), ("B", 25), ("C", 35), ("D", 5), ("E", 5))


COUNTRY_PREFIX = {"PL": "590", "CZ": "859", "UA": "482"}  # GS1 prefixes: where the goods' codes come from


def demo_products(count: int, vat_groups: dict, seed: int = 2026, country: str | None = None) -> list[ProductRow]:
    """``count`` products; about one in twelve sold by weight with a PLU for scale labels.

    With a ``country`` (the demo store), every name is in its language, every EAN has its GS1 prefix and no
    two products share a name.  Without one (tests, benchmarks) the three markets are mixed, as a
    chain's catalogue may be."""
    rng = random.Random(seed)
    letters = [letter for letter, weight in _VAT_WEIGHTS if letter in vat_groups for _ in range(weight)]
    names = _country_names(count, COUNTRY_PREFIX[country], rng) if country else _mixed_names(count, rng)
    rows = []
    plu = 0
    for index, (prefix, name, weighed) in enumerate(names):
        weighed = weighed and plu < 99999
        if weighed:
            plu += 1
        ean = with_check_digit(f"{prefix}{index:09d}")
        rows.append(ProductRow(line=index + 2, sku=f"SKU-{index:06d}", name=name, unit="kg" if weighed else "pcs",
                               vat_group=rng.choice(letters), price=rng.randrange(99, 9999),
                               barcodes=[ean], plu=plu if weighed else None))
    return rows


def _mixed_names(count: int, rng: random.Random):
    prefixes = list(_WORDS)
    for index in range(count):
        prefix = prefixes[index % 3]
        nouns, adjectives = _WORDS[prefix]
        name = f"{rng.choice(nouns)} {rng.choice(adjectives)} {100 + index % 900}g"
        weighed = index % 12 == 5
        yield prefix, (name.rsplit(" ", 1)[0] + " /kg") if weighed else name, weighed


def _country_names(count: int, prefix: str, rng: random.Random):
    """Each noun-adjective pair in a shuffled order, then again in the next pack size: names never repeat
    (a pair sold by weight, whose name has no size, is one the first round gives)."""
    nouns, adjectives = _WORDS[prefix]
    pairs = [f"{noun} {adjective}" for noun in nouns for adjective in adjectives]
    rng.shuffle(pairs)
    for index in range(count):
        pair = pairs[index % len(pairs)]
        weighed = index < len(pairs) and index % 4 == 1  # a quarter of the pairs, the first time they appear
        yield prefix, f"{pair} /kg" if weighed else f"{pair} {100 + 50 * (index // len(pairs))}g", weighed


def weighed_label(plu: int, grams: int, prefix: str = "21") -> str:
    """What a shop scale prints: 21 + PLU + grams + check digit."""
    return with_check_digit(f"{prefix}{plu:05d}{grams:05d}")
