"""The extract formats, declared once: each extract's columns, types, required fields, keys,
references and ranges. Validation (`keyclient.intake.validate`) and docs/intake.md follow these.

Kinds of extract:
- snapshot: the full current state (client master, product catalog, accounts, links), landed as
  `<lake>/<name>/date=<load date>/part-0.parquet`;
- dated: one business date's rows (daily balances, transactions, loans, holdings); every row's
  `date_column` must equal the load date (with `--history`, any date up to it), landed per date.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from keyclient.customers.choices import TAG_MAX_LENGTH, CustomerKind, IdType
from keyclient.org.choices import OrgLevel, StaffGrade, StaffStatus, UnitStatus
from keyclient.relationships.choices import LinkSource
from keyclient.security.roles import Role

PRODUCT_CATEGORIES = (
    "deposit", "time_deposit", "wmp", "fund", "insurance", "precious_metal", "loan", "credit_card",
)  # fmt: skip
TXN_TYPES = (
    "salary", "transfer_in", "transfer_out", "card_spend", "product_purchase", "product_redemption",
    "maturity", "loan_drawdown", "loan_repayment", "fee", "interest",
)  # fmt: skip
LINK_TYPES = ("household", "group_member", "executive", "shareholder", "payroll", "supplier", "referral")
LOAN_CLASSES = ("正常", "关注", "次级", "可疑", "损失")
# The shapes of the ID numbers whose type has a known format (every other type: any text).
ID_FORMATS = {
    IdType.RESIDENT_ID.value: ("[0-9]{17}[0-9X]", "not a resident ID number (17 digits and a digit or X)"),
    IdType.USCC.value: (
        "[0-9A-HJ-NP-RTUW-Y]{18}",
        "not a unified social credit code (18 characters of 0-9 and A-Y without I, O, S, V, Z)",
    ),
    IdType.HK_MACAU_PERMIT.value: (
        "[HM][0-9]{8}([0-9]{2})?",
        "not a Hong Kong / Macau travel permit number (H or M and 8 or 10 digits)",
    ),
}
LINK_SOURCES = tuple(LinkSource.values)


@dataclass(frozen=True)
class Column:
    """One column: `type` is str, date, decimal, int or code (one of `codes`)."""

    name: str
    type: str = "str"
    required: bool = False
    codes: tuple[str, ...] = ()
    min: float | None = None
    references: str = ""  # "products", "customers", "org_units" or "staff"
    personal: bool = False  # never echoed into reject reasons, never landed in clear
    max_length: int | None = None
    # How a personal column lands in the lake (ADR 0004): "bidx:<purpose>" replaces it by
    # `<name>_bidx`, its HMAC blind index for that purpose; "mask" lands it masked.
    lake: str = ""

    @property
    def blind_purpose(self) -> str:
        return self.lake.removeprefix("bidx:") if self.lake.startswith("bidx:") else ""

    @property
    def landed_name(self) -> str:
        """The column's name in the lake: `account_no` lands as `account_bidx`, `mobile` as `mobile_bidx`."""
        return f"{self.name.removesuffix('_no')}_bidx" if self.blind_purpose else self.name


@dataclass(frozen=True)
class Rule:
    """A rule over several columns of a row: `predicate` (DuckDB SQL over the trimmed text columns)
    is true for a row that breaks it; the reject names `field` and gives `reason`."""

    field: str
    predicate: str
    reason: str


@dataclass(frozen=True)
class Extract:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    kind: str = "snapshot"  # or "dated"
    date_column: str = ""
    required_file: bool = True
    description: str = ""
    rules: tuple[Rule, ...] = ()
    column_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_names", tuple(c.name for c in self.columns))


C = Column
# The HR extract (org units, then staff) comes first: clients and accounts reference what it lands.
HR_EXTRACTS: tuple[Extract, ...] = (
    Extract(
        "org_units",
        (
            C("org_code", required=True, max_length=20),
            C("name", required=True, max_length=100),
            C("level", "code", required=True, codes=tuple(OrgLevel.values)),
            C("parent_code", references="org_units"),
            C("province", max_length=20),
            C("city", max_length=20),
            C("status", "code", codes=tuple(UnitStatus.values)),
        ),
        key=("org_code",),
        required_file=False,
        description=(
            "The org tree from the bank's HR system: head office, branches, sub-branches, outlets. A parent "
            "is a unit of this file or of the CRM; a root has no parent. Units missing from the file are "
            "left as they are; a unit is closed (`status`), never deleted."
        ),
        rules=(Rule("parent_code", "parent_code = org_code", "a unit cannot be its own parent"),),
    ),
    Extract(
        "staff",
        (
            C("staff_no", required=True, max_length=150),
            C("name", required=True, max_length=60),
            C("org_code", references="org_units"),
            C("role", "code", required=True, codes=tuple(Role.values)),
            C("grade", "code", codes=tuple(StaffGrade.values)),
            C("status", "code", codes=tuple(StaffStatus.values)),
        ),
        key=("staff_no",),
        required_file=False,
        description=(
            "Staff from the bank's HR system: each becomes a user (login = `staff_no`) with this role, unit "
            "and grade; without `org_code`, in the head office. A leaver (`left`) is deactivated, never "
            "deleted; staff missing from the file are left as they are."
        ),
    ),
)
EXTRACTS: tuple[Extract, ...] = (
    *HR_EXTRACTS,
    Extract(
        "products",
        (
            C("product_code", required=True, max_length=30),
            C("name", required=True, max_length=120),
            C("category", "code", required=True, codes=PRODUCT_CATEGORIES),
            C("risk_rating", "code", required=True, codes=("R1", "R2", "R3", "R4", "R5")),
            C("currency", max_length=3),
            C("term_days", "int", min=0),
            C("rate", "decimal", min=0),
            C("fee_rate", "decimal", min=0),
        ),
        key=("product_code",),
        description="The product catalog: every product the bank sells, with its risk rating.",
    ),
    Extract(
        "fx_rates",
        (
            C("date", "date", required=True),
            C("currency", required=True, max_length=3),
            C("rate", "decimal", required=True),
        ),
        key=("date", "currency"),
        kind="dated",
        date_column="date",
        required_file=False,
        description=(
            "Exchange rates of the day: `rate` units of the reporting currency per one unit of `currency` "
            "(ISO 4217). Amounts in other currencies are converted with them (see Currencies)."
        ),
        rules=(Rule("rate", "rate__v <= 0", "a rate must be above zero"),),
    ),
    Extract(
        "customers",
        (
            C("customer_no", required=True, max_length=20),
            C("kind", "code", required=True, codes=tuple(CustomerKind.values)),
            C("name", max_length=120),
            C("gender", "code", codes=("M", "F")),
            C("birth_date", "date"),
            C("industry", max_length=60),
            C("registration_no", max_length=30, personal=True, lake="bidx:registration_no"),
            C("id_type", "code", codes=tuple(IdType.values)),
            C("id_number", personal=True, lake="bidx:id_number"),
            C("mobile", personal=True, lake="bidx:mobile"),
            C("phone2", personal=True, lake="bidx:phone"),
            C("email", personal=True, lake="bidx:email"),
            C("address", personal=True, lake="bidx:address"),
            C("province", max_length=20),
            C("city", max_length=20),
            C("home_org_code", references="org_units"),
            C("rm_staff_no", references="staff"),
            C("open_date", "date"),
            C("status", "code", required=True, codes=("active", "dormant", "closed")),
            C("risk_tolerance", "code", codes=("C1", "C2", "C3", "C4", "C5")),
            C("risk_assessed_on", "date"),
            C("tags"),
        ),
        key=("customer_no",),
        description=(
            "The client master: one row per client: individual, corporate or institution (a long-term "
            "partner institution, 同业/机构客户). A name or ID left empty is shown as not on file; an ID "
            "number needs its `id_type`. `tags` holds the client's tags separated by `;`. Without "
            "`home_org_code` a client belongs to the head office."
        ),
        rules=(
            Rule("id_type", "id_number IS NOT NULL AND id_type IS NULL", "an ID number without its ID type"),
            *(
                Rule(
                    "id_number",
                    f"id_type = '{code}' AND NOT regexp_full_match(upper(id_number), '{pattern}')",
                    reason,
                )
                for code, (pattern, reason) in ID_FORMATS.items()
            ),
            Rule(
                "tags",
                f"list_max(list_transform(string_split(tags, ';'), lambda t: length(trim(t)))) > {TAG_MAX_LENGTH}",
                f"a tag is longer than {TAG_MAX_LENGTH} characters",
            ),
            Rule("tags", r"regexp_matches(tags, '\p{Cc}')", "a tag holds a control character"),
        ),
    ),
    Extract(
        "accounts",
        (
            C("account_no", required=True, personal=True, lake="bidx:account_no"),
            C("customer_no", required=True, references="customers"),
            C("product_code", required=True, references="products"),
            C("open_date", "date"),
            C("status", "code", required=True, codes=("active", "closed", "dormant")),
            C("org_code"),
        ),
        key=("account_no",),
        required_file=False,
        description="Accounts and contracts: one row per account of a client in a product.",
    ),
    Extract(
        "holdings",
        (
            C("as_of", "date", required=True),
            C("customer_no", required=True, references="customers"),
            C("account_no", required=True, personal=True, lake="bidx:account_no"),
            C("product_code", required=True, references="products"),
            C("balance", "decimal", required=True),
            C("maturity_date", "date"),
            C("currency", max_length=3),
        ),
        key=("as_of", "account_no"),
        kind="dated",
        date_column="as_of",
        required_file=False,
        description=(
            "Balances per account at a date (month ends at least), with maturity dates. A negative "
            "balance is an overdraft, allowed on a current-deposit product (category deposit) only."
        ),
        rules=(
            Rule(
                "balance",
                "balance__v < 0 AND product_code NOT IN (SELECT code FROM ref_deposit_products)",
                "a negative balance (an overdraft) on a product that is not a current deposit",
            ),
        ),
    ),
    Extract(
        "daily_balances",
        (
            C("date", "date", required=True),
            C("customer_no", required=True, references="customers"),
            C("deposit", "decimal", required=True),
            C("investment", "decimal", required=True, min=0),
            C("loan", "decimal", required=True, min=0),
            C("currency", max_length=3),
        ),
        key=("date", "customer_no"),
        kind="dated",
        date_column="date",
        description=(
            "End-of-day balances per client: deposits, investments and loans. A negative deposit is an "
            "overdraft: AUM counts max(deposit, 0) + investment, loans add the overdraft. A bank that "
            "sends month-end or irregular as-of snapshots declares them in the mapping "
            '(`[extracts.daily_balances] balance_frequency = "snapshot"`): each client\'s latest snapshot '
            'is carried forward (docs/pipeline.md, "Balances").'
        ),
    ),
    Extract(
        "transactions",
        (
            C("txn_id", "int", required=True),
            C("date", "date", required=True),
            C("customer_no", required=True, references="customers"),
            C("account_no", personal=True, lake="bidx:account_no"),
            C("amount", "decimal", required=True, min=0),
            C("direction", "code", required=True, codes=("C", "D")),
            C("txn_type", "code", required=True, codes=TXN_TYPES),
            C("channel"),
            C("counterparty_bank_code", max_length=12),
            C("counterparty_bank_name", max_length=60),
            C("counterparty_name", personal=True, lake="mask"),
            C("currency", max_length=3),
        ),
        key=("txn_id",),
        kind="dated",
        date_column="date",
        required_file=False,
        description=(
            "Posted transactions, with the counterparty's bank (code 999 = this bank). A bank that sends "
            "none (balances only) loads without them: flows, fees and events are then zero."
        ),
    ),
    Extract(
        "loans",
        (
            C("date", "date", required=True),
            C("loan_no", required=True),
            C("customer_no", required=True, references="customers"),
            C("product_code", required=True, references="products"),
            C("balance", "decimal", required=True, min=0),
            C("overdue_days", "int", min=0),
            C("classification", "code", codes=LOAN_CLASSES),
            C("maturity_date", "date"),
            C("currency", max_length=3),
        ),
        key=("date", "loan_no"),
        kind="dated",
        date_column="date",
        required_file=False,
        description=(
            "Loans: balance, days overdue and five-category classification 正常/关注/次级/可疑/损失. "
            "Either left empty is unknown (未知), never taken as normal or 0 days."
        ),
    ),
    Extract(
        "links",
        (
            C("from_customer_no", required=True, references="customers"),
            C("to_customer_no", required=True, references="customers"),
            C("link_type", "code", required=True, codes=LINK_TYPES),
            C("role", max_length=30),
            C("start_date", "date"),
            C("source"),
        ),
        key=("from_customer_no", "to_customer_no", "link_type"),
        required_file=False,
        description=(
            "Client links: household, corporate group, executive, shareholder, payroll, supply chain. "
            f"`source` is one of {'/'.join(LINK_SOURCES)} (anything else is taken as core_banking)."
        ),
        rules=(
            Rule(
                "to_customer_no", "from_customer_no = to_customer_no", "a client cannot be linked to itself"
            ),
        ),
    ),
)
BY_NAME = {e.name: e for e in EXTRACTS}
# Amounts in the row's `currency` (empty: the reporting currency), converted into the reporting currency
# before landing (`keyclient.intake.fx`); `currency` then keeps the original currency.
MONEY = {
    "holdings": ("balance",),
    "daily_balances": ("deposit", "investment", "loan"),
    "transactions": ("amount",),
    "loans": ("balance",),
}


def markdown() -> str:
    """The format tables of docs/intake.md (a test keeps the page and this module in step)."""
    out = []
    for e in EXTRACTS:
        optional = ", optional" if not e.required_file else ""
        out.append(f"### `{e.name}` ({e.kind}{optional})\n\n{e.description}\n")
        dated = f" · date column: `{e.date_column}`" if e.date_column else ""
        out.append(f"Key: {', '.join(e.key)}{dated}\n")
        if e.rules:
            out.append("Also rejected: " + " · ".join(r.reason for r in e.rules) + "\n")
        out.append("| column | type | required | rule |\n|---|---|---|---|")
        for c in e.columns:
            rule = []
            if c.codes:
                rule.append("one of " + "/".join(c.codes))
            if c.min is not None:
                rule.append(f"≥ {c.min:g}")
            if c.max_length:
                rule.append(f"≤ {c.max_length} chars")
            if c.references:
                rule.append(f"references {c.references}")
            if c.name in MONEY.get(e.name, ()):
                rule.append("in `currency`, converted to the reporting currency")
            if c.personal:
                landed = f"lands as `{c.landed_name}`" if c.blind_purpose else "lands masked"
                rule.append(f"personal (never echoed in rejects; {landed})")
            out.append(f"| `{c.name}` | {c.type} | {'yes' if c.required else ''} | {'; '.join(rule)} |")
        out.append("")
    return "\n".join(out)
