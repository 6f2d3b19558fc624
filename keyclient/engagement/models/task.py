"""Tasks (任务): a piece of work for one member of staff, about one client, by a due date.

Minimal on purpose: what a handover needs (an introduction task for the new RM) and what the
engagement issue's tasks keep (owner, due date, priority, client link, status); that issue adds its
links (commitment, alert, plan goal) and recurrence."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keyclient.engagement.choices import TaskKind, TaskPriority, TaskStatus


class Task(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="tasks"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("client"), on_delete=models.CASCADE, related_name="tasks",
        null=True, blank=True,
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=20, choices=TaskKind.choices, default=TaskKind.OTHER)
    title = models.CharField(_("title"), max_length=200)
    due_on = models.DateField(_("due"))
    priority = models.CharField(
        _("priority"), max_length=10, choices=TaskPriority.choices, default=TaskPriority.NORMAL
    )
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+",
        null=True, blank=True,
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["owner", "status", "due_on"], name="task_owner_open_idx"),
            models.Index(fields=["customer", "status"], name="task_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.title} ({self.status})"
