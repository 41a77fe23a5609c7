"""Word search (servicedesk.records.search) on the test-only kind: its registration alone gives it full-text
search with ranking, stemming, partial words, Chinese and websearch syntax, its comments included, and the
`q` of its API list; elsewhere than PostgreSQL, a simple fallback."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from servicedesk.records import search
from servicedesk.records.services import record_comment
from tests.kernelkind.models import Chore
from tests.kernelkind.services import chore_create

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search")


def found(text, queryset=None):
    return [c.title for c in search.records_search(queryset or Chore.objects.all(), text)]


@pytest.fixture
def chores(requester):
    make = lambda title, description="": chore_create(actor=requester, title=title, description=description)  # noqa: E731
    return {
        "printer": make("Printer jams on the third floor", "Paper stuck in tray 2."),
        "mail": make("Mail is slow", "The printer queue is also slow, and printing stops."),
        "network": make("Network outage in building B", "Switches down."),
        "chinese": make("公司网络故障，无法访问邮件", "打印机也坏了"),
        "toner": make("Toner replacement", "Printer needs new paper and toner."),
    }


def test_an_english_word_form_finds_another(chores):
    assert "Printer jams on the third floor" in found("printers")
    assert "Printer jams on the third floor" in found("jammed")


def test_a_title_match_ranks_before_a_description_match(chores):
    titles = found("printer")
    assert titles[0] == "Printer jams on the third floor"
    assert set(titles[1:]) == {"Mail is slow", "Toner replacement"}


def test_a_partial_word_finds_the_title_by_trigram(chores):
    assert found("etwor") == ["Network outage in building B"]
    assert found("build") == ["Network outage in building B"]
    assert found("outa") == ["Network outage in building B"]


def test_chinese_words_are_found_inside_a_longer_title(chores):
    assert found("网络") == ["公司网络故障，无法访问邮件"]
    assert found("网络故障") == ["公司网络故障，无法访问邮件"]
    assert found("邮件") == ["公司网络故障，无法访问邮件"]
    assert found("打印机") == ["公司网络故障，无法访问邮件"]  # in the description
    assert found("网") == ["公司网络故障，无法访问邮件"]  # one character
    assert found("络网") == []  # the pair in the other order
    assert found("网络 printer") == []  # every part must match


def test_websearch_syntax_quotes_and_minus(chores):
    assert found('"paper stuck"') == ["Printer jams on the third floor"]
    assert found('"stuck paper"') == []
    assert set(found("printer -toner")) == {"Printer jams on the third floor", "Mail is slow"}
    assert set(found("outage or jams")) == {"Network outage in building B", "Printer jams on the third floor"}


def test_no_match_finds_nothing(chores):
    assert found("photocopier") == []
    assert found("the") == []  # only a stop word


def test_a_number_finds_its_record(chores):
    number = chores["mail"].number
    assert found(number) == ["Mail is slow"]
    assert found(number.lower().replace("000", "")) == ["Mail is slow"]


def test_public_comments_are_searched_work_notes_are_not(chores, requester, worker):
    record_comment(record=chores["mail"], actor=worker, body="Rebooted the exchange relay.")
    record_comment(record=chores["network"], actor=worker, body="Secret firmware bug.", is_public=False)
    assert found("relay") == ["Mail is slow"]
    assert found("firmware") == []
    chores["mail"].refresh_from_db()
    assert chores["mail"].search_comments == "Rebooted the exchange relay."


def test_the_comment_adds_no_statement_for_search(chores, worker):
    """A public comment writes its search text in the UPDATE that moves the version on."""
    chore = chores["mail"]
    with CaptureQueriesContext(connection) as public:
        record_comment(record=chore, actor=worker, body="Looking at it.")
    with CaptureQueriesContext(connection) as note:
        record_comment(record=chore, actor=worker, body="A note.", is_public=False)
    updates = [q["sql"] for q in public.captured_queries if q["sql"].startswith('UPDATE "kernelkind_chore"')]
    assert len(updates) == 1
    assert '"search_comments"' in updates[0]
    assert '"version"' in updates[0]
    updates = [q["sql"] for q in note.captured_queries if q["sql"].startswith('UPDATE "kernelkind_chore"')]
    assert len(updates) == 1
    assert '"search_comments"' not in updates[0]


def test_search_only_narrows_what_the_queryset_shows(chores, requester, other_requester):
    theirs = chore_create(actor=other_requester, title="Printer on fire")
    visible = Chore.objects.filter(requester=requester)
    assert "Printer on fire" not in found("printer", visible)
    assert "Printer on fire" in found("printer")
    assert theirs.title == "Printer on fire"


def test_the_api_lists_by_words_only_what_the_caller_may_see(api_as, chores, requester, other_requester):
    chore_create(actor=other_requester, title="Printer on fire")
    answer = api_as(requester).get("/api/v1/chores/", {"q": "printer"})
    assert answer.status_code == 200
    titles = {row["title"] for row in answer.json()["results"]}
    assert titles == {"Printer jams on the third floor", "Mail is slow", "Toner replacement"}


def test_pg_trgm_reads_chinese_as_word_characters_but_cannot_find_a_pair_inside_a_run(db):
    """Why Chinese is indexed as character pairs: on this database's locale pg_trgm reads CJK characters
    as word characters (a run of six gives 7 trigrams), so a two-character word's trigrams are padded
    ones that never occur inside a longer run, and `LIKE '%网络%'` extracts no trigram to look up."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT show_trgm('公司网络故障'), show_trgm('网络')")
        run, word = cursor.fetchone()
        cursor.execute("SELECT to_tsvector('simple', '公司网络故障')::text")
        (tokens,) = cursor.fetchone()
    assert len(run) == 7
    assert not set(word) & set(run)
    assert tokens == "'公司网络故障':1"  # the parser too reads the run as one word


def test_the_sql_pairs_match_the_python_pairs(db):
    text = "公司网络故障 printer 日本語のテキスト 網"
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_cjk_bigrams(%s)", [text])
        (pairs,) = cursor.fetchone()
    assert pairs.split() == search.cjk_bigrams(text)
    assert search.cjk_bigrams("网络故障") == ["网络", "络故", "故障", "障"]


def test_the_search_uses_the_indexes_of_a_kind_that_has_them(chores):
    """Incidents have the GIN indexes (the chore has none), on the expressions the search compares: with
    the table and the key's order ruled out (a tiny table would be read whole), the plan reads them."""
    from incidents.models import Incident

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    plan = search.records_search(Incident.objects.all(), "printer", ranked=False).explain()
    assert "incidents_incident_search_gin" in plan
    assert "incidents_incident_trigram_gin" in plan


@pytest.mark.parametrize("window", [1, 100])
def test_ranking_reads_the_newest_matches_only(chores, requester, monkeypatch, window):
    """Among the newest matches: from the newest records in key order, then older ones by the index."""
    monkeypatch.setattr(search, "MAX_RANKED", 3)
    monkeypatch.setattr(search, "RECENT_WINDOW", window)
    newest = [chore_create(actor=requester, title=f"Printer cable {n}") for n in range(2)]
    ranked = search.records_search(Chore.objects.all(), "printer")
    # The three newest of five matches, titles first: the oldest title match is left out.
    assert [c.pk for c in ranked] == [newest[1].pk, newest[0].pk, chores["toner"].pk]
