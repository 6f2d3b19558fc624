"""Every declared model × every persona × list / detail / create / edit / delete."""

from __future__ import annotations

import pytest

from tests.matrix import EXPECT, OPERATIONS, check
from tests.subjects import SUBJECTS

CASES = [
    pytest.param(subject, operation, persona, id=f"{subject.name}-{operation}-{persona}")
    for subject in SUBJECTS
    for operation in OPERATIONS
    if subject.supports(operation)
    for persona in EXPECT
]


@pytest.mark.parametrize(("subject", "operation", "persona"), CASES)
def test_persona_matrix(bank, client, login, subject, operation, persona):
    if persona != "anonymous":
        client = login(bank.user(persona))
    check(subject, operation, persona, bank, client)
