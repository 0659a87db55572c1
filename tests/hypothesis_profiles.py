"""Hypothesis profiles: `ci` (the default, `make test`) and `deep` (`make test-deep`), chosen by HYPOTHESIS_PROFILE.

Both draw their examples from a fixed seed (derandomize), so a failure found once is found again by the same
command; `deep` runs every property test at its full count (the numbers written in the tests), `ci` at a fifth.
A test that states its count passes it through examples(), so it follows the profile too.
"""
import os

from hypothesis import settings

SCALE = {"ci": 0.2, "deep": 1.0}
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if PROFILE not in SCALE:
    raise SystemExit("HYPOTHESIS_PROFILE=%s: use one of %s" % (PROFILE, ", ".join(sorted(SCALE))))


def examples(full: int) -> int:
    """The example count for this profile of a test that runs `full` examples in the deep profile."""
    return min(full, max(10, round(full * SCALE[PROFILE])))


def load() -> None:
    for name in SCALE:
        # no example database: runs leave nothing behind and never depend on an earlier run
        settings.register_profile(name, max_examples=round(100 * SCALE[name]), derandomize=True, database=None,
                                  deadline=None, print_blob=True)
    settings.load_profile(PROFILE)
