from keyclient.relationships.models.links import CustomerLink

__all__ = ["CustomerLink"]
