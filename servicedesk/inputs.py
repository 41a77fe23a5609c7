"""What any input must be before it reaches the database or a recursive validator.

PostgreSQL refuses U+0000 in text and in jsonb, so a NUL character anywhere in a request's parameters, form
fields or JSON would otherwise end as a server error; JSON nested deeper than a person or an integration
ever writes would exhaust Python's stack in the parser or in JSON Schema validation. Both are bad input
(400). The walks below are iterative, so they are safe on the very input they refuse.
"""

from django.core.exceptions import BadRequest
from django.utils.translation import gettext_lazy as _

NUL = "\x00"
# Deeper than any attribute schema, import row or API body needs; far below what exhausts the stack
# (JSON Schema validation takes a few frames per level, the frame limit is 1,000).
MAX_JSON_DEPTH = 32

NUL_MESSAGE = _("Null characters are not allowed.")
NUL_IN_ADDRESS_MESSAGE = _("The address holds a null character.")
DEPTH_MESSAGE = _("JSON nested more than %(depth)d levels deep is not accepted.")


def json_too_deep(value, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether lists and objects in `value` nest more than `limit` levels deep (the top one is level 1)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list | tuple))
    return False


def has_null_character(value) -> bool:
    """Whether any string or key in `value` (JSON-like: dicts, lists, strings) holds a NUL."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            for key, child in item.items():
                if NUL in str(key):
                    return True
                stack.append(child)
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


def null_character_fields(data) -> dict[str, list[str]]:
    """For a JSON body: each top-level field holding a NUL somewhere, with its error (as the serializers
    name attribute errors on their field); a body that is not an object is named `non_field_errors`."""
    if isinstance(data, dict):
        return {printable(str(k)): [str(NUL_MESSAGE)] for k, v in data.items() if has_null_character({k: v})}
    return {"non_field_errors": [str(NUL_MESSAGE)]} if has_null_character(data) else {}


def printable(name: str) -> str:
    """A parameter name fit to show back: NUL characters written as `\\x00`."""
    return name.replace(NUL, "\\x00")


class BadInput(BadRequest):
    """A 400 answered by the site's bad-request handler: the API's error shape with `fields`, or the page."""

    def __init__(self, message, fields: dict[str, list[str]] | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.fields = fields or {}


def request_null_character_fields(request, *, address: bool = True, form: bool = True):
    """The query parameters (`address`) and form fields (`form`) of `request` holding a NUL (in a name or a
    value), each with its error; `{}` for a NUL in the path alone; None when there is none."""
    found: dict[str, list[str]] = {}
    sources = [request.GET] if address else []
    if (
        form
        and request.method == "POST"
        and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sources.append(request.POST)
    for data in sources:
        for name, values in data.lists():
            if NUL in name or any(NUL in value for value in values):
                found[printable(name)] = [str(NUL_MESSAGE)]
    if found:
        return found
    return {} if address and NUL in request.path else None


def reads_own_uploads(view):
    """Mark `view` as parsing its form body through upload handlers of its own (a checksum computed while
    the file is written, a size limit): `NullCharacterMiddleware` then leaves the body unread, so the view
    can set `request.upload_handlers` first, and the view calls `form_null_check` once it has read it."""
    view.reads_own_uploads = True
    return view


def form_null_check(request) -> None:
    """Refuse a NUL character in `request`'s form fields (a Django request), as `NullCharacterMiddleware`
    does for views that do not read their own uploads. Raises BadInput."""
    fields = request_null_character_fields(request, address=False)
    if fields:
        raise BadInput(NUL_MESSAGE, fields)
