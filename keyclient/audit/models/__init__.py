from keyclient.audit.models.streams import AccessEvent, BusinessEvent, ChainHead, FieldChange

__all__ = ["AccessEvent", "BusinessEvent", "ChainHead", "FieldChange"]
