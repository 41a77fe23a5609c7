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
from servicedesk.forms_merge import merge_and_save

from . import schemas, selectors
from .filters import CIFilter
from .forms import CIFilterForm, CIForm, RelationshipForm
from .models import CIClass, CIRelationship, ConfigurationItem
from .permissions import CMDBPolicy
from .services.common import VIA_WEB
from .services.items import ci_allowed_statuses, ci_create, ci_transition, ci_update
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


def _schema_context(ci_class: CIClass | None) -> dict:
    if ci_class is None:
        return {"schema": None}
    schema = schemas.effective_schema(ci_class)
    required = set(schema["required"])
    return {
        "schema_class": ci_class,
        "schema": schema,
        "schema_rows": [(name, spec, name in required) for name, spec in schema["properties"].items()],
    }


def _selected_class(form: CIForm, ci: ConfigurationItem | None) -> CIClass | None:
    raw = form["ci_class"].value()
    if raw:
        return CIClass.objects.filter(pk=raw).first() if str(raw).isdigit() else None
    return ci.ci_class if ci is not None else None


def _save_ci(request, form: CIForm, ci: ConfigurationItem | None):
    """Create the CI, or save what this person changed on it; (row, merge), row None when refused."""
    data = form.cleaned_data
    try:
        if ci is None:
            fields = {name: data[name] for name in CIForm.service_fields()}
            ci = ci_create(
                actor=request.user, ci_class=data["ci_class"], status=data["status"], via=VIA_WEB, **fields
            )
            messages.success(request, _("The CI was created."))
            return ci, None
        ci, merge = merge_and_save(
            form,
            ci,
            values=CIForm.current_values,
            reload=lambda: selectors.ci_get_for_user(user=request.user, pk=ci.pk),
            save=lambda row, changes, version: ci_update(
                ci=row, actor=request.user, via=VIA_WEB, expected_version=version, **changes
            ),
        )
    except ValidationError as exc:
        apply_service_errors(form, exc, nested={"attributes": "attributes"})
        return None, None
    if merge.saved:
        messages.success(request, _("The CI was saved."))
    return ci, merge


def _ci_form_page(request, ci: ConfigurationItem | None):
    form = CIForm(request.POST or None, instance=ci)
    status, conflicts = 200, []
    if request.method == "POST" and form.is_valid():
        saved, merge = _save_ci(request, form, ci)
        if saved is not None and (merge is None or merge.saved):
            return redirect("cmdb:ci_detail", saved.pk)
        if saved is not None:
            # Someone else changed what this person changed: show both, keep theirs to choose.
            ci, status = saved, 412
            form, conflicts = form.rebased(
                CIForm.current_values(ci), version=ci.revision, merge=merge, instance=ci
            )
        else:
            status = 400
    elif request.method == "POST":
        status = 400
    context = {
        "form": form,
        "ci": ci,
        "conflicts": conflicts,
        "stale": status == 412,
        **_schema_context(_selected_class(form, ci)),
    }
    return render(request, "cmdb/ci_form.html", context, status=status)


@login_required
def ci_create_view(request):
    _require_view(request.user)
    _require(CMDBPolicy.can_create_ci(request.user))
    return _ci_form_page(request, None)


@login_required
def ci_edit(request, pk):
    _require_view(request.user)
    ci = selectors.ci_get_for_user(user=request.user, pk=pk)
    _require(CMDBPolicy.can_change_ci(request.user, ci))
    return _ci_form_page(request, ci)


@login_required
def class_schema(request):
    """The effective schema of the class chosen in the CI form (an htmx partial)."""
    _require_view(request.user)
    raw = request.GET.get("ci_class", "")
    ci_class = None
    if raw.isdigit():
        ci_class = selectors.ci_class_list_for_user(user=request.user).filter(pk=raw).first()
    return render(request, "cmdb/_schema_help.html", _schema_context(ci_class))


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
