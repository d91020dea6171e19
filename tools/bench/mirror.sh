#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# mirror.sh - is dm-vio's mirror layout as fast as the kernel's own mirrors,
# and do its read selectors steer reads away from a slow leg? Run by
# "make bench-mirror" (and "make bench") inside the test VM
# (tools/testing/vm/vm-run.sh), as root, in one guest boot.
#
# Every contender is a two-leg mirror over the same two null_blk devices,
# created, measured and removed in turn (md claims the legs exclusively,
# so the contenders cannot coexist). R is the region size, the same for
# all that take one (VIO_MIRROR_REGION, 1024 sectors).
#
#   1 writes   4 KiB random writes, QD32, fio libaio O_DIRECT, legs
#              nullb0 + nullb1:
#     dm-vio     0 <len> vio mirror 2 region_size R 2 <leg0> 0 <leg1> 0 1 nosync
#                (the module's default read selector)
#     md raid1   mdadm --create --level=1 --raid-devices=2 --metadata=1.2
#                --assume-clean --bitmap=none --run; removed with mdadm
#                --stop and --zero-superblock
#     dm-raid1   dm's "mirror" target (dm-raid1.c, in-core dirty log):
#                0 <len> mirror core 2 R nosync 2 <leg0> 0 <leg1> 0 1 handle_errors
#     dm-raid    dm's "raid" target in raid1 mode (dm-raid.c: md's raid1
#                personality behind a dm table, no metadata devices):
#                0 <len> raid raid1 4 0 region_size R nosync 2 - <leg0> - <leg1>
#                (skipped with a note if the table is refused)
#     Target: dm-vio >= 1.0x each peer, as the median of the per-round
#     ratios over the rounds in which neither run was disturbed (far below
#     its contender's best: host interference; tools/bench/paired.py).
#
#   2 reads    4 KiB random reads, QD8, leg 0 = nullb0 (fast), leg 1 = a
#              dm-delay device over nullb1 (0 <len> delay /dev/nullb1 0 2,
#              built first, kept for the whole phase):
#     dm-vio     the same table with "selector <s>" (#args 4) for each of
#                round-robin, least-outstanding, service-time
#     dm-raid1   as above, fast leg first
#     md raid1   as above, fast leg first
#     dm-raid1   again with the slow leg first
#     and as references, not judged: each leg alone.
#     Targets (medians of fio's completion latency p99 over the rounds):
#     dm-vio service-time <= 0.5 x dm-raid1 with the slow leg first, and
#     <= 1.1 x dm-raid1 with the fast leg first.
#
# dm-raid1 reads from its "default mirror" only (the first leg, until it
# fails), and the table does not say which leg is slow: with the slow leg
# first every read waits for it; with the fast leg first dm-raid1 never
# does, its p99 is the fast leg's own, and no mirror can halve that. So
# dm-vio must beat the first case by half and match the second; its
# selectors do not depend on the order of the legs.
#
# dm-delay counts in jiffies: +2 ms is one tick at HZ=250, and with a
# queue that refills right after each tick a request waits nearly the
# whole tick (about 4 ms). The "slow leg alone" row shows what the slow
# leg really takes.
#
# The legs store data (null_blk memory_backed=1): md reads back the
# superblock it has just written when it adds a leg, which fails on a
# device that stores nothing. irqmode=0 completes every request inline and
# no_sched=1 keeps the queues free of an I/O scheduler, as in the other
# benchmarks. fio is confined to the first VIO_MIRROR_SPAN_MB (256) MiB of
# each contender, which bounds the memory the legs take (2 x 256 MiB).
#
# Rounds: every contender runs once per round, the order rotating from
# round to round so slow drift of the host (other VMs, TCG translation
# caches) hits all of them alike; the figures are the medians over the
# rounds, and every round's figure is printed so the spread is visible.
# One unmeasured write and read run on nullb0 come first (warm-up). Under
# TCG a p99 is fragile: the guest's vCPUs are host threads, and when the
# host deschedules them for a few ms more than 1 % of the I/Os of a run
# wait that long, whatever the mirror does. The fast leg alone is the
# noise floor of each round, and the report says when it was noisy.
#
# The verdicts are printed but do not set the exit status: the benchmark
# reports, the tests assert. The exit status is non-zero only when the
# benchmark could not run. A contender whose table is refused (the dm-vio
# module without the mirror layout, dm-raid without the raid module) or
# whose fio run fails is reported "not run" with the error, and the others
# still run.
#
# Results in "$VIO_OUT" (kept by the host): mirror.txt (the tables),
# mirror.csv, mirror-write.png and mirror-read.png (gnuplot; skipped with a
# note when gnuplot is missing), mirror-fio/ (fio's JSON output).
#
# Tunables (vm-run.sh passes VIO_* through): VIO_BENCH_ROUNDS (8),
# VIO_BENCH_RUNTIME (3 s per run), VIO_BENCH_RAMP (1 s), VIO_MIRROR_DELAY_MS
# (2), VIO_MIRROR_READ_QD (8), VIO_MIRROR_REGION (1024 sectors),
# VIO_MIRROR_SPAN_MB (256). The defaults take about 7 minutes under TCG,
# more when other VMs share the host.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
# No udev in the VM: dmsetup makes the /dev/mapper nodes itself, and
# mdadm its /dev/md* node.
export DM_DISABLE_UDEV=1

rounds=${VIO_BENCH_ROUNDS:-8}
runtime=${VIO_BENCH_RUNTIME:-3}
ramp=${VIO_BENCH_RAMP:-1}
delay_ms=${VIO_MIRROR_DELAY_MS:-2}
read_qd=${VIO_MIRROR_READ_QD:-8}
region=${VIO_MIRROR_REGION:-1024}
span=${VIO_MIRROR_SPAN_MB:-256}
write_qd=32
write_target=1.0
read_target=0.5
out=${VIO_OUT:-}

for v in VIO_BENCH_ROUNDS:"$rounds" VIO_BENCH_RUNTIME:"$runtime" \
	 VIO_BENCH_RAMP:"$ramp" VIO_MIRROR_DELAY_MS:"$delay_ms" \
	 VIO_MIRROR_READ_QD:"$read_qd" VIO_MIRROR_REGION:"$region" \
	 VIO_MIRROR_SPAN_MB:"$span"; do
	case ${v#*:} in
	''|*[!0-9]*) echo "mirror: ${v%%:*} must be a whole number" >&2; exit 2 ;;
	esac
done
if [ "$rounds" -lt 1 ] || [ "$runtime" -lt 1 ] || [ "$read_qd" -lt 1 ] ||
   [ "$span" -lt 1 ]; then
	echo "mirror: rounds, runtime, QD and span must be at least 1" >&2
	exit 2
fi

leg0=/dev/nullb0
leg1=/dev/nullb1
mirror=bench-mirror		# the dm contenders
slow_name=bench-slow		# dm-delay over nullb1, phase 2
slow=/dev/mapper/$slow_name
md=/dev/md100

# The host tree is read-only in the guest, and fio drops state files into
# its working directory: work in a tmpfs directory.
tmp=$(mktemp -d /tmp/vio-mirror.XXXXXX)
cd "$tmp"
mkdir "$tmp/fio"
# One line per measurement, one per contender that did not run, one per
# table as loaded: rendered into tables at the end.
results=$tmp/results.tsv
notes=$tmp/notes.tsv
tables=$tmp/tables.tsv
: >"$results"
: >"$notes"
: >"$tables"

loaded_vio=0
loaded_nullb=0
md_legs=()
cleanup() {
	local rc=$?

	dmsetup remove --retry "$mirror" >/dev/null 2>&1 || true
	if [ -e "$md" ]; then
		mdadm --stop "$md" >/dev/null 2>&1 || true
		[ ${#md_legs[@]} -eq 0 ] ||
			mdadm --zero-superblock "${md_legs[@]}" >/dev/null 2>&1 || true
	fi
	dmsetup remove --retry "$slow_name" >/dev/null 2>&1 || true
	[ "$loaded_vio" = 0 ] || rmmod dm_vio 2>/dev/null || true
	[ "$loaded_nullb" = 0 ] || rmmod null_blk 2>/dev/null || true
	cd /
	rm -rf "$tmp"
	[ "$rc" = 0 ] || echo "mirror: benchmark did not complete (exit status $rc)" >&2
	exit "$rc"
}
trap cleanup EXIT

die() {
	echo "mirror: $*" >&2
	exit 1
}

# --------------------------------------------------------------------------
# Context first: numbers from an emulated CPU mean little on their own.
# bench_accel: tools/bench/accel.sh
. "$top/tools/bench/accel.sh"
accel=$(bench_accel "compare ratios only")
header="dm-vio mirror vs md raid1, dm-raid1, dm-raid: 4k randwrite QD$write_qd; 4k randread QD$read_qd with leg 1 +${delay_ms} ms"
echo "$header"
echo "kernel:  $(uname -r)"
echo "cpus:    $(nproc) x $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
echo "accel:   $accel"
echo "fio:     $(fio --version), ${rounds} rounds x (${ramp} s ramp + ${runtime} s) per contender, first ${span} MiB"
echo "mdadm:   $(mdadm --version 2>&1 | head -n 1)"
echo

plots=1
if ! command -v gnuplot >/dev/null 2>&1; then
	plots=0
	echo "note: gnuplot is not installed: no plots (install gnuplot-nox on the host; the guest shares its root)"
	echo
fi
command -v mdadm >/dev/null 2>&1 ||
	die "mdadm is not installed (run tools/install-deps.sh on the host; the guest shares its root)"

# --------------------------------------------------------------------------
# Devices.
modprobe dm-mod
# A dm-vio module that cannot be loaded costs the dm-vio rows, not the
# peers' (noted, like a table it refuses).
vio_err=
if ! grep -qw dm_vio /proc/modules; then
	if [ ! -f "$top/dm-vio/dm-vio.ko" ]; then
		vio_err="no dm-vio/dm-vio.ko (make modules)"
	elif ! vio_err=$(insmod "$top/dm-vio/dm-vio.ko" 2>&1); then
		vio_err="insmod: $(echo "$vio_err" | tail -n 1)"
	else
		vio_err=
		loaded_vio=1
	fi
fi
[ -e "$leg0" ] && die "$leg0 already exists; want a fresh null_blk"
# See the header: data is stored (md needs its superblock back), requests
# complete inline, no I/O scheduler. 1 GiB each; fio stays in the first
# $span MiB.
modprobe null_blk nr_devices=2 gb=1 irqmode=0 no_sched=1 memory_backed=1
loaded_nullb=1
[ -b "$leg1" ] || die "null_blk did not create $leg1"
len=$(blockdev --getsz "$leg0")
[ "$span" -le $((len / 2048 - 4)) ] || die "VIO_MIRROR_SPAN_MB=$span does not fit the $((len / 2048)) MiB legs"
cpu=$(($(nproc) - 1))

# dm_create <name> <table>: on failure, $tmp/err says why (dmsetup's
# words and the kernel's, which has the target's reason: the table
# errors logged since the attempt began). Under TCG every process started
# costs up to a second, so the runs start as few as they can: the uptime
# is read by a builtin, the log only on failure.
dm_create() {
	local up

	read -r up _ </proc/uptime
	if dmsetup create "$1" --table "$2" >"$tmp/err" 2>&1; then
		return 0
	fi
	dmesg | awk -v t="$up" '{ s = $0; sub(/^\[ */, "", s) }
		s + 0 >= t && /device-mapper: table:/ { sub(/^\[[^]]*\] /, ""); print }' >>"$tmp/err"
	dmsetup remove "$1" >/dev/null 2>&1 || true
	return 1
}

# The text of $tmp/err on one line. For a refused table that is the
# target's reason from the kernel log ("dmsetup: <target>: <reason>"),
# else whatever the command said, less dmsetup's "Command failed.".
err_text() {
	if grep -q '^device-mapper: table: ' "$tmp/err"; then
		sed -n 's/^device-mapper: table: [0-9:]*: */dmsetup: /p' "$tmp/err"
	else
		grep -v '^Command failed' "$tmp/err"
	fi | awk 'NF { printf "%s%s", sep, $0; sep = "; " }'
}

# mk <contender> <leg0> <leg1>: create the contender on those legs, set
# $dev to what fio opens. Returns non-zero (reason in $tmp/err) if it
# cannot be created.
mk() {
	local c=$1 a=$2 b=$3 vio_tail="2 $2 0 $3 0 1 nosync"

	: >"$tmp/err"
	case $c in
	fast-leg) dev=$a; return 0 ;;
	slow-leg) dev=$b; return 0 ;;
	dm-vio|vio-*)
		if [ -n "$vio_err" ]; then
			echo "$vio_err" >"$tmp/err"
			return 1
		fi
		case $c in
		dm-vio) dm_create "$mirror" "0 $len vio mirror 2 region_size $region $vio_tail" ;;
		vio-rr) dm_create "$mirror" "0 $len vio mirror 4 region_size $region selector round-robin $vio_tail" ;;
		vio-lo) dm_create "$mirror" "0 $len vio mirror 4 region_size $region selector least-outstanding $vio_tail" ;;
		vio-st) dm_create "$mirror" "0 $len vio mirror 4 region_size $region selector service-time $vio_tail" ;;
		esac || return 1
		;;
	dm-raid1|dm-raid1-sf)
		dm_create "$mirror" "0 $len mirror core 2 $region nosync 2 $a 0 $b 0 1 handle_errors" || return 1
		;;
	dm-raid)
		dm_create "$mirror" "0 $len raid raid1 4 0 region_size $region nosync 2 - $a - $b" || return 1
		;;
	md-raid1)
		md_legs=("$a" "$b")
		mdadm --create "$md" --run --quiet --level=1 --raid-devices=2 \
			--metadata=1.2 --assume-clean --bitmap=none "$a" "$b" \
			>"$tmp/err" 2>&1 || { rm_contender md-raid1; return 1; }
		dev=$md
		return 0
		;;
	*) die "unknown contender $c" ;;
	esac
	dev=/dev/mapper/$mirror
}

# rm_contender <contender>: undo mk.
rm_contender() {
	case $1 in
	fast-leg|slow-leg) ;;
	md-raid1)
		mdadm --stop "$md" >/dev/null 2>&1 || true
		mdadm --zero-superblock "${md_legs[@]}" >/dev/null 2>&1 || true
		md_legs=()
		;;
	*) dmsetup remove --retry "$mirror" >/dev/null ;;
	esac
}

# What a contender's device is, for the report: its table as loaded
# (major:minor legs), or the md array's line.
describe() {
	case $1 in
	fast-leg) echo "$leg0" ;;
	slow-leg) echo "$slow: $(dmsetup table "$slow_name")" ;;
	md-raid1) echo "$md: $(mdadm --detail --brief "$md" 2>/dev/null | head -n 1), legs ${md_legs[*]}" ;;
	*) dmsetup table "$mirror" ;;
	esac
}

# run_fio <rw> <qd> <dev> <json>: one measurement. fio is pinned to the
# last CPU so it does not migrate between vCPUs, which under TCG are host
# threads that can be descheduled independently.
run_fio() {
	fio --name=mirror --filename="$3" --ioengine=libaio --direct=1 \
		--rw="$1" --bs=4k --iodepth="$2" --numjobs=1 \
		--offset=0 --size="${span}m" \
		--runtime="$runtime" --ramp_time="$ramp" --time_based \
		--cpus_allowed="$cpu" --norandommap --randrepeat=0 \
		--percentile_list=50:99:99.9 \
		--eta=never --output-format=json --output="$4"
}

# fio_figures <json> <read|write>: "<iops> <p50 us> <p99 us> <p99.9 us>",
# completion latency; fails if no I/O completed. awk, not Python: under
# TCG starting Python costs about a second, once per run.
fio_figures() {
	awk -v sec="\"$2\"" '
		$1 ~ /^"(read|write|trim|sync)"$/ && $2 == ":" && $3 == "{" { cur = $1 }
		cur != sec { next }
		$1 == "\"iops\"" && iops == "" { iops = $3 + 0 }
		$1 == "\"total_ios\"" && ios == "" { ios = $3 + 0 }
		$1 == "\"50.000000\"" && p50 == "" { p50 = $3 / 1000 }
		$1 == "\"99.000000\"" && p99 == "" { p99 = $3 / 1000 }
		$1 == "\"99.900000\"" && p999 == "" { p999 = $3 / 1000 }
		END {
			if (!ios || p99 == "") { print "no I/O completed" > "/dev/stderr"; exit 1 }
			printf "%.0f %.1f %.1f %.1f\n", iops, p50, p99, p999
		}' "$1"
}

# Contenders that no longer run in this phase; those whose table is in
# $tables.
declare -A dropped=() described=()

# measure <phase> <rw> <qd> <round> <contender> <leg0> <leg1>: one run,
# its figures appended to $results. Sets $figure to the headline (IOPS
# for writes, p99 us for reads), or "-" if the contender did not run.
measure() {
	local phase=$1 rw=$2 qd=$3 r=$4 c=$5 a=$6 b=$7 json fig why iops p99

	figure=-
	[ -z "${dropped[$phase.$c]:-}" ] || return 0
	if ! mk "$c" "$a" "$b"; then
		why="not run ($(err_text))"
		[ "$r" = 1 ] || why="stopped in round $r ($(err_text))"
		dropped[$phase.$c]=1
		printf '%s\t%s\t%s\n' "$phase" "$c" "$why" >>"$notes"
		return 0
	fi
	if [ -z "${described[$phase.$c]:-}" ]; then
		printf '%s\t%s\t%s\n' "$phase" "$c" "$(describe "$c")" >>"$tables"
		described[$phase.$c]=1
	fi
	json=$tmp/fio/$phase.$c.$r.json
	if run_fio "$rw" "$qd" "$dev" "$json" >"$tmp/err" 2>&1 &&
	   fig=$(fio_figures "$json" "${rw#rand}" 2>>"$tmp/err"); then
		printf '%s\t%s\t%s\t%s\n' "$phase" "$c" "$r" "${fig// /	}" >>"$results"
		rm_contender "$c"
		read -r iops _ p99 _ <<<"$fig"
		if [ "$phase" = write ]; then figure=$iops; else figure=${p99%.*}; fi
		return 0
	fi
	rm_contender "$c"
	dropped[$phase.$c]=1
	printf '%s\t%s\t%s\n' "$phase" "$c" \
		"fio failed in round $r ($(err_text | cut -c1-200))" >>"$notes"
}

# phase <phase> <rw> <qd> <leg0> <leg1> <contender>...: the rounds, the
# order rotated by one from round to round.
phase() {
	local p=$1 rw=$2 qd=$3 a=$4 b=$5 r i n c la lb line
	shift 5
	local -a cs=("$@")

	n=${#cs[@]}
	for ((r = 1; r <= rounds; r++)); do
		line="round $r/$rounds:"
		for ((i = 0; i < n; i++)); do
			c=${cs[$(((i + r - 1) % n))]}
			la=$a lb=$b
			# The reference with the slow leg first.
			[ "$c" != dm-raid1-sf ] || { la=$b; lb=$a; }
			measure "$p" "$rw" "$qd" "$r" "$c" "$la" "$lb"
			line+=" $c $figure"
		done
		echo "$line"
	done
}

# Warm up, not measured: TCG translates code on first use, and the first
# runs of a boot are slower than the rest.
t0=$SECONDS
run_fio randwrite "$write_qd" "$leg0" "$tmp/warmup-write.json" >/dev/null
run_fio randread "$read_qd" "$leg0" "$tmp/warmup-read.json" >/dev/null
echo "== 1. writes: 4k randwrite QD$write_qd, legs $leg0 + $leg1 (IOPS per round)"
phase write randwrite "$write_qd" "$leg0" "$leg1" dm-vio md-raid1 dm-raid1 dm-raid
echo "  ($((SECONDS - t0)) s)"
echo

s=$SECONDS
echo "== 2. reads: 4k randread QD$read_qd, leg 0 $leg0, leg 1 $slow = $leg1 +${delay_ms} ms (p99 us per round)"
dm_create "$slow_name" "0 $len delay $leg1 0 $delay_ms" ||
	die "cannot create the dm-delay leg: $(err_text)"
phase read randread "$read_qd" "$leg0" "$slow" \
	fast-leg slow-leg vio-rr vio-lo vio-st dm-raid1 md-raid1 dm-raid1-sf
dmsetup remove --retry "$slow_name"
echo "  ($((SECONDS - s)) s)"
echo

# --------------------------------------------------------------------------
# Tables, verdicts, and the copies the host keeps.
echo "==== results ($((SECONDS - t0)) s)"
python3 - "$tmp" "$rounds" "$write_target" "$read_target" "$write_qd" \
	"$read_qd" "$delay_ms" "$runtime" "$ramp" "$span" "$top/tools/bench" <<'EOF'
import statistics, sys

tmp, rounds, wt, rt, wqd, rqd, delay, runtime, ramp, span, here = sys.argv[1:12]
rounds, wt, rt = int(rounds), float(wt), float(rt)
sys.path.insert(0, here)
import paired

# figures[phase][contender] = {round: (iops, p50, p99, p999)}
figures = {}
for line in open(f"{tmp}/results.tsv"):
    p, c, r, *f = line.rstrip("\n").split("\t")
    figures.setdefault(p, {}).setdefault(c, {})[int(r)] = tuple(map(float, f))
notes = {}
for line in open(f"{tmp}/notes.tsv"):
    p, c, why = line.rstrip("\n").split("\t", 2)
    notes[(p, c)] = why
tables = {}
for line in open(f"{tmp}/tables.tsv"):
    p, c, t = line.rstrip("\n").split("\t", 2)
    tables[(p, c)] = t

label = {
    "dm-vio": "dm-vio", "md-raid1": "md raid1", "dm-raid1": "dm-raid1",
    "dm-raid": "dm-raid raid1", "fast-leg": "fast leg alone",
    "slow-leg": "slow leg alone", "vio-rr": "dm-vio round-robin",
    "vio-lo": "dm-vio least-outstanding", "vio-st": "dm-vio service-time",
    "dm-raid1-sf": "dm-raid1 slow leg first",
}
ref = {"fast-leg", "slow-leg"}
wnames = ["dm-vio", "md-raid1", "dm-raid1", "dm-raid"]
rnames = ["fast-leg", "slow-leg", "vio-rr", "vio-lo", "vio-st", "dm-raid1",
          "md-raid1", "dm-raid1-sf"]

def med(p, c, k):
    v = [f[k] for f in figures.get(p, {}).get(c, {}).values()]
    return statistics.median(v) if v else None

def per_round(p, c, k):
    d = figures.get(p, {}).get(c, {})
    return [d[r][k] if r in d else None for r in range(1, rounds + 1)]

def cell(v, w, fmt):
    return f"{'-' if v is None else format(v, fmt):>{w}}"

L, csv, checks = [], [], []
rh = "".join(f"{'r' + str(r):>8}" for r in range(1, rounds + 1))

# 1. writes
vio = med("write", "dm-vio", 0)
L.append(f"1. writes: 4k randwrite QD{wqd}, fio libaio direct, first {span} MiB, "
         f"{ramp} s ramp + {runtime} s, {rounds} rounds")
L.append(f"{'contender':<26}{'median IOPS':>12}{rh}{'p99 us':>9}{'dm-vio/it':>11}")
for c in wnames:
    m = med("write", c, 0)
    rs = per_round("write", c, 0)
    ratio = vio / m if vio is not None and m else None
    if m is None:
        L.append(f"{label[c]:<26}{'-':>12}  {notes.get(('write', c), 'no data')}")
    else:
        L.append(f"{label[c]:<26}{m:>12.0f}" + "".join(cell(v, 8, ".0f") for v in rs)
                 + cell(med("write", c, 2), 9, ".0f")
                 + (cell(ratio, 11, ".3f") if c != "dm-vio" else f"{'':>11}")
                 + (f"  ({notes[('write', c)]})" if ("write", c) in notes else ""))
    csv.append(["write", c, "iops", m, rs, med("write", c, 0), med("write", c, 1),
                med("write", c, 2), med("write", c, 3),
                ratio if c != "dm-vio" else None, notes.get(("write", c), "")])
L.append("verdicts (median of the per-round ratios over the rounds neither run was")
L.append("disturbed in, see paired.py; target dm-vio >= "
         f"{wt:.2f}x each peer):")
for c in wnames[1:]:
    m = med("write", c, 0)
    if m is None:
        L.append(f"  dm-vio / {label[c]:<14} not judged ({label[c]} not run)")
    elif vio is None:
        L.append(f"  dm-vio / {label[c]:<14} not judged (dm-vio not run)")
        checks.append((f"writes vs {label[c]}", None))
    else:
        res = paired.compare(per_round("write", "dm-vio", 0), per_round("write", c, 0))
        ok = res["headline"] >= wt
        checks.append((f"writes vs {label[c]}", ok))
        L.append(f"  dm-vio / {label[c]:<14} {paired.describe(res, rounds)}; "
                 f"ratio of medians {vio / m:.3f}   {'PASS' if ok else 'FAIL'}")
L.append("")

# 2. reads
base = med("read", "dm-raid1", 2)
L.append(f"2. reads: 4k randread QD{rqd}, fio libaio direct, first {span} MiB, "
         f"{ramp} s ramp + {runtime} s, {rounds} rounds;")
L.append(f"   leg 0 = nullb0 (fast), leg 1 = dm-delay +{delay} ms over nullb1; "
         "completion latency (clat) in us")
L.append(f"{'contender':<26}{'median p99':>12}{rh}{'p50':>8}{'p99.9':>8}{'IOPS':>8}"
         f"{'/dm-raid1':>10}")
for c in rnames:
    m = med("read", c, 2)
    rs = per_round("read", c, 2)
    ratio = m / base if m is not None and base else None
    name = label[c] + (" *" if c in ref else "")
    if m is None:
        L.append(f"{name:<26}{'-':>12}  {notes.get(('read', c), 'no data')}")
    else:
        L.append(f"{name:<26}{m:>12.0f}" + "".join(cell(v, 8, ".0f") for v in rs)
                 + cell(med("read", c, 1), 8, ".0f") + cell(med("read", c, 3), 8, ".0f")
                 + cell(med("read", c, 0), 8, ".0f") + cell(ratio, 10, ".3f")
                 + (f"  ({notes[('read', c)]})" if ("read", c) in notes else ""))
    csv.append(["read", c, "p99_us", m, rs, med("read", c, 0), med("read", c, 1),
                med("read", c, 2), med("read", c, 3), ratio, notes.get(("read", c), "")])
L.append("   * references, not judged")
st = med("read", "vio-st", 2)
sf = med("read", "dm-raid1-sf", 2)
# dm-raid1 reads its first leg only, and a table does not know which leg
# is slow: judge service-time against dm-raid1 in both placements. With
# the slow leg first, routing is what saves the reads (target <= 0.5);
# with the fast leg first, dm-raid1's static choice happens to be right
# and service-time must merely not be worse (<= 1.1, for noise).
for refv, target, what in ((sf, rt, "slow leg first"), (base, 1.1, "fast leg first")):
    label_ = f"read p99 vs dm-raid1 {what}"
    if refv is None or st is None:
        L.append(f"verdict ({label_}): not judged ("
                 + ("dm-raid1" if refv is None else "dm-vio service-time") + " not run)")
        continue
    ok = st <= target * refv
    checks.append((label_, ok))
    L.append(f"verdict: dm-vio service-time p99 / dm-raid1 ({what}) p99 = {st:.0f} / {refv:.0f} us"
             f" = {st / refv:.3f}   target <= {target:.2f}   {'PASS' if ok else 'FAIL'}")
# The fast leg alone has no mirror at all: a p99 far above its p50, or
# one that moves a lot from round to round, is the host's doing.
fl = [v for v in per_round("read", "fast-leg", 2) if v is not None]
fl50 = med("read", "fast-leg", 1)
if fl and (max(fl) > 3 * min(fl) or (fl50 and statistics.median(fl) > 10 * fl50)):
    L.append(f"   noise: the fast leg alone, no mirror at all, had p99 {min(fl):.0f}..{max(fl):.0f} us over")
    L.append(f"   the rounds (p50 {fl50:.0f} us). The host's scheduling of the guest (under TCG its")
    L.append("   vCPUs are host threads) then sets the p99s of those rounds, not the mirrors:")
    L.append("   the read verdict means little. Rerun on a quiet host.")
L.append("   dm-raid1 reads from its first leg only (while it has no errors): fast leg")
L.append("   first, it never waits for the slow one, and its p99 is the fast leg's own,")
L.append("   which no mirror can halve; slow leg first, every read waits. dm-vio's")
L.append("   selectors do not depend on the order of the legs.")
L.append("")

judged = [c for c in checks if c[1] is not None]
npass = sum(1 for c in judged if c[1])
L.append(f"summary: dm-vio {npass} of {len(judged)} checks passed"
         + (f", {len(judged) - npass} FAILED" if len(judged) > npass else "")
         + (f", {len(checks) - len(judged)} not run" if len(checks) > len(judged) else ""))
L.append("")
L.append("tables as loaded:")
for (p, c), t in tables.items():
    L.append(f"  {p:<6}{label[c]:<26}{t}")

text = "\n".join(L) + "\n"
print(text, end="")
open(f"{tmp}/table.txt", "w").write(text)

def f(v, fmt):
    return "" if v is None else format(v, fmt)

with open(f"{tmp}/table.csv", "w") as o:
    o.write("test,contender,metric,median," + ",".join(f"round{r}" for r in range(1, rounds + 1))
            + ",iops_median,p50_us_median,p99_us_median,p999_us_median,ratio,note\n")
    for t, c, metric, m, rs, iops, p50, p99, p999, ratio, note in csv:
        o.write(",".join([t, c, metric, f(m, ".1f")] + [f(v, ".1f") for v in rs]
                         + [f(iops, ".0f"), f(p50, ".1f"), f(p99, ".1f"), f(p999, ".1f"),
                            f(ratio, ".4f"), '"' + note.replace('"', "'") + '"']) + "\n")

# Data for the plots: index, label, median, min, max over the rounds.
for p, names, k in (("write", wnames, 0), ("read", rnames, 2)):
    with open(f"{tmp}/plot-{p}.dat", "w") as o:
        i = 0
        for c in names:
            v = [x[k] for x in figures.get(p, {}).get(c, {}).values()]
            if v:
                o.write(f'{i} "{label[c]}" {statistics.median(v):.1f} {min(v):.1f} {max(v):.1f}\n')
                i += 1
    if p == "read":
        open(f"{tmp}/plot-read.target", "w").write(f"{rt * base:.1f}\n" if base else "")
EOF

# plot <png> <title> <ylabel> <dat> [extra gnuplot lines]: median per
# contender as a bar, the rounds' range as an error bar.
plot() {
	local png=$1 title=$2 ylabel=$3 dat=$4 extra=${5:-} term

	[ "$plots" = 1 ] && [ -n "$out" ] && [ -s "$dat" ] || return 0
	term="pngcairo size 1000,560 noenhanced font ',10'"
	gnuplot -e "set terminal $term" >/dev/null 2>&1 ||
		term="png size 1000,560 noenhanced"
	gnuplot <<-EOF || echo "note: gnuplot failed for $png"
		set terminal $term
		set output '$png'
		set title '$title'
		set ylabel '$ylabel'
		set style fill solid 0.5 border -1
		set boxwidth 0.6
		set grid ytics
		set xtics rotate by -25
		set xrange [-0.6:*]
		set key top left
		$extra
		plot '$dat' using 1:3:xtic(2) with boxes lc rgb '#4477aa' title 'median', \
		     '' using 1:3:4:5 with yerrorbars lc rgb 'black' pt 7 ps 0.4 title 'range over the rounds'
	EOF
}

if [ -n "$out" ] && [ -d "$out" ]; then
	# Header with the context, so the file stands on its own.
	{
		echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) kernel $(uname -r), $(nproc) cpus, $accel"
		echo "# $header; ${rounds} rounds, ${runtime} s + ${ramp} s ramp"
		cat "$tmp/table.txt"
	} >"$out/mirror.txt"
	cp "$tmp/table.csv" "$out/mirror.csv"
	mkdir -p "$out/mirror-fio"
	cp "$tmp"/fio/*.json "$out/mirror-fio/" 2>/dev/null || true
	plot "$out/mirror-write.png" "two-leg mirrors, 4k random write QD$write_qd (fio libaio direct)" \
		"IOPS" "$tmp/plot-write.dat" "set yrange [0:*]"
	# The target as a dashed line: half dm-raid1's p99, where there is one.
	target=$(cat "$tmp/plot-read.target")
	extra="set logscale y"
	if [ -n "$target" ]; then
		extra+="; set arrow from graph 0, first $target to graph 1, first $target nohead dt 2 lc rgb 'red'"
		extra+="; set label 'target: $read_target x dm-raid1' at graph 0.99, first $target right front offset 0,0.7 tc rgb 'red'"
	fi
	plot "$out/mirror-read.png" \
		"4k random read QD$read_qd, leg 1 +$delay_ms ms (dm-delay): p99 completion latency" \
		"p99 latency (us, log scale)" "$tmp/plot-read.dat" "$extra"
	echo
	echo "written: $out/mirror.txt, $out/mirror.csv, $out/mirror-fio/ (fio JSON)"
	if [ "$plots" = 1 ]; then
		for f in "$out"/mirror-write.png "$out"/mirror-read.png; do
			if [ -e "$f" ]; then echo "plot:    $f"; fi
		done
	else
		echo "plots:   none (gnuplot not installed)"
	fi
fi
