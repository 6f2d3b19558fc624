"""The field classes each service-team role sees (the mechanism: `keyclient.security.field_classes`).

A member of a client's service team who does not reach the client through their position sees the
union of the classes of their roles in that team; nothing once they leave the team.
"""

from __future__ import annotations

from keyclient.customers.choices import TeamRole
from keyclient.security.field_classes import ALL_CLASSES, FieldClass

_P, _C, _W, _CR, _V, _R, _S = (
    FieldClass.PROFILE,
    FieldClass.CONTACT,
    FieldClass.WEALTH,
    FieldClass.CREDIT,
    FieldClass.VALUE,
    FieldClass.RELATIONSHIPS,
    FieldClass.SERVICE,
)

CLASSES_BY_TEAM_ROLE: dict[str, frozenset[str]] = {
    TeamRole.RELATIONSHIP_MANAGER: ALL_CLASSES,
    TeamRole.ASSISTANT_RM: ALL_CLASSES,
    TeamRole.INVESTMENT_ADVISOR: frozenset({_P, _C, _W, _S}),
    # Loans and limits, the borrower's links (groups, guarantors): not the wealth breakdown.
    TeamRole.CREDIT_OFFICER: frozenset({_P, _C, _CR, _R, _S}),
    TeamRole.PRODUCT_SPECIALIST: frozenset({_P, _W, _S}),
    TeamRole.LEGAL_TAX: frozenset({_P, _C, _R, _S}),
    TeamRole.OPERATIONS: frozenset({_P, _C, _S}),
    TeamRole.SENIOR_SPONSOR: frozenset({_P, _V, _R, _S}),
}


def roles_seeing(field_class: str) -> list[str]:
    """The team roles whose members see `field_class`."""
    return [role for role, classes in CLASSES_BY_TEAM_ROLE.items() if field_class in classes]


def classes_of_roles(roles: set[str]) -> frozenset[str]:
    """The union of the classes of `roles`."""
    found: set[str] = set()
    for role in roles:
        found |= CLASSES_BY_TEAM_ROLE.get(role, frozenset())
    return frozenset(found)


# Fields of `Customer` itself that belong to a class other than the profile.
CUSTOMER_FIELDS_BY_CLASS: dict[str, tuple[str, ...]] = {
    FieldClass.WEALTH: ("aum", "aum_as_of"),
    FieldClass.CONTACT: ("mobile",),
}
