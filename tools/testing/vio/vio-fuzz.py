#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""vio-fuzz.py - malformed and hostile input for dm-vio, generated.

A seeded generator (the seed is printed; the same seed gives the same
inputs) and a driver that feeds them to the kernel or the dmvio tool and
checks how each was refused. Every input is malformed by construction:
it starts from a valid one and breaks it in one named way (random tokens,
huge and negative numbers, a field truncated, dropped or duplicated,
devices that do not exist, repeat or are too small, conflicting
features, overlong strings), so each must be refused.

  vio-fuzz.py tables   --seed S --count N --dev A0 --dev A1 --dev A2 --small D
  vio-fuzz.py messages --seed S --count N --volume NAME --legs L
  vio-fuzz.py tool     --seed S --count N --volume NAME --dmvio PATH --other DEV

tables: each line is loaded into an empty dm device (a table load): it
must fail, and the kernel log must gain exactly one line from dm-vio
naming the error (matching the case's pattern) and nothing that looks like
a warning, an oops or a sanitizer report.

messages: each is sent to a live volume (a target message): it must fail
with EINVAL and exactly one dm-vio error line, likewise.

tool: dmvio with malformed arguments or policy files against a live
volume: it must exit 1 with an error message on stderr (for policy files,
"file:line: ..."), never die of a signal, and send nothing.

Each mode prints one line per failure and a summary; exit 1 on any.
"""
import argparse
import ctypes
import errno
import os
import random
import re
import subprocess
import sys
import tempfile

KMSG_BAD = re.compile(r"WARNING:|BUG:|Oops|KASAN|UBSAN|general protection|"
                      r"Call Trace|lockdep|possible (circular|recursive) locking|"
                      r"kmemleak|refcount_t:|list_add corruption|ODEBUG")

# Characters random tokens are made of: never whitespace (dmsetup splits
# there), never a lone keyword or number.
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# No "#": dmsetup and policy files take it for the start of a comment.
PUNCT = "!\"$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
CTRL = "".join(chr(c) for c in range(1, 32) if chr(c) not in "\t\n\v\f\r")
# Not U+00A0 or U+00E0: their UTF-8 holds the byte 0xa0, which the
# kernel's isspace() takes for a blank and splits a word at.
HIGH = "".join(chr(c) for c in range(0x80, 0x100) if c not in (0xa0, 0xe0))

# Numbers no numeric field takes: too big for 64 bits, signed, not decimal.
BAD_NUMBERS = ["18446744073709551616", "99999999999999999999999999999", "-1",
               "-4294967296", "1e3", "0x10", "1.5", "--1", "9" * 200]
# And numbers too big for a 32-bit field (counts, chunk sizes).
HUGE = BAD_NUMBERS + ["4294967296", "18446744073709551615"]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def junk(self, min_len=1, max_len=24):
        """A random token that is no keyword, number or device."""
        n = self.r.randint(min_len, max_len)
        alphabet = ALNUM + PUNCT + (CTRL if self.r.random() < 0.2 else "") + \
            (HIGH if self.r.random() < 0.2 else "")
        s = "".join(self.pick(alphabet) for _ in range(n))
        # A letter or symbol no keyword starts with up front, so it is
        # never a number or a keyword; never a backslash at the end, which
        # would join it with the next word (dm_split_args()).
        # Not "@" either: dm core takes messages that start with it.
        s = self.pick("qxzQXZ%~") + s
        return s + "x" if s.endswith("\\") else s

    def bad_number(self):
        return self.pick(BAD_NUMBERS + [self.junk(1, 6)])

    def long(self, n=None):
        return "v" * (n or self.r.randint(64, 4000))


# ---------------------------------------------------------------- tables

def base_tables(a0, a1, a2):
    """Valid tables, as word lists after "0 <len> vio", with their length.
    a0 and a1 hold 4096 sectors, a2 2048."""
    return [
        (8192, ["linear", "0", "2", a0, "0", a1, "0"]),
        (8192, ["stripe", "1", "8", "2", a0, "0", a1, "0"]),
        (4096, ["mirror", "0", "2", a0, "0", a1, "0"]),
        (2048, ["mirror", "4", "region_size", "256", "selector", "service-time",
                "3", a0, "0", a1, "0", a2, "0", "1", "nosync"]),
        (4096, ["linear", "0", "1", a0, "0", "4", "fabric", "2",
                "gen=3,width=4", "gen=1,width=1,credits=16"]),
        (4096, ["linear", "0", "1", a0, "0", "2", "tag", "vm1"]),
        (4096, ["mirror", "2", "weights", "1,3", "2", a0, "0", a1, "0", "5",
                "fabric", "3", "gen=3,width=8", "gen=2,width=1", "gen=1,width=1"]),
    ]


def layout_span(words):
    """Index just past the layout's arguments, and past the arrays."""
    n = int(words[1])
    arrays_at = 2 + n
    nr = int(words[arrays_at])
    return arrays_at, arrays_at + 1 + 2 * nr


def table_cases(g, count, a0, a1, a2, small):
    """(line, pattern) pairs; pattern: a regex the error must match."""
    bases = base_tables(a0, a1, a2)
    spec_bad = [
        ("gen=0", "Link gen"), ("gen=6", "Link gen"), ("gen=-1", "Link gen"),
        ("width=3", "Link width"), ("width=32", "Link width"), ("width=0", "Link width"),
        ("mps=100", "Link mps"), ("mps=64", "Link mps"), ("mps=8192", "Link mps"),
        ("credits=0", "Link credits"), ("credits=99999999999", "Link credits"),
        ("lat_ns=abc", "Link lat_ns"), ("lat_ns=-5", "Link lat_ns"),
        ("speed=9", "link key"), ("gen=1,gen=2", "given twice"),
        ("gen=", "Link gen"), (",", "link key"), ("=3", "link key"),
    ]
    # A word missing, added or repeated: refused by the parser, wherever it
    # then stumbles.
    shape = ("Expected|Missing|Unknown (layout|mirror argument|feature|selector)|"
             "takes no arguments|Invalid number of|invalid offset|chunk size|"
             "Mirror (argument|weight)|region_size")
    out = []

    def add(words, length, pattern):
        out.append((f"0 {length} vio " + " ".join(words), pattern))

    while len(out) < count:
        length, base = bases[g.r.randrange(len(bases))]
        w = list(base)
        arrays_at, feat_at = layout_span(w)
        op = g.r.randrange(24)
        if op == 0:       # layout: a random token
            w[0] = g.junk()
            add(w, length, "Unknown layout")
        elif op == 1:     # layout argument count: not a number
            w[1] = g.bad_number()
            add(w, length, "Invalid number of layout arguments")
        elif op == 2:     # array count: out of range or junk
            w[arrays_at] = g.pick(["0", "33", "64"] + HUGE + [g.junk(1, 5)])
            add(w, length, "Invalid number of (arrays|mirror legs)")
        elif op == 3:     # array count off by some
            n = int(w[arrays_at])
            w[arrays_at] = str(g.pick([x for x in (n - 1, n + 1, n + 2, 32) if x >= 1 and x != n]))
            add(w, length, shape)
        elif op == 4:     # a device that does not exist or is no block device
            i = arrays_at + 1 + 2 * g.r.randrange(int(w[arrays_at]))
            w[i] = g.pick(["/dev/vio-none-" + g.junk(1, 8).replace("/", "_"),
                           "/etc/hostname", "/proc/self/status", "/dev/null", "4095:4095",
                           "0:0", g.junk()])
            add(w, length, "cannot open device|empty device name")
        elif op == 5:     # the same device twice
            if int(w[arrays_at]) < 2:
                continue
            w[arrays_at + 3] = w[arrays_at + 1]
            add(w, length, "is the same device as array")
        elif op == 6:     # offsets: junk, negative, huge, past the end
            i = arrays_at + 2 + 2 * g.r.randrange(int(w[arrays_at]))
            v = g.pick(HUGE + [g.junk(1, 6), "5000", "4096", str(2**63)])
            w[i] = v
            add(w, length, "invalid offset|beyond its end|exceeds|capacity|leaves array|Length|too small")
        elif op == 7:     # the table's length: too long for the arrays
            length = g.pick([length + 8, length * 4, 2**40])
            add(w, length, "Length|exceeds|capacity|not a multiple|rows|whole|too small")
        elif op == 8:     # truncated before the end of the arrays
            cut = g.r.randrange(0, feat_at)
            add(w[:cut], length, shape)
        elif op == 9:     # a word dropped before the features
            i = g.r.randrange(feat_at)
            del w[i]
            add(w, length, shape)
        elif op == 10:    # a word duplicated before the features
            # Not the last offset: "0 0" there reads as "no features".
            i = g.r.randrange(feat_at - 1)
            w.insert(i, w[i])
            add(w, length, shape)
        elif op == 11:    # feature count: junk, huge, off
            if feat_at == len(w):
                w += ["1", "ignore_discard"]
            w[feat_at] = g.pick(HUGE + ["43", g.junk(1, 4), str(len(w) - feat_at)])
            add(w, length, "feature arguments|Expected .* feature|Unexpected argument")
        elif op == 12:    # an unknown feature
            w = w[:feat_at] + ["1", g.junk()]
            add(w, length, "Unknown feature")
        elif op == 13:    # a feature twice
            w = w[:feat_at] + ["2", "ignore_discard", "ignore_discard"]
            add(w, length, "given twice")
        elif op == 14:    # tags: overlong, unprintable, missing, twice
            t = g.r.randrange(4)
            if t == 0:
                w = w[:feat_at] + ["2", "tag", g.long()]
                add(w, length, "must be 1 to 63 characters")
            elif t == 1:
                w = w[:feat_at] + ["2", "tag", "vm" + g.pick(CTRL + HIGH) + "x"]
                add(w, length, "not printable ASCII")
            elif t == 2:
                w = w[:feat_at] + ["1", "tag"]
                add(w, length, "needs a name")
            else:
                w = w[:feat_at] + ["4", "tag", "a", "tag", "b"]
                add(w, length, "given twice")
        elif op == 15:    # nosync on a layout that has no legs
            if w[0] == "mirror":
                continue
            w = w[:feat_at] + ["1", "nosync"]
            add(w, length, "nosync")
        elif op == 16:    # fabric: wrong number of specs
            n = int(w[arrays_at])
            k = g.pick([x for x in (0, 1, 3 + n, 40) if x not in (2, 1 + n)])
            specs = ["gen=3,width=4"] * min(k, 38)
            w = w[:feat_at] + [str(2 + len(specs)), "fabric", str(k)] + specs
            add(w, length, "fabric|feature arguments")
        elif op == 17:    # fabric: a malformed spec
            spec, pat = g.pick(spec_bad)
            w = w[:feat_at] + ["4", "fabric", "2", g.pick(["gen=3,width=4", spec]), spec]
            # The upstream link has no credits to give.
            add(w, length, "(?i)" + pat + "|Unknown link key 'credits'")
        elif op == 18:    # fabric: an overlong spec or junk
            w = w[:feat_at] + ["4", "fabric", "2", "gen=3", g.pick([g.long(), g.junk()])]
            add(w, length, "(?i)link")
        elif op == 19:    # mirror arguments
            if w[0] != "mirror":
                continue
            bad = g.pick([["region_size", g.pick(["3", "0", "100"] + HUGE)],
                          ["selector", g.junk()],
                          ["weights", g.pick(["0,1", "1", "1,2,3,4,5,6,7,8,9", "1,,2",
                                              "1001,1", g.junk()])],
                          ["region_size"], ["selector", "round-robin", "selector", "round-robin"],
                          [g.junk(), "1"]])
            w = ["mirror", str(len(bad))] + bad + w[arrays_at:]
            add(w, length, "Mirror argument|Unknown mirror argument|Unknown selector|Mirror weight|Invalid region_size|Expected .* mirror arguments")
        elif op == 20:    # mirror leg count: 1 or more than 8
            n = g.pick([1, 9])
            devs = [a0, "0", a1, "0", a2, "0"]
            legs = (devs * 4)[:2 * n]
            w = ["mirror", "0", str(n)] + legs
            add(w, 2048, "Invalid number of mirror legs")
        elif op == 21:    # an array too small for the length
            w = ["linear", "0", "1", small, "0"]
            add(w, g.pick([16, 4096, 2**33]), "Length|exceeds|capacity|too small")
        elif op == 22:    # stripe chunk: not a power of two, zero, huge, junk
            w = ["stripe", "1", g.pick(["3", "0", "100", "12", "8k"] + HUGE),
                 "2", a0, "0", a1, "0"]
            add(w, 8192, "chunk size")
        else:             # words after the feature group
            w = w + [g.junk()]
            if feat_at == len(base):
                add(w, length, "feature arguments|Unexpected argument")
            else:
                add(w, length, "Unexpected argument")
    return out[:count]


# -------------------------------------------------------------- messages

# What each kind of bad message must be refused with (message_cases()'s
# op): a regex on dm-vio's one error line.
MESSAGE_ERRORS = [
    r"Unknown message",
    r"Class parameter .*(expected|out of range)",
    r"Class parameter .*(expected|out of range)|Class weight .* out of range",
    r"Class parameter .*(expected|needs a value|given twice)|Unknown class parameter",
    r"Class parameter .* needs (the limit|a burst rate)|Reservation .* exceeds the limit",
    r"Class parameter .* expected array indices|Class both prefers and avoids",
    r"Class name .* (may only use|is longer than)|Class .* already exists",
    r"Reservations would total .* over the capacity",
    r"No class",
    r"Class weight .* out of range|Reservations would total|Unknown class parameter|Class parameter .*(expected|out of range)|Reservation .* exceeds the limit",
    r"The default class cannot be deleted|No class|Class gold is used by rule",
    r"Usage: class",
    r"Tenant pattern .* (must be|is empty|is not printable|is longer than)|A rule for vm=db1 already exists",
    r"No class",
    r"Rule index .* is not a number",
    r"No rule|Tenant pattern .* must be",
    r"Usage: rule",
    r"Usage: depth|Capacity .* (is not a valid|given twice)|Unknown capacity parameter|Reservations would total .* over the capacity",
    r"Invalid array|Usage: (fail|reinstate)|Array 0 is not failed",
    r"Usage: (selector|weight)|Unknown selector|Invalid weight|Invalid array",
    r"Usage: fabric",
    r"Usage: link|Unknown link key|Link (key .* given twice|gen|width|mps|lat_ns|credits|spec)",
    r"Invalid link",
    r"Usage: stats",
    r"Class parameter .*(expected|out of range)",
    r"Usage: (tenant|qos)",
]


def message_cases(g, count, legs):
    """(message, pattern) pairs: messages that must be refused by a mirror
    volume of <legs> legs, with a fabric, a class "gold" with res_iops=100
    used by a rule "vm=db1", and a capacity of iops=1000; pattern: a regex
    the error must match."""
    out = []
    keys = ["res_iops", "res_bps", "weight", "iops", "bps", "riops", "wiops",
            "rbps", "wbps", "iops_max", "iops_max_len", "bps_max", "bps_max_len",
            "iops_size", "lat_target_us", "prefer", "avoid"]

    def name():
        return "fz" + str(g.r.randrange(10**6))

    while len(out) < count:
        op = g.r.randrange(26)
        if op == 0:
            m = [g.junk()] + [g.junk() for _ in range(g.r.randrange(4))]
        elif op == 1:     # a class value that is no number or out of range
            k = g.pick(keys[:15])
            m = ["class", "create", name(), f"{k}={g.bad_number()}"]
        elif op == 2:
            m = ["class", "create", name(), f"weight={g.pick(['0', '10001', '-1', ''])}"]
        elif op == 3:     # an unknown key, a key twice, no "="
            m = ["class", "create", name(), g.pick([f"{g.junk()}=1", "weight=5 weight=6",
                                                    "weight", "=5", "iops=5=6"])]
            m = m[:3] + m[3].split(" ")
        elif op == 4:     # a burst without its limit, a reservation over the limit
            m = ["class", "create", name(), g.pick(["iops_max=100", "bps_max=1m",
                                                    "iops_max_len=5", "res_iops=50 iops=10"])]
            m = m[:3] + m[3].split(" ")
        elif op == 5:     # legs out of range, both preferred and avoided
            m = ["class", "create", name(), g.pick(["avoid=32", "prefer=0 avoid=0", "prefer=-1",
                                                    "prefer=0,0", "prefer=40", "avoid=1,",
                                                    f"prefer={g.junk(1, 3)}"])]
            m = m[:3] + m[3].split(" ")
        elif op == 6:     # class names: invalid characters, too long, taken
            m = ["class", "create", g.pick(["gold", "default", "a/b", "x" * 32, g.junk() + "/",
                                            "n" + g.pick(CTRL + HIGH)])]
        elif op == 7:     # reservations beyond the capacity
            m = ["class", "create", name(), g.pick(["res_iops=5000", "res_iops=901"])]
        elif op == 8:
            m = ["class", "set", g.pick(["nosuch", name()]), "weight=5"]
        elif op == 9:
            m = ["class", "set", "gold", g.pick([f"{g.junk()}=1", "weight=0", f"iops={g.bad_number()}",
                                                 "res_iops=99999", "iops=50"])]
        elif op == 10:
            m = ["class", "delete", g.pick(["default", "gold", "nosuch", name()])]
        elif op == 11:    # class: no verb, unknown verb, extra words
            m = ["class"] + g.pick([[], [g.junk()], ["list", "x"], ["stats", "x"], ["delete"]])
        elif op == 12:    # rule patterns
            m = ["rule", "add", g.pick([g.junk().replace("=", ""), "vm=", "cgroup=", "host=x",
                                        "vm=" + g.long(300), "vm=a" + g.pick(CTRL + HIGH),
                                        "vm=db1"]), "gold"]
        elif op == 13:
            m = ["rule", "add", "vm=" + name(), g.pick(["nosuch", g.junk()])]
        elif op == 14:    # rule insert at a bad index
            m = ["rule", "insert", g.pick(["-1", "99", "abc", "1x", "4294967296"]),
                 "vm=" + name(), "gold"]
        elif op == 15:
            m = ["rule", "delete", g.pick(["vm=nosuch", "cgroup=/x", g.junk()])]
        elif op == 16:
            m = ["rule"] + g.pick([[], [g.junk()], ["add"], ["add", "vm=x"], ["list", "x"]])
        elif op == 17:    # capacity and depth
            m = g.pick([["capacity", f"iops={g.bad_number()}"], ["capacity", "iops=50"],
                        ["capacity", f"bps={g.pick(BAD_NUMBERS)}"], ["capacity", "iops=1k"],
                        ["capacity", f"{g.junk()}=5"], ["capacity", "iops=5", "iops=6"],
                        ["depth", g.pick(["0", "4097", "-1"] + HUGE)], ["depth"],
                        ["depth", "8", "9"]])
        elif op == 18:    # mirror legs
            m = g.pick([["fail", str(legs)], ["fail", "-1"], ["fail", g.junk(1, 3)], ["fail"],
                        ["reinstate", "0"], ["reinstate", str(legs + 1)], ["reinstate"],
                        ["fail", "0", "1"]])
        elif op == 19:
            m = g.pick([["selector", g.junk()], ["selector"], ["selector", "round-robin", "x"],
                        ["weight", "0", g.pick(["0", "1001", "-1", "abc"] + HUGE)],
                        ["weight", str(legs), "1"], ["weight", "0"], ["weight"]])
        elif op == 20:    # fabric switches
            m = g.pick([["fabric", g.junk()], ["fabric", "mode", g.junk()], ["fabric", "mode"],
                        ["fabric", "on", "off"], ["fabric", "stats", "x"]])
        elif op == 21:    # links
            spec = g.pick(["gen=0", "gen=6", "width=3", "mps=100", "credits=0", "lat_ns=-1",
                           g.junk(), "gen=1,gen=2", "", g.long(200)])
            m = ["link", g.pick(["up", "0", str(legs - 1)]), spec] if spec else ["link", "0"]
        elif op == 22:
            m = ["link", g.pick([str(legs), "-1", "upp", g.junk(1, 3)]), "gen=1"]
        elif op == 23:
            m = ["stats", g.junk()]
        elif op == 24:    # a numeric field with every kind of bad number
            m = ["class", "create", name(), f"{g.pick(keys[:14])}={g.pick(BAD_NUMBERS)}"]
        else:             # tenant list with extra words, qos with words
            m = g.pick([["tenant"], ["tenant", "list", "x"], ["tenant", g.junk()], ["qos", "x"]])
        out.append((m, MESSAGE_ERRORS[op]))
    return out


# -------------------------------------------------------------------- dm

class DM:
    """Table loads and messages through libdevmapper, in process: a
    thousand dmsetup processes take minutes in an emulated guest. Only
    what dmsetup adds is left out: its comment stripping ("#")."""

    RELOAD, CLEAR, TARGET_MSG = 1, 14, 17

    def __init__(self):
        lib = ctypes.CDLL("libdevmapper.so.1.02.1")
        lib.dm_task_create.restype = ctypes.c_void_p
        lib.dm_task_create.argtypes = [ctypes.c_int]
        for f, args in (("dm_task_set_name", [ctypes.c_char_p]),
                        ("dm_task_add_target", [ctypes.c_uint64, ctypes.c_uint64,
                                                ctypes.c_char_p, ctypes.c_char_p]),
                        ("dm_task_set_sector", [ctypes.c_uint64]),
                        ("dm_task_set_message", [ctypes.c_char_p]),
                        ("dm_task_run", []), ("dm_task_get_errno", []),
                        ("dm_task_destroy", [])):
            getattr(lib, f).argtypes = [ctypes.c_void_p] + args
        # libdevmapper's own complaints would only repeat the kernel's.
        self.quiet = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
                                      ctypes.c_int, ctypes.c_char_p)(lambda *a: None)
        lib.dm_log_with_errno_init(self.quiet)
        self.lib = lib

    def _run(self, kind, name, setup):
        t = self.lib.dm_task_create(kind)
        try:
            self.lib.dm_task_set_name(t, name.encode())
            setup(t)
            if self.lib.dm_task_run(t):
                return 0
            return self.lib.dm_task_get_errno(t) or -1
        finally:
            self.lib.dm_task_destroy(t)

    def load(self, name, line):
        start, length, ttype, params = (line.split(" ", 3) + ["", ""])[:4]
        return self._run(self.RELOAD, name, lambda t: self.lib.dm_task_add_target(
            t, int(start), int(length), ttype.encode(),
            params.encode("utf-8", "surrogateescape")))

    def clear(self, name):
        return self._run(self.CLEAR, name, lambda t: None)

    def message(self, name, words):
        def setup(t):
            self.lib.dm_task_set_sector(t, 0)
            self.lib.dm_task_set_message(t, " ".join(words).encode("utf-8", "surrogateescape"))
        return self._run(self.TARGET_MSG, name, setup)


# ------------------------------------------------------------------ kmsg

class Kmsg:
    """New kernel log lines since the last call."""

    def __init__(self):
        self.fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        os.lseek(self.fd, 0, os.SEEK_END)

    def new(self):
        lines = []
        while True:
            try:
                rec = os.read(self.fd, 8192)
            except BlockingIOError:
                return lines
            except OSError:       # EPIPE: overwritten records; go on
                continue
            text = rec.decode("utf-8", "replace")
            lines.append(text.split(";", 1)[1].rstrip("\n") if ";" in text else text)


def check_refusal(kind, shown, rc, lines, pattern, marker, fails):
    """One input's outcome: refused, one dm-vio line, nothing bad."""
    vio = [ln for ln in lines if marker in ln]
    bad = [ln for ln in lines if KMSG_BAD.search(ln)]
    why = None
    if rc == 0:
        why = "accepted"
    elif bad:
        why = "kernel reported: " + bad[0]
    elif len(vio) != 1:
        why = f"{len(vio)} dm-vio error lines: {lines}"
    elif pattern and not re.search(pattern, vio[0], re.I):
        why = f"error does not match /{pattern}/: {vio[0]}"
    if why:
        fails.append(f"{kind} {shown!r}: {why}")
    return vio[0] if vio else ""


def run_tables(a):
    g = Gen(a.seed)
    cases = table_cases(g, a.count, a.dev[0], a.dev[1], a.dev[2], a.small)
    km = Kmsg()
    fails, msgs = [], {}
    dm = DM()
    for line, pattern in cases:
        km.new()
        rc = dm.load(a.volume, line)
        err = check_refusal("table", line[:200], rc, km.new(), pattern, ": vio: ", fails)
        msgs[re.sub(r"'.*?'|\d+", "_", err.split(": vio: ", 1)[-1])] = 1
        if rc == 0:
            dm.clear(a.volume)
    for f in fails[:50]:
        print("FAIL:", f)
    print(f"tables: seed {a.seed}, {len(cases)} tried, {len(cases) - len(fails)} refused "
          f"as expected, {len(msgs)} distinct errors, {len(fails)} failures")
    return 1 if fails else 0


def run_messages(a):
    g = Gen(a.seed)
    cases = message_cases(g, a.count, a.legs)
    km = Kmsg()
    fails = []
    dm = DM()
    for m, pattern in cases:
        km.new()
        rc = dm.message(a.volume, m)
        if rc and rc != errno.EINVAL:
            fails.append(f"message {m!r}: refused with {rc}, not EINVAL")
            continue
        check_refusal("message", " ".join(m)[:200], rc, km.new(), pattern, "vio: ", fails)
    for f in fails[:50]:
        print("FAIL:", f)
    print(f"messages: seed {a.seed}, {len(cases)} tried, {len(cases) - len(fails)} refused "
          f"as expected, {len(fails)} failures")
    return 1 if fails else 0


# ------------------------------------------------------------------ tool

GOOD_POLICY = """# the volume's policy
capacity iops=1000
depth 32
class gold res_iops=100 weight=400
class bronze iops=500 iops_max=800 iops_max_len=5
rule vm=db1 gold
rule cgroup=/x/* bronze
"""


def policy_cases(g, count):
    lines = GOOD_POLICY.strip("\n").split("\n")
    out = []
    breakers = [
        lambda: g.junk(),
        lambda: "class " + g.junk().replace(" ", "") + "/",
        lambda: "class gold weight=5",                 # declared twice
        lambda: "class x " + g.pick(["weight=0", "weight=10001", "iops=abc", f"{g.junk()}=1",
                                     "iops_max=5", "res_iops=50 iops=10", "prefer=0 avoid=0",
                                     "weight=1 weight=2", "iops=" + g.pick(BAD_NUMBERS)]),
        lambda: "rule vm=x " + g.pick(["nosuch", "ghost"]),
        lambda: "rule " + g.pick(["vm=", "host=x", "x", "vm=" + g.long(300)]) + " gold",
        lambda: "rule vm=db1 gold",                    # rule twice
        lambda: "capacity iops=" + g.pick(["abc", "-1", "50"] + BAD_NUMBERS),
        lambda: "capacity iops=5000",                  # second capacity line
        lambda: "depth " + g.pick(["0", "4097", "x", "1 2"]),
        lambda: "depth 16",                            # second depth line
        lambda: "class " + "c" * 32,
        lambda: "rule",
        lambda: "class",
        lambda: g.long(100000),
        lambda: "class z " + "weight=1 " * 5000,
    ]
    while len(out) < count:
        ls = list(lines)
        for _ in range(g.r.randint(1, 3)):
            ls.insert(g.r.randrange(len(ls) + 1), g.pick(breakers)())
        out.append("\n".join(ls) + "\n")
    return out


def arg_cases(g, count, vol, other):
    out = []
    while len(out) < count:
        op = g.r.randrange(14)
        if op == 0:
            c = [g.junk()]
        elif op == 1:
            c = ["status", "--" + g.junk(1, 8).replace("=", "")]
        elif op == 2:     # a device that is missing or no vio volume
            c = [g.pick(["status", "arrays", "classes", "tenants", "fabric", "rule list"]),
                 g.pick(["vio-none-" + str(g.r.randrange(999)), other])]
            c = c[0].split(" ") + c[1:]
        elif op == 3:
            c = ["class", "add", vol, "fz" + str(g.r.randrange(999)),
                 g.pick(["weight=0", "iops=x", f"{g.junk()}=1", "weight", "=1",
                         "iops=" + g.pick(BAD_NUMBERS)])]
        elif op == 4:
            c = g.pick([["class", "set", vol, "nosuch", "weight=5"],
                        ["class", "set", vol, "default"], ["class", "delete", vol, "default"],
                        ["class", "delete", vol, "nosuch"], ["class", "delete", vol, "gold"]])
        elif op == 5:
            c = ["rule", g.pick(["add", "insert", "delete"]), vol] + \
                g.pick([["vm="], ["x", "gold"], ["vm=y", "nosuch"], ["-1", "vm=y", "gold"], []])
        elif op == 6:
            c = ["create", "viot-fz" + str(g.r.randrange(99)),
                 g.pick(["raid5", "mirror", "stripe", "linear"]),
                 g.pick(["--chunk", "--size", "--region-size", "--weights", "--selector",
                         "--offset", "--fabric"]),
                 g.pick(["3K", "abc", "-1", "0", "1,2,3", "nosuch", "gen=9"] + BAD_NUMBERS[:4]),
                 other]
        elif op == 7:
            c = ["top", vol, g.pick(["-d", "-c", "--interval", "--count"]),
                 g.pick(["0", "-1", "abc", "1e9"] + BAD_NUMBERS[:3])]
        elif op == 8:
            c = [g.pick(["status", "classes", "tenants", "arrays"]), "-o",
                 g.pick([g.junk(1, 6), ",", "+" + g.junk(1, 4), "NAME," + g.junk(1, 4)]), vol]
        elif op == 9:
            c = ["mirror", g.pick(["fail", "reinstate", "weight"]), vol,
                 g.pick(["9", "-1", "x", "0 0", "0 1001"])]
            c = c[:3] + c[3].split(" ")
        elif op == 10:
            c = ["selector", vol, g.junk()]
        elif op == 11:
            c = ["link", vol, g.pick(["9", "up", "0"]), g.pick(["gen=0", "width=3", g.junk()])]
        elif op == 12:
            c = [g.pick(["capacity", "depth"]), vol, g.pick(["iops=x", "0", "99999", "bps=-1"])]
        else:
            c = ["apply", vol, g.pick(["/nonexistent/policy", "/proc/self/mem", "/"])]
        out.append(c)
    return out


def run_tool(a):
    g = Gen(a.seed)
    fails = []
    state0 = tool_state(a.volume)

    def judge(what, p, need):
        err = p.stderr.decode("utf-8", "replace")
        if p.returncode < 0 or p.returncode >= 128:
            fails.append(f"{what}: died (status {p.returncode})")
        elif p.returncode == 0:
            fails.append(f"{what}: accepted")
        elif not re.search(need, err):
            fails.append(f"{what}: stderr lacks /{need}/: {err[:300]!r}")

    policies = policy_cases(g, a.count)
    with tempfile.TemporaryDirectory() as d:
        for i, text in enumerate(policies):
            f = os.path.join(d, f"p{i}.policy")
            with open(f, "w", encoding="utf-8", errors="surrogateescape") as fh:
                fh.write(text)
            p = subprocess.run([a.dmvio, "apply", a.volume, f], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=60)
            judge(f"policy {i}", p, re.escape(f) + r":\d+: ")
            if p.stdout.strip():
                fails.append(f"policy {i}: sent messages: {p.stdout[:200]!r}")
    args = arg_cases(g, a.count, a.volume, a.other)
    for c in args:
        p = subprocess.run([a.dmvio] + c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=60)
        judge(f"dmvio {' '.join(c)[:150]!r}", p, r"dmvio|[Uu]sage")
    if tool_state(a.volume) != state0:
        fails.append("the volume's configuration changed")
    for f in fails[:50]:
        print("FAIL:", f)
    print(f"tool: seed {a.seed}, {len(policies)} policy files and {len(args)} argument lists "
          f"tried, {len(fails)} failures")
    return 1 if fails else 0


def tool_state(vol):
    out = []
    for m in (["class", "list"], ["rule", "list"], ["qos"]):
        p = subprocess.run(["dmsetup", "message", vol, "0"] + m, stdout=subprocess.PIPE)
        out.append(re.sub(r"(inflight|queued)=\d+", "", p.stdout.decode()))
    out.append(subprocess.run(["dmsetup", "table", vol], stdout=subprocess.PIPE).stdout.decode())
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["tables", "messages", "tool"])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--dev", action="append", default=[])
    ap.add_argument("--small")
    ap.add_argument("--volume")
    ap.add_argument("--legs", type=int, default=2)
    ap.add_argument("--dmvio")
    ap.add_argument("--other")
    ap.add_argument("--list", action="store_true", help="print the inputs, run nothing")
    a = ap.parse_args()
    if a.list:
        g = Gen(a.seed)
        if a.mode == "tables":
            for line, pat in table_cases(g, a.count, *a.dev[:3], a.small):
                print(repr(line), "=>", pat)
        elif a.mode == "messages":
            for m, pat in message_cases(g, a.count, a.legs):
                print(repr(" ".join(m)), "=>", pat)
        return 0
    return {"tables": run_tables, "messages": run_messages, "tool": run_tool}[a.mode](a)


if __name__ == "__main__":
    sys.exit(main())
