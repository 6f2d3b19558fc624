from keyclient.engagement.models.task import Task

__all__ = ["Task"]
