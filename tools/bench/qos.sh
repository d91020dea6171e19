#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# qos.sh - does dm-vio give each tenant what its QoS class promises? Run by
# "make bench-qos" (and "make bench") inside the test VM
# (tools/testing/vm/vm-run.sh), as root, in one guest boot.
#
# One vio volume striped over two null_blk devices. fio (libaio, O_DIRECT,
# random reads) runs in cgroups under /sys/fs/cgroup/bench with the io
# controller enabled, so every bio carries the cgroup that dm-vio's rules
# match. Each case gets a fresh volume, hence a fresh policy.
#
# Two pairs of arrays. The limit and burst cases use "fast" null_blk
# devices that complete every request inline: the most I/O the guest can
# push, so the limits, not the arrays, set the pace. The weight and
# reservation cases need a volume that is saturated at dm-vio's depth:
# with inline completion the CPU (fio itself, under TCG) is the
# bottleneck long before the depth is, a tenant's queue runs dry whenever
# its fio waits for a CPU, and the shares then measure the CPU scheduler,
# not dm-vio. So they run on "slow" null_blk devices (configfs) that take
# VIO_QOS_LAT_US per request: at depth 8 the volume is the bottleneck and
# every tenant keeps a backlog in dm-vio.
#
#   1 limits       one class, iops=10..20000 (4k) and bps=64k..256m: the
#                  rate fio achieves against the target, PASS within +-2 %
#   2 io.max       the same limits by the kernel's blk-throttle (io.max on
#                  the vio volume, no dm-vio classes), run right after each
#                  dm-vio run and shown side by side (a reference, not judged)
#   3 weights      three greedy cgroups, weights 400:200:100, depth 8:
#                  shares against 57.1/28.6/14.3 %, PASS within +-2 points
#   4 reservation  the capacity of four greedy weight-100 cgroups at depth 8
#                  is measured; then one of them gets res_iops = 30 % of it
#                  and weight 1: PASS if it achieves >= 99 % of that
#   5 burst        iops=500 iops_max=2000 iops_max_len=3 from idle: 2000/s
#                  for 3 s, then 500/s. PASS if the burst rate (seconds
#                  1-3), the base rate (seconds 5-end) and the total I/O
#                  count (500 * T + 1500 * 3) are each within +-2 %
#
# Multi-tenant runs start their fio processes behind a barrier (fio's
# exec_prerun), so every tenant's measured window is the same. Runs have a
# ramp (not for the burst, which must start from idle) and are time based.
# Every run also reports the longest time the whole guest did not run
# (host preemption under TCG), and every limit run how many of the
# tenant's bios dm-vio held back: so that a miss caused by the guest can
# be told from one caused by dm-vio.
#
# The verdicts are printed but do not set the exit status: the benchmark
# reports, the tests assert. The exit status is non-zero only when the
# benchmark could not run.
#
# Results in "$VIO_OUT" (kept by the host): qos.txt (the tables), qos-*.dat
# (per-tenant IOPS over time), qos-{weights,reservation,burst}.png (gnuplot;
# skipped with a note when gnuplot is missing), qos-stats.txt (dm-vio's
# "qos" and "class stats" after every run) and qos-fio/ (fio's JSON output
# and iops logs).
#
# Rates are completed bytes over fio's runtime (divided by the block size
# for IOPS), not fio's "iops", which undercounts after a ramp (qos.py get).
#
# Tunables (vm-run.sh passes VIO_* through): VIO_QOS_RUNTIME (10 s per fio
# run), VIO_QOS_RAMP (1 s), VIO_QOS_CASES (default "limits weights
# reservation burst"; "limits" includes io.max), VIO_QOS_LAT_US (2000 us
# per request on the slow arrays), VIO_QOS_QD (64, fio iodepth per tenant
# in the weight and reservation cases). The defaults take about 7 minutes
# under TCG.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
# No udev in the VM: dmsetup makes the /dev/mapper nodes itself.
export DM_DISABLE_UDEV=1

runtime=${VIO_QOS_RUNTIME:-10}
ramp=${VIO_QOS_RAMP:-1}
cases=${VIO_QOS_CASES:-limits weights reservation burst}
lat_us=${VIO_QOS_LAT_US:-2000}
# fio iodepth per tenant in the weight and reservation cases. A tenant
# keeps its share only while it has bios queued in dm-vio (there is no
# banked credit), and under TCG a fio process can wait for a CPU for tens
# of milliseconds: the backlog must outlast that. 16 is not enough there
# (the heaviest tenant's queue runs dry and its share leaks to the others).
mt_qd=${VIO_QOS_QD:-64}
out=${VIO_OUT:-}

vol=vbench
dev=/dev/mapper/$vol
nullb_cfs=/sys/kernel/config/nullb
slow=(vioqos_slow0 vioqos_slow1)
chunk=256			# sectors: 128 KiB stripe chunks
cgroot=/sys/fs/cgroup
cgb=$cgroot/bench
# fio log granularity for the plots and the burst series.
log_ms=500

case $runtime in ''|*[!0-9]*) echo "qos: VIO_QOS_RUNTIME must be whole seconds" >&2; exit 2 ;; esac
case $ramp in ''|*[!0-9]*) echo "qos: VIO_QOS_RAMP must be whole seconds" >&2; exit 2 ;; esac
case $lat_us in ''|*[!0-9]*) echo "qos: VIO_QOS_LAT_US must be a number" >&2; exit 2 ;; esac
case $mt_qd in ''|*[!0-9]*) echo "qos: VIO_QOS_QD must be a number" >&2; exit 2 ;; esac
[ "$runtime" -ge 1 ] || { echo "qos: VIO_QOS_RUNTIME must be at least 1" >&2; exit 2; }

# The host tree is read-only in the guest, and fio drops state files into
# its working directory: work in a tmpfs directory.
tmp=$(mktemp -d /tmp/vio-qos.XXXXXX)
cd "$tmp"
# One line per measurement, rendered into tables at the end.
results=$tmp/results.tsv
: >"$results"
: >"$tmp/stats.txt"

loaded_vio=0
loaded_nullb=0
cleanup() {
	local rc=$? j d

	for j in $(jobs -p); do
		kill "$j" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	dmsetup remove --retry "$vol" >/dev/null 2>&1 || true
	for d in "${slow[@]}"; do
		[ -d "$nullb_cfs/$d" ] || continue
		echo 0 >"$nullb_cfs/$d/power" 2>/dev/null || true
		rmdir "$nullb_cfs/$d" 2>/dev/null || true
	done
	if [ -d "$cgb" ]; then
		for d in "$cgb"/*/; do
			rmdir "$d" 2>/dev/null || true
		done
		rmdir "$cgb" 2>/dev/null || true
	fi
	[ "$loaded_vio" = 0 ] || rmmod dm_vio 2>/dev/null || true
	[ "$loaded_nullb" = 0 ] || rmmod null_blk 2>/dev/null || true
	cd /
	rm -rf "$tmp"
	[ "$rc" = 0 ] || echo "qos: benchmark did not complete (exit status $rc)" >&2
	exit "$rc"
}
trap cleanup EXIT

die() {
	echo "qos: $*" >&2
	exit 1
}

# --------------------------------------------------------------------------
# Helpers in Python: fio's JSON and logs, and the final report.
cat >"$tmp/qos.py" <<'EOF'
import json, math, os, sys

def load(path):
    # fio prints notes (e.g. about exec_prerun) before the JSON object.
    text = open(path).read()
    return json.loads(text[text.index("{"):])

def job(path):
    return load(path)["jobs"][0]["read"]

def series(path, bin_ms, log_ms):
    """An fio iops log (log_avg_msec=log_ms) as [(t_end_s, iops)] per bin_ms.

    fio writes an entry a little after each log_ms window ends (502, 1003,
    ...): each is snapped to the window end it stands for, a short last
    window (the tail after the runtime) is dropped, and the windows are
    averaged into bins of bin_ms (a multiple of log_ms)."""
    pts, prev = [], 0
    for line in open(path):
        f = [x.strip() for x in line.split(",")]
        if len(f) < 2 or not f[0]:
            continue
        t = int(f[0])
        if t - prev >= log_ms / 2:
            pts.append((max(1, round(t / log_ms)) * log_ms, float(f[1])))
        prev = t
    bins = {}
    for t, v in pts:
        bins.setdefault(-(-t // bin_ms), []).append(v)
    return [(k * bin_ms / 1000, sum(v) / len(v)) for k, v in sorted(bins.items())]

def size(v):
    v = str(v).lower()
    mult = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}.get(v[-1:], 1)
    return int(v.rstrip("kmg")) * mult

def cmd_get(args):
    """get <json> <field>...: iops bw ios runtime_ms

    Rates are completed bytes over fio's runtime. fio's own "iops" counts
    the I/Os *issued* after the ramp, so it misses those still in flight
    when the ramp ends: up to iodepth of them, -8 % at 10 IOPS and QD8.
    Its byte count is of completions and has no such gap."""
    d = load(args[0])["jobs"][0]
    r = d["read"]
    bs = size(d["job options"]["bs"])
    rt = r["runtime"] / 1000
    m = {"iops": r["io_bytes"] / bs / rt if rt else 0.0,
         "bw": r["io_bytes"] / rt if rt else 0.0,
         "ios": r["io_bytes"] // bs, "runtime_ms": r["runtime"]}
    print(" ".join(f"{m[k]:.9g}" if isinstance(m[k], float) else str(m[k])
                   for k in args[1:]))

def cmd_dat(args):
    """dat <out.dat> <bin_ms> <label>=<log>...: one column per tenant"""
    out, bin_ms = args[0], int(args[1])
    cols = [(a.rsplit("=", 1)[0], dict(series(a.rsplit("=", 1)[1], bin_ms, bin_ms)))
            for a in args[2:]]
    times = sorted(set(t for _, s in cols for t in s))
    with open(out, "w") as f:
        f.write("# time_s " + " ".join(l for l, _ in cols) + "  (IOPS, fio log, "
                + f"{bin_ms} ms bins)\n")
        for t in times:
            f.write(f"{t:g} " + " ".join(f"{s[t]:.0f}" if t in s else "?"
                                         for _, s in cols) + "\n")

def human_rate(v, bytes_, ref=None):
    """IOPS, or bytes/s in the unit that suits ref (default: v)."""
    if not bytes_:
        return f"{v:.2f}" if v < 100 else f"{v:.0f}"
    r = ref if ref is not None else v
    for unit, div in (("GiB/s", 1 << 30), ("MiB/s", 1 << 20), ("KiB/s", 1 << 10)):
        if r >= div:
            return f"{v / div:.2f} {unit}"
    return f"{v:.0f} B/s"

def stall_fmt(v, none="-"):
    return f"{float(v):.0f}" if float(v) else none

def stall_note(v):
    return f" [guest stalled {float(v):.0f} ms]" if float(v) >= 100 else ""

def pct(a, t):
    return (a - t) / t * 100

def cmd_report(args):
    """report <results.tsv> <out.txt> <runtime> <ramp> <tol_pct> <slow lat_us>"""
    res, txt, runtime, ramp, tol = args[0], args[1], int(args[2]), int(args[3]), float(args[4])
    lat_us = args[5]
    rows = [l.rstrip("\n").split("\t") for l in open(res) if l.strip()]
    L = []
    checks = []          # (name, ok, why)
    ref = []             # io.max reference: ok flags
    notes = set()
    stalls = {r[1]: r[2] for r in rows if r[0] == "stall"}

    lim = [r for r in rows if r[0] == "limit"]
    if lim:
        cap = [r for r in rows if r[0] == "capacity1"]
        capv = float(cap[0][1]) if cap else 0
        L.append(f"1+2. limits: one tenant (cgroup /bench/lim), fio randread, "
                 f"{ramp} s ramp + {runtime} s per run; PASS within +-{tol:g} %")
        if capv:
            L.append(f"   one tenant, QoS off, 4k QD32 (no limit): {capv:.0f} IOPS")
        L.append(f"{'':>36}{'dm-vio class':^48}{'io.max (blk-throttle)':^34}")
        L.append(f"{'limit':<12}{'bs':>5}{'QD':>4}{'target':>15}{'achieved':>15}{'error':>10}"
                 f"{'held':>6}{'stall':>6}{'verdict':>9}{'achieved':>16}{'error':>10}{'stall':>6}")
        for _, key, target, bs, qd, dv, iv, held, dstall, istall in lim:
            target, dv = float(target), float(dv)
            b = key.endswith("bps")
            e = pct(dv, target)
            ok = abs(e) <= tol
            name = f"{key}={args_fmt(target, b)}"
            line = (f"{name:<12}{bs:>5}{qd:>4}"
                    f"{human_rate(target, b):>15}{human_rate(dv, b, target):>15}{e:>+9.2f}%"
                    f"{float(held):>5.0f}%{stall_fmt(dstall):>6}{'PASS' if ok else 'FAIL':>9}")
            flags = []
            if not ok and float(dstall) >= 100:
                flags.append(f"guest stalled {float(dstall):.0f} ms")
                notes.add("stall")
            if not ok and e < 0 and float(held) < 90:
                flags.append("queue ran dry")
                notes.add("held")
            if iv != "-":
                iv = float(iv)
                ie = pct(iv, target)
                ref.append(abs(ie) <= tol)
                line += f"{human_rate(iv, b, target):>16}{ie:>+9.2f}%{stall_fmt(istall):>6}"
                if not ok and ie < -tol and e < 0:
                    flags.append("io.max misses too")
                    notes.add("io.max")
            if not b and capv and target > 0.8 * capv:
                flags.append("near capacity")
                notes.add("cap")
            if flags:
                line += "  (" + ", ".join(flags) + ")"
            L.append(line)
            checks.append((f"limit {name}", ok, f"{human_rate(dv, b, target)} vs "
                           f"{human_rate(target, b)} ({e:+.2f} %)"
                           + (" [" + ", ".join(flags) + "]" if flags else "")))
        L.append("   held: the share of the tenant's bios that dm-vio queued rather than passed")
        L.append("   straight on; a greedy tenant over its limit has them all wait (~100 %).")
        L.append("   stall: the longest time the guest did not run during the run (ms; - under 50)")
        if "stall" in notes:
            L.append("   \"guest stalled\": the whole guest stopped that long (the host preempted")
            L.append("   qemu). A dm-vio limit gives no credit for lost time beyond its 10 ms slack")
            L.append("   (VIO_QOS_SLACK_NS), so a 1 s stall costs ~10 % of a 10 s run.")
        if "held" in notes:
            L.append("   \"queue ran dry\": under 90 % held: at times the tenant had nothing queued in")
            L.append("   dm-vio (fio or the dispatcher not scheduled: a CPU-starved guest), and a")
            L.append("   limit gives no credit for time without a backlog beyond its 10 ms slack.")
        if "io.max" in notes:
            L.append("   \"io.max misses too\": the kernel's own throttle falls short as well in the")
            L.append("   same guest (measured with dm-vio's QoS off, so a cheaper I/O path).")
        if "cap" in notes:
            L.append("   \"near capacity\": above 80 % of what one tenant gets with no limit at all.")
        L.append("")

    w = [r for r in rows if r[0] == "weight"]
    if w:
        tot = sum(float(r[4]) for r in w)
        wsum = sum(int(r[3]) for r in w)
        L.append(f"3. weights: {len(w)} greedy cgroups, fio QD{w[0][5]} each, dm-vio depth {w[0][6]}, "
                 f"{ramp} s ramp + {runtime} s; PASS within +-2 points")
        L.append(f"   arrays: null_blk, {lat_us} us per request (timer); "
                 f"longest guest stall {stall_fmt(stalls.get('weights', '0'), 'none over 50')} ms")
        L.append(f"{'tenant':<14}{'class':<8}{'weight':>7}{'IOPS':>10}{'share':>9}"
                 f"{'target':>9}{'diff':>8}{'verdict':>9}")
        for _, cg, cls, wt, iops, _, _ in w:
            share = float(iops) / tot * 100
            want = int(wt) / wsum * 100
            ok = abs(share - want) <= 2
            checks.append((f"weight {cls} ({wt})", ok, f"share {share:.1f} % vs {want:.1f} %"
                           + stall_note(stalls.get("weights", "0"))))
            L.append(f"{cg:<14}{cls:<8}{wt:>7}{float(iops):>10.0f}{share:>8.1f}%"
                     f"{want:>8.1f}%{share - want:>+8.1f}{'PASS' if ok else 'FAIL':>9}")
        L.append(f"{'total':<29}{tot:>10.0f}")
        L.append("")

    cr = [r for r in rows if r[0] == "rescap"]
    rv = [r for r in rows if r[0] == "resv"]
    if cr or rv:
        capt = sum(float(r[3]) for r in cr)
        L.append(f"4. reservation: {len(cr)} greedy cgroups, fio QD{cr[0][4] if cr else '?'} each, "
                 f"dm-vio depth {cr[0][5] if cr else '?'}, {ramp} s ramp + {runtime} s; "
                 "PASS if the reserved tenant gets >= 99 % of res_iops")
        L.append(f"   arrays: null_blk, {lat_us} us per request (timer); longest guest stall "
                 f"{stall_fmt(stalls.get('rescap', '0'), 'none over 50')} ms (capacity run), "
                 f"{stall_fmt(stalls.get('res', '0'), 'none over 50')} ms (reservation run)")
        L.append(f"   capacity run, all weight 100, no reservation: {capt:.0f} IOPS ("
                 + ", ".join(f"{r[1]} {float(r[3]) / capt * 100:.1f} %" for r in cr) + ")")
        if rv:
            tot = sum(float(r[5]) for r in rv)
            r0 = next((r for r in rv if r[4] != "0"), rv[0])
            L.append(f"   then: capacity iops={r0[6]}, class {r0[2]} res_iops={r0[4]} weight={r0[3]}")
            L.append(f"{'tenant':<14}{'class':<8}{'weight':>7}{'res_iops':>10}{'IOPS':>10}"
                     f"{'share':>9}{'of res':>9}{'verdict':>9}")
            for _, cg, cls, wt, rsv, iops, _ in rv:
                iops = float(iops)
                line = (f"{cg:<14}{cls:<8}{wt:>7}{rsv if rsv != '0' else '-':>10}{iops:>10.0f}"
                        f"{iops / tot * 100:>8.1f}%")
                if rsv != "0":
                    frac = iops / float(rsv) * 100
                    ok = frac >= 99
                    checks.append((f"reservation res_iops={rsv}", ok,
                                   f"{iops:.0f} IOPS = {frac:.1f} % of the reservation"
                                   + stall_note(stalls.get("res", "0"))))
                    line += f"{frac:>8.1f}%{'PASS' if ok else 'FAIL':>9}"
                L.append(line)
            L.append(f"{'total':<39}{tot:>10.0f}")
        L.append("")

    bu = [r for r in rows if r[0] == "burst"]
    if bu:
        _, base, peak, blen, log, total, rt_ms, log_ms = bu[0]
        base, peak, blen, total, rt = float(base), float(peak), float(blen), float(total), float(rt_ms) / 1000
        sec = series(log, 1000, int(log_ms))
        L.append(f"5. burst: iops={base:.0f} iops_max={peak:.0f} iops_max_len={blen:.0f} from idle, "
                 f"fio QD16, no ramp, {runtime} s; PASS within +-{tol:g} %")
        L.append("   IOPS per second: " + " ".join(f"{v:.0f}" for _, v in sec))
        L.append(f"   longest guest stall: {stall_fmt(stalls.get('burst', '0'), 'none over 50')} ms")
        full = [v for t, v in sec if t <= rt + 1e-9]
        bl = int(blen)
        brate = sum(full[:bl]) / bl if len(full) >= bl else float("nan")
        tail = full[bl + 1:]
        nrate = sum(tail) / len(tail) if tail else float("nan")
        want_total = base * rt + (peak - base) * blen
        L.append(f"{'':<28}{'target':>10}{'achieved':>11}{'error':>9}{'verdict':>9}")
        for name, t, a in ((f"burst rate, s 1-{bl}", peak, brate),
                           (f"base rate, s {bl + 2}-{len(full)}", base, nrate),
                           (f"I/Os in {rt:.2f} s", want_total, total)):
            e = pct(a, t) if not math.isnan(a) else float("nan")
            ok = not math.isnan(e) and abs(e) <= tol
            checks.append((f"burst: {name}", ok, f"{a:.0f} vs {t:.0f} ({e:+.2f} %)"
                           + stall_note(stalls.get("burst", "0"))))
            L.append(f"   {name:<25}{t:>10.0f}{a:>11.0f}{e:>+8.2f}%{'PASS' if ok else 'FAIL':>9}")
        L.append("")

    npass = sum(1 for c in checks if c[1])
    nfail = len(checks) - npass
    L.append(f"summary: dm-vio {npass} of {len(checks)} checks passed, {nfail} FAILED")
    for name, ok, why in checks:
        if not ok:
            L.append(f"  FAIL  {name}: {why}")
    if ref:
        L.append(f"io.max reference: {sum(ref)} of {len(ref)} limits within +-{tol:g} %")
    text = "\n".join(L) + "\n"
    print(text, end="")
    open(txt, "w").write(text)

def args_fmt(v, bytes_):
    if not bytes_:
        return f"{v:.0f}"
    for s, d in (("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10)):
        if v >= d and v % d == 0:
            return f"{v // d:.0f}{s}"
    return f"{v:.0f}"

{"get": cmd_get, "dat": cmd_dat, "report": cmd_report}[sys.argv[1]](sys.argv[2:])
EOF

qpy() {
	python3 "$tmp/qos.py" "$@"
}

# The barrier multi-tenant runs wait behind: each fio job reports ready
# (after its setup) and waits for "go", so all start within ~10 ms.
cat >"$tmp/barrier.sh" <<EOF
touch "$tmp/ready.\$1"
while [ ! -e "$tmp/go" ]; do sleep 0.01; done
EOF

# --------------------------------------------------------------------------
# Context first: numbers from an emulated CPU mean little on their own.
# bench_accel: tools/bench/accel.sh
. "$top/tools/bench/accel.sh"
accel=$(bench_accel "rates move with host load")
header="dm-vio QoS: limits (and io.max), weights, reservation, burst; fio randread libaio direct"
echo "$header"
echo "kernel:  $(uname -r)"
echo "cpus:    $(nproc) x $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
echo "accel:   $accel"
echo "fio:     $(fio --version), ${ramp} s ramp + ${runtime} s per run"
echo "cases:   $cases"
echo

plots=1
if ! command -v gnuplot >/dev/null 2>&1; then
	plots=0
	echo "note: gnuplot is not installed: no plots (install gnuplot-nox on the host; the guest shares its root)"
	echo
fi

# --------------------------------------------------------------------------
# Devices and cgroups.
modprobe dm-mod
if ! grep -qw dm_vio /proc/modules; then
	insmod "$top/dm-vio/dm-vio.ko"
	loaded_vio=1
fi
[ -e /dev/nullb0 ] && die "/dev/nullb0 already exists; want a fresh null_blk"
# No data stored (memory_backed=0), requests completed inline (irqmode=0),
# no I/O scheduler: the arrays cost as little as possible, so what is
# measured is dm-vio's scheduling. 4 GiB each, costing no memory.
modprobe null_blk nr_devices=2 gb=4 irqmode=0 no_sched=1 memory_backed=0
loaded_nullb=1
len=$(($(blockdev --getsz /dev/nullb0) * 2))
# The slow pair: the same size, every request completed by a timer
# lat_us after it arrives (irqmode=2), however many are in flight.
[ -d "$nullb_cfs" ] || die "no null_blk configfs at $nullb_cfs"
for d in "${slow[@]}"; do
	mkdir "$nullb_cfs/$d"
	echo 4096 >"$nullb_cfs/$d/size"
	echo 2 >"$nullb_cfs/$d/irqmode"
	echo $((lat_us * 1000)) >"$nullb_cfs/$d/completion_nsec"
	echo 1 >"$nullb_cfs/$d/no_sched"
	echo 0 >"$nullb_cfs/$d/memory_backed"
	echo 1 >"$nullb_cfs/$d/power"
	[ -b "/dev/$d" ] || die "null_blk did not create /dev/$d"
done
[ "$(blockdev --getsz "/dev/${slow[0]}")" = "$((len / 2))" ] ||
	die "/dev/${slow[0]} is not the size of /dev/nullb0"

grep -qw io "$cgroot/cgroup.controllers" 2>/dev/null ||
	die "no cgroup v2 io controller at $cgroot"
echo +io >"$cgroot/cgroup.subtree_control"
mkdir -p "$cgb"
echo +io >"$cgb/cgroup.subtree_control"

mkcg() {
	local c
	for c; do
		mkdir -p "$cgb/$c"
	done
}

# vol_create fast|slow: a fresh volume (and policy) on one pair of arrays.
vol_create() {
	local a=/dev/nullb0 b=/dev/nullb1

	[ "$1" = fast ] || { a=/dev/${slow[0]}; b=/dev/${slow[1]}; }
	dmsetup remove --retry "$vol" >/dev/null 2>&1 || true
	dmsetup create "$vol" --table "0 $len vio stripe 1 $chunk 2 $a 0 $b 0"
}

msg() {
	dmsetup message "$vol" 0 "$@"
}

# class_held <class>: the percentage of the class's bios that dm-vio held
# back (queued) rather than passing straight on. A tenant that is over its
# limit all the time has a queue all the time, so nearly all of them wait;
# a low figure means its queue ran dry at times (fio, or the dispatcher,
# starved of CPU).
class_held() {
	msg class stats | awk -v c="$1" '$1 == c {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		n = v["reads"] + v["writes"]
		printf "%.1f\n", n ? v["throttled"] * 100 / n : 0 }'
}

# Class stats after a run, kept for diagnosis.
save_stats() {
	{
		echo "== $1"
		msg qos
		msg class stats
		echo
	} >>"$tmp/stats.txt"
}

# A guest that does not run cannot throttle, dispatch or submit: under TCG
# on a busy host the whole guest can stop for a second (the host preempts
# qemu). A SCHED_FIFO watcher that wakes every 10 ms logs every gap over
# 50 ms ("<realtime end> <ms>"), and each run reports the longest gap
# that overlaps it, so a miss can be told from a guest that was not there.
cat >"$tmp/stallwatch.py" <<'EOF'
import sys, time
out = open(sys.argv[1], "w", buffering=1)
last = time.monotonic()
while True:
    time.sleep(0.01)
    now = time.monotonic()
    gap = now - last - 0.01
    if gap > 0.05:
        out.write(f"{time.time():.3f} {gap * 1000:.0f}\n")
    last = now
EOF
: >"$tmp/stalls.txt"
chrt -f 10 python3 "$tmp/stallwatch.py" "$tmp/stalls.txt" 2>/dev/null &
sleep 1
kill -0 $! 2>/dev/null || python3 "$tmp/stallwatch.py" "$tmp/stalls.txt" &

now() {
	date +%s.%N
}

# max_stall: the longest guest stall (ms) overlapping the last fio run.
max_stall() {
	awk -v s="$run_t0" -v e="$run_t1" '$1 >= s && $1 - $2 / 1000 <= e && $2 > m { m = $2 }
		END { print m + 0 }' "$tmp/stalls.txt"
}

fio_common=(--filename="$dev" --ioengine=libaio --direct=1 --rw=randread
	    --norandommap --randrepeat=0 --time_based --eta=never
	    --output-format=json)

# fio_in <cgroup> <json> <fio args...>: one fio process in a cgroup.
fio_in() {
	local cg=$1 json=$2
	shift 2
	run_t0=$(now)
	(
		echo "$BASHPID" >"$cgb/$cg/cgroup.procs"
		exec fio --name="$cg" "${fio_common[@]}" --output="$json" "$@"
	)
	run_t1=$(now)
}

# fio_group <tag> <qd> <ramp> <cgroup>...: one greedy 4k job per cgroup,
# all started together behind the barrier; $tmp/<tag>.<cg>.json and the
# iops log $tmp/<tag>.<cg>_iops.1.log per tenant.
fio_group() {
	local tag=$1 qd=$2 rmp=$3 cg pid n i
	local -a pids=()
	shift 3
	rm -f "$tmp/go" "$tmp"/ready.*
	for cg; do
		fio_in "$cg" "$tmp/$tag.$cg.json" --bs=4k --iodepth="$qd" \
			--ramp_time="$rmp" --runtime="$runtime" \
			--exec_prerun="sh $tmp/barrier.sh $cg" \
			--write_iops_log="$tmp/$tag.$cg" --log_avg_msec="$log_ms" &
		pids+=($!)
	done
	for ((i = 0; ; i++)); do
		n=$(find "$tmp" -maxdepth 1 -name 'ready.*' | wc -l)
		[ "$n" -lt $# ] || break
		for pid in "${pids[@]}"; do
			kill -0 "$pid" 2>/dev/null || die "fio ($tag) exited before the start"
		done
		[ "$i" -lt 1200 ] || die "fio ($tag) not ready after 120 s"
		sleep 0.1
	done
	run_t0=$(now)
	touch "$tmp/go"
	for pid in "${pids[@]}"; do
		wait "$pid" || die "fio ($tag) failed"
	done
	run_t1=$(now)
	printf 'stall\t%s\t%s\n' "$tag" "$(max_stall)" >>"$results"
}

# plot <png> <title> <dat> <ncols> [extra plot clauses]: IOPS over time,
# one line per column of a .dat file from "qos.py dat".
plot() {
	local png=$1 title=$2 dat=$3 ncols=$4 extra=${5:-} term i p=""

	[ "$plots" = 1 ] && [ -n "$out" ] || return 0
	term="pngcairo size 1000,560 noenhanced font ',10'"
	gnuplot -e "set terminal $term" >/dev/null 2>&1 ||
		term="png size 1000,560 noenhanced"
	# columnhead() wants a bare header line: drop the "# " and the note.
	sed '1s/^# //; 1s/  (.*//' "$dat" >"$tmp/plot.dat"
	for ((i = 2; i <= ncols + 1; i++)); do
		p+="${p:+, }'$tmp/plot.dat' using 1:$i with linespoints pointsize 0.6 title columnhead($i)"
	done
	[ -z "$extra" ] || p+=", $extra"
	gnuplot <<-EOF || echo "note: gnuplot failed for $png"
		set terminal $term
		set output '$png'
		set title '$title'
		set xlabel 'time since fio start (s)'
		set ylabel 'IOPS'
		set yrange [0:*]
		set grid
		set key outside right top
		set datafile missing '?'
		plot $p
	EOF
}

# --------------------------------------------------------------------------
# 1+2. Limits, dm-vio's and blk-throttle's, on one tenant.
case_limits() {
	local spec key target bs qd json dv iv mm v cap held dstall istall

	echo "== 1+2. limits: dm-vio class vs io.max, one tenant"
	vol_create fast
	mkcg lim
	mm=$(dmsetup info -c --noheadings --separator : -o major,minor "$vol" | tr -d ' ')

	# Warm up (TCG translates code on first use) and measure what one
	# tenant gets with QoS off, to flag limits close to it.
	fio_in lim "$tmp/cap1.json" --bs=4k --iodepth=32 --ramp_time="$ramp" \
		--runtime="$(((runtime + 1) / 2))"
	cap=$(qpy get "$tmp/cap1.json" iops)
	printf 'capacity1\t%s\n' "$cap" >>"$results"
	printf '  one tenant, QoS off, 4k QD32: %.0f IOPS\n' "$cap"

	# <key>:<target>:<dm-vio value>:<bs>:<fio iodepth>. bps targets in bytes.
	for spec in iops:10:10:4k:8 iops:100:100:4k:8 iops:1000:1000:4k:16 \
		    iops:10000:10000:4k:32 iops:20000:20000:4k:32 \
		    bps:65536:64k:4k:8 bps:1048576:1m:4k:8 \
		    bps:16777216:16m:64k:8 bps:268435456:256m:1m:8; do
		IFS=: read -r key target v bs qd <<<"$spec"

		msg class create lim "$key=$v"
		msg rule add cgroup=/bench/lim lim
		json=$tmp/lim.$key.$v.json
		fio_in lim "$json" --bs="$bs" --iodepth="$qd" \
			--ramp_time="$ramp" --runtime="$runtime"
		dstall=$(max_stall)
		save_stats "limit $key=$v"
		held=$(class_held lim)
		msg rule delete cgroup=/bench/lim
		msg class delete lim
		if [ "$key" = iops ]; then
			dv=$(qpy get "$json" iops)
		else
			dv=$(qpy get "$json" bw)
		fi

		# The same limit by blk-throttle, on the volume, QoS off.
		echo "$mm r$key=$target" >"$cgb/lim/io.max"
		json=$tmp/iomax.$key.$v.json
		fio_in lim "$json" --bs="$bs" --iodepth="$qd" \
			--ramp_time="$ramp" --runtime="$runtime"
		istall=$(max_stall)
		echo "$mm riops=max rbps=max" >"$cgb/lim/io.max"
		if [ "$key" = iops ]; then
			iv=$(qpy get "$json" iops)
		else
			iv=$(qpy get "$json" bw)
		fi
		printf 'limit\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$key" "$target" \
			"$bs" "$qd" "$dv" "$iv" "$held" "$dstall" "$istall" >>"$results"
		awk -v k="$key" -v v="$v" -v t="$target" -v d="$dv" -v i="$iv" 'BEGIN {
			printf "  %-10s dm-vio %12.2f (%+.2f %%)   io.max %12.2f (%+.2f %%)%s\n",
				k "=" v, d, (d - t) / t * 100, i, (i - t) / t * 100,
				k == "bps" ? "  bytes/s" : "  IOPS" }'
	done
}

# 3. Weights 4:2:1, all greedy, at depth 8.
case_weights() {
	local c w qd=$mt_qd depth=8

	echo "== 3. weights 400:200:100, depth $depth, fio QD$qd each, slow arrays ($lat_us us)"
	vol_create slow
	mkcg w4 w2 w1
	msg depth "$depth"
	for c in w4:400 w2:200 w1:100; do
		msg class create "${c%:*}" "weight=${c#*:}"
		msg rule add "cgroup=/bench/${c%:*}" "${c%:*}"
	done
	fio_group weights "$qd" "$ramp" w4 w2 w1
	save_stats "weights 400:200:100"
	for c in w4:400 w2:200 w1:100; do
		w=$(qpy get "$tmp/weights.${c%:*}.json" iops)
		printf 'weight\t/bench/%s\t%s\t%s\t%s\t%s\t%s\n' "${c%:*}" "${c%:*}" \
			"${c#*:}" "$w" "$qd" "$depth" >>"$results"
		printf '  %-4s weight %-4s %8.0f IOPS\n' "${c%:*}" "${c#*:}" "$w"
	done
	qpy dat "$tmp/qos-weights.dat" "$log_ms" \
		"w4(400)=$tmp/weights.w4_iops.1.log" \
		"w2(200)=$tmp/weights.w2_iops.1.log" \
		"w1(100)=$tmp/weights.w1_iops.1.log"
	[ -z "$out" ] || cp "$tmp/qos-weights.dat" "$out/"
	plot "$out/qos-weights.png" "dm-vio weights 400:200:100, three greedy cgroups, depth $depth" \
		"$out/qos-weights.dat" 3
}

# 4. Reservation: 30 % of the measured capacity, weight 1, against three
# greedy weight-100 tenants.
case_reservation() {
	local c w qd=$mt_qd depth=8 cap rsv
	local -a tenants=(resv g1 g2 g3)

	echo "== 4. reservation, depth $depth, fio QD$qd each, slow arrays ($lat_us us)"
	vol_create slow
	mkcg "${tenants[@]}"
	msg depth "$depth"
	for c in "${tenants[@]}"; do
		msg class create "$c" weight=100
		msg rule add "cgroup=/bench/$c" "$c"
	done
	fio_group rescap "$qd" "$ramp" "${tenants[@]}"
	save_stats "reservation: capacity run"
	cap=0
	for c in "${tenants[@]}"; do
		w=$(qpy get "$tmp/rescap.$c.json" iops)
		printf 'rescap\t%s\t%s\t%s\t%s\t%s\n' "$c" 100 "$w" "$qd" "$depth" >>"$results"
		cap=$(awk -v a="$cap" -v b="$w" 'BEGIN { printf "%.0f", a + b }')
	done
	rsv=$(awk -v c="$cap" 'BEGIN { printf "%.0f", c * 0.3 }')
	echo "  capacity (4 x weight 100): $cap IOPS; reserving $rsv IOPS for resv"

	msg capacity "iops=$cap"
	msg class set resv "res_iops=$rsv" weight=1
	fio_group res "$qd" "$ramp" "${tenants[@]}"
	save_stats "reservation res_iops=$rsv"
	for c in "${tenants[@]}"; do
		w=$(qpy get "$tmp/res.$c.json" iops)
		if [ "$c" = resv ]; then
			printf 'resv\t/bench/%s\t%s\t1\t%s\t%s\t%s\n' "$c" "$c" "$rsv" "$w" "$cap"
		else
			printf 'resv\t/bench/%s\t%s\t100\t0\t%s\t%s\n' "$c" "$c" "$w" "$cap"
		fi >>"$results"
		printf '  %-4s %8.0f IOPS\n' "$c" "$w"
	done
	qpy dat "$tmp/qos-reservation.dat" "$log_ms" \
		"resv(res_iops=$rsv,w1)=$tmp/res.resv_iops.1.log" \
		"g1(w100)=$tmp/res.g1_iops.1.log" \
		"g2(w100)=$tmp/res.g2_iops.1.log" \
		"g3(w100)=$tmp/res.g3_iops.1.log"
	[ -z "$out" ] || cp "$tmp/qos-reservation.dat" "$out/"
	plot "$out/qos-reservation.png" \
		"dm-vio reservation: resv res_iops=$rsv weight=1 vs three greedy weight=100, depth $depth" \
		"$out/qos-reservation.dat" 4 "$rsv with lines dashtype 2 lc rgb 'black' title 'res_iops'"
}

# 5. Burst from idle: iops=500 iops_max=2000 iops_max_len=3.
case_burst() {
	local base=500 peak=2000 blen=3 qd=16 json=$tmp/burst.json total rt

	echo "== 5. burst: iops=$base iops_max=$peak iops_max_len=$blen"
	[ "$runtime" -ge $((blen + 3)) ] || { echo "  skipped: needs VIO_QOS_RUNTIME >= $((blen + 3))"; return 0; }
	vol_create fast
	mkcg burst
	msg class create burst "iops=$base" "iops_max=$peak" "iops_max_len=$blen"
	msg rule add cgroup=/bench/burst burst
	fio_in burst "$json" --bs=4k --iodepth="$qd" --runtime="$runtime" \
		--write_iops_log="$tmp/burst" --log_avg_msec="$log_ms"
	printf 'stall\tburst\t%s\n' "$(max_stall)" >>"$results"
	save_stats "burst"
	read -r total rt < <(qpy get "$json" ios runtime_ms)
	printf 'burst\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$base" "$peak" "$blen" \
		"$tmp/burst_iops.1.log" "$total" "$rt" "$log_ms" >>"$results"
	echo "  $total I/Os in $rt ms"
	qpy dat "$tmp/qos-burst.dat" "$log_ms" "burst(iops=$base,max=$peak,len=${blen}s)=$tmp/burst_iops.1.log"
	[ -z "$out" ] || cp "$tmp/qos-burst.dat" "$out/"
	plot "$out/qos-burst.png" "dm-vio burst: iops=$base iops_max=$peak iops_max_len=$blen, from idle" \
		"$out/qos-burst.dat" 1 "$peak with lines dashtype 2 lc rgb 'red' title 'iops_max', $base with lines dashtype 2 lc rgb 'blue' title 'iops'"
}

t0=$SECONDS
for c in $cases; do
	case $c in
	limits|weights|reservation|burst) ;;
	*) die "unknown case '$c' in VIO_QOS_CASES" ;;
	esac
done
for c in $cases; do
	s=$SECONDS
	"case_$c"
	echo "  ($((SECONDS - s)) s)"
	echo
done
dmsetup remove --retry "$vol"

# --------------------------------------------------------------------------
# Tables, verdicts, and the copies the host keeps.
echo "==== results ($((SECONDS - t0)) s)"
qpy report "$results" "$tmp/table.txt" "$runtime" "$ramp" 2 "$lat_us"

if [ -n "$out" ] && [ -d "$out" ]; then
	{
		echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) kernel $(uname -r), $(nproc) cpus, $accel"
		echo "# $header; ${ramp} s ramp + ${runtime} s per run"
		cat "$tmp/table.txt"
	} >"$out/qos.txt"
	cp "$tmp/stats.txt" "$out/qos-stats.txt"
	mkdir -p "$out/qos-fio"
	cp "$tmp"/*.json "$tmp"/*_iops.1.log "$out/qos-fio/" 2>/dev/null || true
	echo
	echo "written: $out/qos.txt, $out/qos-stats.txt, $out/qos-fio/ (fio JSON, iops logs)"
	if [ "$plots" = 1 ]; then
		for c in "$out"/qos-*.png; do
			if [ -e "$c" ]; then echo "plot:    $c"; fi
		done
	else
		echo "plots:   none (gnuplot not installed)"
	fi
fi
