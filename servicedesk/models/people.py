import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from .revisions import Revisioned

# What makes a person an agent: they may use the agent workspace. `User.is_agent` and
# `servicedesk.selectors.agent_list` both read it; process apps add their own rights on top.
AGENT_PERMISSION = "servicedesk.access_workspace"


def validate_time_zone(value: str) -> None:
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


def language_choices():
    return settings.LANGUAGES


class Organisation(Revisioned, models.Model):
    """A customer organisation whose people file records with the desk."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    email_domain = models.CharField(
        _("e-mail domain"),
        max_length=253,
        blank=True,
        help_text=_("Senders from this domain are matched to the organisation."),
    )
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    shares_records = models.BooleanField(
        _("members see each other's records"),
        default=False,
        help_text=_("Requesters of this organisation may follow every record filed by its members."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self):
        return self.name


class User(Revisioned, AbstractUser):
    """A person who uses the desk: a requester, an agent, a manager or an integration's account."""

    first_name = None
    last_name = None
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("organisation"),
    )
    department = models.CharField(
        _("department"),
        max_length=100,
        blank=True,
        help_text=_("Within the organisation; management information groups requests by it."),
    )
    language = models.CharField(
        _("preferred language"),
        max_length=10,
        blank=True,
        choices=language_choices,
        help_text=_("Empty: the language the browser asks for."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Empty: the site's time zone."),
    )

    manager = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("manager"),
        help_text=_(
            "Approves what this person requests where a request type asks for the manager's approval."
        ),
    )

    REQUIRED_FIELDS = ["email"]
    objects = UserManager()

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            ("access_portal", _("Can use the requester portal")),
            ("access_workspace", _("Can use the agent workspace")),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="servicedesk_user_email_unique_ci",
                violation_error_message=_("A user with this e-mail address already exists."),
            ),
        ]

    def __str__(self):
        return self.full_name or self.username

    def get_full_name(self):
        return self.full_name or self.username

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.username

    @property
    def is_agent(self) -> bool:
        """May use the agent workspace (an active person with a working role); the one definition."""
        return self.is_active and self.has_perm(AGENT_PERMISSION)


class SupportGroup(Revisioned, models.Model):
    """A team that works records: the first-line desk, second- and third-line groups, vendors."""

    class Tier(models.TextChoices):
        TIER1 = "tier1", _("1st line")
        TIER2 = "tier2", _("2nd line")
        TIER3 = "tier3", _("3rd line")
        VENDOR = "vendor", _("Vendor")

    name = models.CharField(_("name"), max_length=200, unique=True)
    email = models.EmailField(_("e-mail"), blank=True)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, default=Tier.TIER1)
    description = models.TextField(_("description"), blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_groups",
        verbose_name=_("manager"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="support_groups",
        verbose_name=_("members"),
    )
    escalation_group = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="escalated_from",
        verbose_name=_("escalates to"),
        help_text=_("The group that records move to on functional escalation."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_default = models.BooleanField(
        _("default group"),
        default=False,
        help_text=_(
            "Records that no rule routes (no service, category or request type with a group) go to this "
            "group. One group at most."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("support group")
        verbose_name_plural = _("support groups")
        permissions = [("manage_members", _("Can manage the members of the groups they manage"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tier__in=["tier1", "tier2", "tier3", "vendor"]),
                name="servicedesk_supportgroup_tier_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(escalation_group=models.F("pk")),
                name="servicedesk_supportgroup_no_self_escalation",
                violation_error_message=_("A group cannot escalate to itself."),
            ),
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="servicedesk_supportgroup_one_default",
                violation_error_message=_("Another group is already the default group."),
            ),
            models.CheckConstraint(
                condition=models.Q(is_default=False) | models.Q(is_active=True),
                name="servicedesk_supportgroup_default_is_active",
                violation_error_message=_("The default group must be active."),
            ),
        ]

    def __str__(self):
        return self.name
