"""The class editor for configuration managers: the hierarchy, and classes created and edited."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from servicedesk.form_errors import apply_service_errors
from servicedesk.forms_merge import merge_and_save

from . import schemas, selectors
from .forms import CIClassForm
from .models import CIClass
from .permissions import CMDBPolicy
from .services.classes import ci_class_create, ci_class_update
from .views import _require, _require_view


def _class_tree(classes: list[CIClass]) -> list[dict]:
    """Each class (in path order) with its depth, own attributes and inherited ones."""
    by_id = {c.pk: c for c in classes}
    rows = []
    for ci_class in classes:
        inherited = []
        parent = by_id.get(ci_class.parent_id)
        while parent is not None:
            inherited = [*(parent.attribute_schema or {}).get("properties", {}), *inherited]
            parent = by_id.get(parent.parent_id)
        rows.append(
            {
                "ci_class": ci_class,
                "indent": min(ci_class.depth * 4, 5),
                "own": list((ci_class.attribute_schema or {}).get("properties", {})),
                "required": set((ci_class.attribute_schema or {}).get("required", [])),
                "inherited": inherited,
            }
        )
    return rows


@login_required
def class_list(request):
    """The class hierarchy with each class's own and inherited attributes."""
    _require_view(request.user)
    classes = list(selectors.ci_class_list_for_user(user=request.user).order_by("path"))
    return render(
        request,
        "cmdb/class_list.html",
        {"rows": _class_tree(classes), "can_manage": CMDBPolicy.can_manage_classes(request.user)},
    )


def _class_form_page(request, ci_class: CIClass | None):
    form = CIClassForm(request.POST or None, instance=ci_class)
    status, conflicts = (400 if request.method == "POST" else 200), []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if ci_class is None:
                fields = {name: data[name] for name in ("name", "parent", "description", "attribute_schema")}
                ci_class = ci_class_create(actor=request.user, code=data["code"], **fields)
                messages.success(request, _("The class was created."))
                return redirect("cmdb:class_list")
            ci_class, merge = merge_and_save(
                form,
                ci_class,
                values=CIClassForm.current_values,
                reload=lambda: selectors.ci_class_get_for_user(user=request.user, pk=ci_class.pk),
                save=lambda row, changes, version: ci_class_update(
                    ci_class=row, actor=request.user, expected_version=version, **changes
                ),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, nested={"attribute_schema": "attribute_schema"})
        else:
            if merge.saved:
                messages.success(request, _("The class was saved."))
                return redirect("cmdb:class_list")
            # Someone else changed what this person changed: show both, keep theirs to choose.
            status = 412
            form, conflicts = form.rebased(
                CIClassForm.current_values(ci_class),
                version=ci_class.revision,
                merge=merge,
                instance=ci_class,
            )
    inherited = None
    if ci_class is not None and ci_class.parent_id:
        inherited = schemas.effective_schema(ci_class.parent)
    context = {
        "form": form,
        "ci_class": ci_class,
        "inherited": inherited,
        "conflicts": conflicts,
        "stale": status == 412,
    }
    return render(request, "cmdb/class_form.html", context, status=status)


@login_required
def class_create(request):
    _require_view(request.user)
    _require(CMDBPolicy.can_manage_classes(request.user))
    return _class_form_page(request, None)


@login_required
def class_edit(request, pk):
    _require_view(request.user)
    _require(CMDBPolicy.can_manage_classes(request.user))
    ci_class = selectors.ci_class_get_for_user(user=request.user, pk=pk)
    return _class_form_page(request, ci_class)
