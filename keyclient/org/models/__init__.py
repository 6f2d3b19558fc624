from keyclient.org.models.units import OrgUnit, Team
from keyclient.org.models.users import User

__all__ = ["OrgUnit", "Team", "User"]
