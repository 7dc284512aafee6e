"""One settings module, driven by environment variables (see README "Configuration")."""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(os.environ.get("CHOSHU_HOME", Path(__file__).resolve().parents[2]))
VAR_DIR = BASE_DIR / "var"

DEBUG = os.environ.get("CHOSHU_DEBUG", "0") == "1"
SECRET_KEY = os.environ.get("CHOSHU_SECRET_KEY", "insecure-development-key-set-CHOSHU_SECRET_KEY")
ALLOWED_HOSTS = [h for h in os.environ.get("CHOSHU_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "choshu.staff",
    "choshu.people",
    "choshu.ledger",
    "choshu.interchange",
    "choshu.demo",
    "choshu.audit",
    "choshu.governance",
    "choshu.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "choshu.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
WSGI_APPLICATION = "choshu.wsgi.application"

if "CHOSHU_DATABASE_URL" not in os.environ:
    VAR_DIR.mkdir(exist_ok=True)  # the embedded default database lives under var/
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("CHOSHU_DATABASE_URL", f"sqlite:///{VAR_DIR / 'choshu.sqlite3'}"),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "staff.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = int(os.environ.get("CHOSHU_SESSION_IDLE_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True  # the cookie age is an idle timeout
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "ja"
TIME_ZONE = os.environ.get("CHOSHU_TIME_ZONE", "Asia/Tokyo")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# A TrueType Japanese font embedded in every PDF (reportlab's CID fonts are not embedded).
PDF_FONT_PATH = os.environ.get("CHOSHU_PDF_FONT", "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
