"""Reads of the pipeline's CRM tables that more than one screen needs."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Max, Sum

from keyclient.customers.models import Customer
from keyclient.pipeline.models import ClientBankOutflow


def outflow_by_bank(customer: Customer, as_of: date, days: int = 30) -> list[dict[str, Any]]:
    """Where a client's money went: transfers out to other banks over the `days` days to `as_of`
    (both ends included), per destination bank, the largest first. `customer` comes from the scope
    door (`access_customer`): this reads one client's rows by the client + date index."""
    since = as_of - timedelta(days=days - 1)
    return list(
        ClientBankOutflow.objects.filter(customer=customer, date__range=(since, as_of))
        .values("bank_code")
        .annotate(name=Max("bank_name"), total=Sum("amount"), count=Sum("transfers"))
        .order_by("-total", "bank_code")
    )
