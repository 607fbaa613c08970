"""With a broker, a real Celery worker (a thread of this process, on Redis) sends the messages:
the API answers without waiting for the SMS provider, and the code still arrives.

Skipped when Redis cannot be reached, except under CI (`CI=true`), where it must run."""

import os
import time

import pytest
import redis
from django.core import mail

from config.celery import app
from customers import notifications
from customers.models import OutboundMessage
from customers.tasks import message_send

# A database of its own on the local Redis, emptied before each test.
BROKER_URL = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/12")
API = "/storefront/v1"
PROVIDER_SECONDS = 5


@pytest.fixture
def broker():
    try:
        redis.Redis.from_url(BROKER_URL, socket_connect_timeout=1).flushdb()
    except redis.RedisError as exc:
        message = f"Redis is not reachable at {BROKER_URL}: {exc}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + " (CI is set: the worker test must run)", pytrace=False)
        pytest.skip(message)
    return BROKER_URL


@pytest.fixture
def worker(settings, broker):
    from celery.contrib.testing.worker import start_worker

    settings.CELERY_BROKER_URL = broker
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=broker, task_always_eager=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING") as w:
            yield w
    finally:
        app.conf.update(saved)
        app.pool.force_close_all()


def _wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


@pytest.mark.django_db(transaction=True)
def test_a_code_request_answers_before_a_slow_sms_provider(worker, settings, api):
    settings.SMS_DELAY_SECONDS = PROVIDER_SECONDS
    # The first request of a process pays for imports, connections and first statements the
    # others do not: a code by e-mail (not slowed down) goes through the same path first.
    assert api.post(f"{API}/customers/request-creation-code", {}, format="json").status_code == 422
    message_send.delay(0)  # and the broker connection (no message 0: the job does nothing)
    warm_up = api.post(
        f"{API}/customers/request-creation-code",
        {"identity": "warm.up@example.com", "mode": "email"},
        format="json",
    )
    assert warm_up.status_code == 200 and _wait_for(lambda: mail.outbox, 10)

    started = time.perf_counter()
    response = api.post(
        f"{API}/customers/request-creation-code",
        {"identity": "+1 415 555 0199", "mode": "sms"},
        format="json",
    )
    elapsed = time.perf_counter() - started

    assert response.status_code == 200, response.content
    print(f"request-creation-code answered in {elapsed * 1000:.1f} ms")
    assert elapsed < 0.05, f"answered in {elapsed * 1000:.0f} ms"
    assert notifications.outbox == []  # the provider is still answering
    assert _wait_for(lambda: notifications.outbox, PROVIDER_SECONDS + 10)
    (sms,) = notifications.outbox
    assert sms.to == "+14155550199" and "code to create your account" in sms.body
    message = OutboundMessage.objects.get(channel="sms")
    assert (message.status, message.attempts) == ("sent", 1)
