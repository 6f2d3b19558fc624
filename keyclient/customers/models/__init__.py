from keyclient.customers.models.customer import ContactPoint, Customer, CustomerTag, Tag
from keyclient.customers.models.position import CustomerPosition
from keyclient.customers.models.search import SearchWindow
from keyclient.customers.models.team import ServiceTeamMember

__all__ = [
    "ContactPoint",
    "Customer",
    "CustomerPosition",
    "CustomerTag",
    "SearchWindow",
    "ServiceTeamMember",
    "Tag",
]
