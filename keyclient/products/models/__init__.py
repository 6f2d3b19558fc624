from keyclient.products.models.balances import BalanceSnapshot, Holding, SignificantTransaction
from keyclient.products.models.catalog import Account, Product

__all__ = ["Account", "BalanceSnapshot", "Holding", "Product", "SignificantTransaction"]
