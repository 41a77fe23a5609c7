"""The CAB's pages: the agenda of the next meeting (with the approve and reject buttons of whoever may
decide), and the change's assessment panel (impact, risk, the questionnaire) with its form's address.

Both are for agents who see every change (CAB members, managers, agents of changes); anyone else gets 404.
Decisions go through the kernel's approvals service, as from the decision page, the e-mail link or the API.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from servicedesk.approvals.forms import DecisionForm
from servicedesk.approvals.selectors import approval_get_for_user
from servicedesk.approvals.services import approval_decide
from servicedesk.errors import Conflict, NotFound, StaleWrite
from servicedesk.form_errors import apply_service_errors
from servicedesk.kinds import parse_number

from .agenda import cab_agenda
from .models import Change, RiskQuestion
from .permissions import ChangePolicy
from .selectors import change_get_for_user
from .services.assessment import change_assess, change_impact
from .views import changes_reader_required

YES_NO = [("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]


# The agenda --------------------------------------------------------------------------------------------


def _agenda_page(request, *, bound=None, status=200):
    """The agenda; `bound` (approval id, form) draws a refused decision's form with its errors."""
    agenda = cab_agenda(user=request.user)
    bound_id, bound_form = bound or (None, None)
    for item in agenda.items:
        if item.may_decide:
            pk = item.approval.pk
            item.form = bound_form if pk == bound_id else DecisionForm(auto_id=f"id_%s_{pk}")
    return render(request, "changes/agenda.html", {"agenda": agenda}, status=status)


@changes_reader_required
@require_GET
def cab_agenda_page(request):
    """The changes the next CAB meeting decides, the emergencies it approves after the fact, and what is
    planned before the meeting after it."""
    return _agenda_page(request)


@changes_reader_required
@require_POST
def cab_agenda_decide(request, approval_id):
    """Approve or reject a change's pending request from the agenda (a comment is needed to reject)."""
    try:
        approval = approval_get_for_user(user=request.user, pk=approval_id)
    except NotFound:
        raise Http404 from None
    if not isinstance(approval.record, Change):
        raise Http404
    form = DecisionForm(request.POST, auto_id=f"id_%s_{approval.pk}")
    if form.is_valid():
        try:
            approval_decide(
                approval=approval,
                actor=request.user,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except Conflict as exc:
            messages.error(request, str(exc.message))
            return redirect("changes:agenda")
        else:
            messages.success(
                request, _("Your decision on %(number)s was recorded.") % {"number": approval.record.number}
            )
            return redirect("changes:agenda")
    return _agenda_page(request, bound=(approval.pk, form), status=400)


# The assessment panel ----------------------------------------------------------------------------------


class AssessmentForm(forms.Form):
    """The risk questionnaire: one yes/no question per active `RiskQuestion`, and the version read."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, questions, answers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        answers = answers or {}
        for question in self.questions:
            stored = answers.get(str(question.pk))
            self.fields[f"q{question.pk}"] = forms.ChoiceField(
                label=question.text,
                help_text=question.help_text,
                choices=YES_NO,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                initial=None if stored is None else ("yes" if stored else "no"),
            )

    def answers(self) -> dict[int, bool]:
        return {q.pk: self.cleaned_data[f"q{q.pk}"] == "yes" for q in self.questions}


def assessment_context(request, record, *, form=None) -> dict:
    """What the change's page shows of its assessment: the impact (services and CIs with their owners),
    the risk and its reasons, and, for a change manager while it may be assessed, the questionnaire."""
    may_assess = ChangePolicy.can_assess(request.user, record)
    if may_assess and form is None:
        questions = RiskQuestion.objects.filter(is_active=True)
        form = AssessmentForm(
            questions=questions, answers=record.risk_answers, initial={"version": record.version}
        )
    return {
        "change": record,
        "impact": change_impact(record),
        "assess_form": form if may_assess else None,
        "assess_url": reverse("changes:assess", args=[record.number]),
    }


def _change_for(request, number: str) -> Change:
    parsed = parse_number(number)
    if parsed is None or parsed[0].code != "change":
        raise Http404
    try:
        return change_get_for_user(user=request.user, number=parsed[1])
    except NotFound:
        raise Http404 from None


@changes_reader_required
def change_assess_view(request, number):
    """GET: the assessment on its own page; POST: assess with the questionnaire's answers, back to the
    change's page (400 with the form's errors, 403 for who may not assess, 409 when the change may no
    longer be assessed, 412 when it changed since the form was read)."""
    record = _change_for(request, number)
    if request.method != "POST":
        return render(request, "changes/assess.html", assessment_context(request, record))
    form = AssessmentForm(request.POST, questions=RiskQuestion.objects.filter(is_active=True))
    status = 400
    if form.is_valid():
        try:
            change_assess(
                record=record,
                actor=request.user,
                answers=form.answers(),
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except (Conflict, StaleWrite) as exc:
            messages.error(request, str(exc.message))
            record = _change_for(request, number)
            form, status = None, exc.status_code
        else:
            messages.success(request, _("The risk was assessed."))
            return redirect("record", number=record.number)
    return render(
        request, "changes/assess.html", assessment_context(request, record, form=form), status=status
    )
