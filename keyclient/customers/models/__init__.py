from keyclient.customers.models.customer import ContactPoint, Customer, CustomerTag, Tag
from keyclient.customers.models.team import ServiceTeamMember

__all__ = ["ContactPoint", "Customer", "CustomerTag", "ServiceTeamMember", "Tag"]
