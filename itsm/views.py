"""Site-level pages: home (portal or workspace by role), health, API docs, error pages."""

import secrets

from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from incidents.forms_workspace import QUEUE_VIEWS
from incidents.permissions import IncidentPolicy
from servicedesk import selectors
from servicedesk.api.errors import json_error, json_not_found, json_server_error

from .celery import app as celery_app


@login_required
def home(request):
    """Agents land in the workspace (their groups and colleagues); requesters in the portal."""
    if request.user.is_agent:
        groups = selectors.support_groups_of_member(user=request.user)
        queues = []
        if IncidentPolicy.is_agent(request.user):
            # Links only: counting would cost a query per queue on every visit to the home page.
            queues = [(view, QUEUE_VIEWS[view]) for view in ("mine", "groups", "open", "all")]
        return render(request, "itsm/home_workspace.html", {"groups": groups, "queues": queues})
    from incidents.views_portal import portal_context

    return render(request, "itsm/home_portal.html", {"profile": request.user, **portal_context(request)})


def _check(probe) -> dict:
    try:
        return {"ok": True, **(probe() or {})}
    except Exception as exc:  # noqa: BLE001 - a health check reports every failure
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def _cache():
    token = secrets.token_hex(8)
    cache.set("healthz", token, 30)
    if cache.get("healthz") != token:
        raise RuntimeError("the cache did not return what was stored")
    return {"backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]}


def _broker():
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        return {
            "transport": conn.transport_cls
            if isinstance(conn.transport_cls, str)
            else conn.transport.driver_type
        }


def _workers():
    replies = celery_app.control.ping(timeout=settings.ITSM_HEALTH_WORKER_PING_TIMEOUT) or []
    return {"count": len(replies)}


@never_cache
def healthz(request):
    """Database, cache and broker (503 when one fails) and how many workers answer a ping."""
    checks = {"database": _check(_database), "cache": _check(_cache), "broker": _check(_broker)}
    healthy = all(check["ok"] for check in checks.values())
    checks["workers"] = _check(_workers) if checks["broker"]["ok"] else {"ok": False, "count": 0}
    if checks["workers"].get("count", 0) < 1:
        checks["workers"]["ok"] = False
    if not healthy:
        overall = "failing"
    elif not checks["workers"]["ok"]:
        overall = "degraded"
    else:
        overall = "ok"
    return JsonResponse({"status": overall, "checks": checks}, status=200 if healthy else 503)


def api_docs(view):
    """Swagger UI needs inline styles and data: images; allow them on this page only."""
    return csp_update({"style-src": ["'unsafe-inline'"], "img-src": ["data:"]})(view)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception=None):
    if _is_api(request):
        return json_error("bad_request", _("The request is malformed."), 400)
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    if _is_api(request):
        return json_error("permission_denied", _("You do not have permission to do this."), 403)
    return render(request, "403.html", status=403)


def csrf_failure(request, reason=""):
    """API clients get JSON; a page explains that the form expired."""
    if _is_api(request):
        message = _("CSRF check failed. Send the X-CSRFToken header, or authenticate with a token.")
        return json_error("csrf_failed", message, 403)
    return render(request, "403_csrf.html", status=403)


def page_not_found(request, exception=None):
    if _is_api(request):
        return json_not_found(request, exception)
    return render(request, "404.html", status=404)


def server_error(request):
    if _is_api(request):
        return json_server_error(request)
    return render(request, "500.html", status=500)
