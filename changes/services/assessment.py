"""The change's assessment (issue 16, item 2): its impact from the CMDB, its risk from the questionnaire
and that impact, and what must be ready before anyone is asked to approve it.

The risk (`risk_compute`) crosses two bands in a small matrix:

- the questionnaire's score: the weights of the active questions answered yes, as a share of all the active
  questions' weights (0-100): *low* under 25, *moderate* 25-49, *high* 50-74, *very high* 75 and over;
- the impact: *none* (no business service hit, under 10 CIs), *one* (one service, or 10 CIs or more),
  *several* (2-4 services, or 50 CIs or more), *wide* (5 services or more, or a walk cut at its limit).

    questionnaire \\ impact   none       one        several    wide
    low                      low        low        medium     high
    moderate                 low        medium     medium     high
    high                     medium     high       high       very high
    very high                high       high       very high  very high

The stored score is the questionnaire's; the level is the matrix's; the reasons say why, as sentences.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cmdb.impact import UP, ci_impact_many, max_cis
from cmdb.models import ConfigurationItem
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.models import TimelineEntry, User
from servicedesk.records.services import record_lock, record_save
from servicedesk.services import audit_record
from servicedesk.services.audit import apply_changes
from servicedesk.services.timeline import timeline_add

from ..models import Change, RiskLevel, RiskQuestion
from ..permissions import ChangePolicy

SERVICE_PATH = "/business_service/"
LOW, MEDIUM, HIGH, VERY_HIGH = RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH, RiskLevel.VERY_HIGH
# RISK_MATRIX[questionnaire band][impact band]: see the module's description.
RISK_MATRIX = (
    (LOW, LOW, MEDIUM, HIGH),
    (LOW, MEDIUM, MEDIUM, HIGH),
    (MEDIUM, HIGH, HIGH, VERY_HIGH),
    (HIGH, HIGH, VERY_HIGH, VERY_HIGH),
)
SCORE_BANDS = (25, 50, 75)  # the lowest score of the moderate, high and very high bands
# Impact bands: (services hit, CIs hit) from which each band starts.
IMPACT_BANDS = ((1, 10), (2, 50), (5, None))


def approval_readiness_errors(change: Change, *, need_dates: bool = True, need_risk: bool = True) -> dict:
    """What is missing before approval, by field: the three plans, the planned start and end, and the
    risk assessment."""
    errors = {}
    for name, label in (
        ("implementation_plan", _("the implementation plan")),
        ("test_plan", _("the test plan")),
        ("backout_plan", _("the back-out plan")),
    ):
        if not getattr(change, name).strip():
            errors[name] = _("Write %(plan)s before approval.") % {"plan": label}
    if need_dates and (change.planned_start is None or change.planned_end is None):
        errors["planned_start"] = _("Plan the start and the end before approval.")
    if need_risk and not change.risk_level:
        errors["risk_level"] = _("Assess the risk before approval.")
    return errors


# Impact ------------------------------------------------------------------------------------------------


@dataclass
class ImpactedCI:
    """A CI the change takes down (or a service it names), with who owns and supports it."""

    ci: ConfigurationItem
    is_service: bool
    depth: int  # 0: named by the change itself (an affected CI, or one of its services)
    named: bool = False

    @property
    def owner(self) -> User | None:
        return self.ci.owner

    @property
    def support_group(self):
        return self.ci.support_group


@dataclass
class ImpactSummary:
    """The business services and other CIs a change's affected CIs take down (the CMDB's impact, "up"),
    with the services the change names itself; `truncated` when a walk stopped at its limit."""

    services: list[ImpactedCI] = field(default_factory=list)
    cis: list[ImpactedCI] = field(default_factory=list)
    truncated: bool = False

    @property
    def service_owners(self) -> list[User]:
        """The owners of the impacted services (active people, each once, by name)."""
        owners = {item.owner.pk: item.owner for item in self.services if item.owner is not None}
        return sorted(
            (u for u in owners.values() if u.is_active), key=lambda u: (u.get_full_name().lower(), u.pk)
        )

    @property
    def hit_services(self) -> list[ImpactedCI]:
        """The services the affected CIs take down (not only named by the change)."""
        return [item for item in self.services if not item.named or item.depth > 0]


def _is_service(ci: ConfigurationItem) -> bool:
    return ci.ci_class.path.startswith(SERVICE_PATH)


def change_impact_many(changes) -> dict[int, ImpactSummary]:
    """`change_impact` for several changes, by change id, in the same statements: the changes' CIs and
    services (read once, unless prefetched), one walk for all their affected CIs, and one read of the CIs
    reached with their owners and groups. A constant number of queries whatever the number of changes."""
    changes = list(changes)
    affected = {c.pk: list(c.affected_cis.all()) for c in changes}
    named = {c.pk: list(c.services.all()) for c in changes}
    starts = {ci.pk: ci for cis in affected.values() for ci in cis}
    walks = ci_impact_many(cis=list(starts.values()), direction=UP) if starts else {}
    ids = {node.ci.pk for walk in walks.values() for node in walk}
    ids |= set(starts) | {ci.pk for cis in named.values() for ci in cis}
    items = (
        ConfigurationItem.objects.filter(pk__in=ids)
        .select_related("ci_class", "owner", "support_group")
        .in_bulk()
        if ids
        else {}
    )
    limit = max_cis()
    summaries = {}
    for change in changes:
        reached: dict[int, ImpactedCI] = {}
        own = {ci.pk for ci in affected[change.pk]}
        truncated = False
        for start in affected[change.pk]:
            item = items[start.pk]
            if _is_service(item):
                reached[item.pk] = ImpactedCI(ci=item, is_service=True, depth=0)
            walk = walks.get(start.pk, [])
            truncated = truncated or getattr(walk, "truncated", False)
            for node in walk:
                known = reached.get(node.ci.pk)
                if node.ci.pk in own:
                    continue  # an affected CI is changed, not merely hit
                if known is None or node.depth < known.depth:
                    reached[node.ci.pk] = ImpactedCI(ci=items[node.ci.pk], is_service=node.is_service,
                                                     depth=node.depth)  # fmt: skip
        for service in named[change.pk]:
            known = reached.get(service.pk)
            if known is None:
                reached[service.pk] = ImpactedCI(ci=items[service.pk], is_service=True, depth=0, named=True)
            else:
                known.named = True
        rows = sorted(reached.values(), key=lambda i: (i.depth, i.ci.name.lower(), i.ci.pk))
        services = [row for row in rows if row.is_service]
        cis = [row for row in rows if not row.is_service]
        if len(cis) > limit:
            cis, truncated = cis[:limit], True
        summaries[change.pk] = ImpactSummary(services=services, cis=cis, truncated=truncated)
    return summaries


def change_impact(change: Change) -> ImpactSummary:
    """The business services and CIs the change's affected CIs take down (the CMDB's impact query, up),
    each with its owner and support group, plus the services the change names; `truncated` when a walk
    was cut at ITSM_IMPACT_MAX_CIS. A constant number of queries."""
    return change_impact_many([change])[change.pk]


# Risk --------------------------------------------------------------------------------------------------


def _score_band(score: int) -> int:
    return sum(score >= floor for floor in SCORE_BANDS)


def _impact_band(impact: ImpactSummary) -> int:
    if impact.truncated:
        return 3
    services, cis = len(impact.services), len(impact.cis)
    band = 0
    for index, (min_services, min_cis) in enumerate(IMPACT_BANDS, start=1):
        if services >= min_services or (min_cis is not None and cis >= min_cis):
            band = index
    return band


def risk_compute(answers: dict[int, bool], impact: ImpactSummary, questions=None) -> tuple[int, str, list]:
    """The risk of a change from its answers ({question id: yes?}) and its impact: (score 0-100, level,
    reasons as translated sentences). `questions`: the active questions (read when not given)."""
    if questions is None:
        questions = list(RiskQuestion.objects.filter(is_active=True))
    total = sum(q.weight for q in questions)
    yes = [q for q in questions if answers.get(q.pk)]
    score = round(100 * sum(q.weight for q in yes) / total) if total else 0
    level = RISK_MATRIX[_score_band(score)][_impact_band(impact)]
    reasons = []
    hit = impact.hit_services
    if hit:
        reasons.append(
            ngettext(
                "%(count)d business service depends on the affected CIs: %(names)s.",
                "%(count)d business services depend on the affected CIs: %(names)s.",
                len(hit),
            )
            % {"count": len(hit), "names": ", ".join(s.ci.name for s in hit[:10])}
        )
    else:
        reasons.append(_("No business service depends on the affected CIs."))
    named_only = [s for s in impact.services if s.named and s not in hit]
    if named_only:
        reasons.append(
            ngettext(
                "The change names %(count)d service: %(names)s.",
                "The change names %(count)d services: %(names)s.",
                len(named_only),
            )
            % {"count": len(named_only), "names": ", ".join(s.ci.name for s in named_only[:10])}
        )
    if impact.cis:
        reasons.append(
            ngettext(
                "%(count)d other CI depends on the affected CIs.",
                "%(count)d other CIs depend on the affected CIs.",
                len(impact.cis),
            )
            % {"count": len(impact.cis)}
        )
    if impact.truncated:
        reasons.append(_("The impact is wider than the CMDB's walk reaches: more may depend on them."))
    for question in yes:
        reasons.append(_("Answered yes: %(question)s") % {"question": question.text})
    reasons.append(
        _("The questionnaire scores %(score)d of 100; with this impact the risk is %(level)s.")
        % {"score": score, "level": str(RiskLevel(level).label).lower()}
    )
    return score, str(level), reasons


def _clean_answers(answers, questions) -> dict[int, bool]:
    """{question id: yes?} for every active question; ValidationError (`answers`) for an unknown or
    inactive question, a missing answer or one that is not yes or no."""
    if not isinstance(answers, dict):
        raise ValidationError({"answers": _("Answer each question yes or no.")})
    active = {q.pk for q in questions}
    cleaned = {}
    for key, value in answers.items():
        try:
            pk = int(key)
        except (TypeError, ValueError):
            pk = None
        if pk not in active:
            raise ValidationError({"answers": _("Answer only the active questions of the questionnaire.")})
        if not isinstance(value, bool):
            raise ValidationError({"answers": _("Answer each question yes or no.")})
        cleaned[pk] = value
    missing = [q for q in questions if q.pk not in cleaned]
    if missing:
        raise ValidationError(
            {"answers": _("Answer every question: %(question)s") % {"question": missing[0].text}}
        )
    return cleaned


def _risk_fields(change: Change, answers: dict[int, bool], questions) -> dict:
    score, level, reasons = risk_compute(answers, change_impact(change), questions)
    return {"risk_score": score, "risk_level": level, "risk_reasons": reasons}


def change_assess(
    *, record: Change, actor: User, answers: dict, expected_version: int | None = None
) -> Change:
    """Assess the change's risk: store the answers to the active questionnaire, the score, level and
    reasons they and the CMDB's impact give, and who assessed it when; on the timeline, in the audit, and
    published ("assessed"). Change managers only, while the change is submitted or in assessment; may be
    done again until it is sent to the CAB.

    Raises PermissionDenied (not a change manager), Conflict (`not_assessable`: another status),
    ValidationError (`answers`: unknown or inactive questions, a question unanswered), StaleWrite."""
    from .lifecycle import change_publish

    with transaction.atomic():
        record = record_lock(record, expected_version=expected_version)
        if not ChangePolicy.can_assess(actor, record):
            if not ChangePolicy.is_manager(actor):
                raise PermissionDenied(_("Only change managers assess changes."))
            raise Conflict(
                _("A change is assessed while it is submitted or in assessment."), code="not_assessable"
            )
        questions = list(RiskQuestion.objects.filter(is_active=True))
        cleaned = _clean_answers(answers, questions)
        fields = {
            "risk_answers": {str(pk): value for pk, value in sorted(cleaned.items())},
            **_risk_fields(record, cleaned, questions),
            "assessed_at": timezone.now(),
            "assessed_by": actor,
        }
        before = record.risk_level
        apply_changes(record, fields)
        record_save(record, list(fields))
        data = {
            "event": "assessed",
            "score": record.risk_score,
            "level": record.risk_level,
            "from_level": before,
            "reasons": record.risk_reasons,
        }
        timeline_add(record=record, kind=TimelineEntry.Kind.SYSTEM, author=actor, is_public=False, data=data)
        audit_record(
            actor=actor,
            action="change.assessed",
            target=record,
            data={**data, "answers": record.risk_answers},
        )
        change_publish(
            record=record,
            event="assessed",
            actor=actor,
            data={"risk": record.risk_level, "score": record.risk_score},
        )
        return record


def risk_refresh(change: Change) -> dict:
    """Re-assess the risk of `change` (already assessed) with its stored answers, after its CIs or
    services changed; the field changes it made, as `apply_changes` answers them (the caller saves)."""
    questions = list(RiskQuestion.objects.filter(is_active=True))
    answers = {}
    for key, value in (change.risk_answers or {}).items():
        try:
            answers[int(key)] = bool(value)
        except (TypeError, ValueError):
            continue
    return apply_changes(change, _risk_fields(change, answers, questions))
