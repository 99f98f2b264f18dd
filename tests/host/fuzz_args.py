#!/usr/bin/env python3
"""Throw random argument vectors at pasidctl: it must only ever exit 0,
1 or 2 (never crash, hang or die by a signal). Seeded, reproducible.
usage: fuzz_args.py PASIDCTL [RUNS] [SEED]"""
import random
import subprocess
import sys

exe = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
seed = int(sys.argv[3]) if len(sys.argv) > 3 else random.randrange(1 << 30)
rng = random.Random(seed)
words = ["info", "bind", "domain-alloc", "map", "unmap", "attach", "replace",
         "detach", "list", "destroy", "script", "echo", "--json", "--device",
         "--pattern", "--file", "--read", "--write", "--help", "-", "=", "$x",
         "check", "status", "hold", "help", "version", "completion", "bash", "attach-many",
         "detach-many", "map-many", "pasid-alloc", "pasid-free", "--exclusive", "-j", "-p",
         "-h", "-V", "-d", "-jp", "--pretty", "--version", "--", "--pattern=", "--device=",
         "--exclusive=1", "-x", "1T", "2T", "0t",
         "0", "1", "-1", "0x", "0xffffffff", "0x100000000", "4K", "1G", "99999999999999999999",
         "18446744073709551615", "16E", "0000:01:00.0", "", " ", "%s%n", "\x7f", "é"]
bad = []
for i in range(runs):
    n = rng.randrange(0, 8)
    argv = []
    for _ in range(n):
        if rng.random() < 0.15:
            argv.append("".join(chr(rng.randrange(1, 256)) for _ in range(rng.randrange(0, 12))))
        else:
            argv.append(rng.choice(words))
    # hold waits for a signal once the device is open: never let it find one
    if rng.random() < 0.7 or "hold" in argv:
        argv = ["--device", "/nonexistent/pasid-shim"] + argv
    try:
        p = subprocess.run([exe] + argv, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=5)
        if p.returncode not in (0, 1, 2):
            bad.append((argv, p.returncode))
    except subprocess.TimeoutExpired:
        bad.append((argv, "timeout"))
    except ValueError:  # a NUL cannot be passed in argv
        continue
for argv, rc in bad[:10]:
    print("#   %r -> %s" % (argv, rc))
print("%s - pasidctl argument fuzz: %d runs, seed %d, %d bad exits"
      % ("ok" if not bad else "not ok", runs, seed, len(bad)))
sys.exit(1 if bad else 0)
