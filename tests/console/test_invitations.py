"""Members join a store by invitation: an owner sends a signed, expiring, single-use link to an
address, and whoever opens it creates a staff account or, signed in, joins with the account that
has that address. Nobody is added by username or e-mail, and the owner's answer is the same
whether the address belongs to someone or not."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from stores.access import SESSION_KEY
from stores.identifiers import hash_secret
from stores.models import StoreInvitation, StoreMembership
from tests import factories

pytestmark = pytest.mark.django_db

MEMBERS = "/console/settings/members/"
LINK = re.compile(r"(https?://[^/\s]+)(/console/invitations/([A-Za-z0-9_-]+)/)")
INVALID = "This invitation is no longer valid"
PASSWORD = "a long and unusual passphrase"


@pytest.fixture
def owner(member):
    return member("owner")


@pytest.fixture
def bob(other_store):
    """A staff member of another store, with an address and a password."""
    membership = factories.MembershipFactory(
        store=other_store, user__username="bob", user__email="bob@example.com"
    )
    return membership.user


def invite(client, email, role="staff", capture=None, **extra):
    """POST the members page's invitation form, with the e-mail sent on commit."""
    with capture(execute=True):
        return client.post(MEMBERS, {"email": email, "role": role, **extra})


def last_link(to: str) -> tuple[str, str]:
    """The path and the raw token of the invitation link last e-mailed to `to`."""
    message = [m for m in mail.outbox if m.to == [to]][-1]
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(2), match.group(3)


def main_of(response) -> str:
    """The page's <main>, without the per-request CSRF token."""
    html = response.content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", main)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- Inviting -------------------------------------------------------------------------------


def test_an_invitation_is_emailed_after_the_commit_with_an_absolute_link(
    store, owner, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://console.example.com"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = owner.post(MEMBERS, {"email": " Newcomer@Example.COM ", "role": "manager"})
    assert response.status_code == 302 and response["Location"] == MEMBERS
    assert mail.outbox == []  # nothing leaves before the invitation is committed
    for callback in callbacks:
        callback()

    [message] = mail.outbox
    assert message.to == ["newcomer@example.com"]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert "Ada's Coffee" in message.subject
    match = LINK.search(message.body)
    assert match and match.group(1) == "https://console.example.com"
    invitation = StoreInvitation.objects.get(store=store)
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "newcomer@example.com",
        "manager",
        owner.user,
    )
    assert invitation.expires_at == invitation.created_at + timedelta(
        days=settings.INVITATION_TTL_DAYS
    )


def test_a_new_person_opens_the_link_creates_an_account_and_works_in_the_store(
    store, owner, django_capture_on_commit_callbacks
):
    response = invite(owner, "newcomer@example.com", "manager", django_capture_on_commit_callbacks)
    assert messages_of(owner.get(response["Location"])) == [
        "Invitation sent to newcomer@example.com."
    ]
    path, _ = last_link("newcomer@example.com")
    newcomer = Client()

    page = newcomer.get(path)
    assert page.status_code == 200
    text = main_of(page)
    assert "Ada&#x27;s Coffee" in text and "Manager" in text and "newcomer@example.com" in text
    response = newcomer.post(
        path, {"username": "newcomer", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert response.status_code == 302 and response["Location"] == "/console/"
    user = get_user_model().objects.get(username="newcomer")
    assert user.email == "newcomer@example.com" and user.check_password(PASSWORD)
    dashboard = newcomer.get("/console/")
    assert dashboard.status_code == 200
    access = dashboard.context["access"]
    assert (access.store, access.role) == (store, "manager")
    invitation = StoreInvitation.objects.get(store=store)
    assert invitation.accepted_at is not None and invitation.accepted_by == user


def test_an_existing_user_of_another_store_joins_after_signing_in(
    store, other_store, owner, bob, django_capture_on_commit_callbacks
):
    response = invite(owner, "bob@example.com", "staff", django_capture_on_commit_callbacks)
    assert messages_of(owner.get(response["Location"])) == ["Invitation sent to bob@example.com."]
    assert not StoreMembership.objects.filter(store=store, user=bob).exists()
    path, _ = last_link("bob@example.com")
    browser = Client()

    page = browser.get(path)
    assert f"/console/login/?next={path}" in page.content.decode()
    signed_in = browser.post(
        "/console/login/",
        {"username": "bob", "password": "correct horse battery", "next": path},
    )
    assert signed_in["Location"] == path
    page = browser.get(path)
    assert page.status_code == 200 and "Join Ada&#x27;s Coffee" in main_of(page)
    response = browser.post(path)

    assert response.status_code == 302 and response["Location"] == "/console/"
    assert StoreMembership.objects.get(store=store, user=bob).role == "staff"
    assert StoreMembership.objects.filter(store=other_store, user=bob).exists()
    assert browser.session[SESSION_KEY] == store.pk
    assert browser.get("/console/").context["access"].store == store
    assert StoreInvitation.objects.get(store=store).accepted_by == bob


def test_an_invitation_is_bound_to_its_address(
    store, owner, bob, django_capture_on_commit_callbacks
):
    invite(owner, "carol@example.com", "owner", django_capture_on_commit_callbacks)
    path, _ = last_link("carol@example.com")
    browser = Client()
    browser.force_login(bob)

    page = browser.get(path)
    response = browser.post(path)

    assert "This invitation was sent to carol@example.com" in main_of(page)
    assert "Join Ada&#x27;s Coffee</button>" not in main_of(page)
    assert response.status_code == 200
    assert "This invitation was sent to carol@example.com" in main_of(response)
    assert not StoreMembership.objects.filter(store=store, user=bob).exists()
    assert StoreInvitation.objects.get(store=store).accepted_at is None
    signed_out = browser.post("/console/logout/", {"next": path})
    assert signed_out["Location"] == path
    carol = factories.UserFactory(username="carol", email="Carol@Example.com")
    browser.force_login(carol)
    assert "Join Ada&#x27;s Coffee</button>" in main_of(browser.get(path))
    assert browser.post(path).status_code == 302
    assert StoreMembership.objects.get(store=store, user=carol).role == "owner"


def test_managers_and_staff_cannot_invite_or_revoke(
    store, owner, member, django_capture_on_commit_callbacks
):
    invite(owner, "pending@example.com", "staff", django_capture_on_commit_callbacks)
    pending = StoreInvitation.objects.get()
    for role in ("manager", "staff"):
        client = member(role)
        response = invite(client, "x@example.com", "owner", django_capture_on_commit_callbacks)
        assert response.status_code == 403
        revoke = reverse("console:invitation_revoke", args=[pending.pk])
        assert client.post(revoke).status_code == 403
    assert list(StoreInvitation.objects.all()) == [pending]
    assert pending.revoked_at is None
    assert [m.to for m in mail.outbox] == [["pending@example.com"]]


def test_an_owner_cannot_add_another_stores_user_without_their_consent(
    store, owner, bob, django_capture_on_commit_callbacks
):
    for value in ("bob", "bob@example.com", "BOB@EXAMPLE.COM"):
        owner.post(MEMBERS, {"user": value, "role": "owner"})
    invite(owner, "bob@example.com", "owner", django_capture_on_commit_callbacks)

    assert not StoreMembership.objects.filter(store=store, user=bob).exists()
    assert StoreInvitation.objects.get(store=store).accepted_at is None


def test_known_and_unknown_addresses_get_the_same_answer(
    store, owner, bob, frozen_clock, django_capture_on_commit_callbacks
):
    answers = {}
    for email in ("bob@example.com", "nobody@example.com"):
        response = invite(owner, email, "manager", django_capture_on_commit_callbacks)
        page = owner.get(response["Location"])
        path, token = last_link(email)
        [message] = [m for m in mail.outbox if m.to == [email]]
        answers[email] = {
            "status": response.status_code,
            "location": response["Location"],
            "messages": [text.replace(email, "ADDRESS") for text in messages_of(page)],
            "subject": message.subject,
            "body": message.body.replace(token, "TOKEN").replace(email, "ADDRESS"),
            "accept page": main_of(Client().get(path))
            .replace(token, "TOKEN")
            .replace(email, "ADDRESS"),
        }

    assert answers["bob@example.com"] == answers["nobody@example.com"]
    assert answers["nobody@example.com"]["messages"] == ["Invitation sent to ADDRESS."]


def test_bad_addresses_and_members_addresses_are_form_errors(
    store, owner, member, django_capture_on_commit_callbacks
):
    colleague = member("staff").user
    for email in ("not an address", "", colleague.email.upper()):
        response = invite(owner, email, "staff", django_capture_on_commit_callbacks)
        assert response.status_code == 200
        assert "email" in response.context["form"].errors
    response = invite(owner, "someone@example.com", "emperor", django_capture_on_commit_callbacks)
    assert "role" in response.context["form"].errors
    assert not StoreInvitation.objects.exists() and mail.outbox == []


# --- Pending invitations --------------------------------------------------------------------


def test_the_owner_sees_pending_invitations_and_revokes_them(
    store, other_store, owner, django_capture_on_commit_callbacks
):
    invite(owner, "pending@example.com", "manager", django_capture_on_commit_callbacks)
    path, _ = last_link("pending@example.com")
    invitation = StoreInvitation.objects.get()
    foreign = factories.MembershipFactory(store=other_store, role="owner").user
    stranger = Client()
    stranger.force_login(foreign)

    page = owner.get(MEMBERS).content.decode()
    assert 'data-testid="invitation"' in page and "pending@example.com" in page
    revoke = reverse("console:invitation_revoke", args=[invitation.pk])
    assert stranger.post(revoke).status_code == 404
    response = owner.post(revoke)

    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert 'data-testid="invitation"' not in owner.get(MEMBERS).content.decode()
    assert Client().get(path).status_code == 404


def test_inviting_again_replaces_the_old_invitation(
    store, owner, django_capture_on_commit_callbacks
):
    invite(owner, "twice@example.com", "staff", django_capture_on_commit_callbacks)
    first, _ = last_link("twice@example.com")
    invite(owner, "Twice@example.com", "manager", django_capture_on_commit_callbacks)
    second, _ = last_link("twice@example.com")

    assert first != second
    assert Client().get(first).status_code == 404
    open_ = StoreInvitation.objects.filter(accepted_at=None, revoked_at=None)
    assert [(i.email, i.role) for i in open_] == [("twice@example.com", "manager")]
    assert owner.get(MEMBERS).content.decode().count('data-testid="invitation"') == 1
    newcomer = Client()
    newcomer.post(second, {"username": "twice", "password1": PASSWORD, "password2": PASSWORD})
    assert StoreMembership.objects.get(store=store, user__username="twice").role == "manager"


# --- Links that no longer work --------------------------------------------------------------


@pytest.fixture
def unknown_link_page():
    """The page an unknown token gets: what every invalid link must look like."""
    response = Client().get("/console/invitations/" + "x" * 43 + "/")
    assert response.status_code == 404
    assert INVALID in main_of(response)
    return main_of(response)


def _same_invalid_page(path, unknown_link_page, user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    for response in (
        client.get(path),
        client.post(path, {"username": "late", "password1": PASSWORD, "password2": PASSWORD}),
    ):
        assert response.status_code == 404
        assert main_of(response) == unknown_link_page


def test_an_expired_invitation_is_no_longer_valid(
    store, owner, frozen_clock, unknown_link_page, django_capture_on_commit_callbacks
):
    invite(owner, "late@example.com", "staff", django_capture_on_commit_callbacks)
    path, _ = last_link("late@example.com")
    ttl = timedelta(days=settings.INVITATION_TTL_DAYS)

    with time_machine.travel(frozen_clock + ttl - timedelta(minutes=1), tick=False):
        assert Client().get(path).status_code == 200
    with time_machine.travel(frozen_clock + ttl, tick=False):
        _same_invalid_page(path, unknown_link_page)
        listed = owner.get(MEMBERS).content.decode()
        row = listed[
            listed.index('data-testid="invitation"') : listed.index(
                "</tr>", listed.index('data-testid="invitation"')
            )
        ]
        assert "late@example.com" in row and "Expired" in row
        late = factories.UserFactory(email="late@example.com")
        _same_invalid_page(path, unknown_link_page, user=late)

    assert not get_user_model().objects.filter(username="late").exists()
    assert not StoreMembership.objects.filter(store=store, user=late).exists()


def test_a_used_invitation_is_no_longer_valid(
    store, owner, unknown_link_page, django_capture_on_commit_callbacks
):
    invite(owner, "once@example.com", "staff", django_capture_on_commit_callbacks)
    path, _ = last_link("once@example.com")
    Client().post(path, {"username": "once", "password1": PASSWORD, "password2": PASSWORD})
    assert StoreMembership.objects.filter(store=store, user__username="once").exists()

    _same_invalid_page(path, unknown_link_page)
    assert not get_user_model().objects.filter(username="late").exists()


def test_a_revoked_invitation_is_no_longer_valid(
    store, owner, unknown_link_page, django_capture_on_commit_callbacks
):
    invite(owner, "revoked@example.com", "staff", django_capture_on_commit_callbacks)
    path, _ = last_link("revoked@example.com")
    owner.post(reverse("console:invitation_revoke", args=[StoreInvitation.objects.get().pk]))

    _same_invalid_page(path, unknown_link_page)
    _same_invalid_page(path, unknown_link_page, user=factories.UserFactory(email="revoked@x.io"))
    assert not get_user_model().objects.filter(username="late").exists()


# --- The accept page ------------------------------------------------------------------------


def test_a_new_account_follows_the_username_and_password_rules(
    store, owner, bob, django_capture_on_commit_callbacks
):
    invite(owner, "newcomer@example.com", "staff", django_capture_on_commit_callbacks)
    path, _ = last_link("newcomer@example.com")
    users_before = get_user_model().objects.count()
    client = Client()
    attempts = [
        ({"username": "newcomer", "password1": PASSWORD, "password2": "other"}, "password2"),
        ({"username": "newcomer", "password1": "12345678", "password2": "12345678"}, "password1"),
        ({"username": "BOB", "password1": PASSWORD, "password2": PASSWORD}, "username"),
        ({"username": "no spaces!", "password1": PASSWORD, "password2": PASSWORD}, "username"),
    ]
    for data, field in attempts:
        response = client.post(path, data)
        assert response.status_code == 200, data
        assert field in response.context["form"].errors, data

    assert get_user_model().objects.count() == users_before
    assert StoreInvitation.objects.get().accepted_at is None


def test_accepting_needs_the_csrf_token(store, owner, django_capture_on_commit_callbacks):
    invite(owner, "newcomer@example.com", "staff", django_capture_on_commit_callbacks)
    path, _ = last_link("newcomer@example.com")
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        path, {"username": "newcomer", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert response.status_code == 403
    assert not get_user_model().objects.filter(username="newcomer").exists()


def test_a_member_already_in_the_store_is_told_so(
    store, owner, member, django_capture_on_commit_callbacks
):
    colleague = member("staff").user
    invite(owner, "new-address@example.com", "owner", django_capture_on_commit_callbacks)
    path, _ = last_link("new-address@example.com")
    colleague.email = "new-address@example.com"
    colleague.save()
    client = Client()
    client.force_login(colleague)

    response = client.post(path)

    assert response.status_code == 200
    assert "already a member" in main_of(response)
    assert StoreMembership.objects.get(store=store, user=colleague).role == "staff"


# --- Secrets --------------------------------------------------------------------------------


def test_the_raw_token_is_never_stored(store, owner, bob, django_capture_on_commit_callbacks):
    invite(owner, "bob@example.com", "staff", django_capture_on_commit_callbacks)
    path, token = last_link("bob@example.com")
    Client().get(path)
    browser = Client()
    browser.force_login(bob)
    browser.get(path)
    browser.post(path)
    assert StoreMembership.objects.filter(store=store, user=bob).exists()

    invitation = StoreInvitation.objects.get()
    assert invitation.token_hash == hash_secret(token)
    for model in apps.get_models():
        for row in model._default_manager.values_list():
            assert not any(token in str(value) for value in row), model.__name__


def test_a_mail_server_failure_is_logged_not_a_server_error(
    store, owner, settings, django_capture_on_commit_callbacks, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(MEMBERS, {"email": "newcomer@example.com", "role": "staff"})
    assert response.status_code == 302
    assert StoreInvitation.objects.filter(store=store, email="newcomer@example.com").exists()
    assert "_invitation_send" in caplog.text
