"""Suite-wide settings. Hypothesis judges no test by the machine's speed: the suite must pass on a
slow or busy machine (timings live in bench/, not in tests)."""

from hypothesis import HealthCheck, settings

settings.register_profile("choshu", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("choshu")
