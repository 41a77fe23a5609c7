"""Page slots (`servicedesk.slots`): what a higher app shows in a lower app's page, by registration."""

from django.test import RequestFactory

from servicedesk.slots import SlotContent, register_slot_content, slot_render, slot_submitted

SUBMITTED = []


def _note(request, record=None, **values):
    """Shown on chores' pages only, to agents who work them."""
    if (
        record is None
        or record._meta.model_name != "chore"
        or not request.user.has_perm("kernelkind.work_chore")
    ):
        return None
    return {"note": "Chore helper for"}


register_slot_content(
    SlotContent(
        slot="record_side",
        name="tests.chore_note",
        template="tests/_slot_note.html",
        context=_note,
        on_submit=lambda request, **values: SUBMITTED.append(values),
    )
)


def test_the_record_page_shows_registered_content_to_whom_it_is_for(client, chore, worker, requester):
    client.force_login(worker)
    html = client.get(f"/records/{chore.number}/").content.decode()
    assert f'<p data-testid="slot-note">Chore helper for {chore.number}</p>' in html
    client.force_login(requester)
    assert 'data-testid="slot-note"' not in client.get(f"/records/{chore.number}/").content.decode()


def test_a_slot_without_content_renders_nothing(rf: RequestFactory):
    assert slot_render("nobody_registered_here", rf.get("/")) == ""


def test_the_form_holding_a_slot_tells_its_contents(rf: RequestFactory, chore):
    SUBMITTED.clear()
    slot_submitted("record_side", rf.post("/"), record=chore)
    assert [{"record": chore}] == SUBMITTED
    slot_submitted("nobody_registered_here", rf.post("/"), record=chore)
    assert len(SUBMITTED) == 1
