"""The audit trail for compliance: search the three streams and export what was found."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from keyclient.audit.actors import StaffRequest
from keyclient.audit.choices import AccessAction
from keyclient.audit.display import export_row, headers, readable_row
from keyclient.audit.filters import STREAMS, AuditSearchForm, search
from keyclient.audit.services import record_access
from keyclient.core.exports import FORMATS, export_table
from keyclient.core.pagination import capped_page
from keyclient.core.views import bad_request
from keyclient.security.roles import may_review_audit

COLUMNS = {
    "access": ["seq", "at", "actor_name", "action", "customer_no", "fields", "reason", "detail", "ip"],
    "business": ["id", "at", "actor_name", "verb", "customer_no", "before", "after", "note"],
    "changes": ["id", "at", "actor_name", "model", "object_id", "field", "old", "new"],
}


def _check(request: HttpRequest, stream: str) -> None:
    if not may_review_audit(request.user):
        raise PermissionDenied(_("Only compliance reviews the audit trail."))
    if stream not in STREAMS:
        raise Http404("No such audit stream")


@require_GET
def audit_search(request: HttpRequest, stream: str = "access") -> HttpResponse:
    _check(request, stream)
    form = AuditSearchForm(request.GET)
    valid = form.is_valid()
    rows = search(stream, form.cleaned_data) if valid else STREAMS[stream].objects.none()
    page = capped_page(
        rows.values(*COLUMNS[stream]), request.GET.get("page"), per_page=settings.KEYCLIENT_LIST_PAGE_SIZE
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "stream": stream,
        "page": page,
        "headers": headers(stream, COLUMNS[stream]),
        "rows": [readable_row(stream, row) for row in page.object_list],
        "query": query.urlencode(),
    }
    return render(request, "audit/search.html", context, status=200 if valid else 400)


@require_GET
def audit_export(request: StaffRequest, stream: str) -> HttpResponse:
    """The matching rows as CSV or Excel; the export itself is recorded in the access stream."""
    _check(request, stream)
    fmt = request.GET.get("format", "csv")
    form = AuditSearchForm(request.GET)
    if fmt not in FORMATS:  # the format is not repeated: the answer names the ones there are
        return bad_request(_("Unknown export format: choose %(formats)s.") % {"formats": ", ".join(FORMATS)})
    if not form.is_valid():
        return bad_request(
            _("Invalid export request: %(errors)s")
            % {"errors": " ".join(str(e) for e in form.non_field_errors())}
        )
    cap = settings.KEYCLIENT_EXPORT_MAX_ROWS
    rows = list(search(stream, form.cleaned_data).values_list(*COLUMNS[stream])[: cap + 1])
    if len(rows) > cap:
        return bad_request(
            _("More than %(cap)d rows match: narrow the search before exporting.") % {"cap": cap}
        )
    event = record_access(
        actor=request.user,
        action=AccessAction.EXPORT_LIST,
        detail=f"audit {stream} {fmt} rows={len(rows)}",
        request=request,
    )
    now = timezone.localtime()
    watermark = _("Confidential. Exported by %(user)s at %(time)s, export no. %(seq)d") % {
        "user": request.user.get_username(),
        "time": now.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "seq": event.seq,
    }
    content = export_table(
        fmt,
        watermark=watermark,
        header=headers(stream, COLUMNS[stream]),
        rows=[export_row(stream, dict(zip(COLUMNS[stream], row, strict=True))) for row in rows],
    )
    response = HttpResponse(content, content_type=FORMATS[fmt][0])
    response["Content-Disposition"] = f'attachment; filename="audit-{stream}-{now:%Y%m%d-%H%M%S}.{fmt}"'
    return response
