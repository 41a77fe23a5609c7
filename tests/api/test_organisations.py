import pytest


@pytest.mark.django_db
def test_an_administrator_lets_an_organisation_share_its_records(api_as, administrator, organisation):
    client = api_as(administrator)
    assert client.get(f"/api/v1/organisations/{organisation.pk}/").json()["shares_records"] is False

    response = client.patch(
        f"/api/v1/organisations/{organisation.pk}/", {"shares_records": True}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["shares_records"] is True
    organisation.refresh_from_db()
    assert organisation.shares_records is True
