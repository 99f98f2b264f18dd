#!/bin/bash
# The Python module from the checkout with pip, as a user installs it:
# `pip install .` into a fresh venv, offline (this machine reaches no
# package index): the build's setuptools and wheel come from Debian's
# /usr/share/python-wheels (python3-setuptools-whl, python3-wheel-whl),
# the build isolated as pip does it by default, with Debian's own
# Python, whose patches those wheels carry (python3-venv). The tracked
# files are copied first, so the build leaves nothing in the tree.
# Prints one TAP-style line: ok/not ok - ...
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
want=$(cat "$top/VERSION")
mkdir "$tmp/src"
(cd "$top" && git ls-files -z | xargs -0 cp --parents -t "$tmp/src") 2>/dev/null ||
	cp -a "$top/pyproject.toml" "$top/python" "$top/VERSION" "$tmp/src/"
if ! /usr/bin/python3 -m venv "$tmp/venv" >"$tmp/log" 2>&1 ||
	! "$tmp/venv/bin/pip" install --no-index --find-links /usr/share/python-wheels \
		"$tmp/src" >>"$tmp/log" 2>&1; then
	tail -15 "$tmp/log" | sed 's/^/#   /'
	echo "not ok - pip install . of the checkout into a fresh venv, offline"
	exit 1
fi
got=$("$tmp/venv/bin/python" - <<'PY' 2>&1
import os, sys
import pasid_shim
# from the venv, typed, with the contract's meanings and errors
assert pasid_shim.__file__.startswith(sys.prefix + os.sep), pasid_shim.__file__
assert os.path.exists(os.path.join(os.path.dirname(pasid_shim.__file__), "py.typed"))
e = pasid_shim._error(16, "ATTACH")
assert isinstance(e, OSError) and e.meaning.startswith("the PASID has a domain already"), e
try:
    pasid_shim.open("/nonexistent/pasid-shim")
except FileNotFoundError as e:
    assert isinstance(e, pasid_shim.PasidShimError) and e.command == "open", e
print(pasid_shim.__version__)
PY
)
meta=$("$tmp/venv/bin/pip" show pasid-shim 2>/dev/null | sed -n 's/^Version: //p')
if [ "$got" = "$want" ] && [ "$meta" = "$want" ]; then
	echo "ok - pip install . into a fresh venv, offline: pasid_shim $got imports from the venv (PasidShimError, py.typed)"
else
	echo "$got" | tail -5 | sed 's/^/#   /'
	echo "not ok - pip install . into a fresh venv: import says '$got', pip show '$meta', VERSION $want"
	exit 1
fi
