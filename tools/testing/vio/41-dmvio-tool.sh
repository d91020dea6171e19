#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The dmvio tool (tools/dmvio, built on the host) against live volumes:
# create (mirror, stripe, linear) and remove; status, arrays, classes,
# tenants, fabric and rule list as tables and as JSON, every value checked
# against "dmsetup status" and the "stats" message; every configuration
# command; apply twice (the second sends no message at all); bad input
# (unknown device, a dm-linear, bad values, malformed policy files) fails
# with a precise message and changes nothing; top --batch and -J while fio
# runs at a fixed rate report that rate.
. "$(dirname "$0")/lib.sh"

DMVIO=$VIO_TOP/tools/dmvio/dmvio
[ -x "$DMVIO" ] || fail "$DMVIO is missing: build it on the host first (make tools)"

T=/sys/kernel/tracing
TI=$T/instances/viot-tool
tool_cleanup() {
	[ -d "$TI" ] && rmdir "$TI"
	return 0
}
trap 'tool_cleanup; vio_cleanup' EXIT

# slurp <file>: its contents in $REPLY (builtins only: forks are slow
# under TCG, and this runs for every command)
slurp() {
	REPLY=
	IFS= read -r -d '' REPLY <"$1" || true
}

# dmvio <args...>: must succeed, print nothing on stderr; its stdout
dmvio() {
	"$DMVIO" "$@" >"$VIO_TMP/out" 2>"$VIO_TMP/err" ||
		fail "dmvio $*: exit $?: $(cat "$VIO_TMP/err")"
	[ ! -s "$VIO_TMP/err" ] || fail "dmvio $*: stderr: $(cat "$VIO_TMP/err")"
	slurp "$VIO_TMP/out"
	printf '%s' "$REPLY"
}

# expect_error <stderr text> <dmvio args...>: exit status 1, and the text
# on stderr (left in $REPLY)
expect_error() {
	local want=$1 rc=0
	shift
	"$DMVIO" "$@" >"$VIO_TMP/out" 2>"$VIO_TMP/err" || rc=$?
	slurp "$VIO_TMP/err"
	[ "$rc" -eq 1 ] || fail "dmvio $*: exit $rc, want 1 ($REPLY)"
	[[ $REPLY == *"$want"* ]] || fail "dmvio $*: stderr '$REPLY', want '$want'"
}

# as_json <file> <dmvio args...>: -J output into a file (every such file is
# loaded with json.load by check.py below, which fails on invalid JSON)
as_json() {
	local f=$1
	shift
	dmvio -J "$@" >"$f"
}

devnum() {
	dmsetup info -c --noheadings -o major,minor --separator : "$1"
}

# state <volume>: what configuration messages change
state() {
	dmsetup table "$1"
	vio_msg "$1" class list
	vio_msg "$1" rule list
	vio_msg "$1" qos | sed 's/ inflight=[0-9]* queued=[0-9]*//'
}

# no_vio_log: nothing was sent that the kernel refused since kmsg_mark
no_vio_log() {
	local got
	got=$(kmsg_since | grep 'vio: ' || true)
	[ -z "$got" ] || fail "$1: the kernel logged: $got"
}

# Compares JSON rows with the objects of the "stats" message.
cat >"$VIO_TMP/check.py" <<'EOF'
import json, sys

WORDS = {"volume": 0, "array": 1, "mirror": 0, "qos": 0, "class": 1, "tenant": 3, "link": 2}

def stats(text):
    objs = []
    for line in text.splitlines():
        kind, _, rest = line.partition(" ")
        words = rest.split(" ")
        n = WORDS[kind]
        kv = {}
        for w in words[n:]:
            k, _, v = w.partition("=")
            kv[k] = v
        if " path=" in line:
            kv["path"] = line.split(" path=", 1)[1]
        objs.append((kind, words[:n], kv))
    return objs

def key(kind, row, words):
    if kind == "tenant":
        return (row["kind"], str(row["id"])), (words[0], words[1])
    name = {"array": "idx", "class": "name", "link": "link"}[kind]
    return str(row[name]), words[0]

# rows <json file> <table> <kind> <stats file>: every row is an object of
# that kind and every value it shares with it is the same
def rows(jf, table, kind, sf):
    got = json.load(open(jf))[table]
    objs = [o for o in stats(open(sf).read()) if o[0] == kind]
    assert len(got) == len(objs), "%d rows, %d %s objects" % (len(got), len(objs), kind)
    for row in got:
        match = [o for o in objs if key(kind, row, o[1])[0] == key(kind, row, o[1])[1]]
        assert len(match) == 1, "no %s object for %s" % (kind, row)
        _, words, kv = match[0]
        same = 0
        for k, v in row.items():
            if k not in kv:
                continue
            want = kv[k]
            if v is None:
                assert want == "-", (row, k, want)
            else:
                assert str(v) == want, "%s %s: %s=%s, stats say %s" % (kind, words, k, v, want)
            same += 1
        assert same >= 3, "%s: only %d values to compare" % (row, same)
        if kind == "tenant":
            assert row["class"] == words[2], (row, words)
        if kind == "array" and "read_bytes" in row:
            assert row["read_bytes"] == 512 * int(kv["read_sectors"]), row

# status <json file> <dmsetup status line>: arrays as the status line has them
def status(jf, line):
    got = json.load(open(jf))["arrays"]
    st = line.split()
    n = int(st[4])
    keys = ["reads", "writes", "read_sectors", "write_sectors", "discards", "flushes", "errors"]
    assert len(got) == n, (len(got), n)
    for i, a in enumerate(got):
        f = st[5 + 9 * i:14 + 9 * i]
        assert a["idx"] == i and a["dev"] == f[0] and a["state"] == f[1], (a, f)
        for k, v in zip(keys, f[2:]):
            assert a[k] == int(v), "array %d: %s=%s, status says %s" % (i, k, a[k], v)

# expect <json file> [<python expression over d> <wanted str()>]...
def expect(jf, *pairs):
    d = json.load(open(jf))
    for expr, want in zip(pairs[::2], pairs[1::2]):
        got = str(eval(expr))
        assert got == want, "%s: %s is %s, want %s" % (jf, expr, got, want)

# Checks separated by ":::", each "<check> <args...>".
ops = {"rows": rows, "status": status, "expect": expect}
args = sys.argv[1:]
while args:
    n = args.index(":::") if ":::" in args else len(args)
    ops[args[0]](*args[1:n])
    args = args[n + 1:]
EOF

# check <rows|status|expect> <args...>: queue a check of JSON output;
# checks_run runs those queued in one python (slow to start under TCG)
CHECKS=()
check() {
	CHECKS+=("$@" :::)
}

checks_run() {
	python3 "$VIO_TMP/check.py" "${CHECKS[@]}" || fail "JSON output differs (above)"
	CHECKS=()
}

# ---- create ----

m0=$(make_array 64)
m1=$(make_array 72)
s0=$(make_array 40)
s1=$(make_array 48)
l0=$(make_array 8)
l1=$(make_array 16)

VIO_VOLUMES+=(viot-tm viot-ts viot-tl viot-tx)
dmvio create viot-tm mirror --selector round-robin --nosync \
	--fabric "gen=3,width=4 gen=1,width=1,credits=16" "$m0" "$m1" >"$VIO_TMP/created"
expect_eq "create prints the table" "$(cat "$VIO_TMP/created")" "$(dmsetup table viot-tm)"
expect_eq "mirror: the smaller leg" "$(dmsetup table viot-tm | cut -d' ' -f2)" $((64 * 2048))
grep -q " vio mirror 4 region_size 2048 selector round-robin 2 $(majmin "$m0") 0 $(majmin "$m1") 0 .*nosync fabric 3 gen=3,width=4," \
	"$VIO_TMP/created" || fail "mirror table: $(cat "$VIO_TMP/created")"
[ -b /dev/mapper/viot-tm ] || fail "no /dev/mapper/viot-tm"

dmvio create viot-ts stripe --chunk 128K "$s0" "$s1" >/dev/null
expect_eq "stripe table" "$(dmsetup table viot-ts)" \
	"0 $((2 * 40 * 2048)) vio stripe 1 256 2 $(majmin "$s0") 0 $(majmin "$s1") 0"
dmvio create viot-tl linear --size 20M --tag web1 "$l0" "$l1" >/dev/null
expect_eq "linear table" "$(dmsetup table viot-tl)" \
	"0 $((20 * 2048)) vio linear 0 2 $(majmin "$l0") 0 $(majmin "$l1") 0 2 tag web1"
dmsetup create viot-tlin --table "0 2048 linear $l1 0"
VIO_VOLUMES+=(viot-tlin)
log "create: mirror, stripe and linear tables as asked"

# ---- status ----

as_json "$VIO_TMP/status.json" status
want=('" ".join(v["name"] for v in d["volumes"] if v["name"].startswith("viot-"))'
      "viot-tl viot-tm viot-ts")
for v in viot-tl viot-tm viot-ts; do
	tbl=($(dmsetup table "$v"))
	want+=("[(v['size'], v['layout'], v['arrays']) for v in d['volumes'] if v['name'] == '$v']"
	       "[($((tbl[1] * 512)), '${tbl[3]}', 2)]")
done
check expect "$VIO_TMP/status.json" "${want[@]}"
as_json "$VIO_TMP/st.json" status viot-tm -o NAME,DEV,STATES,SELECTOR,SYNC,FABRIC,FABRIC_MODE,DEPTH
check expect "$VIO_TMP/st.json" 'list(d["volumes"][0].values())' \
	"['viot-tm', '$(devnum viot-tm)', 'AA', 'round-robin', 100.0, 'on', 'multicast', 32]"
checks_run
dmvio status viot-ts /dev/mapper/viot-tm >"$VIO_TMP/status.txt"
head -n 1 "$VIO_TMP/status.txt" | grep -q '^NAME  *SIZE  *LAYOUT  *ARRAYS  *STATES  *QOS' ||
	fail "status headings: $(head -n 1 "$VIO_TMP/status.txt")"
grep -q '^viot-ts  *80M  *stripe  *2  *AA  *off' "$VIO_TMP/status.txt" ||
	fail "status table: $(cat "$VIO_TMP/status.txt")"
expect_eq "status -n -r" "$(dmvio status -n -r -o NAME,SIZE --bytes viot-tl)" "viot-tl $((20 << 20))"
log "status: every vio volume, sizes and layouts as the tables say"

# ---- arrays, classes, tenants, fabric against dmsetup status and stats ----

cg_make viot/tool
cg_run "$CG" dd if=/dev/mapper/viot-tm of=/dev/null bs=4k count=200 iflag=direct status=none
dd if=/dev/zero of=/dev/mapper/viot-tm bs=64k count=20 oflag=direct status=none
dd if=/dev/zero of=/dev/mapper/viot-ts bs=4k count=256 oflag=direct status=none
dmvio class add viot-tm gold weight=400 prefer=1 lat_target_us=2000 >/dev/null
dmvio rule add viot-tm cgroup=/viot/tool gold >/dev/null
cg_run "$CG" dd if=/dev/mapper/viot-tm of=/dev/null bs=4k count=100 iflag=direct status=none

for v in viot-tm viot-ts; do
	as_json "$VIO_TMP/arrays-$v.json" arrays "$v" \
		-o IDX,DEV,STATE,READS,WRITES,READ_SECTORS,WRITE_SECTORS,READ_BYTES,DISCARDS,FLUSHES,ERRORS
	check status "$VIO_TMP/arrays-$v.json" "$(dmsetup status "$v")"
done
vio_msg viot-tm stats >"$VIO_TMP/stats"
as_json "$VIO_TMP/arrays.json" arrays viot-tm \
	-o IDX,DEV,STATE,READS,WRITES,READ_SECTORS,WRITE_SECTORS,READ_BYTES,ERRORS,INFLIGHT,WEIGHT,IN_SYNC_REGIONS,SYNC
check rows "$VIO_TMP/arrays.json" arrays array "$VIO_TMP/stats"
check expect "$VIO_TMP/arrays.json" 'd["arrays"][1]["writes"]' 20 \
	'[a["sync"] for a in d["arrays"]]' "[100.0, 100.0]"
dmvio arrays viot-ts >"$VIO_TMP/arrays.txt"
grep -q "^ *1 $(majmin "$s1") $(basename "$s1") *A *0 *128 *0B *512K " "$VIO_TMP/arrays.txt" ||
	fail "arrays table: $(cat "$VIO_TMP/arrays.txt")"

as_json "$VIO_TMP/classes.json" classes viot-tm -o +THROTTLED_US,COMPLETED,LAT_MISSED,RES_MET,RES_MISSED,LAT_HIST
check rows "$VIO_TMP/classes.json" classes class "$VIO_TMP/stats"
check expect "$VIO_TMP/classes.json" '[(c["params"], c["tenants"]) for c in d["classes"] if c["name"] == "gold"]' \
	"[('$(vio_msg viot-tm class list | sed -n 's/^gold //p')', 1)]"

as_json "$VIO_TMP/tenants.json" tenants viot-tm -o +COMPLETED,THROTTLED_US,LAT_HIST
check rows "$VIO_TMP/tenants.json" tenants tenant "$VIO_TMP/stats"
expect_eq "the cgroup tenant's reads" "$(tenant_field viot-tm /viot/tool reads)" 300
check expect "$VIO_TMP/tenants.json" \
	'[(t["class"], t["reads"], t["vm"]) for t in d["tenants"] if t["path"] == "/viot/tool"]' \
	"[('gold', 300, None)]"
as_json "$VIO_TMP/tl.json" tenants viot-tl
check expect "$VIO_TMP/tl.json" '[t["vm"] for t in d["tenants"] if t["kind"] == "tag"]' "['web1']"

as_json "$VIO_TMP/fabric.json" fabric viot-tm -o +SPEC,TLPS,BUSY_DOWN_US,BUSY_UP_US
check rows "$VIO_TMP/fabric.json" links link "$VIO_TMP/stats"
check expect "$VIO_TMP/fabric.json" '[(l["link"], l["dev"], l["gen"], l["width"], l["credits"]) for l in d["links"]]' \
	"[('up', None, 3, 4, None), ('port0', '$(majmin "$m0")', 1, 1, 16), ('port1', '$(majmin "$m1")', 1, 1, 16)]"
checks_run
log "arrays, classes, tenants and links: JSON equal to dmsetup status and stats"

# ---- configuration commands ----

dmvio fabric viot-tm mode host >/dev/null
dmvio link viot-tm 1 gen=2,credits=8 >/dev/null
expect_eq "link spec" "$(vio_msg viot-tm fabric stats | awk '$1 == "port1" {print $2}')" \
	"gen=2,width=1,mps=256,lat_ns=1000,credits=8"
expect_eq "fabric mode" "$(dmvio status -n -r -o FABRIC,FABRIC_MODE viot-tm)" "on host"
dmvio fabric viot-tm off >/dev/null
expect_eq "fabric off" "$(dmvio status -n -r -o FABRIC viot-tm)" "off"
dmvio fabric viot-tm on >/dev/null

dmvio mirror fail viot-tm 1 >/dev/null
expect_eq "failed leg" "$(dmvio arrays -n -r -o STATE viot-tm | tr -d '\n')" "AD"
dmvio mirror reinstate viot-tm 1 >/dev/null
for ((i = 0; i < 50; i++)); do
	[ "$(dmvio status -n -r -o STATES viot-tm)" == AA ] && break
	sleep 0.2
done
expect_eq "reinstated leg" "$(dmvio status -n -r -o STATES viot-tm)" AA
dmvio mirror weight viot-tm 0 5 >/dev/null
dmvio selector viot-tm least-outstanding >/dev/null
expect_eq "mirror table after weight and selector" \
	"$(dmsetup table viot-tm | cut -d' ' -f4-11)" "mirror 6 region_size 2048 selector least-outstanding weights 5,1"

dmvio class add viot-tm silver iops=1000 bps=10m >/dev/null
dmvio class set viot-tm silver iops=2000 iops_max=3000 >/dev/null
expect_eq "class list" "$(vio_msg viot-tm class list | grep '^silver')" \
	"silver iops=2000 iops_max=3000 bps=10485760"
dmvio rule add viot-tm 'vm=db*' silver >/dev/null
dmvio rule insert viot-tm 0 'cgroup=/machine.slice/machine-qemu\x2d1\x2dweb.scope' silver >/dev/null
expect_eq "rule list (kernel)" "$(vio_msg viot-tm rule list)" \
	"0 cgroup=/machine.slice/machine-qemu\\x2d1\\x2dweb.scope silver
1 cgroup=/viot/tool gold
2 vm=db* silver"
as_json "$VIO_TMP/rules.json" rule list viot-tm
check expect "$VIO_TMP/rules.json" '[(r["index"], r["pattern"], r["class"]) for r in d["rules"]]' \
	"[(0, 'cgroup=/machine.slice/machine-qemu\\\\x2d1\\\\x2dweb.scope', 'silver'), (1, 'cgroup=/viot/tool', 'gold'), (2, 'vm=db*', 'silver')]"
checks_run
dmvio rule delete viot-tm 'cgroup=/machine.slice/machine-qemu\x2d1\x2dweb.scope' >/dev/null
dmvio rule delete viot-tm 'vm=db*' >/dev/null
dmvio class delete viot-tm silver >/dev/null
dmvio capacity viot-tm iops=1000 bps=1g >/dev/null
dmvio depth viot-tm 16 >/dev/null
expect_eq "qos" "$(vio_msg viot-tm qos | cut -d' ' -f2,3,6)" "capacity_iops=1000 capacity_bps=1073741824 depth=16"
log "fabric, link, mirror, selector, class, rule, capacity and depth commands"

# ---- apply ----

mountpoint -q "$T" || mount -t tracefs tracefs "$T"
mkdir "$TI"
echo 1 >"$TI/events/dm_vio/vio_classify/enable"
# Every configuration message the kernel accepts classifies the root tenant
# again: one such event per message sent.
sent() {
	grep -c "vio_classify: $(devnum viot-tm) tenant=0 " "$TI/trace" || true
}

cat >"$VIO_TMP/p1" <<'EOF'
# two VMs and a backup job
capacity iops=20000
class gold res_iops=5000 weight=400    # the database
class batch iops=1000 bps=100m

rule vm=db1 gold
rule cgroup=/system.slice/backup.service batch
rule cgroup=/machine.slice/machine-qemu\x2d1\x2dweb.scope batch
EOF
: >"$TI/trace"
dmvio apply viot-tm "$VIO_TMP/p1" >"$VIO_TMP/apply1"
cat "$VIO_TMP/apply1"
expect_eq "first apply" "$(cat "$VIO_TMP/apply1")" \
	"viot-tm: capacity iops=20000
viot-tm: rule delete cgroup=/viot/tool
viot-tm: class set gold res_iops=5000 lat_target_us=0 prefer=none
viot-tm: class create batch iops=1000 bps=104857600
viot-tm: rule add vm=db1 gold
viot-tm: rule add cgroup=/system.slice/backup.service batch
viot-tm: rule add cgroup=/machine.slice/machine-qemu\\x2d1\\x2dweb.scope batch
viot-tm: capacity bps=0
viot-tm: depth 32"
expect_eq "messages sent by the first apply" "$(sent)" 9
expect_eq "classes after apply" "$(vio_msg viot-tm class list)" "default
gold res_iops=5000 weight=400
batch iops=1000 bps=104857600"
expect_eq "rules after apply" "$(vio_msg viot-tm rule list)" "0 vm=db1 gold
1 cgroup=/system.slice/backup.service batch
2 cgroup=/machine.slice/machine-qemu\\x2d1\\x2dweb.scope batch"
expect_eq "qos after apply" "$(vio_msg viot-tm qos | cut -d' ' -f2,3,6)" \
	"capacity_iops=20000 capacity_bps=0 depth=32"

state viot-tm >"$VIO_TMP/before"
: >"$TI/trace"
kmsg_mark
expect_eq "second apply" "$(dmvio apply viot-tm "$VIO_TMP/p1")" "viot-tm: nothing to do"
expect_eq "messages sent by the second apply" "$(sent)" 0
state viot-tm >"$VIO_TMP/after"
cmp -s "$VIO_TMP/before" "$VIO_TMP/after" || fail "the second apply changed the volume"
no_vio_log "second apply"

# Another policy: a class goes, one comes, rules reordered, one kept.
cat >"$VIO_TMP/p2" <<'EOF'
capacity iops=10000
class default weight=50
class gold weight=200
class silver weight=50 prefer=1
rule cgroup=/machine.slice/machine-qemu\x2d1\x2dweb.scope silver
rule cgroup=/system.slice/backup.service silver
rule vm=db1 gold
EOF
: >"$TI/trace"
dmvio apply viot-tm "$VIO_TMP/p2" >"$VIO_TMP/apply2"
cat "$VIO_TMP/apply2"
expect_eq "classes after the second policy" "$(vio_msg viot-tm class list)" "default weight=50
gold weight=200
silver weight=50 prefer=1"
expect_eq "rules after the second policy" "$(vio_msg viot-tm rule list)" \
	"0 cgroup=/machine.slice/machine-qemu\\x2d1\\x2dweb.scope silver
1 cgroup=/system.slice/backup.service silver
2 vm=db1 gold"
grep -q '^viot-tm: class delete batch$' "$VIO_TMP/apply2" || fail "batch was not deleted"
grep -q '^viot-tm: rule delete vm=db1' "$VIO_TMP/apply2" && fail "vm=db1 was moved, not kept"
expect_eq "messages sent by the second policy" "$(sent)" "$(wc -l <"$VIO_TMP/apply2")"
expect_eq "apply again" "$(dmvio apply viot-tm "$VIO_TMP/p2")" "viot-tm: nothing to do"
expect_eq "dry run" "$(dmvio apply --dry-run viot-tm "$VIO_TMP/p1" | tail -n 1)" \
	"viot-tm: dry run, nothing sent"
expect_eq "classes after a dry run" "$(vio_msg viot-tm class list | wc -l)" 3
log "apply: only what differs is sent, in order; nothing when nothing differs"

# ---- bad policy files: nothing applied ----

state viot-tm >"$VIO_TMP/before"
: >"$TI/trace"
kmsg_mark
# bad_policy "<file contents>" "<expected message with @ for the file name>"
bad_policy() {
	printf '%s\n' "$1" >"$VIO_TMP/bad"
	expect_error "${2//@/$VIO_TMP/bad}" apply viot-tm "$VIO_TMP/bad"
	[[ $REPLY == *"nothing applied"* ]] || fail "policy '$1': $REPLY"
}
bad_policy $'class gold weight=10\nfrobnicate x' "@:2: unknown directive 'frobnicate' (expected capacity, depth, class or rule)"
bad_policy "class gold weight=0" "@:1: class weight 0 is out of range 1-10000"
bad_policy "class gold weight=10001" "@:1: class parameter 'weight=10001' is out of range (at most 10000)"
bad_policy "class gold foo=1" "@:1: unknown class parameter 'foo=1'"
bad_policy "class gold iops=1k" "@:1: class parameter 'iops=1k': expected a decimal number"
bad_policy "class gold bps=12q" "@:1: class parameter 'bps=12q': expected bytes (digits, optional k/m/g/t suffix)"
bad_policy "class gold iops" "@:1: class parameter 'iops' needs a value: iops=<n>"
bad_policy "class gold iops_max=100" "@:1: class parameter 'iops_max' needs the limit 'iops' it bursts above"
bad_policy "class gold prefer=0 avoid=0,1" "@:1: class both prefers and avoids array 0"
bad_policy "class bad/name" "@:1: class name 'bad/name' may only use letters, digits and _.:-"
bad_policy $'class a\n\nclass a weight=5' "@:3: class a declared twice (first on line 1)"
bad_policy $'class a\nrule vm=x a\nrule vm=x a' "@:3: a rule for vm=x is already on line 2"
bad_policy "rule vm=x nosuch" "@:1: rule vm=x uses class 'nosuch', which is not declared in the file"
bad_policy $'class gold\nrule host=x gold' "@:2: tenant pattern 'host=x' must be vm=<glob> or cgroup=<glob>"
bad_policy "rule vm=x" "@:1: rule needs a pattern and a class"
bad_policy "class gold res_iops=100" "@:1: reservations need the volume's capacity: add a line 'capacity iops=<n>'"
bad_policy $'capacity iops=100\nclass a res_iops=60\nclass b res_iops=60' \
	"@:1: reservations total res_iops=120, over the capacity iops=100"
bad_policy $'capacity iops=100\ncapacity bps=1m' "@:2: capacity given twice (first on line 1)"
bad_policy "capacity iops=1 iops=2" "@:1: capacity parameter 'iops' given twice"
bad_policy "capacity frob=1" "@:1: unknown capacity parameter 'frob=1'"
bad_policy "depth 0" "@:1: depth needs one number from 1 to 4096"
# Several errors: each reported; a valid line before them changes nothing.
bad_policy $'class newone weight=5\nclass x foo=1\ndepth 99999' "@:2: unknown class parameter 'foo=1'"
[[ $REPLY == *"$VIO_TMP/bad:3: depth needs one number"* ]] || fail "second error: $REPLY"
[[ $REPLY == *"2 errors, nothing applied"* ]] || fail "error count: $REPLY"
expect_error "cannot open $VIO_TMP/nosuch" apply viot-tm "$VIO_TMP/nosuch"
expect_eq "messages sent for bad policies" "$(sent)" 0
state viot-tm >"$VIO_TMP/after"
cmp -s "$VIO_TMP/before" "$VIO_TMP/after" || fail "a bad policy changed the volume"
no_vio_log "bad policies"
log "malformed policy files: file:line: message, nothing applied"

# ---- bad input ----

dmsetup table viot-tlin >"$VIO_TMP/lin.before"
expect_error "viot-nosuch: no such device-mapper device" status viot-nosuch
expect_error "viot-nosuch: no such device-mapper device" class add viot-nosuch gold
expect_error "viot-tlin: not a vio volume (its table starts with a linear target)" arrays viot-tlin
expect_error "viot-tlin: not a vio volume" class add viot-tlin gold
expect_error "viot-tlin: not a vio volume" rule add /dev/mapper/viot-tlin vm=x default
expect_error "viot-tlin: not a vio volume" apply viot-tlin "$VIO_TMP/p1"
expect_error "viot-tlin: not a vio volume" top -b -c 1 viot-tlin
expect_error "$m0: not a device-mapper device" status "$m0"
expect_error "cannot access /dev/nosuch" status /dev/nosuch
expect_eq "the dm-linear is untouched" "$(dmsetup table viot-tlin)" "$(cat "$VIO_TMP/lin.before")"

# Checked by the tool: nothing reaches the kernel.
state viot-tm >"$VIO_TMP/before"
kmsg_mark
expect_error "class parameter 'weight=abc': expected a decimal number" class add viot-tm x weight=abc
expect_error "class name 'a b' may only use" class add viot-tm 'a b'
expect_error "class parameter 'iops_max' needs the limit 'iops'" class add viot-tm x iops_max=5
expect_error "tenant pattern 'host=x' must be vm=<glob> or cgroup=<glob>" rule add viot-tm host=x gold
expect_error "invalid rule index 'one'" rule insert viot-tm one vm=x gold
expect_error "viot-ts: not a mirror volume" mirror fail viot-ts 0
expect_error "invalid leg 'x'" mirror fail viot-tm x
expect_error "invalid weight '0' (expected 1 to 1000)" mirror weight viot-tm 0 0
expect_error "unknown selector 'fastest'" selector viot-tm fastest
expect_error "invalid depth '0' (expected 1 to 4096)" depth viot-tm 0
expect_error "capacity parameter 'iops=-1': expected a decimal number" capacity viot-tm iops=-1
expect_error "unknown capacity parameter 'foo=1'" capacity viot-tm foo=1
expect_error "unknown column: NOSUCH" arrays -o IDX,NOSUCH viot-tm
expect_error "expected on, off or mode multicast|host" fabric viot-tm sideways
expect_error "unknown command 'frobnicate'" frobnicate
expect_error "option --chunk does not apply here" status --chunk 64K
expect_error "unrecognized option" status --frob
expect_error "too many arguments" arrays viot-tm viot-ts
expect_error "expected class add|set|delete, got 'frob'" class frob viot-tm
no_vio_log "arguments the tool refuses"

# Refused by the kernel: its reason, read from the kernel log.
expect_error "viot-tm: 'class set nosuch weight=5' refused: No class nosuch" class set viot-tm nosuch weight=5
expect_error "viot-tm: 'class delete gold' refused: Class gold is used by rule 2" class delete viot-tm gold
expect_error "refused: Invalid array '7' (expected 0 to 1)" mirror fail viot-tm 7
expect_error "refused: A rule for vm=db1 already exists" rule add viot-tm vm=db1 gold
expect_error "refused: Reservations would total res_iops=50000, over the capacity iops=10000" \
	class set viot-tm gold res_iops=50000
state viot-tm >"$VIO_TMP/after"
cmp -s "$VIO_TMP/before" "$VIO_TMP/after" || fail "a refused command changed the volume"

expect_error "a mirror volume takes 2 to 8 devices, got 1" create viot-tx mirror "$m0"
expect_error "unknown layout 'raid5'" create viot-tx raid5 "$m0"
expect_error "--chunk applies to stripe volumes only" create viot-tx mirror --chunk 64K "$m0" "$m1"
expect_error "invalid chunk: a power of two" create viot-tx stripe --chunk 3K "$s0" "$s1"
expect_error "--size: the devices allow at most 49152 sectors (24M)" create viot-tx linear --size 1G "$l0" "$l1"
expect_error "--size: a stripe is whole rows of 2 x 64K" create viot-tx stripe --size 200K "$s0" "$s1"
expect_error "/dev/null: not a block device" create viot-tx linear /dev/null
expect_error "--fabric takes an upstream spec" create viot-tx linear --fabric gen=3 "$l0"
expect_error "cannot create viot-tx: vio: Array 1 ($(majmin "$l0")) is the same device as array 0" \
	create viot-tx linear "$l0" "$l0"
dmsetup info viot-tx >/dev/null 2>&1 && fail "viot-tx exists after a refused create"
expect_error "cannot create viot-tl" create viot-tl linear "$l0"
log "bad input: precise messages, exit 1, nothing changed"

# ---- top ----

# fio at a fixed 500 read IOPS on the stripe; top must see that rate. Under
# TCG the guest stalls at times (a request may take a second) and fio then
# makes up for it, so one interval may be far off; their mean may not be,
# and the reads top counts in its intervals must all have happened while it
# ran (the array counters of dmsetup status before and after it).
fio --name=top --filename=/dev/mapper/viot-ts --direct=1 --ioengine=libaio \
	--rw=randread --bs=4k --iodepth=16 --rate_iops=500 --runtime=120 --time_based \
	--output="$VIO_TMP/fio.out" &
fio_pid=$!
reads() {
	dmsetup status viot-ts | awk '{print $8 + $17}'
}
# Until fio runs (it may take seconds to start under TCG), then a second more.
r0=$(reads)
for ((i = 0; i < 100; i++)); do
	[ "$(reads)" -gt "$r0" ] && break
	running "$fio_pid" || fail "fio: $(cat "$VIO_TMP/fio.out")"
	sleep 0.2
done
sleep 1
r0=$(reads)
dmvio top --batch -c 3 -d 1 viot-ts >"$VIO_TMP/top.txt"
r1=$(reads)
"$DMVIO" top -J -c 3 -d 1 viot-ts >"$VIO_TMP/top.json" || fail "top -J"
r2=$(reads)
kill "$fio_pid"
wait "$fio_pid" || true
cat "$VIO_TMP/top.txt"
expect_eq "top intervals" "$(grep -c '^viot-ts  [0-9:]*  interval ' "$VIO_TMP/top.txt")" 3
grep -q '^TENANT  *CLASS  *READ_IOPS  *WRITE_IOPS  *READ_MBS  *WRITE_MBS  *LAT_US  *THROTTLED_S$' \
	"$VIO_TMP/top.txt" || fail "top --batch headings"
# Exit status 2: all is right but the mean rate (rate_fail).
rc=0
awk -v reads=$((r1 - r0)) '
	/^viot-ts / { dt = $4; sub(/s$/, "", dt) }
	$1 == "root" { n++; sum += $3; got += $3 * dt; if ($3 <= 0) bad = bad " " $3 }
	END { printf "# top --batch: root read IOPS mean %.1f; %d reads, %d while it ran\n", sum / n, got, reads
	      if (n != 3 || bad != "" || got > reads * 1.02 + 2) exit 1
	      if (sum / n < 250 || sum / n > 750) exit 2 }' \
	"$VIO_TMP/top.txt" || rc=$?
[ "$rc" -ne 2 ] || rate_fail "top --batch: mean read IOPS far from fio's 500"
[ "$rc" -eq 0 ] || [ "$rc" -eq 2 ] || fail "top --batch rates"
rc=0
python3 - "$VIO_TMP/top.json" $((r2 - r1)) <<'EOF' || rc=$?
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 3, "%d lines" % len(lines)
mean = got = 0
for line in lines:
    d = json.loads(line)
    assert d["volume"] == "viot-ts" and 0.5 < d["interval"] < 3, d
    root = [t for t in d["tenants"] if t["kind"] == "root"][0]
    arrays = sum(a["read_iops"] for a in d["arrays"])
    print("# top -J: root %.1f read IOPS, %.2f MB/s, %.0f us; arrays %.1f" %
          (root["read_iops"], root["read_mbs"], root["lat_us"], arrays))
    assert root["read_iops"] > 0 and root["write_iops"] == 0, root
    assert abs(arrays - root["read_iops"]) <= 0.05 * root["read_iops"] + 16, (arrays, root)
    assert abs(root["read_mbs"] - root["read_iops"] * 4096 / 1e6) < 0.02 * root["read_mbs"] + 0.01, root
    assert 0 < root["lat_us"] < 1e7, root
    mean += root["read_iops"] / 3
    got += root["read_iops"] * d["interval"]
print("# top -J: mean %.1f read IOPS; %d reads, %s while it ran" % (mean, got, sys.argv[2]))
assert got <= int(sys.argv[2]) * 1.02 + 2, (got, sys.argv[2])
sys.exit(0 if 250 < mean < 750 else 2)
EOF
[ "$rc" -ne 2 ] || rate_fail "top -J: mean read IOPS far from fio's 500"
[ "$rc" -eq 0 ] || [ "$rc" -eq 2 ] || fail "top -J rates: $(cat "$VIO_TMP/top.json")"
log "top: 3 intervals at the fio rate, tenants and arrays agree"

# ---- remove ----

# An open volume is not removed (device-mapper says it is busy), and stays.
exec 9</dev/mapper/viot-tl
expect_error "busy" remove viot-tl
exec 9<&-
dmsetup info viot-tl >/dev/null 2>&1 || fail "viot-tl removed while open"
dmvio remove viot-tl >/dev/null
dmsetup info viot-tl >/dev/null 2>&1 && fail "viot-tl still exists"
[ -e /dev/mapper/viot-tl ] && fail "/dev/mapper/viot-tl still exists"
expect_error "viot-tlin: not a vio volume" remove viot-tlin
log "remove"
