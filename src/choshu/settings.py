"""One settings module, driven by environment variables (see README "Configuration")."""

import ipaddress
import os
from datetime import timedelta
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
    "choshu.staff",  # before staticfiles: its `runserver` applies the client allowlist to static files too
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "choshu.people",
    "choshu.ledger",
    "choshu.interchange",
    "choshu.demo",
    "choshu.audit",
    "choshu.governance",
    "choshu.notices",
    "choshu.payments",
    "choshu.cases",
    "choshu.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "choshu.web.middleware.SecurityHeadersMiddleware",  # CSP etc. on every response, the 403s below too
    "choshu.web.middleware.AllowedClientsMiddleware",  # designated terminals (CHOSHU_ALLOWED_CLIENTS)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "choshu.web.middleware.TOTPRequiredMiddleware",  # CHOSHU_TOTP_REQUIRED_ROLES
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a locked-out login into the lockout page
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
        # A 256 MB page cache (the default is 2 MB): batch imports touch pages all over the ledger.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-262144;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "staff.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out user before the password is checked
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Security (docs/security.md).
# Lockout (django-axes): N consecutive failures for one user name lock that account, from any
# terminal; a supervisor or administrator unlocks it (`choshu staff unlock NAME`), or, if a cool-off
# is configured, it unlocks itself after that many minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("CHOSHU_LOCKOUT_FAILURES", "10"))
AXES_LOCKOUT_PARAMETERS = ["username"]  # not the address: clerks share counter terminals
SILENCED_SYSTEM_CHECKS = ["axes.W006"]  # that choice, deliberately (docs/security.md)
AXES_RESET_ON_SUCCESS = True  # "consecutive": a successful login clears the count
_cooloff_minutes = int(os.environ.get("CHOSHU_LOCKOUT_COOLOFF_MINUTES", "0") or "0")
AXES_COOLOFF_TIME = timedelta(minutes=_cooloff_minutes) if _cooloff_minutes > 0 else None
AXES_LOCKOUT_CALLABLE = "choshu.staff.views.lockout_response"
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False

# Idle timeout: every request pushes the expiry forward; the cookie dies with the browser.
SESSION_COOKIE_AGE = int(os.environ.get("CHOSHU_SESSION_IDLE_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True  # the cookie age is an idle timeout
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Behind HTTPS in production: CHOSHU_SECURE_COOKIES=1 marks the cookies Secure and sends HSTS.
SECURE_COOKIES = os.environ.get("CHOSHU_SECURE_COOKIES", "0") == "1"
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_HSTS_SECONDS = 31_536_000 if SECURE_COOKIES else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False

# Optional TOTP (django-otp): the roles listed must enrol a device and give a code after the password.
TOTP_REQUIRED_ROLES = frozenset(
    r.strip() for r in os.environ.get("CHOSHU_TOTP_REQUIRED_ROLES", "").split(",") if r.strip()
)
OTP_TOTP_ISSUER = os.environ.get("CHOSHU_TOTP_ISSUER", "choshu")

# Optional allowlist of client addresses (designated terminals, 指定端末): IPs or CIDR networks.
ALLOWED_CLIENTS = tuple(
    ipaddress.ip_network(a.strip(), strict=False)
    for a in os.environ.get("CHOSHU_ALLOWED_CLIENTS", "").split(",")
    if a.strip()
)

LANGUAGE_CODE = "ja"
TIME_ZONE = os.environ.get("CHOSHU_TIME_ZONE", "Asia/Tokyo")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# A TrueType Japanese font embedded in every PDF (reportlab's CID fonts are not embedded).
PDF_FONT_PATH = os.environ.get("CHOSHU_PDF_FONT", "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")

# Payment slips (納付書) and channels (docs/slips.md, docs/channel-formats.md). The codes are assigned by the
# collection agent, the Multi-Payment Network and the bank; the defaults are the demo city's.
CVS_COMPANY_CODE = os.environ.get("CHOSHU_CVS_COMPANY_CODE", "912345")  # barcode positions 3–8
CVS_AGENT_PREFIX = os.environ.get("CHOSHU_CVS_AGENT_PREFIX", "59919")  # free area before the 16-digit key
CVS_BARCODE_CAP = int(os.environ.get("CHOSHU_CVS_BARCODE_CAP", "300000"))  # no barcode above this amount
SLIP_VALIDITY_DAYS = int(os.environ.get("CHOSHU_SLIP_VALIDITY_DAYS", "14"))  # 使用期限 of a slip issued late
PAYEASY_INSTITUTION_NO = os.environ.get("CHOSHU_PAYEASY_INSTITUTION_NO", "01131")  # 収納機関番号
PAYEASY_CONFIRMATION_LENGTH = int(os.environ.get("CHOSHU_PAYEASY_CONFIRMATION_LENGTH", "4"))  # 確認番号
# The key from which 確認番号 is derived; changing it invalidates every slip already printed.
PAYEASY_CONFIRMATION_KEY = os.environ.get("CHOSHU_PAYEASY_CONFIRMATION_KEY", SECRET_KEY)
PAYEASY_CATEGORIES = {  # 納付区分 per revenue
    "resident_ordinary": os.environ.get("CHOSHU_PAYEASY_CATEGORY_RESIDENT_ORDINARY", "101"),
    "resident_special": os.environ.get("CHOSHU_PAYEASY_CATEGORY_RESIDENT_SPECIAL", "102"),
    "light_vehicle": os.environ.get("CHOSHU_PAYEASY_CATEGORY_LIGHT_VEHICLE", "201"),
    "nhi": os.environ.get("CHOSHU_PAYEASY_CATEGORY_NHI", "301"),
}
# Direct debit (口座振替): the consignor as the bank registered it.
# 滞納整理: a case opens this many days after the demand was posted; a plan payment may be this
# many days late before the plan counts as breached (不履行).
CASE_OPEN_DAYS = int(os.environ.get("CHOSHU_CASE_OPEN_DAYS", "30"))
PLAN_GRACE_DAYS = int(os.environ.get("CHOSHU_PLAN_GRACE_DAYS", "10"))
DEBIT_CONSIGNOR_CODE = os.environ.get("CHOSHU_DEBIT_CONSIGNOR_CODE", "1234567890")  # 委託者コード, 10 digits
DEBIT_CONSIGNOR_NAME = os.environ.get("CHOSHU_DEBIT_CONSIGNOR_NAME", "ﾁﾖｳｼﾕｳｸｾﾞｲﾑｶ")  # 委託者名 (kana)
DEBIT_BANK_CODE = os.environ.get("CHOSHU_DEBIT_BANK_CODE", "0001")  # 取引銀行番号
DEBIT_BRANCH_CODE = os.environ.get("CHOSHU_DEBIT_BRANCH_CODE", "001")  # 取引支店番号
DEBIT_ACCOUNT_TYPE = os.environ.get("CHOSHU_DEBIT_ACCOUNT_TYPE", "1")  # consignor's 預金種目
DEBIT_ACCOUNT_NO = os.environ.get("CHOSHU_DEBIT_ACCOUNT_NO", "1234567")
DEBIT_CRLF = os.environ.get("CHOSHU_DEBIT_CRLF", "1") == "1"  # end each 120-byte record with CRLF
# The eL-QR payload: our own documented layout until the official one is available (docs/slips.md).
ELQR_ENCODER = os.environ.get("CHOSHU_ELQR_ENCODER", "choshu.formats.elqr.ChoshuElQrV1")
# A 速報 with no 確報 after this many days is listed for follow-up.
PRELIMINARY_FOLLOW_UP_DAYS = int(os.environ.get("CHOSHU_PRELIMINARY_FOLLOW_UP_DAYS", "14"))
