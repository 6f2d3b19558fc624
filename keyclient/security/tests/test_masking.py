from __future__ import annotations

import datetime as dt

import pytest

from keyclient.security.masking import (
    age_on,
    mask_account_no,
    mask_address,
    mask_birth_date,
    mask_email,
    mask_id_number,
    mask_phone,
)


@pytest.mark.parametrize(
    ("func", "value", "masked"),
    [
        (mask_id_number, "110101199001011234", "110101********1234"),
        (mask_id_number, "E12345678", "E1*****78"),
        (mask_id_number, "", ""),
        (mask_phone, "13812345678", "138****5678"),
        (mask_phone, "010-62345678", "********5678"),
        (mask_phone, None, ""),
        (mask_email, "zhangsan@example.com", "z***@example.com"),
        (mask_address, "北京市海淀区中关村大街1号", "北京市海淀区****"),
        (mask_account_no, "6222021234567890123", "6222 **** **** 0123"),
        (mask_birth_date, dt.date(1983, 7, 19), "****-**-**"),
        (mask_birth_date, None, ""),
    ],
)
def test_masks(func, value, masked):
    assert func(value) == masked


@pytest.mark.parametrize(
    ("day", "age"),
    [(dt.date(2026, 7, 18), 42), (dt.date(2026, 7, 19), 43), (dt.date(2026, 12, 31), 43)],
)
def test_age_counts_whole_years(day, age):
    assert age_on(dt.date(1983, 7, 19), day) == age
    assert age_on(None, day) is None
