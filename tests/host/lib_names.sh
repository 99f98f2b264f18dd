#!/bin/bash
# libpasidshim's exports must not share a name with a symbol of the
# module (ux-review #36: `git grep pshim_map` used to land in both), so
# a name found in either is the one thing it names. Compares every name
# tools/libpasidshim.map exports with every symbol, static ones
# included, that nm finds in the module KO.
# usage: lib_names.sh PASID_SHIM_KO. Prints one TAP-style line.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
ko=${1:?usage: lib_names.sh PASID_SHIM_KO}
exports=$(sed -n 's/^[[:space:]]*\(pshim_[a-z0-9_]*\);/\1/p' "$top/tools/libpasidshim.map" | sort -u)
syms=$(nm "$ko" 2>/dev/null | awk '{ print $NF }' | sort -u)
if [ -z "$exports" ] || [ -z "$syms" ]; then
	echo "not ok - libpasidshim's exports and $(basename "$ko")'s symbols could be read"
	exit 1
fi
both=$(comm -12 <(echo "$exports") <(echo "$syms"))
if [ -n "$both" ]; then
	echo "not ok - libpasidshim exports names the module also has: $(echo $both)"
	exit 1
fi
echo "ok - libpasidshim's $(echo "$exports" | wc -l) exports share no name with the module's $(echo "$syms" | wc -l) symbols"
