"""Settings for Storefront Customers.

One file: every difference between a laptop, CI and production comes from the environment
(or an optional `.env` file beside manage.py). The README lists every variable.
"""

import os
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

# pytest sets PYTEST_VERSION for the whole session (pytest >= 8.2), before settings load.
TESTING = "PYTEST_VERSION" in os.environ

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-never-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "stores",
    "customers",
    "orders",
    "reviews",
    "loyalty",
    "webhooks",
    "console",
    "backoffice",
    "demo",
    "axes",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "stores.api.errors.InputBoundsMiddleware",
    "stores.api.errors.ApiErrorsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "stores.context_processors.console",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Immediate transactions take the write lock at BEGIN, so concurrent writers wait (up to
    # `timeout` seconds) instead of failing with "database is locked" halfway through.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file (not in-memory) test database, so threaded tests share one database.
    DATABASES["default"]["TEST"] = {
        "NAME": env.str("SQLITE_TEST_NAME", default=str(BASE_DIR / "var" / "test.sqlite3"))
    }
    (BASE_DIR / "var").mkdir(exist_ok=True)
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DATABASES["default"]["ATOMIC_REQUESTS"] = False

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://storefront")}
if CACHES["default"]["BACKEND"].startswith("django_redis") or CACHES["default"]["BACKEND"].endswith(
    ".redis.RedisCache"
):
    # django-environ names django-redis or Django's backend for redis:// URLs; we use Django's,
    # with its clients reused (config/cache.py).
    CACHES["default"]["BACKEND"] = "config.cache.ReusedClientRedisCache"
    CACHES["default"].pop("OPTIONS", None)
SHARED_CACHE = CACHES["default"]["BACKEND"] != "django.core.cache.backends.locmem.LocMemCache"
# Store keys found are kept this long in the cache (stores.services, "Key lookups, cached"),
# revoked exactly. Only with a cache every worker shares: a per-process cache cannot pass a
# revocation on to the other workers.
API_KEY_CACHE_SECONDS = env.int("API_KEY_CACHE_SECONDS", default=60 if SHARED_CACHE else 0)

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Hashing with the production hasher makes the suite minutes slower and proves nothing.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "/console/login/"
# Staff sign-in: failed passwords allowed per username and per address in the window (seconds).
LOGIN_FAILURES_ALLOWED = env.int("LOGIN_FAILURES_ALLOWED", default=10)
LOGIN_FAILURE_WINDOW = env.int("LOGIN_FAILURE_WINDOW", default=900)
# django-axes counts the failures (its user_login_failed signal: only real failures), in the
# database, per username (normalised) or per client address seen as the API throttles see it.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = "console.signin.failure_limit"
AXES_COOLOFF_TIME = "console.signin.failure_window"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "console.signin.username"
AXES_CLIENT_IP_CALLABLE = "stores.clients.client_address"
AXES_LOCKOUT_TEMPLATE = "registration/login_blocked.html"
AXES_RESET_ON_SUCCESS = False  # a success does not wipe failures another address made
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # each failed sign-in, for the admin (capped per user)
AXES_VERBOSE = False  # no banner on every manage.py command; failures and lockouts still log
LOGIN_REDIRECT_URL = "/console/"
LOGOUT_REDIRECT_URL = "/console/login/"

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "var" / "staticfiles")))
# Third-party assets come from the npm registry into node_modules/ (ignored) at set-up time.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "font"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
STATICFILES_DIRS = [
    d for d in STATICFILES_DIRS if Path(d[1] if isinstance(d, tuple) else d).is_dir()
]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
# Uploaded photos and videos: on this server's disk under MEDIA_ROOT, served at /media/ by
# config/media.py (`local`), or in an S3-compatible bucket through django-storages (`s3`; needs
# `pip install '.[s3]'`; boto3 takes credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
# or the instance's role). File names are unique, so objects are cached for a year.
MEDIA_STORAGE = env.str("MEDIA_STORAGE", default="local")
if MEDIA_STORAGE == "local":
    media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif MEDIA_STORAGE == "s3":
    media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "custom_domain": env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None,
            # Public links by default (reviews are public; names are unguessable); true signs
            # each link for AWS_QUERYSTRING_EXPIRE seconds, for a bucket that refuses reads.
            "querystring_auth": env.bool("AWS_QUERYSTRING_AUTH", default=False),
            "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=3600),
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        },
    }
    if media_storage["OPTIONS"]["custom_domain"]:  # where the pages' images come from (CSP)
        MEDIA_URL = f"https://{media_storage['OPTIONS']['custom_domain']}/"
else:
    raise ImproperlyConfigured("MEDIA_STORAGE must be local or s3.")
STORAGES = {
    "default": media_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploads larger than this spill to a temporary file; size limits are checked by validators.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 60 * 1024 * 1024

# --- E-mail and SMS -------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update({key: value for key, value in EMAIL_CONFIG.items() if value is not None})
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default=EMAIL_CONFIG["EMAIL_BACKEND"])
# Seconds an SMTP server may take; without it Django's SMTP backend waits forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Storefront <no-reply@localhost>")
# console | file | locmem | twilio  (see customers/notifications.py)
SMS_BACKEND = env.str("SMS_BACKEND", default="locmem" if TESTING else "console")
SMS_FILE_PATH = Path(env.str("SMS_FILE_PATH", default=str(BASE_DIR / "var" / "sms")))
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")

# A stand-in provider's answer time (seconds) for the file and locmem SMS backends: tests only.
SMS_DELAY_SECONDS = 0

# --- Background jobs (config/celery.py, stores/jobs.py) ----------------------------------------
# Redis, e.g. redis://127.0.0.1:6379/0. Empty: tasks run in the web process after the commit.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a worker lost mid-task gives the message back (tasks are idempotent)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Tasks enqueued straight with .delay() without a broker run in-process too.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# Periodic jobs (`make beat`, or a worker started with -B).
CELERY_BEAT_SCHEDULE = {
    "expire-enrolments": {"task": "loyalty.tasks.enrolments_expire", "schedule": 15 * 60},
    "purge-codes": {"task": "customers.tasks.codes_purge", "schedule": 60 * 60},
    "purge-tokens": {"task": "customers.tasks.tokens_purge", "schedule": 60 * 60},
    "resend-messages": {"task": "customers.tasks.messages_resend", "schedule": 10 * 60},
    "retry-webhooks": {"task": "webhooks.tasks.deliveries_retry", "schedule": 60},
    "purge-webhook-events": {"task": "webhooks.tasks.events_purge", "schedule": 60 * 60},
}
# Webhooks to loopback, private, link-local, multicast or reserved addresses are refused unless
# this is set (development, and the tests, where receivers listen on 127.0.0.1).
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=TESTING)
# Events whose deliveries are all settled are deleted this many days after they happened.
WEBHOOK_RETENTION_DAYS = env.int("WEBHOOK_RETENTION_DAYS", default=30)

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not (DEBUG or TESTING))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
X_FRAME_OPTIONS = "DENY"
# Production is HTTPS only; `make run` (DEBUG) and the tests serve plain http://.
https_only = not (DEBUG or TESTING)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=https_only)
# A load balancer's liveness probe may reach a worker over plain http: /healthz answers it.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if https_only else 0)
# Covers the subdomains of the host serving the app (shop.example.com), not its parent domain.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [
    # HSTS preload asks browsers to hard-code the domain for months; it is the owner's decision
    # (SECURE_HSTS_PRELOAD=true, then a submission to hstspreload.org), not a default.
    "security.W021",
]

# Content-Security-Policy (django-csp), on every response: scripts and styles from this site
# only. Templates hold no inline <script>, on* handler or style attribute; values that come
# from data (a card's colours, a bar's length) are set by static/console/console.js through the
# CSSOM, which a policy does not block. The API docs widen it for themselves (config/api_urls.py).
# Uploaded media served from another origin (object storage, a CDN) is allowed as images and
# video: CSP_MEDIA_ORIGINS, plus MEDIA_URL's origin when it is an absolute URL.
CSP_MEDIA_ORIGINS = env.list("CSP_MEDIA_ORIGINS", default=[])
if MEDIA_URL.startswith(("https://", "http://")):
    CSP_MEDIA_ORIGINS.append("/".join(MEDIA_URL.split("/")[:3]))
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *CSP_MEDIA_ORIGINS],  # data: Bootstrap's form icons
        "media-src": [SELF, *CSP_MEDIA_ORIGINS],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
    }
}

# --- Product settings -----------------------------------------------------------------------
CUSTOMER_TOKEN_TTL_DAYS = env.int("CUSTOMER_TOKEN_TTL_DAYS", default=30)
# Lists count their rows exactly up to this many; past it they say "2,000+", or "about
# 1,000,000" for a whole store (stores/counting.py). Not an environment setting: the figure
# balances the costs of a count and of a page (customers.selectors.customer_order).
COUNT_CAP = 2_000
# How long a link inviting someone to work in a store stays valid.
INVITATION_TTL_DAYS = env.int("INVITATION_TTL_DAYS", default=7)
CUSTOMER_PHOTO_MAX_BYTES = env.int("CUSTOMER_PHOTO_MAX_BYTES", default=5 * 1024 * 1024)
# Sign in with Apple / Google / Facebook (client ids and the Facebook app id are per store).
APPLE_JWKS_URL = env.str("APPLE_JWKS_URL", default="https://appleid.apple.com/auth/keys")
APPLE_ISSUER = env.str("APPLE_ISSUER", default="https://appleid.apple.com")
GOOGLE_JWKS_URL = env.str("GOOGLE_JWKS_URL", default="https://www.googleapis.com/oauth2/v3/certs")
GOOGLE_ISSUERS = env.list(
    "GOOGLE_ISSUERS", default=["https://accounts.google.com", "accounts.google.com"]
)
FACEBOOK_GRAPH_URL = env.str("FACEBOOK_GRAPH_URL", default="https://graph.facebook.com")
FACEBOOK_APP_SECRET = env.str("FACEBOOK_APP_SECRET", default="")
SOCIAL_HTTP_TIMEOUT = env.float("SOCIAL_HTTP_TIMEOUT", default=5)
DEMO_CREDENTIALS_FILE = Path(
    env.str("DEMO_CREDENTIALS_FILE", default=str(BASE_DIR / "var" / "demo-credentials.json"))
)

# --- Reviews --------------------------------------------------------------------------------
REVIEW_MAX_FILES = env.int("REVIEW_MAX_FILES", default=5)
REVIEW_PHOTO_MAX_BYTES = env.int("REVIEW_PHOTO_MAX_BYTES", default=10 * 1024 * 1024)
REVIEW_PHOTO_MAX_SIDE = env.int("REVIEW_PHOTO_MAX_SIDE", default=8000)
REVIEW_VIDEO_MAX_BYTES = env.int("REVIEW_VIDEO_MAX_BYTES", default=50 * 1024 * 1024)
# Longest video a review takes, by the duration its container declares (reviews/containers.py).
REVIEW_VIDEO_MAX_SECONDS = env.int("REVIEW_VIDEO_MAX_SECONDS", default=120)

# --- Request bodies (README, "Limits"; stores/api/limits.py) -------------------------------
# Any API body, JSON or form; a larger one is a 413 before it is read.
API_MAX_JSON_BYTES = env.int("API_MAX_JSON_BYTES", default=1024 * 1024)
# A review post (multipart or base64 JSON): by default its files at the largest size, in base64.
API_MAX_UPLOAD_BYTES = env.int(
    "API_MAX_UPLOAD_BYTES",
    default=REVIEW_MAX_FILES * 4 * -(-max(REVIEW_PHOTO_MAX_BYTES, REVIEW_VIDEO_MAX_BYTES) // 3)
    + API_MAX_JSON_BYTES,
)

# --- Wallet passes --------------------------------------------------------------------------
# The public address of this site, for links in e-mails and SMS sent outside a request.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# Apple Wallet: the pass type certificate and key (PEM files), the WWDR intermediate, ids.
APPLE_WALLET_CERTIFICATE = env.str("APPLE_WALLET_CERTIFICATE", default="")
APPLE_WALLET_KEY = env.str("APPLE_WALLET_KEY", default="")
APPLE_WALLET_KEY_PASSWORD = env.str("APPLE_WALLET_KEY_PASSWORD", default="")
APPLE_WALLET_WWDR_CERTIFICATE = env.str("APPLE_WALLET_WWDR_CERTIFICATE", default="")
APPLE_WALLET_PASS_TYPE_ID = env.str("APPLE_WALLET_PASS_TYPE_ID", default="")
APPLE_WALLET_TEAM_ID = env.str("APPLE_WALLET_TEAM_ID", default="")
# Google Wallet: a service account key file (JSON) and the issuer id of the Wallet console.
GOOGLE_WALLET_SERVICE_ACCOUNT_FILE = env.str("GOOGLE_WALLET_SERVICE_ACCOUNT_FILE", default="")
GOOGLE_WALLET_ISSUER_ID = env.str("GOOGLE_WALLET_ISSUER_ID", default="")

# --- Third-party apps -----------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "stores.api.schema.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        # DRF's, bounded: body size, JSON depth, no NUL (stores/api/parsers.py).
        "stores.api.parsers.JSONParser",
        "stores.api.parsers.MultiPartParser",
        "stores.api.parsers.FormParser",
    ],
    "EXCEPTION_HANDLER": "stores.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_RATES": {
        # Anything that sends a code, per client address and per identity.
        "send_code": env.str("THROTTLE_SEND_CODE", default="5/hour"),
        # Password and code checks (codes also die after 5 wrong tries, in the database).
        "login": env.str("THROTTLE_LOGIN", default="10/minute"),
        "login_identity": env.str("THROTTLE_LOGIN_IDENTITY", default="20/hour"),
        # Checkouts per client address (a guest checkout may create a customer record).
        "checkout": env.str("THROTTLE_CHECKOUT", default="60/hour"),
        # Everything else a key does, per key.
        "api": env.str("THROTTLE_API", default="1200/minute"),
    },
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Storefront Customers API",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,  # the schema's own endpoint is not part of either API
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "stores.api.schema.strip_trailing_slashes",
        "stores.api.schema.form_bodies",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
