#!/bin/bash
# python3-pasid-shim knows the uAPI by hand (pure Python, no compiled
# extension): compare each of its ioctl numbers and struct sizes with
# what the C compiler makes of include/uapi/linux/pasid_shim.h.
# Prints one TAP-style line: ok/not ok - ...
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
	echo '#include <stdio.h>'
	echo '#include <linux/pasid_shim.h>'
	echo 'int main(void) {'
	for p in GET_INFO:info BIND:bind DOMAIN_ALLOC:domain_alloc MAP:map UNMAP:unmap \
		ATTACH:attach REPLACE:attach DETACH:detach LIST:list DESTROY:destroy \
		PASID_ALLOC:pasid_alloc PASID_FREE:pasid_free ATTACH_MANY:batch \
		DETACH_MANY:batch MAP_MANY:map_many CHECK:check; do
		printf '\tprintf("%s %%lu %%zu\\n", (unsigned long)PASID_SHIM_%s, sizeof(struct pasid_shim_%s));\n' \
			"${p%%:*}" "${p%%:*}" "${p#*:}"
	done
	echo '	printf("ENTRY 0 %zu\n", sizeof(struct pasid_shim_entry));'
	echo '	printf("MAP_ENTRY 0 %zu\n", sizeof(struct pasid_shim_map_entry));'
	echo '	return 0; }'
} >"$tmp/abi.c"
gcc -I"$top/include/uapi" -o "$tmp/abi" "$tmp/abi.c" && "$tmp/abi" >"$tmp/c" ||
	{ echo "not ok - the uAPI header compiles for the Python ABI check"; exit 1; }
PYTHONPATH=$top/python python3 - "$tmp/c" <<'PY'
import sys
import pasid_shim as p
layouts = {"GET_INFO": p._INFO, "BIND": p._BIND, "DOMAIN_ALLOC": p._DOMAIN_ALLOC,
           "MAP": p._MAP, "UNMAP": p._UNMAP, "ATTACH": p._ATTACH, "REPLACE": p._ATTACH,
           "DETACH": p._DETACH, "LIST": p._LIST, "DESTROY": p._DESTROY,
           "PASID_ALLOC": p._PASID_ALLOC, "PASID_FREE": p._PASID_FREE,
           "ATTACH_MANY": p._BATCH, "DETACH_MANY": p._BATCH, "MAP_MANY": p._MAP_MANY,
           "CHECK": p._CHECK,
           "ENTRY": p._ENTRY, "MAP_ENTRY": p._MAP_ENTRY}
bad, n = [], 0
for line in open(sys.argv[1]):
    name, nr, size = line.split()
    n += 1
    if layouts[name].size != int(size):
        bad.append("%s: Python %d bytes, C %s" % (name, layouts[name].size, size))
    if name not in ("ENTRY", "MAP_ENTRY") and getattr(p, name) != int(nr):
        bad.append("%s: Python 0x%x, C 0x%x" % (name, getattr(p, name), int(nr)))
if bad:
    print("not ok - python3-pasid-shim's ioctl numbers and structs match the uAPI header: "
          + "; ".join(bad))
    sys.exit(1)
print("ok - python3-pasid-shim's ioctl numbers and structs match the uAPI header "
      "(%d commands and structs)" % n)
PY
