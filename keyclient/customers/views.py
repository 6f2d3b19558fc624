"""Client screens: the list with filters and search, and the 360 page."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from keyclient.audit.actors import StaffRequest
from keyclient.audit.choices import AccessAction
from keyclient.audit.services import record_access
from keyclient.core.exports import FORMATS
from keyclient.core.pagination import capped_page
from keyclient.core.panels import build_panels
from keyclient.core.views import bad_request
from keyclient.customers.exports import ExportTooLarge, export_clients
from keyclient.customers.filtersets import CustomerFilterSet
from keyclient.customers.forms import ContactPointForm
from keyclient.customers.models import ContactPoint, Customer, ServiceTeamMember
from keyclient.customers.scope import access_customer, field_classes_of, withhold_fields
from keyclient.customers.search import identifier_kind
from keyclient.customers.search_limits import SearchLimited
from keyclient.customers.services import add_contact_point, change_contact_point, remove_contact_point
from keyclient.customers.unmask import unmask_field
from keyclient.security.field_classes import ALL_CLASSES, FieldClass
from keyclient.security.roles import Action, may, may_edit_service_team


@require_GET
def customer_list(request: StaffRequest) -> HttpResponse:
    """The clients in the user's scope; htmx requests get the table only."""
    queryset = Customer.objects.ranked_for(request.user).select_related("home_org_unit", "primary_rm")
    filterset = CustomerFilterSet(request.GET, queryset=queryset, request=request)
    refused: SearchLimited | None = None
    valid = False
    try:
        valid = filterset.is_valid()
        rows = filterset.qs if valid else queryset.none()
    except SearchLimited as exc:
        rows, refused = queryset.none(), exc
    page = capped_page(rows, request.GET.get("page"), per_page=settings.KEYCLIENT_LIST_PAGE_SIZE)
    withhold_fields(request.user, page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filterset": filterset,
        "page": page,
        "query": query.urlencode(),
        "can_export": may(request.user, Action.EXPORT),
        # The chosen clients go to coverage's bulk assignment (a form of that app's page).
        "can_assign": may(request.user, Action.CHANGE),
        "search_refused": str(refused) if refused else "",
    }
    template = "customers/_table.html" if request.htmx else "customers/list.html"
    # A refused search (429) or bad filters (400): the table says why (htmx swaps both in, see app.js).
    response = render(request, template, context, status=429 if refused else 200 if valid else 400)
    if refused:
        response["Retry-After"] = str(refused.retry_after)
    return response


@require_GET
def customer_detail(request: StaffRequest, pk: int) -> HttpResponse:
    """The client 360 page."""
    customer = access_customer(request.user, pk, "view")
    record_access(actor=request.user, action=AccessAction.VIEW_CLIENT, customer=customer, request=request)
    classes = field_classes_of(request.user, [customer])[customer.pk]
    full = classes == ALL_CLASSES
    sees_contacts = FieldClass.CONTACT in classes
    context = {
        "customer": customer,
        "classes": classes,
        "contacts": list(customer.contacts.all()) if sees_contacts else [],
        "tags": list(customer.tags.all()),
        "team": list(ServiceTeamMember.objects.filter(customer=customer).select_related("member")),
        "panels": build_panels(
            "KEYCLIENT_360_PANELS", classes=None if full else classes, user=request.user, customer=customer
        ),
        "can_unmask": may(request.user, Action.UNMASK) and sees_contacts,
        "can_change": may(request.user, Action.CHANGE) and full,
        "can_edit_team": may_edit_service_team(request.user),
    }
    return render(request, "customers/detail.html", context)


@require_POST
def customer_unmask(request: StaffRequest, pk: int) -> HttpResponse:
    """Show one personal field in clear, for a stated reason (htmx fragment); recorded for compliance."""
    customer = access_customer(request.user, pk, Action.UNMASK, field_class=FieldClass.CONTACT)
    try:
        value = unmask_field(
            actor=request.user,
            customer=customer,
            field=request.POST.get("field", ""),
            reason=request.POST.get("reason", ""),
            request=request,
        )
    except ValidationError as exc:
        return render(request, "customers/_unmask_error.html", {"errors": exc.messages}, status=400)
    return render(request, "customers/_unmasked.html", {"value": value})


@require_GET
def customer_export(request: StaffRequest) -> HttpResponse:
    """The filtered client list as CSV or Excel, for roles that may export; masked and watermarked."""
    if not may(request.user, Action.EXPORT):
        raise PermissionDenied(_("Your role may not export client lists."))
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        return bad_request(_("Unknown export format: choose %(formats)s.") % {"formats": ", ".join(FORMATS)})
    queryset = Customer.objects.ranked_for(request.user)
    filterset = CustomerFilterSet(request.GET, queryset=queryset, request=request)
    if not filterset.is_valid():
        return bad_request(_("Invalid filter: %(errors)s") % {"errors": filterset.errors.as_text()})
    described = request.GET.copy()
    described.pop("format", None)
    kind = identifier_kind(str(described.get("q") or ""))
    if kind:  # the audit names the kind, never the number
        described["q"] = f"<{kind}>"
    try:
        export = export_clients(
            actor=request.user,
            clients=filterset.qs,
            fmt=fmt,
            description=described.urlencode(),
            request=request,
        )
    except ExportTooLarge as exc:
        return bad_request(str(exc))
    except SearchLimited as exc:
        refusal = HttpResponse(str(exc), status=429, content_type="text/plain; charset=utf-8")
        refusal["Retry-After"] = str(exc.retry_after)
        return refusal
    response = HttpResponse(export.content, content_type=FORMATS[fmt][0])
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


def _contact_of(request: HttpRequest, pk: int, contact_id: int) -> tuple[Customer, ContactPoint]:
    customer = access_customer(request.user, pk, Action.CHANGE)
    contact = ContactPoint.objects.filter(customer=customer, pk=contact_id).first()
    if contact is None:
        raise Http404("No such contact point")
    return customer, contact


@require_http_methods(["GET", "POST"])
def contact_create(request: StaffRequest, pk: int) -> HttpResponse:
    customer = access_customer(request.user, pk, Action.CHANGE)
    form = ContactPointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        add_contact_point(actor=request.user, customer=customer, **form.cleaned_data)
        return redirect("customers:detail", pk=customer.pk)
    return render(
        request,
        "customers/contact_form.html",
        {"customer": customer, "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def contact_edit(request: StaffRequest, pk: int, contact_id: int) -> HttpResponse:
    customer, contact = _contact_of(request, pk, contact_id)
    form = ContactPointForm(request.POST or None, instance=ContactPoint.objects.get(pk=contact.pk))
    if request.method == "POST" and form.is_valid():
        change_contact_point(actor=request.user, contact=contact, **form.cleaned_data)
        return redirect("customers:detail", pk=customer.pk)
    context = {"customer": customer, "form": form, "contact": contact}
    return render(request, "customers/contact_form.html", context, status=400 if form.errors else 200)


@require_POST
def contact_delete(request: StaffRequest, pk: int, contact_id: int) -> HttpResponse:
    customer, contact = _contact_of(request, pk, contact_id)
    remove_contact_point(actor=request.user, contact=contact)
    return redirect("customers:detail", pk=customer.pk)
