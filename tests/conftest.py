"""Make the repository importable as ansible_collections.netops.ipsec_spi, and load the Hypothesis profile.

scripts/env.sh does the same for every entry point; this keeps a bare
`pytest tests/unit` working too. Profiles: tests/hypothesis_profiles.py (HYPOTHESIS_PROFILE=ci|deep).
"""
import os
import sys

import hypothesis_profiles

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".tmp", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "netops", "ipsec_spi")

if not os.path.islink(LINK) and not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(ROOT, LINK)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", COLLECTIONS)

hypothesis_profiles.load()
