"""Pickers (`servicedesk.pickers`): menus that list the choice made and a preview, and search the rest."""

import re

import pytest
from django import forms
from django.urls import reverse

from servicedesk.lookups import match_words
from servicedesk.models import SupportGroup
from servicedesk.pickers import PEOPLE, PREVIEW, RESULTS, PickSource, register_pick_source, use_picker

from ..factories import SupportGroupFactory, UserFactory

GROUPS = "test-groups"

register_pick_source(
    PickSource(
        name=GROUPS,
        choices=lambda user, params: SupportGroup.objects.filter(
            tier=params["tier"] or SupportGroup.Tier.TIER2
        ).order_by("name"),
        search=lambda rows, text: match_words(rows, text, ("name",)),
        allowed=lambda user: user.is_agent,
        label=lambda group: f"Team {group.name}",
        params=("tier",),
    )
)


class GroupForm(forms.Form):
    group = forms.ModelChoiceField(queryset=SupportGroup.objects.none(), required=False, empty_label="Any")
    groups = forms.ModelMultipleChoiceField(queryset=SupportGroup.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("group", "groups"):
            self.fields[name].queryset = SupportGroup.objects.order_by("name")
            use_picker(self.fields[name], GROUPS)


@pytest.fixture
def many_groups(db):
    return [SupportGroupFactory(name=f"Squad {n:03}") for n in range(PREVIEW + 10)]


def options(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', html)


def selected(html: str) -> list[str]:
    return re.findall(r'<option value="([^"]*)" selected>', html)


def test_menu_lists_the_preview_and_says_there_are_more(many_groups, django_assert_num_queries):
    with django_assert_num_queries(1):
        html = str(GroupForm()["group"])
    listed = options(html)
    assert listed[0] == ("", "Any")
    assert [label for _value, label in listed[1:]] == [f"Team Squad {n:03}" for n in range(PREVIEW)]
    assert f"The first {PREVIEW}: type above to find others" in html
    assert 'name="q" form="picker-no-form"' in html  # the search box belongs to no form
    assert f'hx-get="{reverse("pick_options", args=[GROUPS])}"' in html
    assert selected(html) == [""]


def test_a_choice_beyond_the_preview_is_shown_chosen(many_groups):
    last = many_groups[-1]
    html = str(GroupForm({"group": str(last.pk)})["group"])
    assert selected(html) == [str(last.pk)]
    # Listed once, before the preview's group, so that a search (which replaces the group) keeps it.
    assert options(html).count((str(last.pk), f"Team {last.name}")) == 1
    assert html.index(f'value="{last.pk}"') < html.index("<optgroup")
    form = GroupForm({"group": str(last.pk)})
    assert form.is_valid()
    assert form.cleaned_data["group"] == last


def test_a_choice_in_the_preview_costs_no_query_more(many_groups, django_assert_num_queries):
    first = many_groups[0]
    form = GroupForm({"group": str(first.pk)})
    assert form.is_valid()  # as a view does before it renders the form again
    with django_assert_num_queries(1):
        html = str(form["group"])
    assert selected(html) == [str(first.pk)]
    assert options(html).count((str(first.pk), f"Team {first.name}")) == 1


def test_multiple_choices_are_all_kept(many_groups):
    chosen = [many_groups[1], many_groups[-1]]
    html = str(GroupForm({"groups": [str(group.pk) for group in chosen]})["groups"])
    assert " multiple" in html
    assert sorted(selected(html)) == sorted(str(group.pk) for group in chosen)
    assert ("", "Any") not in options(html)


def test_a_malformed_or_unknown_choice_renders_and_is_refused(many_groups):
    form = GroupForm({"group": "nine"})
    assert selected(str(form["group"])) == []
    assert not form.is_valid()
    assert "group" in form.errors


def test_short_menus_list_everything(db):
    SupportGroupFactory(name="Only")
    html = str(GroupForm()["group"])
    assert 'label="All choices"' in html


def test_to_field_name_is_refused():
    field = forms.ModelChoiceField(queryset=SupportGroup.objects.none(), to_field_name="name")
    with pytest.raises(ValueError, match="primary key"):
        use_picker(field, GROUPS)


def ask(client, source=GROUPS, **params):
    params.setdefault("target", "id_group-options")
    return client.get(reverse("pick_options", args=[source]), params)


def test_search_answers_the_matches_as_the_menus_group(client, agent, many_groups):
    SupportGroupFactory(name="Network crew")
    client.force_login(agent)
    answer = ask(client, q="crew")
    assert answer.status_code == 200
    html = answer.content.decode()
    assert html.startswith('<optgroup id="id_group-options" label="Matches for “crew”">')
    assert [label for _value, label in options(html)] == ["Team Network crew"]


def test_search_leaves_out_the_choices_made_and_caps_the_answer(client, agent, many_groups):
    client.force_login(agent)
    kept = many_groups[0]
    html = ask(client, q="squad", keep="group", group=str(kept.pk)).content.decode()
    listed = [value for value, _label in options(html) if value]
    assert str(kept.pk) not in listed
    assert len(listed) == RESULTS
    assert "More match: type more of the name to narrow." in html
    assert "Nothing matches" in ask(client, q="zebra").content.decode()


def test_search_reads_the_sources_parameters(client, agent, many_groups):
    SupportGroupFactory(name="Squad desk", tier=SupportGroup.Tier.TIER1)
    client.force_login(agent)
    html = ask(client, q="squad", tier=SupportGroup.Tier.TIER1).content.decode()
    assert [label for _value, label in options(html)] == ["Team Squad desk"]


def test_search_refuses_who_may_not_ask_and_what_does_not_exist(client, requester, agent):
    assert ask(client).status_code == 302  # signed out: to the sign-in page
    client.force_login(requester)
    assert ask(client).status_code == 404
    assert ask(client, source=PEOPLE).status_code == 404
    client.force_login(agent)
    assert ask(client, source="nothing-here").status_code == 404
    assert ask(client, target='x" onmouseover="alert(1)').status_code == 404
    assert client.post(reverse("pick_options", args=[GROUPS]), {"target": "a"}).status_code == 405


def test_people_are_found_by_name_user_name_or_address(client, agent):
    UserFactory(username="jdoe", full_name="Jane Doe", email="jane@contoso.example")
    UserFactory(username="gone", full_name="Jane Gone", is_active=False)
    client.force_login(agent)
    for words in ("jane doe", "jdoe", "contoso"):
        html = ask(client, source=PEOPLE, q=words).content.decode()
        assert [label for _value, label in options(html)] == ["Jane Doe (jane@contoso.example)"], words
    html = ask(client, source=PEOPLE, q="<script>").content.decode()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
