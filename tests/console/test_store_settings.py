import pytest
from django.urls import reverse

from stores.identifiers import hash_secret
from stores.models import ApiKey, StoreMembership
from stores.services import api_key_create, api_key_find
from tests import factories

pytestmark = pytest.mark.django_db


def test_settings_are_for_managers(store, staff_client, manager_client):
    url = reverse("console:settings")
    assert staff_client.get(url).status_code == 403
    assert staff_client.post(url, {"reviews_enabled": ""}).status_code == 403
    page = manager_client.get(url)
    assert page.status_code == 200
    response = manager_client.post(
        url,
        {
            "name": "Ada's Coffee",
            "phone_region": "GB",
            "currency": "EUR",
            "timezone": "Europe/London",
        },
    )
    assert response.status_code == 302
    store.refresh_from_db()
    assert (store.phone_region, store.currency, store.reviews_enabled) == ("GB", "EUR", False)


def test_settings_errors_are_form_errors(store, manager_client):
    response = manager_client.post(
        reverse("console:settings"),
        {"name": "", "phone_region": "USA", "currency": "dollars", "timezone": "Mars/Base"},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "phone_region", "currency", "timezone"}
    store.refresh_from_db()
    assert store.name == "Ada's Coffee"


def test_members_are_managed_by_owners_only(store, manager_client, member):
    # People join by invitation (tests/console/test_invitations.py); here, roles and removal.
    url = reverse("console:members")
    assert manager_client.get(url).status_code == 403
    owner = member("owner")
    membership = factories.MembershipFactory(store=store, role="staff")
    assert owner.get(url).status_code == 200
    owner.post(reverse("console:member_update", args=[membership.pk]), {"role": "manager"})
    membership.refresh_from_db()
    assert membership.role == "manager"
    owner.post(reverse("console:member_update", args=[membership.pk]), {"action": "remove"})
    assert not StoreMembership.objects.filter(pk=membership.pk).exists()


def test_the_last_owner_stays(store, member):
    owner = member("owner")
    mine = StoreMembership.objects.get(user=owner.user)
    owner.post(reverse("console:member_update", args=[mine.pk]), {"role": "staff"})
    mine.refresh_from_db()
    assert mine.role == "owner"
    owner.post(reverse("console:member_update", args=[mine.pk]), {"action": "remove"})
    assert StoreMembership.objects.filter(pk=mine.pk).exists()


def test_another_stores_membership_is_404(other_store, member):
    owner = member("owner")
    foreign = factories.MembershipFactory(store=other_store)
    response = owner.post(reverse("console:member_update", args=[foreign.pk]), {"action": "remove"})
    assert response.status_code == 404
    assert StoreMembership.objects.filter(pk=foreign.pk).exists()


def test_owners_issue_and_revoke_keys(store, other_store, member, manager_client):
    url = reverse("console:api_keys")
    assert manager_client.get(url).status_code == 403
    owner = member("owner")
    response = owner.post(url, {"kind": "secret", "name": "ERP"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    raw = response.context["issued"].raw
    assert raw.startswith("sk_") and raw in response.content.decode()
    key = ApiKey.objects.get(key_hash=hash_secret(raw))
    assert key.store == store and key.name == "ERP"
    assert raw not in owner.get(url).content.decode()  # shown once
    owner.post(reverse("console:api_key_revoke", args=[key.pk]))
    assert api_key_find(raw, kind="secret") is None
    foreign = api_key_create(store=other_store, kind="secret").api_key
    assert owner.post(reverse("console:api_key_revoke", args=[foreign.pk])).status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None
