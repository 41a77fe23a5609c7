"""Sign-in, password, profile, tokens and language pages."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from . import selectors
from .errors import ApplicationError, NotFound
from .forms import (
    ApiTokenCreateForm,
    AuditedPasswordChangeForm,
    AuditedSetPasswordForm,
    PasswordResetRequestForm,
    ProfileForm,
)
from .services.people import user_profile_update
from .services.tokens import api_token_create, api_token_revoke


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetRequestForm


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = AuditedSetPasswordForm


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = AuditedPasswordChangeForm
    success_url = reverse_lazy("profile")

    def form_valid(self, form):
        messages.success(self.request, _("Your password was changed."))
        return super().form_valid(form)


def _profile_context(request, **extra):
    return {
        "tokens": selectors.api_token_list(user=request.user),
        "token_form": ApiTokenCreateForm(),
        **extra,
    }


@login_required
def profile(request):
    """The signed-in user's details, preferences and API tokens."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        # The merging form left in its data only what this person changed (servicedesk.forms_merge).
        changes = {name: form.cleaned_data[name] for name in form.merge_fields() if name in form.cleaned_data}
        request.user.refresh_from_db()
        user_profile_update(user=request.user, **changes)
        messages.success(request, _("Your profile was saved."))
        return redirect("profile")
    return render(request, "servicedesk/profile.html", _profile_context(request, form=form))


def _render_tokens(request, **extra):
    context = _profile_context(request, **extra)
    if request.htmx:
        return render(request, "servicedesk/_tokens.html", context)
    return render(
        request, "servicedesk/profile.html", {**context, "form": ProfileForm(instance=request.user)}
    )


@login_required
@require_POST
def token_create(request):
    """Create a token and show its key once, in this answer only."""
    form = ApiTokenCreateForm(request.POST)
    if not form.is_valid():
        return _render_tokens(request, token_form=form)
    days = form.cleaned_data["expires_in_days"]
    expires_at = timezone.now() + timedelta(days=days) if days else None
    try:
        token, key = api_token_create(
            user=request.user, actor=request.user, name=form.cleaned_data["name"], expires_at=expires_at
        )
    except ApplicationError as exc:
        form.add_error(None, str(exc.message))
        return _render_tokens(request, token_form=form)
    return _render_tokens(request, new_token=token, new_key=key)


@login_required
@require_POST
def token_revoke(request, pk):
    token = selectors.api_token_get_for_user(user=request.user, pk=pk)
    if token.revoked_at is not None:
        raise NotFound()
    api_token_revoke(token=token, actor=request.user)
    if request.htmx:
        return _render_tokens(request)
    messages.success(request, _("The token was revoked."))
    return redirect("profile")


@require_POST
def language_set(request):
    """Switch the language; for a signed-in user it becomes their preference."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and check_for_language(language):
        user_profile_update(user=request.user, language=language)
    return set_language(request)
