/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vio: QoS classes and the mClock-style scheduler, as pure arithmetic.
 *
 * Nothing here knows about bios, locks or clocks: requests are a direction
 * and a size, time is a u64 of nanoseconds passed in by the caller. The
 * bio plumbing (dispatch.c) provides the locking and the real clock; the
 * KUnit suites provide a fake one.
 *
 * Model (see dm-vio-design.rst, "QoS"):
 *
 * - Limits are GCRA buckets (the virtual-scheduling form of a token
 *   bucket): a bucket of rate r keeps a theoretical arrival time "tat"; a
 *   request conforms when tat <= now + tolerance, and moves tat to
 *   max(tat, now) + cost / r. A burst (rate m > r for up to L seconds)
 *   is the same bucket with tolerance L * (m - r) / r plus a second bucket
 *   of rate m that caps the burst rate.
 * - Reservations are R-tags: a backlogged class whose R-tag is due
 *   (<= now) is served first, earliest tag first, and its R-tag advances
 *   by cost / reservation. Service above the reservation does not move it.
 * - Weights are start-time fair queueing over virtual time: the P-tag of
 *   a backlogged class is the start tag of its head request, it advances
 *   by cost / weight on every dispatch, and a class that becomes
 *   backlogged starts at the current virtual time (no banked credit).
 *   Among classes that conform to their limits, the smallest P-tag goes.
 *
 * A class thus gets at least its reservation (if the volume can deliver
 * the sum of reservations, which admission control checks), never more
 * than its limits, and the rest in proportion to weight; an idle class's
 * share goes to the others (work-conserving).
 *
 * Inside a class, each backlogged tenant has its own queue, and the
 * class's service is shared equally among them by start-time fair
 * queueing in the class's own virtual time: a tenant's S-tag is the start
 * tag of its head request and advances by the request's cost; the class
 * serves the tenant with the smallest S-tag, and a tenant that becomes
 * backlogged starts at the tag last served. A tenant with one request in
 * flight thus gets as much as one with a hundred queued; the head request
 * of a class (the one its limits are checked against) is the head of its
 * first tenant.
 */
#ifndef DM_VIO_QOS_H
#define DM_VIO_QOS_H

#include <linux/bits.h>
#include <linux/rbtree.h>
#include <linux/time64.h>
#include <linux/types.h>

#include "table.h"

#define VIO_WEIGHT_MIN		1
#define VIO_WEIGHT_MAX		DM_VIO_WEIGHT_MAX
#define VIO_WEIGHT_DEFAULT	100

/* Largest rates accepted: 100M IOPS, 1 PiB/s. */
#define VIO_IOPS_MAX		DM_VIO_IOPS_MAX
#define VIO_BPS_MAX		DM_VIO_BPS_MAX
/* Longest burst, seconds. */
#define VIO_BURST_LEN_MAX	DM_VIO_BURST_LEN_MAX
#define VIO_BURST_LEN_DEFAULT	1
/* Most credit (time ahead of the average rate) a burst can build up. */
#define VIO_BURST_CREDIT_MAX_NS	(1000ULL * 3600 * NSEC_PER_SEC)
/* Largest iops_size normalisation unit, bytes. */
#define VIO_IOPS_SIZE_MAX	((u32)DM_VIO_IOPS_SIZE_MAX)
/* Largest latency target, microseconds (one minute). */
#define VIO_LAT_TARGET_MAX	((u32)DM_VIO_LAT_TARGET_MAX)

/*
 * How far ahead of its rate a bucket may run without a burst configured.
 * It lets a timer that fires a little late release what is due in one
 * batch, instead of waking once per request, and costs at most
 * rate * 10 ms of extra I/O at the start of a busy period.
 */
#define VIO_QOS_SLACK_NS	(10 * NSEC_PER_MSEC)

/*
 * How much rate a class that is kept waiting (by a late timer, a busy
 * dispatcher or a full volume) may make up once it can go: its buckets
 * keep up to this much unused time instead of forgetting it. A class
 * that had nothing queued banks nothing beyond its tolerance.
 */
#define VIO_QOS_CATCHUP_NS	(100 * NSEC_PER_MSEC)

/* The direction a request is charged as. */
enum vio_dir {
	VIO_DIR_READ,
	VIO_DIR_WRITE,
	VIO_DIR_NONE,	/* empty flush: ordered, never charged */
};

/* Limit kinds; a read is charged to RIOPS, IOPS, RBPS and BPS. */
enum vio_lim {
	VIO_LIM_RIOPS,
	VIO_LIM_WIOPS,
	VIO_LIM_IOPS,
	VIO_LIM_RBPS,
	VIO_LIM_WBPS,
	VIO_LIM_BPS,
	VIO_NR_LIMS,
};

enum vio_res {
	VIO_RES_IOPS,
	VIO_RES_BPS,
	VIO_NR_RES,
};

/* A class's parameters, as configured. 0 means "not set". */
struct vio_qos_params {
	u64 res[VIO_NR_RES];		/* reservation, IOPS / bytes per s */
	u32 weight;			/* VIO_WEIGHT_MIN..MAX */
	u32 iops_size;			/* bytes per counted I/O; 0: 1 per I/O */
	u64 lim[VIO_NR_LIMS];		/* average limit, IOPS / bytes per s */
	u64 lim_max[VIO_NR_LIMS];	/* burst rate */
	u32 lim_max_len[VIO_NR_LIMS];	/* burst length, seconds */
	u32 lat_target_us;		/* latency target, microseconds */
	u32 prefer;			/* mirror: arrays to read from first */
	u32 avoid;			/* mirror: arrays to read from last */
};

/* One request, as the scheduler sees it. */
struct vio_req {
	enum vio_dir dir;
	u32 bytes;
	/*
	 * What the request costs beyond the host's view (0 counts as 1): a
	 * mirrored write is @copies array I/Os, and crosses the host's link
	 * @up_copies times (once when the fabric multicasts it).
	 */
	u16 copies;
	u16 up_copies;
};

/* A rate, prepared for the per-request arithmetic (no division there). */
struct vio_rate {
	u64 ns_per_unit;	/* 32.32 fixed point; 0: no such rate */
	u64 tolerance_ns;
};

/* Where a class is in the scheduler. */
enum vio_qstate {
	VIO_Q_IDLE,	/* nothing queued */
	VIO_Q_READY,	/* queued, head conforms to the limits */
	VIO_Q_WAIT,	/* queued, head waits for a limit until ->eligible */
};

/* A backlogged tenant's place in its class's fair queue. */
struct vio_qtenant {
	u64 stag;			/* start tag of its head request */
	struct vio_req head;
	struct rb_node node;		/* in vio_qclass.tenants, by stag */
};

struct vio_qclass {
	struct vio_qos_params p;

	/* derived from p by vio_qclass_set_params() */
	struct vio_rate avg[VIO_NR_LIMS];
	struct vio_rate peak[VIO_NR_LIMS];
	struct vio_rate rsv[VIO_NR_RES];
	u64 vt_per_unit;		/* virtual time per counted I/O */

	/* bucket and tag state, in ns (tags in virtual time) */
	u64 avg_tat[VIO_NR_LIMS];
	u64 peak_tat[VIO_NR_LIMS];
	u64 rtag[VIO_NR_RES];
	u64 ptag;

	/* scheduler membership: owned by the struct vio_sched it is in */
	enum vio_qstate state;
	struct vio_req head;
	u64 eligible;
	struct rb_node pnode;		/* READY: ordered by ptag */
	struct rb_node rnode;		/* READY with a reservation: by R-tag */
	struct rb_node wnode;		/* WAIT: ordered by eligible */

	/* the class's backlogged tenants, by S-tag; head is the first's */
	struct rb_root_cached tenants;
	u64 tvtime;			/* S-tag of the tenant served last */
};

struct vio_sched {
	struct rb_root_cached ready;	/* by P-tag */
	struct rb_root_cached reserved;	/* by earliest R-tag */
	struct rb_root_cached waiting;	/* by eligible time */
	u64 vtime;			/* virtual time: last start tag served */
};

/* What vio_sched_pick() decided. */
struct vio_pick {
	struct vio_qclass *c;	/* NULL: nothing can go now */
	bool reserved;		/* served in the reservation phase */
	u64 wake;		/* when c == NULL: next eligible time, 0: none */
};

void vio_qos_params_default(struct vio_qos_params *p);
int vio_qos_parse(unsigned int argc, char **argv, struct vio_qos_params *p,
		  struct vio_err *err);
int vio_qos_parse_rate(const char *s, bool bytes, u64 *out);
int vio_qos_format(const struct vio_qos_params *p, char *buf, size_t size);
int vio_qos_params_check(const struct vio_qos_params *p, struct vio_err *err);
u64 vio_qos_units(const struct vio_qos_params *p, const struct vio_req *rq);

void vio_qclass_init(struct vio_qclass *c, const struct vio_qos_params *p);
void vio_qclass_set_params(struct vio_qclass *c, const struct vio_qos_params *p);
u64 vio_qclass_eligible(const struct vio_qclass *c, const struct vio_req *rq);
void vio_qclass_charge(struct vio_qclass *c, const struct vio_req *rq,
		       u64 now, u64 vtime, bool reserved, bool waited);
bool vio_qclass_res_due(const struct vio_qclass *c, u64 now);
bool vio_qclass_has_res(const struct vio_qclass *c);

void vio_qtenant_init(struct vio_qtenant *t);
bool vio_qclass_tenant_add(struct vio_qclass *c, struct vio_qtenant *t,
			   const struct vio_req *head, bool fresh);
struct vio_qtenant *vio_qclass_tenant_first(const struct vio_qclass *c);
void vio_qclass_tenant_served(struct vio_qclass *c, struct vio_qtenant *t,
			      const struct vio_req *next);

void vio_sched_init(struct vio_sched *s);
void vio_sched_activate(struct vio_sched *s, struct vio_qclass *c,
			const struct vio_req *head, u64 now);
struct vio_pick vio_sched_pick(struct vio_sched *s, u64 now);
bool vio_sched_res_due(const struct vio_sched *s, u64 now);
bool vio_sched_dispatched(struct vio_sched *s, struct vio_qclass *c,
			  bool reserved, u64 now, const struct vio_req *next);
void vio_sched_rehead(struct vio_sched *s, struct vio_qclass *c,
		      const struct vio_req *head, u64 now);
void vio_sched_reparam(struct vio_sched *s, struct vio_qclass *c,
		       const struct vio_qos_params *p, u64 now);
void vio_sched_remove(struct vio_sched *s, struct vio_qclass *c);

#endif /* DM_VIO_QOS_H */
