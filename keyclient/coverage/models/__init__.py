from keyclient.coverage.models.assignment import AssignmentRequest, Coverage, CoverageChange
from keyclient.coverage.models.handover import Handover, HandoverItem

__all__ = ["AssignmentRequest", "Coverage", "CoverageChange", "Handover", "HandoverItem"]
