"""Configuration every write reads (SLA policies and calendars, webhook subscriptions, notification
templates), kept in process memory while nobody has changed it.

An administrator edits these rarely and every record write reads them, so each process keeps what it read
under the configuration's *generation*: a random token in the shared cache (Redis), which every committed
edit replaces. A read compares the token it finds with the one its copy was read under, so a copy
never outlives an edit committed by any process (web worker, Celery worker). While a transaction that
edited the configuration is open, it reads through a memo of its own: it sees its edit, the other
processes go on with the committed state, and if it rolls back its memo goes with it. Without the shared
cache (an outage, or none configured with a cache that is itself a query), every read goes to the
database: slower, never stale.

Edits made through the ORM (`save`, `delete`, many-to-many changes) announce themselves through the
receivers below; services that write with `update()`, `delete()` on a queryset or `bulk_create` call
`config_changed()` themselves.
"""

import contextlib
import logging
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from servicedesk.api.throttling import cache_breaker

logger = logging.getLogger(__name__)

GENERATION_KEY = "config:generation"

# name -> (generation it was read under, value). Values are shared by every request of the process:
# callers must not change them.
_memo: dict[str, tuple[str, object]] = {}


class _Edit:
    """The configuration edits of one open transaction; called by `on_commit` to publish them."""

    def __init__(self):
        self.memo: dict[str, object] = {}

    def __call__(self) -> None:
        _publish()


def _open_edit(connection) -> _Edit | None:
    """This connection's edit, while its transaction is open (gone once it committed or rolled back:
    Django then has dropped the `on_commit` callback)."""
    edit = getattr(connection, "_config_edit", None)
    if edit is not None and any(entry[1] is edit for entry in connection.run_on_commit):
        return edit
    return None


def _publish() -> None:
    _memo.clear()
    try:
        cache.set(GENERATION_KEY, uuid.uuid4().hex, None)
    except Exception:  # the cache is down: readers cannot read the generation either, so do not memo
        logger.warning("The configuration generation could not be published", exc_info=True)
        with contextlib.suppress(Exception):  # nothing more to do: readers fall back to the database
            cache.delete(GENERATION_KEY)


def _generation() -> str | None:
    if not cache_breaker.closed():  # the cache failed a moment ago: do not wait on it again yet
        return None
    try:
        generation = cache.get(GENERATION_KEY)
        if generation is None:  # first use, or the cache lost it: start a generation nobody memoised
            cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
            generation = cache.get(GENERATION_KEY)
    except Exception as exc:  # noqa: BLE001 - any cache failure: read the database instead
        cache_breaker.trip(exc)
        return None
    return generation


def config_changed(using: str = DEFAULT_DB_ALIAS) -> None:
    """The configuration changed in the current transaction (or just now, outside one): every process
    reads it again once the change is committed, and this transaction reads it again at once."""
    connection = connections[using]
    if not connection.in_atomic_block:
        _publish()
        return
    edit = _open_edit(connection)
    if edit is None:
        edit = connection._config_edit = _Edit()
        transaction.on_commit(edit, using=using)
    edit.memo.clear()


def config_memo(name: str, load: Callable[[], object]) -> object:
    """`load()`'s answer as of the current configuration, read once per process and generation."""
    edit = _open_edit(connections[DEFAULT_DB_ALIAS])
    if edit is not None:
        if name not in edit.memo:
            edit.memo[name] = load()
        return edit.memo[name]
    generation = _generation()
    if generation is None:
        return load()
    kept = _memo.get(name)
    if kept is not None and kept[0] == generation:
        return kept[1]
    value = load()
    _memo[name] = (generation, value)
    return value


def config_forget() -> None:
    """Drop this process's copies (tests: a rolled-back test leaves rows nobody committed)."""
    _memo.clear()


def _changed(sender, **kwargs) -> None:
    config_changed(using=kwargs.get("using") or DEFAULT_DB_ALIAS)


def _m2m_changed(sender, action, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        config_changed(using=kwargs.get("using") or DEFAULT_DB_ALIAS)


def watch(*models) -> None:
    """Treat every saved or deleted row of `models` (and their many-to-many changes) as an edit."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    for model in models:
        uid = f"configmemo.{model._meta.label_lower}"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}.save", weak=False)
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}.delete", weak=False)
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                _m2m_changed,
                sender=field.remote_field.through,
                dispatch_uid=f"{uid}.{field.name}",
                weak=False,
            )
