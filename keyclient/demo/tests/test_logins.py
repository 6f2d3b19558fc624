"""`keyclient demo logins`: one login per role plus how to list more; `--all` lists every staff member;
the columns line up in a terminal even with Chinese names and roles (two columns per character)."""

from __future__ import annotations

import io

import pyotp
from django.core.management import call_command
from django.utils import timezone

from keyclient.demo.management.commands.demo import display_width, pad
from keyclient.security.models import TOTPDevice


def printed(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("demo", "logins", *args, stdout=out)
    return out.getvalue().splitlines()


def columns(line: str) -> list[int]:
    """The terminal columns where the role, staff number, name and unit start in a printed row."""
    out, at = [], 0
    for token in line.split()[:4]:
        at = line.index(token, at)
        out.append(display_width(line[:at]))
        at += len(token)
    return out


def test_one_login_per_role_and_how_to_list_more(bank) -> None:  # type: ignore[no-untyped-def]
    lines = printed()
    rows = [line for line in lines if line.startswith("  ")]
    assert [row.split()[1] for row in rows] == ["E1001", "E1003", "E1006", "E1007", "E1008", "E1009", "E1010"]
    assert lines[-1] == (
        "More logins (e.g. a second RM, to try the data scope): `.venv/bin/keyclient demo logins --all`."
    )


def test_all_lists_every_staff_member_and_marks_the_demo_authenticators(bank) -> None:  # type: ignore[no-untyped-def]
    TOTPDevice.objects.create(
        user=bank.user("rm_hd"), secret=pyotp.random_base32(), confirmed_at=timezone.now()
    )
    rows = [line for line in printed("--all") if line.startswith("  ")]
    assert [row.split()[1] for row in rows] == [
        "E1004", "E1001*", "E1002", "E1011", "E1005", "E1003", "E1006", "E1007", "E1008", "E1009", "E1010",
    ]  # fmt: skip
    assert rows[2].split()[2:] == ["孙二", "北京海淀支行", "·", "海淀一队"]


def test_the_columns_line_up_with_chinese_text(bank) -> None:  # type: ignore[no-untyped-def]
    rows = [line for line in printed("--all") if line.startswith("  ")]
    assert len(rows) == 11
    assert {tuple(columns(row)) for row in rows} == {(2, 26, 36, 45)}


def test_pad_counts_wide_characters_twice() -> None:
    assert display_width("客户经理") == 8
    assert pad("客户经理", 10) == "客户经理  "
    assert pad("E1001", 10) == "E1001     "
    assert pad("a very long role name", 8) == "a very long role name "
