"""The roles are Django groups named in English; the user admin shows them in the reader's language."""

from django.contrib.auth.models import Group
from django.utils import translation

from servicedesk import roles


def test_a_role_reads_in_the_readers_language_and_another_group_as_named(db):
    with translation.override("zh-hans"):
        assert roles.role_label(roles.CHANGE_MANAGER) == "变更经理"
        assert roles.role_label("Night shift") == "Night shift"


def test_the_user_admin_lists_and_filters_the_roles_in_chinese(client, administrator, requester):
    administrator.is_superuser = True
    administrator.language = "zh-hans"
    administrator.save(update_fields=["is_superuser", "language"])
    client.force_login(administrator)

    listing = client.get("/admin/servicedesk/user/").content.decode()
    change = client.get(f"/admin/servicedesk/user/{requester.pk}/change/").content.decode()

    assert Group.objects.filter(name=roles.CHANGE_MANAGER).exists()
    for page in (listing, change):
        assert "变更经理" in page
        assert "Change manager" not in page
