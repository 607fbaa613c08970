"""A network is an account like a store: `create_network "Name" --stores 3,4 --json` makes one
with its own keys and member stores."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from stores.identifiers import hash_secret
from stores.models import ApiKey, Store
from stores.services import api_key_find, network_stores_add
from tests import factories

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("create_network", *args, stdout=out)
    return out.getvalue()


def test_create_network_prints_the_contracts_fields():
    north = factories.StoreFactory(name="North")
    south = factories.StoreFactory(name="South")
    result = json.loads(run("Coffee Chain", "--stores", f"{north.pk},{south.pk}", "--json"))

    assert set(result) == {"id", "public_id", "name", "publishable_key", "secret_key", "stores"}
    network = Store.objects.get(pk=result["id"])
    assert network.is_network and network.name == result["name"] == "Coffee Chain"
    assert result["public_id"] == network.public_id and network.public_id.startswith("network_")
    assert result["stores"] == [north.pk, south.pk]
    assert set(network.member_stores.all()) == {north, south}
    assert result["publishable_key"].startswith("network_") and len(result["publishable_key"]) > 40
    assert result["secret_key"].startswith("sk_") and len(result["secret_key"]) > 40
    for raw, kind in ((result["publishable_key"], "publishable"), (result["secret_key"], "secret")):
        key = ApiKey.objects.get(key_hash=hash_secret(raw))
        assert key.store == network and raw not in (key.prefix, key.key_hash)
        assert api_key_find(raw, kind=kind).store == network
    assert api_key_find(result["publishable_key"], kind="secret") is None


def test_create_network_without_json_says_what_it_made():
    store = factories.StoreFactory(name="North")
    out = run("Coffee Chain", "--stores", str(store.pk))
    assert "Created network Coffee Chain" in out and "North (id" in out
    assert "network_" in out and "cannot be shown again" in out


@pytest.mark.parametrize(
    ("stores", "message"),
    [
        ("abc", "--stores: use store ids separated by commas"),
        ("999999", "No store with the id 999999"),
    ],
)
def test_bad_store_ids_are_refused_and_nothing_is_made(stores, message):
    with pytest.raises(CommandError, match=message):
        run("Chain", "--stores", stores)
    assert not Store.objects.exists() and not ApiKey.objects.exists()


def test_a_store_belongs_to_at_most_one_network():
    store = factories.StoreFactory(name="North")
    first = json.loads(run("First", "--stores", str(store.pk), "--json"))
    with pytest.raises(CommandError, match="already a member of another network"):
        run("Second", "--stores", str(store.pk))
    store.refresh_from_db()
    assert store.network_id == first["id"] and Store.objects.filter(kind="network").count() == 1


def test_a_network_is_never_a_member():
    network = factories.NetworkFactory()
    other = factories.NetworkFactory()
    with pytest.raises(CommandError, match="is a network, not a store"):
        run("Chain", "--stores", str(network.pk))
    with pytest.raises(Exception, match="Only a network has member stores"):
        network_stores_add(network=factories.StoreFactory(), store_ids=[other.pk])
    with pytest.raises(IntegrityError):
        Store.objects.filter(pk=other.pk).update(network=network)
