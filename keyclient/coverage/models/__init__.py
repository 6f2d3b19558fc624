from keyclient.coverage.models.assignment import AssignmentRequest, Coverage, CoverageChange

__all__ = ["AssignmentRequest", "Coverage", "CoverageChange"]
