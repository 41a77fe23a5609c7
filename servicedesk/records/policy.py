"""One shape of policy for every record kind: who may see a record and what they may do with it.

A kind subclasses `RecordPolicy`, names its model and permissions, and overrides the rules that differ;
its `RecordKind.policy` is an instance. Views, services, the API and notifications ask the policy, never
a permission name: `user_has_permission_for_instance(user, "comment", record)` is `can_comment(user,
record)`, and `instances_user_has_permission_for(user, "view")` the records the user may see (Wagtail's
permission policies are the model).
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet


def is_person(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def is_agent_of(user, work_permission: str) -> bool:
    """An agent (`User.is_agent`: may use the workspace, the one definition) who also holds a kind's
    working right. Every "is this an agent?" about a kind's records asks here, through its policy."""
    return is_person(user) and user.is_agent and user.has_perm(work_permission)


class RecordPolicy:
    """Agents (`User.is_agent`, holding the kind's working right) see and work every record; a requester
    sees their own, and their organisation's where it shares them."""

    model = None  # the record model
    work_permission = ""  # "incidents.work_incident": the right to work this kind, on top of being an agent
    view_permission = ""  # "incidents.view_incident": the right to see every record of this kind
    final_statuses: tuple[str, ...] = ()  # a record in one of these takes no more comments or edits

    # Who is who.

    def is_agent(self, user) -> bool:
        return is_agent_of(user, self.work_permission)

    def is_requester(self, user, record) -> bool:
        return is_person(user) and record.requester_id == user.pk

    # What a user may see.

    def shared_organisation(self, user):
        """The user's organisation when it lets its members follow each other's records, else None."""
        organisation = getattr(user, "organisation", None)
        if organisation is not None and organisation.shares_records and organisation.is_active:
            return organisation
        return None

    def followed_by(self, user) -> Q:
        """The records a requester follows: their own, and their organisation's where it shares them."""
        mine = Q(requester=user)
        organisation = self.shared_organisation(user)
        if organisation is not None:
            mine |= Q(requester__organisation=organisation)
        return mine

    def watched_by(self, user) -> Q:
        """The records `user` watches (`servicedesk.models.Watcher`): they see them, read-only."""
        from servicedesk.models import Watcher

        watched = Watcher.objects.filter(
            user=user, content_type=ContentType.objects.get_for_model(self.model)
        ).values("object_id")
        return Q(pk__in=watched)

    def visible_to(self, user) -> QuerySet:
        if not is_person(user):
            return self.model.objects.none()
        if user.has_perm(self.view_permission):
            return self.model.objects.all()
        return self.model.objects.filter(self.followed_by(user) | self.watched_by(user))

    def can_see(self, user, record) -> bool:
        """Whether `user` may see `record`: the rule of `visible_to`, for a record already in hand."""
        if not is_person(user):
            return False
        if user.has_perm(self.view_permission) or record.requester_id == user.pk:
            return True
        return self.visible_to(user).filter(pk=record.pk).exists()

    def takes_part(self, user, record) -> bool:
        """Whether `user` is a party to `record` rather than only watching it: who sees every record of the
        kind, its requester, and their organisation where it shares its records."""
        if not is_person(user):
            return False
        if self.is_agent(user) or user.has_perm(self.view_permission) or record.requester_id == user.pk:
            return True
        return self.model.objects.filter(self.followed_by(user), pk=record.pk).exists()

    def can_see_internal(self, user, record=None) -> bool:
        """Work notes, internal attachments and field history are for agents."""
        return self.is_agent(user)

    # What a user may do.

    def is_final(self, record) -> bool:
        return record.status in self.final_statuses

    def can_comment(self, user, record) -> bool:
        """Whoever takes part in an unfinished record may reply (a watcher only reads); a final one takes
        no more comments."""
        return not self.is_final(record) and self.takes_part(user, record)

    def can_watch(self, user, record) -> bool:
        """May `user` follow `record` themself (be told of its public updates): whoever may see it."""
        return self.can_see(user, record)

    def can_manage_watchers(self, user, record) -> bool:
        """Agents add and remove anyone (a colleague, the requester's manager, an outside address)."""
        return self.is_agent(user)

    def can_add_work_note(self, user, record) -> bool:
        return self.is_agent(user)

    def can_edit(self, user, record) -> bool:
        """Agents change the working fields while the record is not final."""
        return self.is_agent(user) and not self.is_final(record)

    # The generic questions, by action name.

    def user_has_permission(self, user, action: str) -> bool:
        """May `user` do `action` to records of this kind at all: "view" (their own, at least), "work"
        (an agent of this kind), or a model permission's action ("add", "resolve"...)?"""
        if action == "view":
            return is_person(user)
        if action == "work":
            return self.is_agent(user)
        meta = self.model._meta
        return is_person(user) and user.has_perm(f"{meta.app_label}.{action}_{meta.model_name}")

    def user_has_permission_for_instance(self, user, action: str, record) -> bool:
        """May `user` do `action` to `record`: `can_<action>(user, record)`; "view" is `can_see`."""
        rule = self.can_see if action == "view" else getattr(self, f"can_{action}")
        return rule(user, record)

    def instances_user_has_permission_for(self, user, action: str) -> QuerySet:
        """The records `user` may "view" (all they see) or "work" / "edit" (an agent: the unfinished ones)."""
        visible = self.visible_to(user)
        if action == "view":
            return visible
        if action in ("work", "edit"):
            return visible.exclude(status__in=self.final_statuses) if self.is_agent(user) else visible.none()
        raise ValueError(action)
