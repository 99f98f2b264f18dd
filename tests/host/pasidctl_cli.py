#!/usr/bin/env python3
"""pasidctl on the host, without the module: help, version, usage errors,
JSON mode and the bash completion behave as pasidctl(8) says.
usage: pasidctl_cli.py PASIDCTL [COMPLETION_FILE]
Prints TAP-style lines, the last one the verdict."""
import json
import os
import re
import subprocess
import sys

exe = sys.argv[1]
completion = sys.argv[2] if len(sys.argv) > 2 else None
top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
version = open(os.path.join(top, "VERSION")).read().strip()
NODEV = "/nonexistent/pasid-shim"
failed = []
n = 0


def run(*args, limit=None):
    cmd = [exe] + list(args)
    if limit:   # an address-space limit: no work proportional to a length before open
        cmd = ["prlimit", "--as=%d" % limit, "--"] + cmd
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=10)
    return p.returncode, p.stdout, p.stderr


def check(ok, desc, detail=""):
    global n
    n += 1
    print("%s - %s" % ("ok" if ok else "not ok", desc))
    if not ok:
        failed.append(desc)
        for line in str(detail).splitlines()[:8]:
            print("#   " + line)


def jsonl(out):
    """Every line of stdout is a JSON object with "cmd"."""
    objs = []
    for line in out.splitlines():
        o = json.loads(line)
        assert isinstance(o, dict) and "cmd" in o, line
        objs.append(o)
    return objs


commands = ["info", "check", "bind", "domain-alloc", "map", "unmap", "attach", "replace",
            "detach", "attach-many", "detach-many", "map-many", "list", "destroy",
            "pasid-alloc", "pasid-free", "status", "hold", "script", "echo", "help",
            "version", "completion"]

# --- help ---------------------------------------------------------------
for args in (["-h"], ["--help"], ["help"]):
    rc, out, err = run(*args)
    missing = [c for c in commands if not re.search(r"^  %s\b" % re.escape(c), out, re.M)]
    check(rc == 0 and out.startswith("usage: pasidctl") and not missing and not err,
          "pasidctl %s: exit 0, every command listed on stdout" % " ".join(args),
          "rc %d, missing %s, stderr %r" % (rc, missing, err))
for args in (["help", "attach"], ["attach", "--help"], ["attach", "-h"], ["-h", "attach"],
             ["attach", "1", "--help"]):
    rc, out, err = run(*args)
    check(rc == 0 and out.startswith("usage: pasidctl attach DEV PASID DOMAIN\n") and
          "commands:" not in out and not err,
          "pasidctl %s: exit 0, attach's own help" % " ".join(args), out + err)
rc, out, err = run("help", "map")
check(rc == 0 and all(o in out for o in ("--pattern BYTE", "--file PATH", "--read", "--write")),
      "pasidctl help map lists map's options", out)

# --- version ------------------------------------------------------------
for args in (["-V"], ["--version"], ["version"], ["info", "-V"]):
    rc, out, err = run(*args)
    check(rc == 0 and out.startswith("pasidctl %s (libpasidshim %s, uAPI ABI 2" % (version, version)),
          "pasidctl %s: exit 0, versions %s" % (" ".join(args), version), out + err)

# --- usage errors: exit 2, name the argument, one synopsis -----------------
usage_cases = [
    (["attach", "x", "5", "2"], "DEV 'x' is not a number", "pasidctl attach DEV PASID DOMAIN"),
    (["attach", "1", "0x100000000", "2"], "PASID 0x100000000 is out of range",
     "pasidctl attach DEV PASID DOMAIN"),
    (["attach", "1", "2"], "DOMAIN is missing", "pasidctl attach DEV PASID DOMAIN"),
    (["map", "1", "0x1000", "2T"], "LENGTH 2T is out of range", "pasidctl map DOMAIN"),
    (["map", "1", "0", "4K", "--pattern", "300"], "--pattern BYTE 300 is out of range",
     "pasidctl map DOMAIN"),
    (["map", "1", "0", "4K", "--pattern"], "--pattern needs a BYTE", "pasidctl map DOMAIN"),
    (["bind", "--frob", "0000:01:00.0"], "no option --frob", "pasidctl bind PCI_NAME"),
    (["--device"], "--device needs a PATH", None),
    (["frob"], "'frob' is no command", None),
    (["help", "frob"], "'frob' is no command", "pasidctl help [COMMAND]"),
    (["list", "99999999999"], "DEV 99999999999 is out of range", "pasidctl list DEV"),
]
for args, msg, syn in usage_cases:
    rc, out, err = run(*args)
    ok = rc == 2 and msg in err and not out and "commands:" not in err
    ok = ok and (("usage: " + syn) in err if syn else "pasidctl -h lists the commands" in err)
    check(ok, "pasidctl %s: exit 2, says %r%s" % (" ".join(args), msg,
                                                 ", shows its synopsis" if syn else ""),
          "rc %d\n%s%s" % (rc, out, err))

# options anywhere: these are not usage errors (they fail at open: exit 1)
for args in (["bind", "--exclusive", "0000:01:00.0"], ["--exclusive", "bind", "0000:01:00.0"],
             ["bind", "0000:01:00.0", "--exclusive"], ["info", "--json"], ["info", "-j"],
             ["-jp", "info"], ["map", "--read", "1", "0", "4K", "--pattern=0x11", "--write"]):
    rc, out, err = run("--device", NODEV, *args)
    check(rc == 1, "pasidctl %s: options anywhere, exit 1 at open (not a usage error)"
          % " ".join(args), "rc %d\n%s%s" % (rc, out, err))

# --- JSON: stdout is JSON only, errors included, stderr silent ------------
rc, out, err = run("-j", "--device", NODEV, "info")
try:
    o = jsonl(out)
    good = (len(o) == 1 and o[0]["cmd"] == "info" and o[0]["error"] == "ENOENT" and
            o[0]["errno"] == 2 and "path is wrong" in o[0]["meaning"] and
            o[0]["message"].startswith("open %s" % NODEV))
except (ValueError, AssertionError, KeyError) as e:
    good, o = False, e
check(rc == 1 and good and not err,
      "pasidctl -j info, no node: exit 1, one JSON error naming info, ENOENT and its meaning",
      "rc %d %r %r" % (rc, o, err))
rc, out, err = run("-j", "attach", "x", "5", "2")
try:
    o = jsonl(out)
    good = (len(o) == 1 and o[0] == {"cmd": "attach", "error": "usage",
                                    "message": "attach: DEV 'x' is not a number",
                                    "usage": "pasidctl attach DEV PASID DOMAIN"})
except (ValueError, AssertionError) as e:
    good, o = False, e
check(rc == 2 and good and not err, "pasidctl -j attach x 5 2: exit 2, the usage error in JSON",
      "rc %d %r %r" % (rc, o, err))
rc, out, err = run("-p", "--device", NODEV, "info")
try:
    o = json.loads(out)
    good = o["cmd"] == "info" and o["error"] == "ENOENT" and out.count("\n") > 3
except (ValueError, KeyError) as e:
    good, o = False, e
check(rc == 1 and good and not err, "pasidctl -p info: indented JSON", out + err)
rc, out, err = run("-j", "echo", "a", "b")
check(rc == 0 and out == '{"cmd":"echo","text":"a b"}\n', "pasidctl -j echo: JSON, not text", out)
rc, out, err = run("-j", "-h")
try:
    o = jsonl(out)
    good = [c["name"] for c in o[0]["commands"]] == commands
except (ValueError, AssertionError, KeyError) as e:
    good = False
check(rc == 0 and good, "pasidctl -j -h: the command table in JSON", out)
rc, out, err = run("-j", "-V")
try:
    o = jsonl(out)[0]
    good = o["pasidctl"] == version and o["library"] == version and o["abi_version"] == 2
except (ValueError, AssertionError, KeyError, IndexError):
    good = False
check(rc == 0 and good, "pasidctl -j -V: versions in JSON", out)

script = "/tmp/pasidctl-cli-%d.script" % os.getpid()
with open(script, "w") as f:
    f.write("echo one\nd = domain-alloc $nosuch\necho never\n")
rc, out, err = run("-j", "script", script)
os.unlink(script)
try:
    o = jsonl(out)
    good = (o[0] == {"cmd": "echo", "text": "one"} and o[1]["error"] == "usage" and
            "$nosuch" in o[1]["message"] and "no earlier line" in o[1]["message"] and
            o[1]["line"] == 2 and o[1]["script"] == script and len(o) == 2)
except (ValueError, AssertionError, KeyError, IndexError) as e:
    good, o = False, e
check(rc == 2 and good and not err,
      "pasidctl -j script: an unknown $NAME is a usage error naming it, with script and line",
      "rc %d %r %r" % (rc, o, err))

# --- no work proportional to a length before the device is open -----------
rc, out, err = run("--device", NODEV, "map", "1", "0", "1T", limit=256 << 20)
check(rc == 1 and "ENOENT" in err, "pasidctl map 1 0 1T with no node, in 256 MiB of address "
      "space: ENOENT from open, nothing allocated first", "rc %d %s" % (rc, err))
rc, out, err = run("--device", NODEV, "map-many", "1", "0", "1M", "1M", limit=256 << 20)
check(rc == 1 and "ENOENT" in err, "pasidctl map-many 1 0 1M 1M with no node: ENOENT from open",
      "rc %d %s" % (rc, err))
rc, out, err = run("--device", "/dev/null", "info")
check(rc == 2 and "is not the pasid-shim device" in err,
      "pasidctl --device /dev/null: refused, it is not the pasid-shim node", err)

# --- the bash completion, from the table ------------------------------------
if completion:
    rc, out, err = run("completion", "bash")
    same = out == open(completion).read()
    check(rc == 0 and same, "the installed completion is what pasidctl's table makes now")
    probe = r'''
source "$1"
t() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _pasidctl
      echo "${COMPREPLY[*]}"; }
t pasidctl at; t pasidctl bind --ex; t pasidctl help det; t pasidctl -j li
t pasidctl map 1 0 4K --pa; t pasidctl --device /dev/nul; t pasidctl check 0000:00:00.
'''
    p = subprocess.run(["bash", "-c", probe, "probe", completion], capture_output=True, text=True)
    got = p.stdout.splitlines()
    want = ["attach attach-many", "--exclusive", "detach detach-many", "list", "--pattern",
            "/dev/null"]
    pci_ok = len(got) > 6 and (got[6] == "0000:00:00.0" or not os.path.exists(
        "/sys/bus/pci/devices/0000:00:00.0"))
    check(got[:6] == want and pci_ok, "bash completion: commands, options, paths, PCI names",
          "got %r" % got)

print("%s - pasidctl's help, version, usage errors, JSON and completion: %d checks, %d failed%s"
      % ("not ok" if failed else "ok", n, len(failed),
         ": " + "; ".join(failed[:3]) if failed else ""))
sys.exit(1 if failed else 0)
