#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection laid out as ansible-test
# wants it (<tmp>/ansible_collections/netops/ipsec_spi), offline.
. "$(dirname "$0")/env.sh"

# ansible-test builds a virtualenv per sanity tool under ~/.ansible/test (about 110 CPU seconds, the pip
# installs): keep them with the project's virtualenv, so they last as long as it does, like its packages
# (scripts/test.sh builds them before the stages with --prime-venvs, and reports that time apart).
export HOME="$VENV/ansible-test"

# ansible-test bootstraps pip in its venvs with a script it downloads from a
# host we cannot reach; seed its cache with one that uses ensurepip instead.
pip_version="$(python - <<'PY'
import re, ansible_test, pathlib
src = (pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
print(re.search(r"pip='([0-9.]+)'", src).group(1))
PY
)"
cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
mkdir -p "$(dirname "$cache")"
cat > "$cache" <<'PY'
"""Offline stand-in for get-pip.py: ensurepip, then pip installs the pins asked for."""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install", "-q"] + args)
PY

work="$TMPROOT/sanity/ansible_collections"
rm -rf "$work/netops"
mkdir -p "$work/netops/ipsec_spi"
# Only what git would ship (tracked or new, not ignored).
(cd "$ROOT" && git ls-files -co --exclude-standard -z) |
    (cd "$ROOT" || exit 1; xargs -0 cp --parents -t "$work/netops/ipsec_spi" 2>/dev/null; true)
site="$(python -c 'import ansible_collections, os; print(list(ansible_collections.__path__)[-1])')"
for ns in ansible cisco; do ln -sfn "$site/$ns" "$work/$ns"; done
cd "$work/netops/ipsec_spi" || exit 1
git init -q . && git add -A >/dev/null 2>&1
ansible-test sanity --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
    --color no "$@"
