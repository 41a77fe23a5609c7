"""The knowledge pages' forms: shape only; the services decide."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from cmdb.selectors import business_service_list

from .models import Article, ArticleCategory


class ArticleSearchForm(forms.Form):
    q = forms.CharField(label=_("Words"), max_length=200, required=False)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=ArticleCategory.objects.none(), required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any"))] + list(Article.Status.choices), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = ArticleCategory.objects.select_related("parent")


class ArticleForm(forms.Form):
    """An article's text in one language and its attributes; `version` is what the editor read (a
    stale one is refused, 412). New articles carry a `form_token` against double submits."""

    language = forms.ChoiceField(label=_("Language"), choices=())
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 14}),
        max_length=100_000,
        help_text=_("Markdown: **bold**, lists, `code`, [links](https://example.com)."),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=ArticleCategory.objects.none(), required=False
    )
    audience = forms.ChoiceField(label=_("Audience once published"), choices=Article.Audience.choices)
    services = forms.ModelMultipleChoiceField(
        label=_("Services"), queryset=None, required=False, widget=forms.SelectMultiple(attrs={"size": 4})
    )
    review_on = forms.DateField(
        label=_("Review date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("When the owner checks the article is still right."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    form_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = settings.LANGUAGES
        self.fields["category"].queryset = ArticleCategory.objects.select_related("parent")
        self.fields["services"].queryset = business_service_list().order_by("name")


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=Article.Status.choices)
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class FeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(
        choices=[("yes", _("Yes")), ("no", _("No"))], coerce=lambda value: value == "yes"
    )
