"""Agent workspace pages for the CMDB: CI list and detail, CI and class editors, relationships.

Requesters do not see the CMDB: every page answers 404 without `cmdb.view_configurationitem`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk.errors import Conflict, NotFound, PermissionDenied
from servicedesk.form_errors import apply_service_errors
from servicedesk.records.cis import records_touching_ci

from . import schemas, selectors
from .filters import CIFilter
from .forms import CIFilterForm, RelationshipForm
from .models import CIRelationship, ConfigurationItem
from .permissions import CMDBPolicy
from .services.common import VIA_WEB
from .services.items import ci_allowed_statuses, ci_transition
from .services.relationships import relationship_create, relationship_delete

PAGE_SIZE = 50
HISTORY_LIMIT = 50
SEARCH_LIMIT = 20


def _require_view(user) -> None:
    if not CMDBPolicy.can_view(user):
        raise Http404()


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied()


def _filtered(queryset, data: dict):
    """The page's filter form's choices, applied by the API's filters (`cmdb.filters.CIFilter`)."""
    query = QueryDict(mutable=True)
    query["q"] = data.get("q") or ""
    query["environment"] = data.get("environment") or ""
    if data.get("ci_class"):
        query["class"] = data["ci_class"].code
    if data.get("status"):
        query.setlist("status", [data["status"]])
    if data.get("support_group"):
        query["support_group"] = str(data["support_group"].pk)
    return CIFilter(query, queryset=queryset).qs


@login_required
def ci_list(request):
    """CIs with filters (a class includes its subclasses), 50 a page, in a constant number of queries."""
    _require_view(request.user)
    form = CIFilterForm(request.GET or None)
    items = selectors.ci_list_for_user(user=request.user)
    if form.is_valid():
        items = _filtered(items, form.cleaned_data)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cmdb/ci_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_create": CMDBPolicy.can_create_ci(request.user),
        },
    )


def _attribute_rows(ci: ConfigurationItem, schema: dict) -> list[tuple[str, object, bool]]:
    """(name, value, known) in the schema's order, then the attributes the schema does not define."""
    attributes = ci.attributes if isinstance(ci.attributes, dict) else {}
    properties = schema.get("properties", {})
    rows = [(name, attributes[name], True) for name in properties if name in attributes]
    rows += [(name, value, False) for name, value in attributes.items() if name not in properties]
    return rows


def _field_label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except LookupError:
        return name


def _ci_history(ci: ConfigurationItem) -> list[dict]:
    """The CI's history, newest first: who, when, through what, and each changed field from → to."""
    records = list(
        ci.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : HISTORY_LIMIT + 1
        ]
    )
    entries = []
    for record, previous in zip(records, [*records[1:], None], strict=False):
        if len(entries) == HISTORY_LIMIT:
            break
        changes = []
        if previous is not None and record.history_type == "~":
            changes = [
                {"field": _field_label(ConfigurationItem, c.field), "old": c.old, "new": c.new}
                for c in record.diff_against(previous).changes
            ]
        entries.append({"record": record, "changes": changes})
    return entries


def _relationship_history(ci: ConfigurationItem) -> list[dict]:
    records = list(
        CIRelationship.history.filter(Q(source_id=ci.pk) | Q(target_id=ci.pk))
        .select_related("history_user", "type")
        .order_by("-history_date", "-history_id")[:HISTORY_LIMIT]
    )
    other_ids = {r.target_id if r.source_id == ci.pk else r.source_id for r in records}
    names = dict(ConfigurationItem.objects.filter(pk__in=other_ids).values_list("pk", "name"))
    entries = []
    for record in records:
        outgoing = record.source_id == ci.pk
        other_id = record.target_id if outgoing else record.source_id
        entries.append(
            {
                "record": record,
                "label": record.type.label if outgoing else record.type.reverse_label,
                "other_id": other_id,
                "other_name": names.get(other_id),
            }
        )
    return entries


def _impact_url(ci: ConfigurationItem) -> str | None:
    try:
        return reverse("cmdb:ci_impact", args=[ci.pk])
    except NoReverseMatch:
        return None


def _detail_context(request, ci: ConfigurationItem, **extra) -> dict:
    user = request.user
    outgoing, incoming = selectors.ci_relationships(user=user, ci=ci)
    can_change = CMDBPolicy.can_change_ci(user, ci)
    status_labels = dict(ConfigurationItem.Status.choices)
    context = {
        "ci": ci,
        "attributes": _attribute_rows(ci, schemas.effective_schema(ci.ci_class)),
        "outgoing": outgoing,
        "incoming": incoming,
        "can_change": can_change,
        "can_relate": CMDBPolicy.can_relate(user),
        "can_unrelate": CMDBPolicy.can_unrelate(user),
        "transitions": [(s, status_labels[s]) for s in ci_allowed_statuses(ci)] if can_change else [],
        "impact_url": _impact_url(ci),
        "history": _ci_history(ci),
        "relationship_history": _relationship_history(ci),
        "touching": records_touching_ci(ci_id=ci.pk, user=user),
    }
    if context["can_relate"] and "relate_form" not in extra:
        context["relate_form"] = RelationshipForm(
            types=selectors.relationship_type_list_for_user(user=user), initial={"ci": ci.pk}
        )
    return {**context, **extra}


@login_required
def ci_detail(request, pk):
    """A CI's fields, attributes, relationships both ways, status buttons and history."""
    _require_view(request.user)
    ci = selectors.ci_get_for_user(user=request.user, pk=pk)
    return render(request, "cmdb/ci_detail.html", _detail_context(request, ci))


@login_required
@require_POST
def ci_transition_view(request, pk):
    _require_view(request.user)
    ci = selectors.ci_get_for_user(user=request.user, pk=pk)
    try:
        ci = ci_transition(ci=ci, actor=request.user, to=request.POST.get("to", ""), via=VIA_WEB)
    except Conflict as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request, _("The CI is now %(status)s.") % {"status": ci.get_status_display().lower()}
        )
    return redirect("cmdb:ci_detail", ci.pk)


@login_required
def ci_search(request):
    """CIs whose name or identifiers match, as options for the relate form (an htmx partial)."""
    _require_view(request.user)
    text = request.GET.get("q", "").strip()
    exclude = request.GET.get("exclude", "")
    items = selectors.ci_list_for_user(user=request.user)
    items = _filtered(items, {"q": text})[:SEARCH_LIMIT] if text else items.none()
    if exclude.isdigit():
        items = [ci for ci in items if ci.pk != int(exclude)]
    return render(request, "cmdb/_ci_options.html", {"items": items, "q": text})


@login_required
@require_POST
def relationship_create_view(request):
    """Relate the CI on whose page the form is to another, either way round."""
    _require_view(request.user)
    _require(CMDBPolicy.can_relate(request.user))
    ci_pk = request.POST.get("ci", "")
    if not ci_pk.isdigit():
        raise Http404()
    ci = selectors.ci_get_for_user(user=request.user, pk=ci_pk)
    form = RelationshipForm(request.POST, types=selectors.relationship_type_list_for_user(user=request.user))
    if form.is_valid():
        try:
            other = selectors.ci_get_for_user(user=request.user, pk=form.cleaned_data["other"])
        except NotFound:
            form.add_error("other", _("There is no CI with this number."))
        else:
            outgoing = form.cleaned_data["direction"] == RelationshipForm.OUTGOING
            try:
                relationship_create(
                    actor=request.user,
                    source=ci if outgoing else other,
                    target=other if outgoing else ci,
                    type=form.cleaned_data["type"],
                    description=form.cleaned_data["description"],
                    via=VIA_WEB,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc, nested={"target": "other", "source": "other"})
            else:
                messages.success(request, _("The relationship was added."))
                return redirect("cmdb:ci_detail", ci.pk)
    return render(request, "cmdb/ci_detail.html", _detail_context(request, ci, relate_form=form))


@login_required
@require_POST
def relationship_delete_view(request, pk):
    _require_view(request.user)
    relationship = selectors.relationship_get_for_user(user=request.user, pk=pk)
    back = request.POST.get("ci", "")
    back_pk = int(back) if back.isdigit() else relationship.source_id
    if back_pk not in (relationship.source_id, relationship.target_id):
        back_pk = relationship.source_id
    relationship_delete(actor=request.user, relationship=relationship, via=VIA_WEB)
    messages.success(request, _("The relationship was removed."))
    return redirect("cmdb:ci_detail", back_pk)


# Class editor
