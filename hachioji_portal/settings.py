"""Settings for the staff learning portal: one module, driven by the environment.

Defaults run on a fresh machine with no services (SQLite, console email, a Celery
broker on the local file system). ``DATABASE_URL`` switches to PostgreSQL and
``REDIS_URL`` switches the Celery broker and the cache to Redis. Every variable is
listed in README.md ("Configuration") and docs/operations.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from .demo_organisation import DEMO_ORGANISATION as _DEMO
from .env import env_bool, env_int, env_list, env_secret, env_str
from .oidc import oidc_server_url_check

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PORTAL_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", True)

_DEV_SECRET = "dev-only-insecure-secret-key-never-use-in-production-0123456789abcdef"  # noqa: S105 - refused below when DEBUG=0
SECRET_KEY = env_secret("SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG=0")
if not DEBUG and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured("The development SECRET_KEY must not be used when DEBUG=0")

PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", f"http://127.0.0.1:{env_int('PORT', 8000)}").rstrip("/")
if not PORTAL_BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"PORTAL_BASE_URL must start with http:// or https://, not {PORTAL_BASE_URL!r}")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# --- The organisation whose portal this is (docs/operations.md, "Your municipality's portal")
# Read through hachioji_portal.organisation.organisation() (pages, emails, badges, wallets).
# The defaults are the demo city's (hachioji_portal/demo_organisation.py); another municipality
# sets at least the name, the issuer profile and DEFAULT_FROM_EMAIL (staff.checks warns when a
# demo value is left next to another name). The issuer profile seeds the default issuer when
# there is none; after that HR edits it in the admin (発行者), and badges are issued from it.
PORTAL_ORGANISATION_NAME = env_str("PORTAL_ORGANISATION_NAME", _DEMO["PORTAL_ORGANISATION_NAME"]).strip()
PORTAL_ORGANISATION_NAME_EN = env_str("PORTAL_ORGANISATION_NAME_EN", _DEMO["PORTAL_ORGANISATION_NAME_EN"]).strip()
if not PORTAL_ORGANISATION_NAME:
    raise ImproperlyConfigured("PORTAL_ORGANISATION_NAME must not be empty (e.g. 立川市)")
# The portal's own name after the organisation's (「立川市 職員学習ポータル」); in English as it
# reads after the name ("Tachikawa City staff learning portal"; the header capitalises it).
PORTAL_SITE_TITLE = env_str("PORTAL_SITE_TITLE", "職員学習ポータル").strip()
PORTAL_SITE_TITLE_EN = env_str("PORTAL_SITE_TITLE_EN", "staff learning portal").strip()
# Who signs pages and emails, after the organisation's name.
PORTAL_TRAINING_DESK = env_str("PORTAL_TRAINING_DESK", _DEMO["PORTAL_TRAINING_DESK"]).strip()
PORTAL_TRAINING_DESK_EN = env_str("PORTAL_TRAINING_DESK_EN", "Human Resources Division, training desk").strip()
# The partner university, as the home page and the portfolio name it (empty: "a university").
PORTAL_PARTNER_NAME = env_str("PORTAL_PARTNER_NAME", _DEMO["PORTAL_PARTNER_NAME"]).strip()
PORTAL_PARTNER_NAME_EN = env_str("PORTAL_PARTNER_NAME_EN", _DEMO["PORTAL_PARTNER_NAME_EN"]).strip()
# The footer's line about the partner university (empty: no line).
PORTAL_PARTNER_NOTE = env_str("PORTAL_PARTNER_NOTE", _DEMO["PORTAL_PARTNER_NOTE"]).strip()
PORTAL_PARTNER_NOTE_EN = env_str("PORTAL_PARTNER_NOTE_EN", _DEMO["PORTAL_PARTNER_NOTE_EN"]).strip()
# The skill framework badges are aligned to (targetFramework of new badges; public skill pages).
PORTAL_SKILL_FRAMEWORK = env_str("PORTAL_SKILL_FRAMEWORK", _DEMO["PORTAL_SKILL_FRAMEWORK"]).strip()
PORTAL_SKILL_FRAMEWORK_EN = env_str("PORTAL_SKILL_FRAMEWORK_EN", _DEMO["PORTAL_SKILL_FRAMEWORK_EN"]).strip()
PORTAL_EMAIL_SUBJECT_PREFIX = env_str(
    "PORTAL_EMAIL_SUBJECT_PREFIX", f"[{PORTAL_ORGANISATION_NAME} 学習ポータル]"
).strip()
PORTAL_EMAIL_SUBJECT_PREFIX_EN = env_str(
    "PORTAL_EMAIL_SUBJECT_PREFIX_EN",
    _DEMO["PORTAL_EMAIL_SUBJECT_PREFIX_EN"]
    if PORTAL_ORGANISATION_NAME_EN == _DEMO["PORTAL_ORGANISATION_NAME_EN"]
    else f"[{PORTAL_ORGANISATION_NAME_EN or PORTAL_ORGANISATION_NAME} learning portal]",
).strip()
# A logo file (SVG, PNG, WebP or JPEG) shown in the header, served at /organisation/logo; empty:
# the name alone. Colours: the header, buttons and links (#rrggbb; white text must stay legible
# on both, staff.checks measures the contrast).
PORTAL_LOGO_FILE = env_str("PORTAL_LOGO_FILE", "").strip()
PORTAL_COLOUR = env_str("PORTAL_COLOUR", "#1d4e89").strip().lower()
PORTAL_COLOUR_DARK = env_str("PORTAL_COLOUR_DARK", "#143a66").strip().lower()
for _name, _colour in (("PORTAL_COLOUR", PORTAL_COLOUR), ("PORTAL_COLOUR_DARK", PORTAL_COLOUR_DARK)):
    if not re.fullmatch(r"#[0-9a-f]{6}", _colour):
        raise ImproperlyConfigured(f"{_name} must be a colour like #1d4e89, not {_colour!r}")
# The issuer profile (Open Badges 2.0 Profile / 3.0 issuer): seeds the default issuer.
PORTAL_ISSUER_URL = env_str("PORTAL_ISSUER_URL", _DEMO["PORTAL_ISSUER_URL"]).strip()
PORTAL_ISSUER_EMAIL = env_str("PORTAL_ISSUER_EMAIL", _DEMO["PORTAL_ISSUER_EMAIL"]).strip()
PORTAL_ISSUER_DESCRIPTION = env_str("PORTAL_ISSUER_DESCRIPTION", _DEMO["PORTAL_ISSUER_DESCRIPTION"]).strip()
PORTAL_ISSUER_DESCRIPTION_EN = env_str("PORTAL_ISSUER_DESCRIPTION_EN", _DEMO["PORTAL_ISSUER_DESCRIPTION_EN"]).strip()
PORTAL_ISSUER_IMAGE_FILE = env_str("PORTAL_ISSUER_IMAGE_FILE", "").strip()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    "import_export",
    "django_celery_beat",
    # OAuth 2.0 authorization server for the Open Badges 3.0 API (badges/obapi/, docs/ob-api.md).
    "oauth2_provider",
    "staff",
    "badges",
    "courses",
]

MIDDLEWARE = [
    "hachioji_portal.logging.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "hachioji_portal.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "hachioji_portal.middleware.JapaneseFirstLocaleMiddleware",
    "hachioji_portal.middleware.RejectNulBytesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "staff.middleware.RequireMfaForHrMiddleware",
]

# "public": mount only the public tree (/public/..., /.well-known/...), e.g. for the verify page and
# API as their own gunicorn deployment in the internet-facing segment (docs/operations.md).
PORTAL_URLCONF_MODE = env_str("PORTAL_URLCONF_MODE", "full").strip().lower()
if PORTAL_URLCONF_MODE not in {"full", "public"}:
    raise ImproperlyConfigured(f"PORTAL_URLCONF_MODE must be full or public, not {PORTAL_URLCONF_MODE!r}")
ROOT_URLCONF = "hachioji_portal.urls_public_only" if PORTAL_URLCONF_MODE == "public" else "hachioji_portal.urls"
if PORTAL_URLCONF_MODE == "public":
    # The public deployment knows nobody: it never reads the staff portal's sign-in cookie, so
    # every visitor is anonymous there even on a shared domain.
    SESSION_COOKIE_NAME = "portal_public_session"
WSGI_APPLICATION = "hachioji_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "staff.context_processors.portal",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "portal.sqlite3",
            # A web process and a worker share the file: wait instead of failing on a lock.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and broker -----------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(f"REDIS_URL must start with redis://, rediss:// or unix://, not {REDIS_URL!r}")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal",
            "OPTIONS": {"socket_timeout": 5, "socket_connect_timeout": 5},
        }
    }
else:
    # Shared by every local process (web and worker), unlike LocMemCache: rate limits and
    # import-export's two-step import need one cache for all processes.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": VAR_DIR / "cache",
        }
    }

CELERY_BROKER_URL = REDIS_URL or "filesystem://"
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1),
        "socket_timeout": 5,
        "socket_connect_timeout": 5,
        # Message priorities (Kombu keeps one Redis list per step and a worker empties the
        # lower numbers first): badge issuing has the default 0; emails are sent with 9
        # (``priority=9`` on the email tasks), so a bulk completion's badges are issued
        # before its emails are sent. The filesystem transport has no priorities (FIFO).
        "priority_steps": [0, 3, 6, 9],
    }
else:
    # Kombu's filesystem transport: messages are files in one folder, so a separate
    # worker process gets real serialisation and acknowledgement with no server at all.
    _queue_dir = VAR_DIR / "celery-queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery-processed"),
        "control_folder": str(VAR_DIR / "celery-control"),
        "store_processed": False,
    }
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "portal")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Asia/Tokyo"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Authentication -------------------------------------------------------------------
AUTH_USER_MODEL = "staff.StaffMember"
# Django's and allauth's backends, each loading the person's roles in the same query as the
# person (staff/auth_backends.py: one query less on every signed-in request).
AUTHENTICATION_BACKENDS = [
    "staff.auth_backends.ModelBackend",
    "staff.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "staff.adapters.StaffAccountAdapter"
SOCIALACCOUNT_ADAPTER = "staff.adapters.StaffSocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"{PORTAL_EMAIL_SUBJECT_PREFIX} "
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/300s/key",
    "login": "30/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
ACCOUNT_SESSION_REMEMBER = False

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", f"{PORTAL_ORGANISATION_NAME} 学習ポータル")

SOCIALACCOUNT_ONLY = False
# Off: allauth's own email matching looks in its email table (which can lag behind HR's roster),
# links deactivated staff and may wipe a password. staff.adapters.StaffSocialAccountAdapter is
# the only way an identity is linked to a staff record (by the record's current email).
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_STORE_TOKENS = False
# City single sign-on (OpenID Connect, e.g. Microsoft Entra ID): configured only here,
# never also in the admin (a SocialApp in both places breaks the login page).
# Its origin is added to the CSP's form-action (hachioji_portal/middleware.py); sign-out also
# ends the provider's session (staff/sso.py, RP-initiated logout).
OIDC_SERVER_URL = env_str("OIDC_SERVER_URL", "")
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, object]] = {}
if OIDC_SERVER_URL:
    # https when DEBUG=0; never a shared Microsoft tenant (common, organizations, consumers).
    OIDC_SERVER_URL = oidc_server_url_check(OIDC_SERVER_URL, debug=DEBUG)
    SOCIALACCOUNT_PROVIDERS["openid_connect"] = {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": env_str("OIDC_PROVIDER_ID", "city-sso"),
                "name": env_str("OIDC_PROVIDER_NAME", f"{PORTAL_ORGANISATION_NAME} 統合認証"),
                "client_id": env_str("OIDC_CLIENT_ID"),
                "secret": env_secret("OIDC_CLIENT_SECRET"),
                "settings": {"server_url": OIDC_SERVER_URL, "oauth_pkce_enabled": True},
            }
        ],
    }
    if not SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"][0]["client_id"]:  # type: ignore[index]
        raise ImproperlyConfigured("OIDC_CLIENT_ID must be set when OIDC_SERVER_URL is set")
OIDC_ALLOWED_EMAIL_DOMAINS = env_list("OIDC_ALLOWED_EMAIL_DOMAINS", [])

# --- Roles that must use MFA ----------------------------------------------------------
PORTAL_MFA_REQUIRED_FOR_HR = env_bool("PORTAL_MFA_REQUIRED_FOR_HR", True)

# --- Telling HR (training desk) that a head of section recommended a request ----------
# The members of the ``hr`` group are emailed: "each" (default) once per recommendation (one
# email for a head's bulk recommendation), "daily" one digest a day of every request awaiting
# HR, sent at the first beat run after PORTAL_HR_DIGEST_HOUR (Japan time), "off" never.
PORTAL_HR_NOTIFY = env_str("PORTAL_HR_NOTIFY", "each").strip().lower()
if PORTAL_HR_NOTIFY not in {"each", "daily", "off"}:
    raise ImproperlyConfigured(f"PORTAL_HR_NOTIFY must be each, daily or off, not {PORTAL_HR_NOTIFY!r}")
PORTAL_HR_DIGEST_HOUR = env_int("PORTAL_HR_DIGEST_HOUR", 8, minimum=0)
if PORTAL_HR_DIGEST_HOUR > 23:
    raise ImproperlyConfigured("PORTAL_HR_DIGEST_HOUR is an hour of the day, 0 to 23")

# --- The training record (研修履歴) ------------------------------------------------------
# The office that issues the printed record, after the default issuer's name on every page
# (「〇〇市 人事課」, "... City, Human Resources Division"): badges/record.py.
PORTAL_RECORD_OFFICE = env_str("PORTAL_RECORD_OFFICE", "人事課").strip()
PORTAL_RECORD_OFFICE_EN = env_str("PORTAL_RECORD_OFFICE_EN", "Human Resources Division").strip()

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = not DEBUG

# --- Static and media -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Stored files are private (baked badges show the holder's name; portfolio originals): readable
# by the portal's user and group (web and worker), not by others on the host.
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# --- Email ----------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = 10
else:
    # Development: one .eml file per message in EMAIL_FILE_PATH and one readable log line each.
    EMAIL_BACKEND = env_str("EMAIL_BACKEND", "hachioji_portal.devmail.EmailBackend")
    EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "sent-mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", _DEMO["DEFAULT_FROM_EMAIL"])
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- import-export --------------------------------------------------------------------
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# An upload waits in the cache between the preview and the confirmation (it holds names and
# emails): forgotten after PORTAL_IMPORT_PENDING_SECONDS, and at once when confirmed, discarded
# or refused (staff/imports.py).
IMPORT_EXPORT_TMP_STORAGE_CLASS = "staff.imports.PendingUploadStorage"
PORTAL_IMPORT_PENDING_SECONDS = env_int("PORTAL_IMPORT_PENDING_SECONDS", 30 * 60, minimum=60)
# HR's bulk completion and roster import run in the background (a job page with a progress
# bar, staff/jobs.py) from this many rows; smaller ones stay in the request, with the result
# at once. 0: always in the background.
PORTAL_BACKGROUND_FROM = env_int("PORTAL_BACKGROUND_FROM", 200, minimum=0)
# HR imports (roster, catalogue, grade reports) are refused before they are read when the upload
# is larger, an XLSX unpacks to more, or the file has more data rows (all 23 wards' roster:
# 60,000 rows, a 5.8 MiB CSV, a 3.3 MiB XLSX that unpacks to 42 MiB).
PORTAL_IMPORT_MAX_BYTES = env_int("PORTAL_IMPORT_MAX_BYTES", 16 * 1024 * 1024, minimum=64 * 1024)
PORTAL_IMPORT_MAX_UNPACKED_BYTES = env_int("PORTAL_IMPORT_MAX_UNPACKED_BYTES", 100 * 1024 * 1024, minimum=1024 * 1024)
PORTAL_IMPORT_MAX_ROWS = env_int("PORTAL_IMPORT_MAX_ROWS", 100_000, minimum=1)

# --- Security -------------------------------------------------------------------------
# Django's database sessions, read with one fixed SQL statement (hachioji_portal/sessions.py).
SESSION_ENGINE = "hachioji_portal.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60, minimum=300)
if PORTAL_URLCONF_MODE == "public":
    # The public deployment has no staff database: its session (only a visitor's messages, if
    # any) lives in a signed cookie; CSRF uses its cookie; rate limits count in the cache.
    SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Everything the pages use comes from the portal itself (the city network has no internet).
# Forms may also lead to the configured SSO provider (sign-in and sign-out redirect there): the
# middleware adds its origin to form-action.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# --- Badges ---------------------------------------------------------------------------
# The public documents published one way, outward, as a static tree laid out as the public URLs
# (badges/publisher.py, docs/operations.md). Empty: nothing is published.
PORTAL_PUBLISH_DIR = env_str("PORTAL_PUBLISH_DIR", "").strip()
# Where the verify page and API read this portal's own badges, keys and register of trusted
# issuers: "database" (the staff portal) or "tree" (the published tree above, for the public
# deployment, which has no database: badges/public/verification/facts.py). Public mode: tree.
PORTAL_VERIFY_SOURCE = env_str("PORTAL_VERIFY_SOURCE", "tree" if PORTAL_URLCONF_MODE == "public" else "database")
PORTAL_VERIFY_SOURCE = PORTAL_VERIFY_SOURCE.strip().lower()
if PORTAL_VERIFY_SOURCE not in {"database", "tree"}:
    raise ImproperlyConfigured(f"PORTAL_VERIFY_SOURCE must be database or tree, not {PORTAL_VERIFY_SOURCE!r}")
if PORTAL_VERIFY_SOURCE == "tree" and not PORTAL_PUBLISH_DIR:
    raise ImproperlyConfigured("PORTAL_VERIFY_SOURCE=tree (the default in public mode) needs PORTAL_PUBLISH_DIR")
# The register of trusted issuers as a file (the format the publisher writes to
# .verify/trusted-issuers.json); empty: that file in the tree.
PORTAL_TRUST_REGISTER_FILE = env_str("PORTAL_TRUST_REGISTER_FILE", "").strip()
BADGE_SIGNING_KEY_FILE = env_str("BADGE_SIGNING_KEY_FILE", str(VAR_DIR / "keys" / "issuer-ed25519.pem"))
BADGE_SIGNING_KEY_PASSPHRASE = env_secret("BADGE_SIGNING_KEY_PASSPHRASE", "")
BADGE_DID_WEB_DOMAIN = env_str("BADGE_DID_WEB_DOMAIN", "")
BADGE_FONT_PATHS = env_list(
    "BADGE_FONT_PATHS",
    [
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    ],
)
# Holders are emailed this many days before a badge expires (once per badge).
BADGE_EXPIRY_REMINDER_DAYS = env_int("BADGE_EXPIRY_REMINDER_DAYS", 30, minimum=1)
# Staff with an approved enrolment are emailed this many days before the course starts; heads
# of section this many days before an application deadline about requests still awaiting them
# (courses/reminders.py; each person can turn reminders off on their profile).
PORTAL_COURSE_START_REMINDER_DAYS = env_int("PORTAL_COURSE_START_REMINDER_DAYS", 7, minimum=1)
PORTAL_APPLICATION_DEADLINE_REMINDER_DAYS = env_int("PORTAL_APPLICATION_DEADLINE_REMINDER_DAYS", 3, minimum=1)
# Public verify page and API: badge checks per client address per minute, and the upload limit.
BADGE_VERIFY_RATE_LIMIT = env_int("BADGE_VERIFY_RATE_LIMIT", 30, minimum=1)
BADGE_VERIFY_MAX_BYTES = env_int("BADGE_VERIFY_MAX_BYTES", 5 * 1024 * 1024, minimum=64 * 1024)
# Checks of untrusted badges (verify page and API, portfolio upload; badges/bounded.py): the
# time limit of one check in seconds, and how many may run at once per kind (public, portfolio)
# across all web workers. Keep 2 x BADGE_VERIFY_CONCURRENCY below gunicorn's --workers.
BADGE_VERIFY_TIME_LIMIT = env_int("BADGE_VERIFY_TIME_LIMIT", 2, minimum=1)
BADGE_VERIFY_CONCURRENCY = env_int("BADGE_VERIFY_CONCURRENCY", 1, minimum=1)
# Two speed tricks of the public tree, each on by default and switchable (docs/architecture.md,
# "Caching rendered HTML, never data"): one-row queries compiled once and prepared on the
# server (badges/prepared.py, which relies on Django internals: turn it off if an upgrade of
# Django or psycopg breaks it), and the whole share page kept for anonymous visitors with slots
# for the CSRF token and the path (badges/public/views_share.py). Off: plain ORM queries, pages
# rendered per request from the cached parts. Pages are the same either way.
BADGE_PREPARED_QUERIES = env_bool("BADGE_PREPARED_QUERIES", True)
BADGE_SHARE_PAGE_CACHE = env_bool("BADGE_SHARE_PAGE_CACHE", True)
# Reverse proxies in front of the portal that append to X-Forwarded-For (0: use REMOTE_ADDR).
PORTAL_TRUSTED_PROXY_COUNT = env_int("PORTAL_TRUSTED_PROXY_COUNT", 0, minimum=0)
# allauth's rate limits (failed logins, password resets) count per client address too: the
# same proxies, so that behind them one client's failures do not lock out everybody else.
ALLAUTH_TRUSTED_PROXY_COUNT = PORTAL_TRUSTED_PROXY_COUNT

# --- Open Badges 3.0 API (badges/obapi/, docs/ob-api.md) -------------------------------------
# django-oauth-toolkit is the authorization server: authorization code with PKCE (S256 only),
# read-only OB 3.0 scopes, tokens stored hashed, refresh tokens rotated. HR switches the API on
# and off in the admin (ObApiSwitch); clients register themselves (RFC 7591, badges/obapi/registration.py).
OB_API_SCOPE_CREDENTIALS = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly"
OB_API_SCOPE_PROFILE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.readonly"
# The toolkit's own models (badges.ObApiClient and ObApiConnection point at the Application).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "SCOPES": {
        OB_API_SCOPE_CREDENTIALS: "Read your issued Open Badges",
        OB_API_SCOPE_PROFILE: "Read your name and email address",
    },
    "DEFAULT_SCOPES": [OB_API_SCOPE_CREDENTIALS],
    "OAUTH2_VALIDATOR_CLASS": "badges.obapi.oauth.ObApiValidator",
    "PKCE_REQUIRED": True,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("OB_API_ACCESS_TOKEN_SECONDS", 3600, minimum=60),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env_int("OB_API_REFRESH_TOKEN_SECONDS", 180 * 24 * 3600, minimum=3600),
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REQUEST_APPROVAL_PROMPT": "force",
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"] if DEBUG else ["https"],
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    # No `iss` in the redirect: /.well-known/oauth-authorization-server describes the wallet
    # (OpenID4VCI) server, so an `iss` there would name the wrong metadata (docs/ob-api.md).
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": False,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": not DEBUG,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
}
# The one RFC 9700 point left at its default (see the comment above and docs/ob-api.md): said
# here, on purpose, so that `check --deploy` stays a list of what is still to do.
SILENCED_SYSTEM_CHECKS = ["oauth2_provider.W005"]

# --- Logging --------------------------------------------------------------------------
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "hachioji_portal.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"},
        "json": {"()": "hachioji_portal.logging.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Periodic tasks (celery beat, stored by django-celery-beat) -------------------------
CELERY_BEAT_SCHEDULE = {
    "awards-sweep": {"task": "badges.tasks.awards_sweep_task", "schedule": 60.0},
    # The published public tree (PORTAL_PUBLISH_DIR): requests the broker or the target missed.
    "publications-sweep": {"task": "badges.tasks.publications_sweep_task", "schedule": 30.0},
    "emails-sweep": {"task": "staff.tasks.emails_sweep_task", "schedule": 60.0},
    # HR's background jobs (staff/jobs.py) created while the broker was down, or lost.
    "background-jobs-sweep": {"task": "staff.tasks.jobs_sweep_task", "schedule": 60.0},
    "badges-expiry-reminders": {"task": "badges.tasks.awards_expiry_remind_task", "schedule": 3600.0},
    # Hourly: sends HR's daily digest once a day, at the first run after PORTAL_HR_DIGEST_HOUR
    # (a beat that was down at that hour catches up); does nothing unless PORTAL_HR_NOTIFY=daily.
    "hr-daily-digest": {"task": "courses.tasks.hr_digest_task", "schedule": 3600.0},
    # Daily, 07:30 Japan time: reminders before a course starts and before an application
    # deadline (courses/reminders.py; each at most once per enrolment, so a catch-up run after a
    # beat outage, or a second run, sends nothing twice).
    "enrolment-reminders": {"task": "courses.tasks.enrolment_reminders_task", "schedule": crontab(hour=7, minute=30)},
    # Daily, 03:15: the Open Badges API's expired tokens and codes (django-oauth-toolkit keeps them).
    "ob-api-tokens-clear": {"task": "badges.tasks.obapi_tokens_clear_task", "schedule": crontab(hour=3, minute=15)},
}

# --- Training budget (HR dashboard: subsidy spent against budget per fiscal year) -------
# {fiscal year: yen}, e.g. TRAINING_BUDGET_BY_FISCAL_YEAR="2025:12000000,2026:15000000".
TRAINING_BUDGET_BY_FISCAL_YEAR: dict[int, int] = {}
for _item in env_list("TRAINING_BUDGET_BY_FISCAL_YEAR", []):
    try:
        _year, _amount = _item.split(":")
        TRAINING_BUDGET_BY_FISCAL_YEAR[int(_year)] = int(_amount)
    except ValueError as _exc:
        raise ImproperlyConfigured(
            f"TRAINING_BUDGET_BY_FISCAL_YEAR entries look like 2026:15000000, not {_item!r}"
        ) from _exc
