"""Single sign-on: OpenID Connect (mozilla-django-oidc) and LDAP / Active Directory (django-auth-ldap).

Both are off until their `ITSM_OIDC_*` / `ITSM_LDAP_*` variables are set (`config.py`); local accounts keep
working beside them. Whoever signs in through either is matched to a desk user, or created, and given roles
by `servicedesk.services.sso`.
"""
