from servicedesk.models import User


def test_users_are_created(requester, agent):
    assert User.objects.filter(username__in=["requester", "agent"]).count() == 2
    assert agent.has_perm("servicedesk.access_workspace")
    assert not requester.has_perm("servicedesk.access_workspace")
