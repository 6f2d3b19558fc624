from keyclient.valuation.models.override import TierOverride
from keyclient.valuation.models.policy import TierPolicy
from keyclient.valuation.models.prominence import ProminenceFact
from keyclient.valuation.models.service_level import ServiceLevelGrant
from keyclient.valuation.models.value import TierAssignment, ValueScore

__all__ = [
    "ProminenceFact",
    "ServiceLevelGrant",
    "TierAssignment",
    "TierOverride",
    "TierPolicy",
    "ValueScore",
]
