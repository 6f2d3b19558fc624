from __future__ import annotations

import pytest

from keyclient.security.masking import mask_account_no, mask_address, mask_email, mask_id_number, mask_phone


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
    ],
)
def test_masks(func, value, masked):
    assert func(value) == masked
