from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from servicedesk.middleware import apply_user_preferences
from servicedesk.services.tokens import api_token_authenticate


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>` (or `Token <key>`) with a personal API token."""

    keywords = ("bearer", "token")

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].decode("latin-1").lower() not in self.keywords:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            key = parts[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token header.")) from exc
        token = api_token_authenticate(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        # Answer in the token user's language and time zone, as their pages do, unless the client asks for
        # a language itself (decision 9: API clients choose with Accept-Language).
        asked = bool(request.META.get("HTTP_ACCEPT_LANGUAGE"))
        apply_user_preferences(request._request, token.user, language=not asked)
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
