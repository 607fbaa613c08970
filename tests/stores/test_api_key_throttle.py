"""THROTTLE_API: everything a key does, counted per key in fixed windows (one increment a
request, stores.api.throttles). Here 3 a minute."""

import copy
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test.utils import override_settings

from stores.services import api_key_create
from tests.helpers import FROZEN_NOW, client_of

pytestmark = pytest.mark.django_db

ABOUT = "/storefront/v1/about"


@pytest.fixture(autouse=True)
def _three_a_minute():
    rest = copy.deepcopy(django_settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"]["api"] = "3/minute"
    with override_settings(REST_FRAMEWORK=rest):
        yield


def test_a_key_past_its_rate_waits_for_the_next_window(api, store):
    start = FROZEN_NOW + timedelta(seconds=15)  # 45 s before the minute's window ends
    with time_machine.travel(start, tick=False):
        assert [api.get(ABOUT).status_code for _ in range(3)] == [200, 200, 200]
        refused = api.get(ABOUT)
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "45"
        assert refused.json()["errors"]
    with time_machine.travel(start + timedelta(seconds=45), tick=False):
        assert api.get(ABOUT).status_code == 200


def test_each_key_has_its_own_count(api, store):
    other = client_of(api_key_create(store=store, kind="publishable", name="second"))
    with time_machine.travel(FROZEN_NOW, tick=False):
        for _ in range(3):
            api.get(ABOUT)
        assert api.get(ABOUT).status_code == 429
        assert other.get(ABOUT).status_code == 200


@pytest.mark.api_key("secret")
def test_the_management_api_counts_the_same_way(api, store):
    url = f"/api/v1/accounts/{store.pk}/customers"
    with time_machine.travel(FROZEN_NOW, tick=False):
        assert [api.get(url).status_code for _ in range(4)] == [200, 200, 200, 429]
