"""Site-level pages: home (portal or workspace by role), health, API docs, error pages."""

import logging
import secrets

from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from incidents.forms_workspace import QUEUE_VIEWS
from incidents.permissions import IncidentPolicy
from servicedesk import selectors
from servicedesk.api.errors import error_body, json_error, json_not_found, json_server_error
from servicedesk.correlation import current_correlation_id
from servicedesk.inputs import BadInput

from .celery import app as celery_app

logger = logging.getLogger(__name__)


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


def _error_page(request, template: str, status: int, **context):
    """A 4xx page: the full layout (the database works), and the request id to quote."""
    return render(request, template, {"request_id": current_correlation_id(), **context}, status=status)


def bad_request(request, exception=None):
    """400: the API's error shape (with the fields named, for BadInput), or the page saying what was wrong."""
    message, fields = (exception.message, exception.fields) if isinstance(exception, BadInput) else ("", {})
    if _is_api(request):
        if fields:
            return JsonResponse(error_body("validation_error", message, fields), status=400)
        return json_error("bad_request", message or _("The request is malformed."), 400)
    return _error_page(request, "400.html", 400, message=message, fields=fields)


def permission_denied(request, exception=None):
    if _is_api(request):
        return json_error("permission_denied", _("You do not have permission to do this."), 403)
    return _error_page(request, "403.html", 403)


def csrf_failure(request, reason=""):
    """API clients get JSON; a page explains that the form expired."""
    if _is_api(request):
        message = _("CSRF check failed. Send the X-CSRFToken header, or authenticate with a token.")
        return json_error("csrf_failed", message, 403)
    return _error_page(request, "403_csrf.html", 403)


def page_not_found(request, exception=None):
    if _is_api(request):
        return json_not_found(request, exception)
    return _error_page(request, "404.html", 404)


def server_error(request):
    """500, for pages and the API, with the request id to quote (the logs carry the same id).

    Whatever failed may be the database: nothing here queries it. The page is rendered without the request
    (so no context processor runs: no session, user or messages), in the language active for the request;
    if even that fails, a plain page still carries the id.
    """
    request_id = current_correlation_id()
    if _is_api(request):
        return json_server_error(request, request_id=request_id)
    try:
        html = loader.render_to_string("500.html", {"request_id": request_id})
    except Exception:  # the last resort must answer whatever broke (logged with its traceback)
        logger.exception("The 500 page could not be rendered")
        html = _PLAIN_500.format(
            title=escape(_("Server error")),
            reference=escape(_("Reference:")),
            request_id=escape(request_id),
            home=escape(_("Go to the start page")),
        )
    return HttpResponseServerError(html)


_PLAIN_500 = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
    "<body><h1>{title}</h1><p>{reference} <code>{request_id}</code></p>"
    '<p><a href="/">{home}</a></p></body></html>'
)
