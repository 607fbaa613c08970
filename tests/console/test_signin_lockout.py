"""Staff sign-in limits (console and admin): django-axes counts failed sign-ins only, per
username and per client address, the address seen the way the API throttles see it."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db

URLS = ["/console/login/", "/admin/login/"]
PASSWORD = "correct horse battery"


@pytest.fixture
def limit_three(settings):
    settings.LOGIN_FAILURES_ALLOWED = 3


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("url", URLS)
def test_sign_in_stops_checking_passwords_after_repeated_failures(client, store, limit_three, url):
    user = factories.MembershipFactory(store=store, user__is_staff=True).user
    for _ in range(2):
        response = client.post(url, {"username": user.username, "password": "wrong"})
        assert response.status_code == 200
    # The third failure reaches the limit: from then on the right password is not checked either.
    assert client.post(url, {"username": user.username, "password": "wrong"}).status_code == 429
    blocked = client.post(url, {"username": user.username, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Too many sign-in attempts" in blocked.content.decode()
    assert not signed_in(client)


@pytest.mark.parametrize("url", URLS)
def test_a_form_shown_again_without_a_password_check_is_not_a_failure(
    client, store, limit_three, url
):
    user = factories.MembershipFactory(store=store, user__is_staff=True).user
    for _ in range(5):  # no password typed: the form asks again, nothing was checked
        assert client.post(url, {"username": user.username, "password": ""}).status_code == 200
    response = client.post(url, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in(client)


@pytest.mark.parametrize("url", URLS)
def test_failures_count_per_username_whatever_its_case(client, store, limit_three, url):
    user = factories.MembershipFactory(store=store, user__username="ada", user__is_staff=True).user
    for index, typed in enumerate(["ada", " ADA", "Ada "]):
        client.post(url, {"username": typed, "password": "wrong"}, REMOTE_ADDR=f"10.0.0.{index}")
    response = client.post(
        url, {"username": user.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 429
    assert not signed_in(client)


@pytest.mark.parametrize("url", URLS)
def test_behind_a_proxy_the_client_address_is_locked_out_not_the_proxy(
    client, store, settings, limit_three, url
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    user = factories.MembershipFactory(store=store, user__is_staff=True).user
    for name in ["a", "b", "c"]:  # one attacker, three usernames
        client.post(
            url,
            {"username": name, "password": "wrong"},
            HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7",
            **proxy,
        )
    attacker = client.post(
        url,
        {"username": user.username, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.7",
        **proxy,
    )
    assert attacker.status_code == 429
    # Another client behind the same proxy, even one that forges the attacker's address first.
    other = client.post(
        url,
        {"username": user.username, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.7, 198.51.100.4",
        **proxy,
    )
    assert other.status_code == 302
    assert signed_in(client)


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("typed", ["ｄｅｍｏ", "ＤＥＭＯ", " Demo", "DEMO"])
def test_the_lockout_of_a_username_covers_every_way_of_typing_it(client, store, url, typed):
    # Django's sign-in form compares usernames after NFKC (ｄｅｍｏ signs in as demo), so the
    # limit counts the NFKC, case-folded name: ten failures for demo lock every spelling of it.
    factories.MembershipFactory(store=store, user__username="demo", user__is_staff=True)
    for index in range(10):
        client.post(url, {"username": "demo", "password": "wrong"}, REMOTE_ADDR=f"10.0.1.{index}")
    response = client.post(url, {"username": typed, "password": PASSWORD}, REMOTE_ADDR="10.0.2.1")
    assert response.status_code == 429
    assert not signed_in(client)


@pytest.mark.parametrize("url", URLS)
def test_failures_typed_in_full_width_count_for_the_plain_username(client, store, url):
    factories.MembershipFactory(store=store, user__username="demo", user__is_staff=True)
    spellings = ["ｄｅｍｏ", "ＤＥＭＯ", "Ｄｅｍｏ", "demo", "DEMO"]
    for index in range(10):
        typed = spellings[index % len(spellings)]
        client.post(url, {"username": typed, "password": "wrong"}, REMOTE_ADDR=f"10.0.1.{index}")
    response = client.post(url, {"username": "demo", "password": PASSWORD}, REMOTE_ADDR="10.0.2.1")
    assert response.status_code == 429
    assert not signed_in(client)


@pytest.mark.parametrize("url", URLS)
def test_ligatures_and_compatibility_characters_are_one_username(client, store, limit_three, url):
    # "ﬁ" (U+FB01) is "fi" after NFKC, as Django's sign-in form reads it; "ß" case-folds to
    # "ss", and the limit counts a username whatever its case.
    factories.MembershipFactory(store=store, user__username="fiss", user__is_staff=True)
    for index, typed in enumerate(["ﬁss", "FIß", "ﬁß"]):
        client.post(url, {"username": typed, "password": "wrong"}, REMOTE_ADDR=f"10.0.1.{index}")
    response = client.post(url, {"username": "fiss", "password": PASSWORD}, REMOTE_ADDR="10.0.2.1")
    assert response.status_code == 429


@pytest.mark.parametrize("url", URLS)
def test_case_folding_is_followed_by_nfkc_so_every_spelling_meets(client, store, limit_three, url):
    # "Ϊ́" (capital iota with dialytika, then an acute accent) case-folds to a sequence that is
    # only the same as "ΐ" (U+0390) case-folded once both are normalised again: NFKC, case fold,
    # NFKC (Unicode's NFKC_Casefold), the way a caseless comparison has to be done.
    factories.MembershipFactory(store=store, user__username="ΐota", user__is_staff=True)
    for index, typed in enumerate(["\u03aa\u0301ota", "\u03aa\u0301OTA", "\u03aa\u0301Ota"]):
        client.post(url, {"username": typed, "password": "wrong"}, REMOTE_ADDR=f"10.0.1.{index}")
    response = client.post(url, {"username": "ΐota", "password": PASSWORD}, REMOTE_ADDR="10.0.2.1")
    assert response.status_code == 429
    assert not signed_in(client)
