"""Support for the API fuzz test (tests/test_api_fuzz.py): the schema it fuzzes, the identity it
fuzzes as, how generated values are steered onto real rows, and the out-of-scope scan.

Schemathesis loads the schema at import time and builds part of the cases (its coverage phase)
while pytest collects, before any test has built the persona bank or logged in. So the auth
provider marks the session cookie with a placeholder, the test's fixture fills `TARGET` in, and
`bind(case)` puts the real session id and row ids into each case just before it is sent.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]
COMMITTED_SCHEMA = ROOT / "schema" / "openapi.yaml"

# Any 32 ASCII letters/digits make a valid CSRF secret: the cookie and the header have to agree.
CSRF_TOKEN = "FuzzCsrfToken0123456789abcdefABC"
SESSION_PLACEHOLDER = "fuzz-session-placeholder"


@dataclass
class Target:
    """What the generated calls of the current operation are pointed at, and what they got."""

    session_id: str = ""
    # real row ids: the in-scope one first, then the out-of-scope ones
    customer_ids: list[int] = field(default_factory=list)
    contact_ids: list[int] = field(default_factory=list)
    # none of these may appear in any response body
    forbidden: tuple[str, ...] = ()
    statuses: Counter = field(default_factory=Counter)
    failed: bool = False

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


TARGET = Target()


# --- the schema ---------------------------------------------------------------------------------

ERROR_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# DRF's validation errors: {"field": ["message", ...]}, nested for nested fields; {"detail": "..."}
# for a body that does not parse.
VALIDATION_ERROR = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": {
        "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}, {"type": "object"}]
    },
}
# Schema-valid input the server still answers 400 by design, for rules the schema does not state;
# `positive_data_acceptance` accepts a 400 on these operations only.
VALID_BUT_REJECTED = {
    # `org_unit` must name an existing unit, `rm` an RM the caller may filter on (ModelChoiceFilter)
    "customers_list",
    # `value` must suit `kind` (a mobile has 11 digits starting 13-19, an address 6 characters, ...)
    "contacts_create",
    "contacts_update",
    "contacts_partial_update",
    # the reason needs 10 characters, the tier must suit the client's kind and differ from its tier
    "tier_overrides_create",
    # a reason / evidence of 10 characters after trimming, a note to reject: stated in the help text
    "tier_overrides_end_create",
    "tier_overrides_reject_create",
    "customers_prominence_facts_create",
    # coverage: a reason of 10 characters, a split summing to 100 with the primary RM in it, an RM the
    # caller may assign to, a client with (or without) a primary RM as the verb needs
    "customers_coverage_create",
    "customers_coverage_split_create",
    "customers_coverage_release_create",
    "coverage_bulk_create",
}
METHODS = ("get", "put", "post", "patch", "delete")


def operations(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """operationId → operation object of an OpenAPI document."""
    return {
        op["operationId"]: op
        for item in raw["paths"].values()
        for method, op in item.items()
        if method in METHODS
    }


def load_raw_schema() -> dict[str, Any]:
    return yaml.safe_load(COMMITTED_SCHEMA.read_text(encoding="utf-8"))


def schema_config(max_examples: int) -> Any:
    """The schemathesis configuration (no schemathesis.toml is read, no report is written)."""
    import schemathesis

    return schemathesis.Config.from_dict(
        {
            "generation": {
                "mode": "all",  # valid and invalid input
                "max-examples": max_examples,
                "deterministic": True,
                # the security scheme is the session cookie, set by the auth provider below:
                # schemathesis must not generate random ones
                "with-security-parameters": False,
            },
            "operations": [
                {
                    "include-operation-id": sorted(VALID_BUT_REJECTED),
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": ["2xx", "400", "401", "403", "404", "409"]
                        }
                    },
                }
            ],
        }
    )


def install(schema: Any) -> None:
    """Give `schema` its credential (cookieAuth: the `sessionid` cookie, plus the CSRF cookie and
    header DRF's SessionAuthentication wants on unsafe methods) and its failure filter."""

    @schema.auth(refresh_interval=None)
    class SessionCookie:
        def get(self, case: Any, ctx: Any) -> str:
            return SESSION_PLACEHOLDER

        def set(self, case: Any, data: str, ctx: Any) -> None:
            case.cookies = {**(case.cookies or {}), "sessionid": data, "csrftoken": CSRF_TOKEN}
            case.headers = {**(case.headers or {}), "X-CSRFToken": CSRF_TOKEN}

    @schema.hook
    def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
        return not (failure.code == "ST201" and only_blank_values_are_invalid(case, response))


def only_blank_values_are_invalid(case: Any, response: Any) -> bool:
    """`?kind=&page=` is accepted: Django forms, django-filter and DRF's paginator read a blank
    query value as "not given" (the HTML client list shares these filters). Not a finding as long
    as every other value is valid, judged on what Django reads from the query string actually sent
    (for a repeated name, `?page=x&page=`, the last value)."""
    from schemathesis.core.parameters import ParameterLocation

    if case.meta is None or any(
        case.meta.is_negative_at(location)
        for location in ParameterLocation
        if location is not ParameterLocation.QUERY
    ):
        return False
    declared = {
        p["name"]: p.get("schema", {})
        for p in case.operation.definition.raw.get("parameters", [])
        if p.get("in") == "query"
    }
    read = dict(parse_qsl(urlsplit(response.request.url).query, keep_blank_values=True))
    blank = False
    for name, value in read.items():
        if value == "":
            blank = True
        elif name not in declared or not _valid_query_value(declared[name], value):
            return False
    return blank


def _valid_query_value(schema: dict[str, Any], value: str) -> bool:
    if "enum" in schema:
        return value in schema["enum"]
    if schema.get("type") == "integer":
        return value.removeprefix("-").isdigit()
    return schema.get("type") == "string"


# --- pointing generated cases at real rows ------------------------------------------------------

# A value that suits each contact kind: the schema cannot say that a mobile has 11 digits, so
# generated values almost never pass and creating or changing a contact point would go untested.
VALID_CONTACT_VALUES = {
    "mobile": "13912345678",
    "phone": "010-62345678",
    "email": "fuzz@example.org",
    "address": "北京市海淀区中关村大街1号",
}


def bind(case: Any) -> None:
    """Point `case` at TARGET: the real session, real rows for most ids, valid contact values for
    half of the bodies. Schemathesis re-validates a changed case before sending it, so a negative
    case that this makes valid is judged as a valid one."""
    assert TARGET.session_id, "the fuzz fixture logged no one in"
    if case.cookies and case.cookies.get("sessionid") == SESSION_PLACEHOLDER:
        case.cookies = {**case.cookies, "sessionid": TARGET.session_id}
    path = case.operation.path
    if case.path_parameters:
        ids = TARGET.contact_ids if path.startswith("/api/contacts/") else TARGET.customer_ids
        case.path_parameters = steer(case.path_parameters, "id", ids)
    if path == "/api/contacts/" and case.query:
        case.query = steer(case.query, "customer", TARGET.customer_ids)
    if path.startswith("/api/contacts/") and isinstance(case.body, dict):
        case.body = suit_value(steer(case.body, "customer", TARGET.customer_ids))
    if path == "/api/tier-overrides/" and isinstance(case.body, dict):
        case.body = suit_request(steer(case.body, "customer", TARGET.customer_ids))
    if path == "/api/customers/{id}/coverage/" and isinstance(case.body, dict):
        case.body = suit_rm_change(case.body)


def steer(values: dict[str, Any], key: str, known: list[int]) -> dict[str, Any]:
    """Most generated ids name no row (404, nothing else to see). Map two out of three onto real
    rows, deterministically: onto the in-scope row (the success path) or an out-of-scope one (must
    answer 404). The type is kept: the coverage phase sends ids as strings ("0")."""
    raw = values.get(key)
    if type(raw) is int:
        value = raw
    elif isinstance(raw, str) and raw.isascii() and raw.isdigit():
        value = int(raw)
    else:
        return values
    slot = value % 3
    if not known or slot == 2 or (slot == 1 and len(known) == 1):
        return values
    pick = known[0] if slot == 0 else known[1 + (value // 3) % (len(known) - 1)]
    return {**values, key: pick if type(raw) is int else str(pick)}


def suit_value(body: dict[str, Any]) -> dict[str, Any]:
    kind, value = body.get("kind"), body.get("value")
    if (
        isinstance(kind, str)
        and kind in VALID_CONTACT_VALUES
        and isinstance(value, str)
        and len(value) % 2 == 0
    ):
        return {**body, "value": VALID_CONTACT_VALUES[kind]}
    return body


def suit_request(body: dict[str, Any]) -> dict[str, Any]:
    """Half of the tier requests with an even-length reason get a reason and tier the rules accept
    (the in-scope client is a private-banking individual: an override to gold is a real request)."""
    reason = body.get("reason")
    if body.get("kind") in ("override", "disqualify") and isinstance(reason, str) and len(reason) % 2 == 0:
        return {**body, "reason": "客户资产将在下月转入我行，申请调整等级", "tier": "gold"}
    return body


def suit_rm_change(body: dict[str, Any]) -> dict[str, Any]:
    """Half of the RM changes with an even-length reason name an RM rm_hd may hand a client to (his
    team mate rm_hd2) and a reason the rules accept: 张三's level holds it for approval (201)."""
    from keyclient.org.models import User

    reason = body.get("reason")
    if isinstance(reason, str) and len(reason) % 2 == 0:
        return {"rm": User.objects.get(username="E1002").pk, "reason": "客户经理调整：按团队分工重新管户"}
    return body


# --- the out-of-scope scan ----------------------------------------------------------------------


def out_of_scope_markers(bank: Any, visible: set[str]) -> tuple[str, ...]:
    """Strings that identify the clients outside `visible`, in clear and masked: customer number,
    name, ID number, mobile, contact point values and account numbers."""
    from keyclient.customers.models import ContactPoint
    from keyclient.customers.services import CONTACT_MASKERS
    from keyclient.products.models import Holding
    from keyclient.security.masking import MASKERS, mask_account_no, mask_id_number, mask_phone

    hidden = [customer for key, customer in bank.customers.items() if key not in visible]
    markers: list[str] = []
    for customer in hidden:
        markers += [customer.customer_no, customer.name]
        markers += [customer.id_number, mask_id_number(customer.id_number)]
        markers += [customer.mobile, mask_phone(customer.mobile)]
    for contact in ContactPoint.objects.filter(customer__in=hidden):
        markers += [contact.value, MASKERS[CONTACT_MASKERS[contact.kind]](contact.value)]
    for holding in Holding.objects.filter(customer__in=hidden):
        markers += [holding.account_no, mask_account_no(holding.account_no)]
    return tuple(dict.fromkeys(marker for marker in markers if marker))


def leaked_markers(case: Any, response: Any) -> list[str]:
    """The out-of-scope markers in the response body that the request did not carry itself (an
    echo of the request in an error message is no leak). JSON is also read decoded, so that a
    `\\uXXXX`-escaped name is found too."""
    body = response.content.decode("utf-8", "replace") if response.content else ""
    with contextlib.suppress(ValueError):
        body += "\n" + json.dumps(json.loads(body), ensure_ascii=False)
    request_body = response.request.body or b""
    if isinstance(request_body, bytes):
        request_body = request_body.decode("utf-8", "replace")
    sent = "\n".join(
        [
            unquote_plus(str(response.request.url)),
            unquote_plus(request_body),
            json.dumps(case.body, ensure_ascii=False, default=str),
        ]
    )
    return [marker for marker in TARGET.forbidden if marker in body and marker not in sent]
