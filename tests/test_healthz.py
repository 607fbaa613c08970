"""GET /healthz: a load balancer's liveness check (and `make bench`'s ceiling)."""

import pytest

# Any cache access would try this address, where nothing listens, and fail the request.
UNREACHABLE_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
    }
}


# No django_db mark: pytest-django makes any database access an error.
def test_healthz_answers_ok_without_the_database_or_the_cache(client, settings):
    settings.CACHES = UNREACHABLE_CACHE

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}


def test_healthz_answers_behind_the_tls_proxy_with_production_security(client, settings):
    # What production sets (README, "Serving in production"): HTTPS only, the proxy says so.
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600

    response = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "Strict-Transport-Security" in response


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_healthz_takes_only_get_and_head(client, method):
    assert getattr(client, method)("/healthz").status_code == 405
    assert client.head("/healthz").status_code == 200


def test_a_probe_over_plain_http_is_answered_not_redirected(client, settings):
    """A load balancer probing a worker directly speaks http: it gets the answer, not a 301
    to https (every other page still redirects)."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/console/").status_code == 301
