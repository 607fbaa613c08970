import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from stores.identifiers import hash_secret
from stores.models import ApiKey, Store
from stores.services import api_key_find, api_key_revoke

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("create_store", *args, stdout=out)
    return out.getvalue()


def test_create_store_prints_json_with_keys_shown_once():
    result = json.loads(run("Ada's Coffee", "--json"))
    store = Store.objects.get()
    assert set(result) >= {"id", "name", "publishable_key", "secret_key"}
    assert result["id"] == store.pk and result["name"] == "Ada's Coffee"
    assert result["publishable_key"].startswith("store_") and len(result["publishable_key"]) >= 40
    assert result["secret_key"].startswith("sk_") and len(result["secret_key"]) >= 40
    # Stored as hashes only; the prefix is all that can be read back.
    for raw in (result["publishable_key"], result["secret_key"]):
        key = ApiKey.objects.get(key_hash=hash_secret(raw))
        assert raw not in (key.prefix, key.key_hash) and raw.startswith(key.prefix)
    assert store.public_id.startswith("store_")


def test_keys_are_found_by_hash_of_their_kind_until_revoked():
    result = json.loads(run("Shop", "--json"))
    publishable = api_key_find(result["publishable_key"], kind="publishable")
    assert publishable is not None and publishable.store.name == "Shop"
    assert api_key_find(result["publishable_key"], kind="secret") is None
    assert api_key_find(result["secret_key"], kind="secret") is not None
    assert api_key_find(result["secret_key"][:-1] + "x", kind="secret") is None
    api_key_revoke(api_key=publishable)
    assert api_key_find(result["publishable_key"], kind="publishable") is None


def test_create_store_without_json_and_with_options():
    output = run(
        "Tea House", "--currency", "gbp", "--phone-region", "gb", "--timezone", "Europe/London"
    )
    store = Store.objects.get()
    assert (store.currency, store.phone_region, store.timezone) == ("GBP", "GB", "Europe/London")
    assert "cannot be shown again" in output
    assert store.slug == "tea-house"
    run("Tea House", "--json")
    assert sorted(Store.objects.values_list("slug", flat=True)) == ["tea-house", "tea-house-2"]


def test_create_store_refuses_a_blank_name():
    with pytest.raises(CommandError, match="store name"):
        run("  ")
    assert Store.objects.count() == 0
