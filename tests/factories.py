"""factory-boy factories: one per model, valid by default, each in its own store unless told."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from customers.models import Address, Customer
from loyalty.models import CustomerCard, LoyaltyCard, Reward
from orders.models import Order
from reviews.models import Review
from stores.models import Product, Store, StoreMembership, network_public_id


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    name = factory.Sequence(lambda n: f"Store {n}")
    slug = factory.Sequence(lambda n: f"store-{n}")
    phone_region = "US"
    currency = "USD"


class NetworkFactory(StoreFactory):
    """A network (an account whose customers and cards its member stores share). Members:
    StoreFactory(network=network)."""

    kind = Store.Kind.NETWORK
    public_id = factory.LazyFunction(network_public_id)
    name = factory.Sequence(lambda n: f"Network {n}")
    slug = factory.Sequence(lambda n: f"network-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoreMembership

    user = factory.SubFactory(UserFactory)
    store = factory.SubFactory(StoreFactory)
    role = StoreMembership.Role.STAFF


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    store = factory.SubFactory(StoreFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    price = Decimal("9.50")
    currency = "USD"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    store = factory.SubFactory(StoreFactory)
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    # A range no test spells out by hand (fixtures use 415-555-01xx), so sequences never collide.
    phone = factory.Sequence(lambda n: f"+1312555{n % 10000:04d}")
    slug = factory.Sequence(lambda n: f"customer-{n}")


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    customer = factory.SubFactory(CustomerFactory)
    name = "Home"
    street1 = factory.Sequence(lambda n: f"{n} Market Street")
    city = "San Francisco"
    province = "CA"
    postal_code = "94103"
    country = "US"


class LoyaltyCardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LoyaltyCard

    store = factory.SubFactory(StoreFactory)
    name = factory.Sequence(lambda n: f"Coffee card {n}")
    stamps_required = 10
    initial_stamps = 0


class RewardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reward

    card = factory.SubFactory(LoyaltyCardFactory)
    name = "Free coffee"
    stamps_required = 5


class CustomerCardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerCard

    customer = factory.SubFactory(CustomerFactory)
    store = factory.SelfAttribute("customer.store")
    card = factory.SubFactory(LoyaltyCardFactory, store=factory.SelfAttribute("..store"))
    code = factory.Sequence(lambda n: f"{n:012d}")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    store = factory.SelfAttribute("customer.store")
    number = factory.Sequence(lambda n: n + 1)
    currency = "USD"
    subtotal = Decimal("10.00")
    total = Decimal("10.00")
    customer_name = factory.LazyAttribute(lambda o: o.customer.name)
    customer_email = factory.LazyAttribute(lambda o: o.customer.email)


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    author = factory.SubFactory(CustomerFactory)
    store = factory.SelfAttribute("author.store")
    subject_type = Review.Subject.STORE
    rating = 5
    content = "Lovely."
