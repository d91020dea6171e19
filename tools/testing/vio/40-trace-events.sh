#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Observability: the dm_vio trace events fire with the right fields during
# a fio run (tag -> class, deferral and dispatch, route, fabric wait, leg
# state), and a blktrace capture of a mirror shows a remap event on every
# leg for each write plus a note per bio naming the issuing cgroup's
# tenant and its class. The "stats" message agrees with the status line.
# trace-cmd and perf record the events too (as users would run them).
. "$(dirname "$0")/lib.sh"

T=/sys/kernel/tracing
mountpoint -q "$T" || mount -t tracefs tracefs "$T"
[ -d "$T/events/dm_vio" ] || fail "no dm_vio trace events in $T/events"

make_arrays 2 64
a=("${ARRAYS[@]}")
len=$((64 * 2048))
# A slow port 1 (Gen1 x1, 128 B payloads): the fabric holds its requests.
vio_create viot-tr "$len" mirror 2 selector service-time 2 "${a[0]}" 0 "${a[1]}" 0 \
	6 nosync fabric 3 gen=3,width=4 gen=3,width=4 gen=1,width=1,mps=128
vol=/dev/mapper/viot-tr
dev=$(dm_devnum viot-tr)

cg_make vio-trace/tenant1
cg=$CG
vio_msg viot-tr class create slow iops=300
vio_msg viot-tr rule add 'cgroup=/vio-trace/*' slow
cgid=$(stat -c %i "$cg")

echo >"$T/trace"
echo 1 >"$T/events/dm_vio/enable"
cd "$VIO_TMP"
blktrace -d "$vol" -d "${a[0]}" -d "${a[1]}" -D bt &
bt=$!
sleep 1
cg_run "$cg" fio --name=tr --filename="$vol" --ioengine=libaio --direct=1 \
	--rw=randrw --bs=4k --iodepth=8 --size=16m --time_based --runtime=3 \
	--output=/dev/null
vio_msg viot-tr fail 1
vio_msg viot-tr reinstate 1
wait_states viot-tr AA 20
sleep 0.5
kill -INT "$bt"
wait "$bt" || true
echo 0 >"$T/events/dm_vio/enable"
cp "$T/trace" trace.txt

# ---- trace events ---------------------------------------------------------
count() {
	grep -c " $1: $dev " trace.txt || true
}
for e in vio_classify vio_defer vio_dispatch vio_route vio_fabric_wait vio_leg_state; do
	[ "$(count "$e")" -gt 0 ] || fail "no $e event for $dev"
done
grep -q "vio_classify: $dev tenant=$cgid vm=- class=slow" trace.txt ||
	fail "no vio_classify of tenant $cgid to class slow"
grep -q "vio_defer: $dev class=slow .* reason=\(limit\|backlog\)" trace.txt ||
	fail "no deferral of class slow for its limit"
# Every deferred bio is dispatched: as many dispatches as deferrals.
expect_eq "dispatches = deferrals" "$(count vio_dispatch)" "$(count vio_defer)"
grep -q "vio_route: $dev sector=[0-9]* leg=[01] selector=service-time candidates=in-sync" trace.txt ||
	fail "no route event"
grep -q "vio_fabric_wait: $dev port=1 " trace.txt || fail "no fabric wait on the slow port"
grep -q "vio_leg_state: $dev leg=1 A->D why=request" trace.txt || fail "no A->D for leg 1"
grep -q "vio_leg_state: $dev leg=1 D->a why=reinstate" trace.txt || fail "no D->a for leg 1"
grep -q "vio_leg_state: $dev leg=1 a->A why=resynced" trace.txt || fail "no a->A for leg 1"
log "trace events: $(for e in vio_classify vio_defer vio_dispatch vio_route vio_fabric_wait vio_leg_state; do
	printf '%s=%s ' "$e" "$(count "$e")"; done)"

# ---- blktrace ---------------------------------------------------------------
vdev=$(dmsetup info -c --noheadings -o blkdevname viot-tr)
"$VIO_TOP/tools/vio-blktrace-notes" bt/"$vdev".blktrace.* >notes.txt
[ -s notes.txt ] || fail "no vio notes in the volume's blktrace"
mine=$(grep -c " vio [0-9]*+[0-9]* tenant=$cgid vm=- class=slow$" notes.txt || true)
other=$(grep -vc " tenant=$cgid vm=- class=slow$" notes.txt || true)
[ "$mine" -gt 100 ] || fail "only $mine notes name tenant $cgid and class slow"
expect_eq "notes naming another tenant" "$other" 0
# Writes fan out: a remap event on each leg for the same volume sector.
for i in 0 1; do
	blkparse -q -D bt -i "$(basename "${a[$i]}")" |
		awk -v d="($(echo "$dev" | tr : ,))" '$6 == "A" && $7 ~ /W/ && $0 ~ d { print $8 }' |
		sort -n >"remap$i.txt"
done
[ -s remap0.txt ] || fail "no remap events on leg 0"
common=$(comm -12 remap0.txt remap1.txt | wc -l)
[ "$common" -gt 50 ] || fail "only $common write sectors remapped to both legs"
log "blktrace: $mine notes for tenant $cgid/class slow, $common writes remapped to both legs"

# ---- stats ----------------------------------------------------------------
stats=$(dmsetup message viot-tr 0 stats)
st=($(dmsetup status viot-tr))
for i in 0 1; do
	line=$(grep "^array $i " <<<"$stats")
	expect_eq "stats array $i reads" "$(sed -n 's/.* reads=\([0-9]*\).*/\1/p' <<<"$line")" \
		"$(leg_field viot-tr "$i" reads)"
	expect_eq "stats array $i state" "$(sed -n 's/.* state=\(.\).*/\1/p' <<<"$line")" A
done
grep -q "^class slow queued=0 reads=[1-9]" <<<"$stats" || fail "stats: no class slow line"
grep -q "^tenant cgroup $cgid slow vm=- reads=[1-9].* path=/vio-trace/tenant1$" <<<"$stats" ||
	fail "stats: no tenant line for $cgid"
grep -q "^link port1 gen=1,width=1,mps=128,lat_ns=1000,credits=64 .* tlps=[1-9]" <<<"$stats" ||
	fail "stats: no port1 link line"
grep -q "^mirror selector=service-time region_sectors=2048 regions=64 fallbacks=0$" <<<"$stats" ||
	fail "stats: no mirror line"
msg_refused viot-tr "Usage: stats (no arguments)" stats now
log "stats block matches status and names every object"

# ---- trace-cmd ----------------------------------------------------------------
command -v trace-cmd >/dev/null || fail "no trace-cmd (tools/install-deps.sh installs it)"
trace-cmd record -q -o tc.dat -e dm_vio:vio_route -e dm_vio:vio_classify -- \
	dd if="$vol" of=/dev/null bs=4k count=64 iflag=direct status=none >tc.log 2>&1 ||
	{ sed 's/^/# /' tc.log; fail "trace-cmd record failed"; }
trace-cmd report -i tc.dat >tc.txt 2>tc.err || { sed 's/^/# /' tc.err; fail "trace-cmd report failed"; }
routes=$(grep -c 'vio_route:.*service-time' tc.txt || true)
[ "$routes" -ge 64 ] || fail "trace-cmd recorded $routes vio_route events for 64 reads"
log "trace-cmd: $routes vio_route events for 64 reads"

# ---- perf ---------------------------------------------------------------------
# perf reads the same events (UML has no perf events: skipped there only).
if [ ! -e /proc/sys/kernel/perf_event_paranoid ] && [ "${VIO_DEBUG_KERNEL:-0}" = 1 ]; then
	log "perf: this kernel has no perf events (UML), not checked here"
else
	command -v perf >/dev/null || fail "no perf (tools/install-deps.sh installs linux-perf)"
	perf record -q -o perf.data -a -e dm_vio:vio_route -e dm_vio:vio_dispatch -- \
		dd if="$vol" of=/dev/null bs=4k count=64 skip=64 iflag=direct status=none \
		>perf.log 2>&1 || { sed 's/^/# /' perf.log; fail "perf record failed"; }
	perf script -i perf.data >perf.txt 2>perf.err ||
		{ sed 's/^/# /' perf.err; fail "perf script failed"; }
	routes=$(grep -c "dm_vio:vio_route: $dev sector=[0-9]* leg=[01] selector=service-time" perf.txt || true)
	[ "$routes" -ge 64 ] || { head -5 perf.txt | sed 's/^/# /'; fail "perf recorded $routes vio_route events for 64 reads"; }
	log "perf: $routes vio_route events for 64 reads"
fi
