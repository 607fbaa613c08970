"""Uploaded photos and review videos are served at /media/ with DEBUG off (MEDIA_STORAGE=local),
as what their content is, never sniffed, cached for good, with byte ranges for players; and
MEDIA_STORAGE=s3 puts them in a bucket through django-storages, whose links the APIs give."""

import base64
import io
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.test import Client
from PIL import Image

from customers.services import customer_create
from stores.services import api_key_create
from tests import factories
from tests.helpers import as_customer, client_of
from tests.reviews import videos

pytestmark = pytest.mark.django_db
YEAR = "public, max-age=31536000, immutable"


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (12, 12), "red").save(out, format="PNG")
    return out.getvalue()


def fetch(url: str, **headers):
    """A browser with no key or token following a link the API gave."""
    assert url.startswith("http://testserver/media/"), url
    return Client().get(url, **headers)


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def assert_served(response, content_type: str, data: bytes):
    assert response.status_code == 200, response
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == YEAR
    assert body_of(response) == data


def test_a_shopper_photo_url_answers_with_the_photo(api, customer):
    as_customer(api, customer)
    photo = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    put = api.put(f"/storefront/v1/customers/{customer.public_id}", {"photo": photo}, "json")
    assert put.status_code == 200, put.content

    url = api.get(f"/storefront/v1/customers/{customer.public_id}").json()["photo_url"]
    response = fetch(url)

    customer.refresh_from_db()
    assert_served(response, "image/png", customer.photo.read())
    assert response["Content-Disposition"].startswith('inline; filename="photo_')


def test_the_management_api_photo_url_answers_too(store):
    customer = customer_create(
        store=store, first_name="Ada", email="ada@example.com", photo=io.BytesIO(png_bytes())
    )
    secret = client_of(api_key_create(store=store, kind="secret"))

    response = secret.get(f"/api/v1/accounts/{store.pk}/customers/{customer.pk}")

    assert response.status_code == 200, response.content
    assert_served(fetch(response.json()["photo_url"]), "image/png", customer.photo.read())


def test_review_photos_and_videos_answer_as_their_type(shopper, store):
    espresso = factories.ProductFactory(store=store, name="Espresso")
    mp4, webm = videos.mp4(), videos.webm()
    files = [
        {"data": base64.b64encode(png_bytes()).decode()},
        {"data": base64.b64encode(mp4).decode()},
        {"data": base64.b64encode(webm).decode()},
    ]
    posted = shopper.post(
        "/storefront/v1/reviews",
        {"subject": espresso.public_id, "rating": 5, "files": files},
        "json",
    )
    assert posted.status_code == 201, posted.content
    photo, video, clip = (item["url"] for item in posted.json()["media"])
    assert posted.json()["photos"] == [photo]

    assert fetch(photo)["Content-Type"] == "image/png"
    for url, content_type, data in ((video, "video/mp4", mp4), (clip, "video/webm", webm)):
        response = fetch(url)
        assert_served(response, content_type, data)
        name = url.rsplit("/", 1)[1]
        assert response["Content-Disposition"] == f'inline; filename="{name}"'
        assert response["Accept-Ranges"] == "bytes"


@pytest.fixture
def clip():
    """A stored video and the address the APIs would give for it."""
    name = default_storage.save("reviews/1/file_clip.mp4", io.BytesIO(videos.mp4()))
    return "http://testserver" + default_storage.url(name), videos.mp4()


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=0-99", 0, 99), ("bytes=100-", 100, None), ("bytes=-10", -10, None)],
)
def test_a_byte_range_of_a_video_is_206(clip, header, first, last):
    url, data = clip
    response = fetch(url, HTTP_RANGE=header)

    expected = data[first : None if last is None else last + 1]
    assert response.status_code == 206
    assert body_of(response) == expected
    assert response["Content-Length"] == str(len(expected))
    start = first if first >= 0 else len(data) + first
    assert response["Content-Range"] == f"bytes {start}-{start + len(expected) - 1}/{len(data)}"
    assert response["Content-Type"] == "video/mp4"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_range_past_the_end_is_416_and_odd_ranges_get_the_whole_file(clip):
    url, data = clip
    past = fetch(url, HTTP_RANGE=f"bytes={len(data)}-")
    assert past.status_code == 416 and past["Content-Range"] == f"bytes */{len(data)}"
    assert "Cache-Control" not in past  # an answer about this request, not the file
    assert fetch(url, HTTP_RANGE="bytes=-0").status_code == 416

    for header in ("bytes=5-2", "bytes=0-1,5-9", "items=0-5", "bytes=" + "9" * 5000 + "-"):
        response = fetch(url, HTTP_RANGE=header)
        assert response.status_code == 200 and body_of(response) == data, header
    # A long last byte is the end of the file.
    assert body_of(fetch(url, HTTP_RANGE="bytes=10-999999999")) == data[10:]


def test_a_file_of_another_type_is_a_download(settings):
    (settings.MEDIA_ROOT / "reviews").mkdir(parents=True)
    (settings.MEDIA_ROOT / "reviews" / "page.html").write_text("<script>alert(1)</script>")

    response = fetch("http://testserver/media/reviews/page.html")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="page.html"'
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/media/../config/settings.py",
        "/media/%2e%2e/config/settings.py",
        "/media/reviews/%2e%2e/%2e%2e/manage.py",
        "/media//etc/passwd",
        "/media/%2Fetc%2Fpasswd",
        "/media/reviews",
        "/media/reviews/",
        "/media/reviews/missing.png",
        "/media/reviews/a%00.png",
        "/media/outside/secret.txt",
    ],
)
def test_nothing_outside_the_media_folder_is_served(settings, tmp_path, path):
    (settings.MEDIA_ROOT / "reviews").mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("secret")
    os.symlink(tmp_path, settings.MEDIA_ROOT / "outside")

    response = Client().get(path)

    assert response.status_code in (400, 404), path
    assert b"secret" not in body_of(response) and b"SECRET_KEY" not in body_of(response)


def test_only_get_and_head(clip):
    url, data = clip
    assert Client().head(url).status_code == 200
    assert Client().post(url).status_code == 405


# --- MEDIA_STORAGE=s3 -----------------------------------------------------------------------

S3_ENV = {
    "MEDIA_STORAGE": "s3",
    "AWS_STORAGE_BUCKET_NAME": "storefront-media",
    "AWS_S3_ENDPOINT_URL": "https://s3.example.net",
    "AWS_S3_REGION_NAME": "eu-west-1",
    "AWS_S3_CUSTOM_DOMAIN": "media.example.com",
}


def run_settings(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=django_settings.BASE_DIR,
        env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_local_storage_does_not_load_boto3():
    result = run_settings(
        "import sys, config.urls\n"
        "from django.core.files.storage import default_storage\n"
        "default_storage.url('a.png')\n"
        "print(default_storage.__class__.__name__, 'boto3' in sys.modules)",
        SECRET_KEY="x" * 50,
    )
    assert result.stdout.split() == ["FileSystemStorage", "False"], result.stderr


def test_s3_storage_is_configured_from_the_environment():
    result = run_settings(
        "from django.conf import settings\n"
        "from django.core.files.storage import default_storage as s\n"
        "print(s.__class__.__name__, s.bucket_name, s.endpoint_url, s.region_name,"
        " s.custom_domain, s.querystring_auth, s.file_overwrite, settings.MEDIA_URL)",
        SECRET_KEY="x" * 50,
        **S3_ENV,
    )
    assert result.stdout.split() == [
        "S3Storage",
        "storefront-media",
        "https://s3.example.net",
        "eu-west-1",
        "media.example.com",
        "False",
        "False",
        "https://media.example.com/",
    ], result.stderr


def test_s3_needs_a_bucket_and_a_known_storage_is_named():
    no_bucket = run_settings("", SECRET_KEY="x" * 50, MEDIA_STORAGE="s3")
    assert no_bucket.returncode != 0 and "AWS_STORAGE_BUCKET_NAME" in no_bucket.stderr
    unknown = run_settings("", SECRET_KEY="x" * 50, MEDIA_STORAGE="ftp")
    assert unknown.returncode != 0 and "MEDIA_STORAGE must be local or s3" in unknown.stderr


def test_with_s3_the_apis_link_to_the_bucket_and_media_is_not_served_here(settings, api, customer):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "storefront-media",
                "custom_domain": "media.example.com",
                "querystring_auth": False,
            },
        },
    }
    customer.photo.name = "customers/1/photo_abc.png"  # as if uploaded (no network here)
    customer.save(update_fields=["photo"])
    (settings.MEDIA_ROOT / "customers" / "1").mkdir(parents=True)
    (settings.MEDIA_ROOT / "customers" / "1" / "photo_abc.png").write_bytes(png_bytes())

    as_customer(api, customer)
    url = api.get(f"/storefront/v1/customers/{customer.public_id}").json()["photo_url"]

    assert url == "https://media.example.com/customers/1/photo_abc.png"
    assert Client().get("/media/customers/1/photo_abc.png").status_code == 404
