"""Pinyin initials of names, so that `zs` finds 张三.

Initials are looked up per character (cached), so a million names cost one `str.translate` each.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

# Surnames whose reading differs from the character's most common reading.
SURNAME_INITIALS = {
    "曾": "z",
    "单": "s",
    "解": "x",
    "仇": "q",
    "区": "o",
    "查": "z",
    "盖": "g",
    "朴": "p",
    "覃": "q",
}


@lru_cache(maxsize=65536)
def char_initial(char: str) -> str:
    """Initial letter of one character: a Han character's pinyin initial, ASCII letters and digits
    lower-cased, anything else dropped."""
    if char.isascii():
        return char.lower() if char.isalnum() else ""
    letters = lazy_pinyin(char, style=Style.FIRST_LETTER, errors="ignore")
    return letters[0][:1].lower() if letters and letters[0] else ""


def name_initials(name: str, *, max_length: int = 60) -> str:
    """`张三` → `zs`; `曾小明` → `zxm` (surname reading)."""
    if not name:
        return ""
    first = SURNAME_INITIALS.get(name[0]) or char_initial(name[0])
    return (first + "".join(char_initial(c) for c in name[1:]))[:max_length]


def names_initials(names: Iterable[str], *, max_length: int = 60) -> list[str]:
    """`name_initials` for many names at once, through one translation table."""
    names = list(names)
    table = {ord(c): char_initial(c) for c in set("".join(names))}
    surnames = {ord(k): v for k, v in SURNAME_INITIALS.items()}
    return [
        (n[:1].translate(surnames).translate(table) + n[1:].translate(table))[:max_length] if n else ""
        for n in names
    ]
