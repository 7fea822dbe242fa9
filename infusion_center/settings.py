"""One settings module, driven by the environment (12-factor, django-environ).

Defaults are the embedded run of `make run`: SQLite, a file-system Celery broker under var/,
console email and SMS. Production sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY, ...
"""

from pathlib import Path

import environ

from infusion_center import logs

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    env.read_env(str(env_file))

DEBUG = env.bool("DEBUG", default=False)
# The embedded default key is only for `make run` on a laptop; production must set SECRET_KEY.
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "scheduling",
    "patients",
    "analytics",
    "waitlist",
    "interop",
    "orders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the body: an oversized request is a 413 without being read.
    "infusion_center.middleware.RequestSizeLimitMiddleware",
    # Outermost of ours: a lost database is a 503, and every answer carries the headers.
    "infusion_center.middleware.DatabaseUnavailableMiddleware",
    "infusion_center.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "infusion_center.two_factor.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "scheduling.middleware.IdleSessionExpiryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: it answers for the login views it wraps (lockout after repeated failures).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "infusion_center.urls"

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
                "scheduling.context_processors.clinic",
            ],
        },
    },
]

WSGI_APPLICATION = "infusion_center.wsgi.application"

# Database: SQLite by default. IMMEDIATE transactions take the write lock at BEGIN, so two
# bookings serialize instead of failing half-way with "database is locked".
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({"transaction_mode": "IMMEDIATE", "timeout": 20})
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    # A kept connection is checked before reuse, so a restarted PostgreSQL costs no request.
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Axes first: a locked-out client is refused before its password is even checked.
AUTHENTICATION_BACKENDS = [
    "infusion_center.auth.LoginAttemptsBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# The center's own zone: opening hours, rosters and reminders are in this clock.
TIME_ZONE = env.str("TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request without it
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").exists() else []

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Idle staff sessions expire: a shared front-desk PC must not stay logged in.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 8)
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SESSION_COOKIE_SAMESITE = "Lax"

# --- HTTPS and browser protections ---------------------------------------------------------
# Django's own names, read from the environment. The embedded run is plain HTTP on a laptop, so
# the defaults are off; production (docker-compose.yml, .env.example) turns them on.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# Behind a TLS-terminating proxy: "HTTP_X_FORWARDED_PROTO,https" (header, value). Only set it
# when the proxy always overwrites that header, or clients could claim HTTPS themselves.
SECURE_PROXY_SSL_HEADER = (
    tuple(env.list("SECURE_PROXY_SSL_HEADER")) if env.str("SECURE_PROXY_SSL_HEADER", "") else None
)
# The health check is probed over plain HTTP inside the container network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Browser features no page of this app uses are switched off for all of them.
PERMISSIONS_POLICY = env.str(
    "PERMISSIONS_POLICY",
    default=(
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
        "microphone=(), payment=(), usb=(), interest-cohort=()"
    ),
)
# Content-Security-Policy (django-csp): scripts only from our own static files (htmx is
# vendored; no inline script or on*= handler anywhere). Inline style *attributes* stay allowed:
# the board positions its blocks with them, and htmx adds its indicator style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Request limits --------------------------------------------------------------------------
# A request body over this many bytes is refused with 413 before it is read (JSON and forms).
REQUEST_MAX_BODY_BYTES = env.int("REQUEST_MAX_BODY_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BODY_BYTES
# JSON bodies nested deeper than this are a 400 (no API shape needs more than a few levels).
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=20)

# 401s per client address under /api/ before that address is answered 429 (token guessing).
API_AUTH_FAILURE_RATE = env.str("API_AUTH_FAILURE_RATE", default="20/min")

# --- Login protection (django-axes) ------------------------------------------------------------
# After AXES_FAILURE_LIMIT wrong passwords for one username from one address, that pair is
# locked out for AXES_COOLOFF_MINUTES; the login page then says so without revealing whether
# the username exists (the same answer comes for an unknown username).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = __import__("datetime").timedelta(
    minutes=env.int("AXES_COOLOFF_MINUTES", default=15)
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=0)
AXES_VERBOSE = False

# --- Two-factor (django-otp, TOTP) ----------------------------------------------------------
# Managers must sign in with a second factor; others may enrol. Demo logins are exempt so that
# `make run` stays one step (their usernames, comma-separated; empty in production).
OTP_REQUIRED_FOR_MANAGERS = env.bool("OTP_REQUIRED_FOR_MANAGERS", default=True)
OTP_EXEMPT_USERNAMES = env.list("OTP_EXEMPT_USERNAMES", default=[])
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Infusion Center")

# --- Cache --------------------------------------------------------------------------------
# Throttle counters live here. Per-process memory by default; production points it at Redis so
# that every gunicorn worker counts against the same limits.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# --- Clinic -----------------------------------------------------------------------------
CENTER_NAME = env.str("CENTER_NAME", default="Riverside MS Infusion Center")
CENTER_ADDRESS = env.str("CENTER_ADDRESS", default="200 Riverside Ave, Suite 3, Springfield")
CENTER_PHONE = env.str("CENTER_PHONE", default="+1 555 010 2030")
# Absolute base for links in emails/SMS (patients open them outside the app).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
# Patient links are signed and expire PATIENT_LINK_HOURS_AFTER_VISIT after the visit's start,
# and never later than PATIENT_LINK_MAX_AGE_DAYS after they were sent.
PATIENT_LINK_MAX_AGE_DAYS = env.int("PATIENT_LINK_MAX_AGE_DAYS", default=30)
PATIENT_LINK_HOURS_AFTER_VISIT = env.int("PATIENT_LINK_HOURS_AFTER_VISIT", default=24)
# The name patients see on link pages, emails and texts: no diagnosis or drug words, since
# anyone holding the phone or the URL reads it. Blank = CENTER_NAME without "MS".
PATIENT_FACING_CENTER_NAME = env.str("PATIENT_FACING_CENTER_NAME", default="")

# --- Email ------------------------------------------------------------------------------
# The default prints one line per email in the worker's log; CONSOLE_FULL_MESSAGES=true prints
# the whole message too (and the whole text for the console SMS backend).
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND", default="scheduling.notifications.console.ConsoleEmailBackend"
)
CONSOLE_FULL_MESSAGES = env.bool("CONSOLE_FULL_MESSAGES", default=False)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Infusion Center <noreply@infusion.example>"
)

# --- SMS --------------------------------------------------------------------------------
SMS_BACKEND = env.str("SMS_BACKEND", default="scheduling.notifications.sms.ConsoleSmsBackend")
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(VAR_DIR / "sms"))
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")

# --- Celery -----------------------------------------------------------------------------
# Default: a file-system broker, so `make run` needs no Redis. Production: redis://...
_broker_dir = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL", default=env.str("REDIS_URL", default="filesystem://")
)
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("in", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "in"),
        "data_folder_out": str(_broker_dir / "in"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),  # else kombu writes ./control/
        "store_processed": False,
    }
else:
    # visibility_timeout > longest task; acks_late tasks are redelivered after a worker dies.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300)
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "dispatch-due-reminders": {
        "task": "scheduling.tasks.dispatch_due_reminders",
        "schedule": 60.0,
    },
    "dispatch-waitlist": {
        "task": "waitlist.tasks.dispatch_waitlist",
        "schedule": 60.0,
    },
    "deliver-plan-offers": {
        "task": "scheduling.tasks.deliver_plan_offers",
        "schedule": 60.0,
    },
    "authorization-expiry-notices": {
        "task": "orders.tasks.send_authorization_expiry_notices",
        "schedule": __import__("celery.schedules", fromlist=["crontab"]).crontab(hour=13, minute=0),
    },
    "charge-nurse-digest": {
        "task": "scheduling.tasks.send_charge_nurse_digest",
        "schedule": __import__("celery.schedules", fromlist=["crontab"]).crontab(hour=15, minute=0),
    },
}

# --- API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "scheduling.api.errors.exception_handler",
    "DATETIME_FORMAT": "iso-8601",
    # JSON depth, encoding and size limits (scheduling/api/limits.py); forms for the
    # browsable API when it is on.
    "DEFAULT_PARSER_CLASSES": [
        "scheduling.api.limits.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # The browsable API is for development; production answers JSON only.
    "DEFAULT_RENDERER_CLASSES": (
        ["rest_framework.renderers.JSONRenderer"]
        + (
            ["rest_framework.renderers.BrowsableAPIRenderer"]
            if env.bool("API_BROWSABLE", default=DEBUG)
            else []
        )
    ),
    # Per signed-in user and per client address (anonymous); 429 with Retry-After beyond.
    # Requests that fail authentication are counted per address as well, and refused with 429
    # before authenticating once over API_AUTH_FAILURE_RATE (infusion_center.middleware).
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/min"),
        "user": env.str("API_THROTTLE_USER", default="6000/min"),
    },
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Infusion Center Scheduler API",
    "DESCRIPTION": "Book and read MS infusion sessions. Token auth: `Authorization: Token <key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the vendored sidecar package: the docs work offline and under the CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema and docs are for signed-in staff only (an outsider learns nothing from them).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Two "status" choice sets of the waitlist beside the sessions' one: name them.
    "ENUM_NAME_OVERRIDES": {
        "OfferStatusEnum": "waitlist.models.OfferStatus",
        "WaitlistEntryStatusEnum": "waitlist.models.EntryStatus",
        "ReadinessStatusEnum": ["green", "amber", "red"],
    },
    # Document the 400/404/413/429/503 every operation can answer (scheduling/api/schema_hooks.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "scheduling.api.schema_hooks.harden_responses",
    ],
}

# One format and one clock (UTC, ISO 8601) for web, worker and beat; no tracebacks on 4xx.
LOGGING = logs.config(env.str("LOG_LEVEL", default="INFO"))
# Axes logs every sign-in at INFO; lockouts and failures are WARNING and stay visible.
LOGGING.setdefault("loggers", {})["axes"] = {"level": "WARNING"}

# --- Reminders (owned by notifications) ---
# A claimed reminder belongs to one send task until its lease ends; a worker that dies leaves it
# to be re-claimed by the next dispatch run after that. Longer than queue wait + one send.
REMINDER_LEASE_SECONDS = env.int("REMINDER_LEASE_SECONDS", default=300)
# Attempts (claims) before a reminder is marked failed for good.
REMINDER_MAX_ATTEMPTS = env.int("REMINDER_MAX_ATTEMPTS", default=5)
# Transient failure n waits base * 2**(n-1) seconds (capped, with +-25 % jitter) before retrying.
REMINDER_RETRY_BASE_SECONDS = env.float("REMINDER_RETRY_BASE_SECONDS", default=60.0)
REMINDER_RETRY_MAX_SECONDS = env.float("REMINDER_RETRY_MAX_SECONDS", default=3600.0)
# Rows claimed per transaction; one dispatch run loops until nothing is due or its budget ends.
REMINDER_CLAIM_BATCH = env.int("REMINDER_CLAIM_BATCH", default=500)
REMINDER_DISPATCH_BUDGET_SECONDS = env.float("REMINDER_DISPATCH_BUDGET_SECONDS", default=45.0)
# Name texts are signed with; blank = the center name without diagnosis words ("MS").
SMS_SENDER_NAME = env.str("SMS_SENDER_NAME", default="")
# Inbound SMS webhook checks the Twilio signature (X-Twilio-Signature, TWILIO_AUTH_TOKEN).
SMS_WEBHOOK_VALIDATE = env.bool("SMS_WEBHOOK_VALIDATE", default=True)
# PostgreSQL: do not wait for the WAL flush when marking a reminder (faster; a database-server
# crash in the next fraction of a second could resend that one message). Off by default.
REMINDER_ASYNC_COMMIT = env.bool("REMINDER_ASYNC_COMMIT", default=False)
# --- end Reminders ---

# --- Interfaces (owned by interop) ---
# The MLLP listener (manage.py hl7_listener): HL7 v2 ORU^R01 and ADT^A04/A08/A31 from the
# hospital's interface engine. 0.0.0.0 in a container; 127.0.0.1 on a laptop.
HL7_MLLP_HOST = env.str("HL7_MLLP_HOST", default="127.0.0.1")
HL7_MLLP_PORT = env.int("HL7_MLLP_PORT", default=2575)
# Messages applied at once (each in its own thread and database connection).
HL7_WORKERS = env.int("HL7_WORKERS", default=4)
# A larger MLLP block is answered AR and its connection closed.
HL7_MAX_MESSAGE_BYTES = env.int("HL7_MAX_MESSAGE_BYTES", default=1024 * 1024)
# MSH-3 of our ACKs (the sending application the interface engine sees).
HL7_APPLICATION = env.str("HL7_APPLICATION", default="INFUSION_SCHEDULER")
# FHIR searchset page size (and the largest _count a client may ask for).
FHIR_PAGE_SIZE = 50
FHIR_MAX_COUNT = 200
# --- end Interfaces ---

# Booking needs an active treatment order and, where the protocol needs one, an authorization
# (orders.coverage). Production follows the manager's switch in OrdersSettings; the test suite
# sets this to False for tests written before orders existed (tests/conftest.py) and turns it
# back on with @pytest.mark.treatment_orders.
TREATMENT_ORDER_RULES = True
