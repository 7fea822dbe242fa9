"""One settings module, driven by the environment (12-factor, django-environ).

Defaults are the embedded run of `make run`: SQLite, a file-system Celery broker under var/,
console email and SMS. Production sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY, ...
"""

from pathlib import Path

import environ

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
    "django_htmx",
    "scheduling",
    "patients",
    "analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "scheduling.middleware.IdleSessionExpiryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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

# --- Clinic -----------------------------------------------------------------------------
CENTER_NAME = env.str("CENTER_NAME", default="Riverside MS Infusion Center")
CENTER_ADDRESS = env.str("CENTER_ADDRESS", default="200 Riverside Ave, Suite 3, Springfield")
CENTER_PHONE = env.str("CENTER_PHONE", default="+1 555 010 2030")
# Absolute base for links in emails/SMS (patients open them outside the app).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
# Patient links are signed and expire after this many days.
PATIENT_LINK_MAX_AGE_DAYS = env.int("PATIENT_LINK_MAX_AGE_DAYS", default=30)

# --- Email ------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
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
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Infusion Center Scheduler API",
    "DESCRIPTION": "Book and read MS infusion sessions. Token auth: `Authorization: Token <key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

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
