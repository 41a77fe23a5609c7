"""The sign-in page (local, LDAP and the "Sign in with …" button) and the OpenID Connect endpoints.

The OpenID endpoints answer 404 while `ITSM_OIDC_ENABLED` is off; a failed OpenID sign-in comes back to
the sign-in page with a message rather than an error page.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from mozilla_django_oidc import views as oidc_views

from .oidc import oidc_setting


class SignInView(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["oidc_provider_name"] = settings.ITSM_OIDC_PROVIDER_NAME if settings.ITSM_OIDC_ENABLED else ""
        return context


def _require_oidc():
    if not settings.ITSM_OIDC_ENABLED:
        raise Http404


class OIDCAuthenticateView(oidc_views.OIDCAuthenticationRequestView):
    """Sends the browser to the provider (state, nonce and PKCE verifier kept in the session)."""

    get_settings = staticmethod(oidc_setting)

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)

        def guarded(request, *args, **kwargs):
            _require_oidc()
            try:
                return view(request, *args, **kwargs)
            except ImproperlyConfigured:  # discovery failed: the provider is down or misconfigured
                messages.error(request, _("The sign-in service cannot be reached. Try again later."))
                return HttpResponseRedirect(reverse("login"))

        return guarded


class OIDCCallbackView(oidc_views.OIDCAuthenticationCallbackView):
    """Signs in whom the provider vouches for; on failure, back to the sign-in page with a message."""

    get_settings = staticmethod(oidc_setting)

    def dispatch(self, request, *args, **kwargs):
        _require_oidc()
        return super().dispatch(request, *args, **kwargs)

    def login_failure(self):
        messages.error(
            self.request,
            _("Signing in with %(provider)s did not work. Ask the service desk if this goes on.")
            % {"provider": settings.ITSM_OIDC_PROVIDER_NAME},
        )
        return HttpResponseRedirect(reverse("login"))
