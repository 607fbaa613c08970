import json
from io import StringIO

import pytest
from django.core.management import call_command

from customers.models import Address, Customer
from loyalty.models import CustomerCard
from loyalty.selectors import ledger_balance
from orders.models import Order
from reviews.models import Review
from stores.models import Product, Store, StoreMembership
from stores.services import api_key_find

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _credentials_in_tmp(settings, tmp_path):
    settings.DEMO_CREDENTIALS_FILE = tmp_path / "demo-credentials.json"


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_seed_demo_loads_a_store_and_prints_working_credentials(client, settings):
    output = seed("--customers", "40")
    store = Store.objects.get(slug="demo")
    credentials = json.loads(settings.DEMO_CREDENTIALS_FILE.read_text())
    assert credentials["password"] in output and credentials["secret_key"] in output
    assert api_key_find(credentials["publishable_key"], kind="publishable").store == store
    assert api_key_find(credentials["secret_key"], kind="secret").store == store
    membership = StoreMembership.objects.get(user__username="demo", store=store)
    assert membership.role == "owner"
    assert client.login(username="demo", password=credentials["password"])

    assert Customer.objects.filter(store=store).count() == 40
    assert Product.objects.filter(store=store).count() >= 10
    assert Address.objects.filter(customer__store=store).exists()
    assert Order.objects.filter(store=store).exists()
    assert Review.objects.filter(store=store).exists()
    enrolments = CustomerCard.objects.filter(store=store)
    assert enrolments.exists()
    for enrolment in enrolments:
        assert ledger_balance(enrolment) == enrolment.stamps_count
    for customer in Customer.objects.filter(store=store):
        assert customer.total_orders_count == customer.orders.count()


def test_seed_demo_is_idempotent_and_tops_up(settings):
    first = seed("--customers", "10")
    counts = (Customer.objects.count(), Order.objects.count(), CustomerCard.objects.count())
    second = seed("--customers", "10")
    assert (Customer.objects.count(), Order.objects.count(), CustomerCard.objects.count()) == counts
    assert Store.objects.count() == 1
    login_line = [line for line in first.splitlines() if "Login" in line]
    assert login_line and login_line[0] in second  # same login and keys printed again
    seed("--customers", "25")
    assert Customer.objects.count() == 25
    numbers = list(Order.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))


def test_seed_demo_issues_new_keys_when_the_credentials_file_is_gone(settings):
    seed("--customers", "1")
    old = json.loads(settings.DEMO_CREDENTIALS_FILE.read_text())
    settings.DEMO_CREDENTIALS_FILE.unlink()
    seed("--customers", "1")
    new = json.loads(settings.DEMO_CREDENTIALS_FILE.read_text())
    assert new["secret_key"] != old["secret_key"]
    assert api_key_find(old["secret_key"], kind="secret") is None
    assert api_key_find(new["secret_key"], kind="secret") is not None


def test_seed_demo_sequences_continue_after_the_bulk_load(settings):
    """Rows inserted with explicit ids must not break the next ordinary insert."""
    seed("--customers", "5")
    store = Store.objects.get(slug="demo")
    customer = Customer.objects.create(
        store=store, first_name="New", email="new@example.com", slug="new"
    )
    assert customer.pk > max(Customer.objects.exclude(pk=customer.pk).values_list("pk", flat=True))


def test_seeded_customers_are_searchable(settings):
    from customers.selectors import customer_list

    seed("--customers", "30")
    store = Store.objects.get(slug="demo")
    someone = Customer.objects.filter(store=store).order_by("pk").last()
    found = customer_list(store=store, query=someone.email.split("@")[0])
    assert list(found) == [someone]
    # and the index still follows later changes
    Customer.objects.filter(pk=someone.pk).update(last_name="Quixotic")
    assert list(customer_list(store=store, query="quixotic")) == [someone]
