"""Phone numbers as staff read them: the national format for numbers of the store's country,
the international one for the others; links and the CSV keep E.164."""

import pytest
from django.urls import reverse

from customers.models import Customer
from tests import factories

pytestmark = pytest.mark.django_db

US_PHONE = "+14155550123"
UK_PHONE = "+442079460958"


@pytest.fixture
def callers(store):
    """A customer with a number of the store's country (US), one with a British number."""
    home = factories.CustomerFactory(
        store=store, first_name="Ada", last_name="Home", email="", phone=US_PHONE
    )
    abroad = factories.CustomerFactory(
        store=store, first_name="Alan", last_name="Abroad", email="", phone=UK_PHONE
    )
    return home, abroad


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_list_shows_phones_in_the_stores_format(staff_client, callers):
    page = text_of(staff_client.get(reverse("customers:list")))
    assert page.count("(415) 555-0123") == 2  # the phone column, and the line under the name
    assert page.count("+44 20 7946 0958") == 2
    assert US_PHONE not in page and UK_PHONE not in page


def test_a_live_search_shows_them_formatted_too(staff_client, callers):
    response = staff_client.get(
        reverse("customers:list"),
        {"q": "(415) 555"},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    assert "(415) 555-0123" in text_of(response)


def test_the_customer_page_formats_the_phone_and_links_e164(staff_client, callers):
    home, abroad = callers
    page = text_of(staff_client.get(reverse("customers:detail", args=[home.pk])))
    assert f'<a href="tel:{US_PHONE}">(415) 555-0123</a>' in page
    page = text_of(staff_client.get(reverse("customers:detail", args=[abroad.pk])))
    assert f'<a href="tel:{UK_PHONE}">+44 20 7946 0958</a>' in page
    # A number of no country the numbering plan knows (an old import) is shown as stored.
    Customer.objects.filter(pk=abroad.pk).update(phone="+999123456")
    page = text_of(staff_client.get(reverse("customers:detail", args=[abroad.pk])))
    assert '<a href="tel:+999123456">+999123456</a>' in page


def test_address_phones_are_formatted(staff_client, callers):
    home, _ = callers
    factories.AddressFactory(customer=home, name="Home", phone="+14155550199")
    factories.AddressFactory(customer=home, name="Office", phone=UK_PHONE, country="GB")
    page = text_of(staff_client.get(reverse("customers:detail", args=[home.pk])))
    assert "(415) 555-0199" in page and "+44 20 7946 0958" in page
    assert "+14155550199" not in page.replace('href="tel:+14155550199"', "")


def test_the_review_page_formats_the_authors_phone(member, store, callers):
    home, _ = callers
    review = factories.ReviewFactory(author=home)
    page = text_of(member("manager").get(reverse("reviews:detail", args=[review.pk])))
    assert "(415) 555-0123" in page and US_PHONE not in page.replace(f"tel:{US_PHONE}", "")


def test_a_british_store_reads_the_same_numbers_the_other_way(db):
    shop = factories.StoreFactory(phone_region="GB")
    membership = factories.MembershipFactory(store=shop)
    from django.test import Client

    client = Client()
    client.force_login(membership.user)
    factories.CustomerFactory(store=shop, email="", phone=UK_PHONE)
    factories.CustomerFactory(store=shop, email="", phone=US_PHONE)
    page = text_of(client.get(reverse("customers:list")))
    assert "020 7946 0958" in page and "+44 20 7946 0958" not in page
    assert "+1 415-555-0123" in page


def test_the_admin_list_formats_phones_for_each_customers_store(client, admin_user, callers):
    client.force_login(admin_user)
    page = text_of(client.get(reverse("admin:customers_customer_changelist")))
    assert "(415) 555-0123" in page and "+44 20 7946 0958" in page
