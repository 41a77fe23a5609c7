"""@mentions: `@username` in a comment or work note tells that person (notification event `mentioned`).

Only people who may see the record are told, and of a work note only those who read work notes (the
kind's `reads_internal`): a mention never reveals a record, or an internal note, to someone who could not
open it. The author is not told of their own mention; at most `MAX_MENTIONS` names are read per text.
"""

import re

from django.db.models import Q

from servicedesk.kinds import kind_of

from .audiences import reads_internal

MAX_MENTIONS = 20
# Django usernames: letters, digits and @ . + - _; a mention starts a word and may end a sentence.
_MENTION = re.compile(r"(?<![\w@.+-])@([\w.@+-]{1,150})")


def mentioned_usernames(text: str) -> list[str]:
    """The usernames named with @ in `text`, in order, once each, without trailing sentence punctuation;
    text in code (`…` or fenced) is not read."""
    text = re.sub(r"```.*?```|`[^`\n]*`", " ", text or "", flags=re.DOTALL)
    names: list[str] = []
    for match in _MENTION.finditer(text):
        name = match.group(1).rstrip(".-+@")
        if name and name.lower() not in {n.lower() for n in names}:
            names.append(name)
        if len(names) >= MAX_MENTIONS:
            break
    return names


def mentioned_people(*, record, entry, actor) -> list:
    """The active people named in `entry` (a comment or work note of `record`) who may read it, except
    its author, in the order named."""
    from servicedesk.models import User

    names = mentioned_usernames(getattr(entry, "body", "") or "")
    if not names:
        return []
    query = Q()
    for name in names:
        query |= Q(username__iexact=name)
    found = {user.username.lower(): user for user in User.objects.filter(query, is_active=True)}
    try:
        policy = kind_of(record).policy
    except LookupError:
        return []
    people = []
    for name in names:
        user = found.get(name.lower())
        if user is None or (actor is not None and user.pk == actor.pk) or policy is None:
            continue
        if not policy.can_see(user, record):
            continue
        if not entry.is_public and not reads_internal(user, record):
            continue
        people.append(user)
    return people
