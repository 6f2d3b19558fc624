"""Identifiers with real check characters: resident IDs, credit codes, account numbers, phones.

- Resident ID (GB 11643-1999): 6-digit region, 8-digit birth date, 3-digit sequence (odd = male),
  check character from weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, sum mod 11 -> "10X98765432".
- Unified social credit code (GB 32100-2015): 18 characters from "0123456789ABCDEFGHJKLMNPQRTUWXY";
  positions 9-17 are an organisation code (GB 11714) with its own check; the last character is the
  check over the first 17 with weights 3^i mod 31.
- Account numbers: 19 digits, Luhn-valid (as bank cards).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .arrays import ascii_strings, digits

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_CODES = np.frombuffer(USCC_CHARS.encode(), dtype=np.uint8)
USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)])
ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])
MOBILE_PREFIXES = np.array(
    [
        130,
        131,
        132,
        133,
        134,
        135,
        136,
        137,
        138,
        139,
        150,
        151,
        152,
        153,
        155,
        156,
        157,
        158,
        159,
        166,
        173,
        176,
        177,
        180,
        181,
        182,
        183,
        185,
        186,
        187,
        188,
        189,
        191,
        193,
        195,
        198,
        199,
    ]
)
# Multipliers of bijective scramblers (coprime with the modulus) so that serials look random yet stay unique.
_SCRAMBLE_8 = 61_803_397
_SCRAMBLE_12 = 618_033_988_751


def scramble(serial: np.ndarray, modulus: int, multiplier: int, offset: int) -> np.ndarray:
    """A bijection of [0, modulus) (for serial < modulus): unique in, unique out."""
    return (np.asarray(serial, dtype=np.int64) * multiplier + offset) % modulus


def id_check(body17: np.ndarray) -> np.ndarray:
    """ASCII code of the resident-ID check character for an (n, 17) digit matrix."""
    return ID_CHECK[(body17 @ ID_WEIGHTS) % 11]


def resident_ids(region: np.ndarray, birth: np.ndarray, sequence: np.ndarray) -> pa.StringArray:
    """18-character resident IDs from region code, birth date (datetime64[D]) and 3-digit sequence."""
    y = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    m = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (birth.astype("datetime64[D]") - birth.astype("datetime64[M]")).astype(np.int64) + 1
    body = np.concatenate(
        [digits(region, 6), digits(y, 4), digits(m, 2), digits(d, 2), digits(sequence, 3)], axis=1
    )
    return ascii_strings(np.concatenate([body + 48, id_check(body)[:, None]], axis=1))


def valid_resident_id(value: str) -> bool:
    """Check one resident ID (used by tests and by callers validating input)."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(value[:17], ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == value[17]


def uscc(region: np.ndarray, serial: np.ndarray) -> pa.StringArray:
    """Unified social credit codes `91` + region + organisation code + check, unique per serial."""
    n = np.asarray(serial).size
    org_body = digits(scramble(serial, 10**8, _SCRAMBLE_8, 12_345_679), 8)
    c9 = 11 - (org_body @ ORG_WEIGHTS) % 11
    org_check = np.where(c9 == 11, 0, np.where(c9 == 10, USCC_CHARS.index("X"), c9))
    values = np.concatenate(
        [np.full((n, 1), 9), np.full((n, 1), 1), digits(region, 6), org_body, org_check[:, None]], axis=1
    )
    check = (31 - (values @ USCC_WEIGHTS) % 31) % 31
    return ascii_strings(USCC_CODES[np.concatenate([values, check[:, None]], axis=1)])


def valid_uscc(value: str) -> bool:
    """Check the final check character of a unified social credit code."""
    if len(value) != 18 or any(c not in USCC_CHARS for c in value):
        return False
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(value[:17], USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31] == value[17]


def luhn_check_digit(body: np.ndarray) -> np.ndarray:
    """Luhn check digit for an (n, k) digit matrix (the digit is appended on the right)."""
    k = body.shape[1]
    doubled = ((k - 1 - np.arange(k)) % 2) == 0
    vals = np.where(doubled, body * 2, body)
    vals = np.where(vals > 9, vals - 9, vals)
    return (10 - vals.sum(axis=1) % 10) % 10


def valid_luhn(value: str) -> bool:
    """Luhn check of a digit string."""
    total = 0
    for i, c in enumerate(reversed(value)):
        v = int(c) * (2 if i % 2 else 1)
        total += v - 9 if v > 9 else v
    return total % 10 == 0


def account_numbers(bin6: np.ndarray, serial: np.ndarray) -> pa.StringArray:
    """19-digit Luhn-valid account numbers: 6-digit BIN + 12 scrambled serial digits + check."""
    body = np.concatenate(
        [digits(bin6, 6), digits(scramble(serial, 10**12, _SCRAMBLE_12, 7_654_321), 12)], axis=1
    )
    return ascii_strings(np.concatenate([body, luhn_check_digit(body)[:, None]], axis=1) + 48)


def mobiles(rng: np.random.Generator, serial: np.ndarray) -> pa.StringArray:
    """11-digit mobile numbers with real prefixes; unique for distinct serials below 10**8."""
    prefix = MOBILE_PREFIXES[rng.integers(0, MOBILE_PREFIXES.size, np.asarray(serial).size)]
    rest = scramble(serial, 10**8, _SCRAMBLE_8, 24_681_357)
    return ascii_strings(np.concatenate([digits(prefix, 3), digits(rest, 8)], axis=1) + 48)


def passports(serial: np.ndarray) -> pa.StringArray:
    """Passport numbers `E` + 8 digits, unique per serial."""
    body = digits(scramble(serial, 10**8, _SCRAMBLE_8, 13_579_246), 8) + 48
    return ascii_strings(np.concatenate([np.full((body.shape[0], 1), ord("E")), body], axis=1))
