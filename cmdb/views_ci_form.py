"""The CI editor: a CI's fields, and its attributes through the form generated from its class's schema
(or, for those who write schemas, as JSON); a stale save merges or answers 412 (`servicedesk.forms_merge`).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from servicedesk.form_errors import apply_service_errors
from servicedesk.forms_merge import merge_and_save

from . import schemas, selectors
from .forms import CIForm
from .models import CIClass, ConfigurationItem
from .permissions import CMDBPolicy
from .services.common import VIA_WEB
from .services.items import ci_create, ci_update
from .views import _require, _require_view


def _schema_context(ci_class: CIClass | None, schema: dict | None = None) -> dict:
    if ci_class is None:
        return {"schema": None}
    schema = schema if schema is not None else schemas.effective_schema(ci_class)
    required = set(schema["required"])
    return {
        "schema_class": ci_class,
        "schema": schema,
        "schema_rows": [(name, spec, name in required) for name, spec in schema["properties"].items()],
    }


def _service_error(form: CIForm, exc: ValidationError) -> ValidationError:
    """The service's error with each `attributes.<name>` key on the generated field for that attribute."""
    if not hasattr(exc, "error_dict"):
        return exc
    keys = form.service_error_keys()
    errors: dict = {}
    for key, texts in exc.message_dict.items():
        head = ".".join(key.split(".")[:2])
        target = keys.get(head, key)
        rest = key[len(head) + 1 :] if head in keys else ""  # a path inside the attribute (a list's item)
        errors.setdefault(target, []).extend(f"{rest}: {text}" if rest else text for text in texts)
    return ValidationError(errors)


def _save_ci(request, form: CIForm, ci: ConfigurationItem | None):
    """Create the CI, or save what this person changed on it; (row, merge), row None when refused."""
    data = form.cleaned_data
    try:
        if ci is None:
            names = [*CIForm.service_fields(), *form.attribute_fields]
            fields = form.service_changes(None, {name: data[name] for name in names if name in data})
            ci = ci_create(
                actor=request.user, ci_class=data["ci_class"], status=data["status"], via=VIA_WEB, **fields
            )
            messages.success(request, _("The CI was created."))
            return ci, None
        ci, merge = merge_and_save(
            form,
            ci,
            values=form.values_of,
            reload=lambda: selectors.ci_get_for_user(user=request.user, pk=ci.pk),
            save=lambda row, changes, version: ci_update(
                ci=row,
                actor=request.user,
                via=VIA_WEB,
                expected_version=version,
                **form.service_changes(row, changes),
            ),
        )
    except ValidationError as exc:
        nested = {"attributes": "attributes"} if form.raw_attributes else {}
        apply_service_errors(form, _service_error(form, exc), nested=nested)
        return None, None
    if merge.saved:
        messages.success(request, _("The CI was saved."))
    return ci, merge


def _raw_attributes(request) -> bool:
    """Whether the page edits the attributes as JSON: asked for (`editor=json`), by someone allowed."""
    asked = (request.POST if request.method == "POST" else request.GET).get("editor") == "json"
    return asked and CMDBPolicy.can_edit_raw_attributes(request.user)


def _requested_class(request) -> CIClass | None:
    raw = request.GET.get("ci_class", "")
    if not raw.isdigit():
        return None
    return selectors.ci_class_list_for_user(user=request.user).filter(pk=raw).first()


def _ci_form_page(request, ci: ConfigurationItem | None):
    raw = _raw_attributes(request)
    options = {"instance": ci, "raw_attributes": raw}
    if ci is None and request.method != "POST":
        options["ci_class"] = _requested_class(request)
    form = CIForm(request.POST or None, **options)
    status, conflicts = 200, []
    if request.method == "POST" and form.is_valid():
        saved, merge = _save_ci(request, form, ci)
        if saved is not None and (merge is None or merge.saved):
            return redirect("cmdb:ci_detail", saved.pk)
        if saved is not None:
            # Someone else changed what this person changed: show both, keep theirs to choose.
            ci, status = saved, 412
            form, conflicts = form.rebased(
                form.values_of(ci), version=ci.revision, merge=merge, instance=ci, raw_attributes=raw
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
        "can_edit_raw": CMDBPolicy.can_edit_raw_attributes(request.user),
        **_schema_context(form.schema_class, form.schema),
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
    return render(request, "cmdb/_schema_help.html", _schema_context(_requested_class(request)))


@login_required
def class_attributes(request):
    """The attribute fields of the class chosen in the CI form, with their schema (an htmx partial): a
    new CI's form, with the class's defaults."""
    _require_view(request.user)
    ci_class = _requested_class(request)
    form = CIForm(ci_class=ci_class)
    context = {"form": form, "can_edit_raw": CMDBPolicy.can_edit_raw_attributes(request.user)}
    return render(
        request, "cmdb/_attribute_fields.html", {**context, **_schema_context(ci_class, form.schema)}
    )
