/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vio: read selectors of the mirror layout.
 *
 * A selector chooses which in-sync leg serves a read, in the spirit of
 * dm-path-selector.h: a small, pure policy behind one ops struct. It sees
 * a snapshot of each candidate leg's load (struct vio_leg_load) and the
 * time, never a bio or a lock, so KUnit drives it with synthetic loads.
 * The caller (mirror.c) narrows the candidates first: legs in sync, then
 * the bio's class's preferred legs, or all but its avoided ones.
 *
 * round-robin         the least served leg relative to its weight
 * least-outstanding   the fewest reads and writes in flight per weight
 * service-time        the shortest expected wait: (in flight + 1) times
 *                     the leg's recent service time (an EWMA), per weight
 *                     (dm-mpath's historical-service-time)
 *
 * Weights (1 to VIO_LEG_WEIGHT_MAX, default 1) are relative capacities:
 * a leg of weight 2 is expected to serve twice what a leg of weight 1
 * does in the same time.
 */
#ifndef DM_VIO_SELECTOR_H
#define DM_VIO_SELECTOR_H

#include <linux/types.h>
#include <uapi/linux/dm-vio.h>

#define VIO_LEG_WEIGHT_MAX	DM_VIO_LEG_WEIGHT_MAX
#define VIO_LEG_WEIGHT_DEFAULT	1

/*
 * Service-time EWMA: each completion moves the estimate 1/2^3 of the way
 * to the sample, so it follows a change within a few tens of I/Os.
 */
#define VIO_EWMA_SHIFT		3
/*
 * An idle leg's estimate halves every VIO_EWMA_IDLE_HALF_NS without a
 * completion, so a leg that was slow once is tried again now and then and
 * can show that it has recovered (instead of being starved forever).
 */
#define VIO_EWMA_IDLE_HALF_NS	(1000ULL * 1000 * 1000)

/* One leg's load as the selectors see it. */
struct vio_leg_load {
	u32 inflight;		/* I/Os submitted, not yet completed */
	u32 weight;		/* relative capacity, >= 1 */
	u64 served;		/* reads routed to the leg so far */
	u64 ewma_ns;		/* smoothed service time; 0: none measured */
	u64 last_done_ns;	/* time of the last completion */
};

enum vio_sel_kind {
	VIO_SEL_ROUND_ROBIN,
	VIO_SEL_LEAST_OUTSTANDING,
	VIO_SEL_SERVICE_TIME,
	VIO_NR_SELECTORS,
};

struct vio_selector_ops {
	const char *name;
	/*
	 * Choose among @cand (a non-empty bit mask of indices into @legs).
	 * Must not block; returns an index set in @cand. Ties go to the
	 * lowest index.
	 */
	unsigned int (*select)(const struct vio_leg_load *legs,
			       unsigned long cand, u64 now);
};

extern const struct vio_selector_ops vio_selectors[VIO_NR_SELECTORS];

/* Why vio_affinity() chose its candidates (for the vio_route trace). */
enum vio_affinity_why {
	VIO_AFF_INSYNC,			/* the class has no affinity */
	VIO_AFF_PREFERRED,		/* in-sync legs the class prefers */
	VIO_AFF_NOT_AVOIDED,		/* in-sync legs the class does not avoid */
	VIO_AFF_FALLBACK_NOT_AVOIDED,	/* no preferred leg: not avoided */
	VIO_AFF_FALLBACK,		/* nothing better: every in-sync leg */
};

/**
 * vio_affinity() - the legs a read of a class may go to
 * @insync: legs in sync
 * @prefer: legs the class prefers (0: none)
 * @avoid: legs the class avoids (0: none)
 * @why: set to the rule that chose them
 *
 * In order: the preferred legs in sync; else the in-sync legs not
 * avoided; else every in-sync leg, so a read is never refused for an
 * affinity while a leg can serve it. Pure; the caller counts a fallback
 * (vio_affinity_fell_back()).
 *
 * Return: the candidate legs, empty only if @insync is.
 */
static inline unsigned long vio_affinity(unsigned long insync, u32 prefer,
					 u32 avoid, enum vio_affinity_why *why)
{
	unsigned long cand;

	if (prefer) {
		cand = insync & prefer;
		*why = VIO_AFF_PREFERRED;
		if (cand)
			return cand;
	}
	if (avoid) {
		cand = insync & ~(unsigned long)avoid;
		*why = prefer ? VIO_AFF_FALLBACK_NOT_AVOIDED : VIO_AFF_NOT_AVOIDED;
		if (cand)
			return cand;
	}
	*why = prefer || avoid ? VIO_AFF_FALLBACK : VIO_AFF_INSYNC;
	return insync;
}

/* The class wanted other legs than it got. */
static inline bool vio_affinity_fell_back(enum vio_affinity_why why)
{
	return why == VIO_AFF_FALLBACK_NOT_AVOIDED || why == VIO_AFF_FALLBACK;
}

int vio_selector_find(const char *name);
u64 vio_leg_service_ns(const struct vio_leg_load *l, u64 now);
u64 vio_leg_expected_ns(const struct vio_leg_load *l, u64 now);
u64 vio_ewma_update(u64 ewma, u64 sample);

#endif /* DM_VIO_SELECTOR_H */
