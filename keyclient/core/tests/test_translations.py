"""The Simplified Chinese catalog: complete, compiled, and what users actually see.

The UI speaks Simplified Chinese by default (LANGUAGE_CODE "zh-hans") with English on request;
msgids are English. These tests fail when a msgid is left untranslated or fuzzy, when a
placeholder is lost in translation, and when the committed .mo is older than the .po.
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from keyclient.customers.choices import Tier
from keyclient.security.roles import Role

LC_MESSAGES = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES"
PO_FILE = LC_MESSAGES / "django.po"
MO_FILE = LC_MESSAGES / "django.mo"

# Translations that legitimately contain no Chinese character (brand and language names).
LATIN_OK = {"English"}
CJK = re.compile(r"[\u3400-\u9fff]")
PYTHON_FORMAT = re.compile(r"%\((\w+)\)[sdifr]")


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> str:
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"


def _unquote(text: str) -> str:
    """A PO string literal (C escapes, UTF-8 text) → its value."""
    return ast.literal_eval(text)


def parse_po(path: Path) -> list[Entry]:
    """A small PO reader: msgctxt, msgid, msgid_plural, msgstr / msgstr[n], flags; skips obsolete (#~)."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None
    keyword = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$")
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line and entry is not None:
                entries.append(entry)
                entry, target = None, None
            continue
        if line.startswith("#"):
            if entry is not None and target is not None and target[0] == "msgstr":
                entries.append(entry)
                entry, target = None, None
            if line.startswith("#,"):
                entry = entry or Entry(line=number)
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        match = keyword.match(line)
        if match:
            name, index, literal = match.group(1), match.group(2), _unquote(match.group(3))
            if name in ("msgctxt", "msgid") and entry is not None and target and target[0] == "msgstr":
                entries.append(entry)
                entry = None
            entry = entry or Entry(line=number)
            if name.startswith("msgstr"):
                target = ("msgstr", int(index or 0))
                entry.msgstr[target[1]] = literal
            else:
                target = (name, 0)
                if name == "msgctxt":
                    entry.msgctxt = literal
                elif name == "msgid":
                    entry.msgid, entry.line = literal, number
                else:
                    entry.msgid_plural = literal
            continue
        assert line.startswith('"') and entry is not None and target is not None, (
            f"{path.name}:{number}: cannot parse {raw!r}"
        )
        value = _unquote(line)
        if target[0] == "msgstr":
            entry.msgstr[target[1]] += value
        elif target[0] == "msgctxt":
            entry.msgctxt = (entry.msgctxt or "") + value
        elif target[0] == "msgid":
            entry.msgid += value
        else:
            entry.msgid_plural = (entry.msgid_plural or "") + value
    if entry is not None:
        entries.append(entry)
    return entries


def messages() -> list[Entry]:
    """Every translatable entry of the catalog (the header excluded)."""
    return [e for e in parse_po(PO_FILE) if e.msgid != "" or e.msgctxt is not None]


def po_catalog() -> dict:
    """The .po as GNUTranslations keys its catalog: msgid, or (msgid, n) for plural forms."""
    catalog: dict = {}
    for entry in messages():
        if entry.msgid_plural is None:
            catalog[entry.key] = entry.msgstr.get(0, "")
        else:
            for index, text in entry.msgstr.items():
                catalog[(entry.key, index)] = text
    return catalog


def mo_catalog(path: Path) -> dict:
    """The messages of a compiled catalog, without the header (its dates change on every run)."""
    with path.open("rb") as handle:
        catalog = dict(gettext.GNUTranslations(handle)._catalog)
    catalog.pop("", None)
    return catalog


# -- (a) the .po is complete ------------------------------------------------------------------


def test_catalog_exists_and_has_messages():
    assert PO_FILE.is_file(), f"missing {PO_FILE}; run `keyclient makemessages -l zh_Hans`"
    assert len(messages()) > 100


def test_no_msgid_is_untranslated():
    empty = [f"line {e.line}: {e.msgid!r}" for e in messages() if not e.msgstr or not all(e.msgstr.values())]
    assert not empty, "untranslated msgids in django.po:\n" + "\n".join(empty)


def test_no_msgid_is_fuzzy():
    fuzzy = [f"line {e.line}: {e.msgid!r}" for e in messages() if "fuzzy" in e.flags]
    assert not fuzzy, "fuzzy entries in django.po (review, then drop the flag):\n" + "\n".join(fuzzy)


def test_header_is_not_fuzzy_and_names_the_language():
    header = next(e for e in parse_po(PO_FILE) if e.msgid == "" and e.msgctxt is None)
    assert "fuzzy" not in header.flags, "a fuzzy header makes msgfmt skip the charset: drop its flag"
    assert "Language: zh_Hans\n" in header.msgstr[0]
    assert "charset=UTF-8" in header.msgstr[0]


def test_translations_are_chinese():
    latin = [
        f"line {e.line}: {e.msgid!r} → {text!r}"
        for e in messages()
        for text in e.msgstr.values()
        if e.msgid not in LATIN_OK and not CJK.search(text)
    ]
    assert not latin, "msgstrs without any Chinese (copied msgid?):\n" + "\n".join(latin)


def test_placeholders_are_kept():
    lost = []
    for e in messages():
        for text in e.msgstr.values():
            if sorted(PYTHON_FORMAT.findall(e.msgid)) != sorted(PYTHON_FORMAT.findall(text)):
                lost.append(f"line {e.line}: {e.msgid!r} → {text!r}")
    assert not lost, "placeholders changed in translation:\n" + "\n".join(lost)


# -- (b) the committed .mo is compiled from the current .po -----------------------------------


def test_mo_matches_po():
    assert MO_FILE.is_file(), f"missing {MO_FILE}; run `keyclient compilemessages -l zh_Hans`"
    assert mo_catalog(MO_FILE) == po_catalog(), (
        "django.mo is stale: run `cd keyclient && ../.venv/bin/keyclient compilemessages -l zh_Hans`"
    )


def test_mo_matches_msgfmt_output(tmp_path):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("GNU gettext's msgfmt is not installed")
    fresh = tmp_path / "django.mo"
    subprocess.run([msgfmt, "--check-format", "-o", str(fresh), str(PO_FILE)], check=True)
    assert mo_catalog(MO_FILE) == mo_catalog(fresh), (
        "django.mo differs from a fresh compile of django.po: run `keyclient compilemessages -l zh_Hans`"
    )


# -- (c) Django picks the translations up -----------------------------------------------------


def test_default_language_is_simplified_chinese():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]


@pytest.mark.parametrize(
    ("msgid", "chinese"),
    [
        ("Clients", "客户"),
        ("Relationship manager", "客户经理"),
        ("Tier", "客户等级"),
        ("Key clients", "高端客户"),
        ("Team lead", "团队长"),
        ("Head office", "总行"),
        ("Holdings", "持仓"),
        ("significant transactions", "大额交易"),
        ("Simplified Chinese", "简体中文"),
    ],
)
def test_gettext_translates_key_strings(msgid, chinese):
    with translation.override("zh-hans"):
        assert translation.gettext(msgid) == chinese
    with translation.override("en"):
        assert translation.gettext(msgid) == msgid


def test_lazy_choices_follow_the_active_language():
    with translation.override("zh-hans"):
        assert str(Tier.PRIVATE_BANKING.label) == "私人银行"
        assert str(Tier.STRATEGIC_HEAD_OFFICE.label) == "总行级战略客户"
        assert str(Role.RELATIONSHIP_MANAGER.label) == "客户经理"
        assert translation.gettext("Showing %(start)s–%(end)s of %(total)s") % {
            "start": 1,
            "end": 50,
            "total": 120,
        } == ("显示第 1–50 条，共 120 条")
    with translation.override("en"):
        assert str(Tier.PRIVATE_BANKING.label) == "Private banking"
        assert str(Role.RELATIONSHIP_MANAGER.label) == "Relationship manager"


# -- (d) what a logged-in user sees -----------------------------------------------------------


def test_client_list_is_chinese_by_default_and_english_on_request(bank, login):
    client = login(bank.user("rm_hd"))

    html = client.get("/clients/").content.decode()
    assert '<html lang="zh-hans">' in html
    for label in ("客户", "客户等级", "客户经理", "私人银行", "退出登录"):
        assert label in html, label

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/clients/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    html = client.get("/clients/").content.decode()
    assert '<html lang="en">' in html
    for label in ("Clients", "Tier", "Private banking", "Log out"):
        assert label in html, label
    assert "客户等级" not in html
