"""Every named URL of choshu is in an authorisation matrix (role × revenue scope) or named here as
one that shows no personal data, so that a screen added later cannot go untested."""

from django.urls import URLPattern, URLResolver, get_resolver

from tests.cases.test_cases_views import MATRIX as CASES
from tests.governance.test_governance_views import MATRIX as GOVERNANCE
from tests.notices.test_notices_views import MATRIX as NOTICES
from tests.payments.test_payments_views import MATRIX as PAYMENTS
from tests.web.test_web_matrix import MATRIX as WEB
from tests.web.test_web_matrix import PUBLIC

# The second factor of the logged-in user's own account (tests/security/test_totp.py): no one else's data.
OWN_ACCOUNT = {"otp_verify", "otp_enrol"}


def _names(patterns: list[URLPattern | URLResolver]) -> set[str]:
    found: set[str] = set()
    for p in patterns:
        if isinstance(p, URLResolver):
            found |= _names(p.url_patterns)
        elif p.name:
            found.add(p.name)
    return found


def test_every_url_is_in_a_matrix_or_named_as_free_of_personal_data() -> None:
    names = _names(get_resolver().url_patterns)
    covered = set(WEB) | set(GOVERNANCE) | set(PAYMENTS) | set(NOTICES) | set(CASES) | PUBLIC | OWN_ACCOUNT
    assert names - covered == set(), "add these screens to an authorisation matrix"
    assert covered - names == set(), "the matrices name screens that do not exist"
