// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vio: read selectors of the mirror layout (see selector.h).
 *
 * Every selector minimises a cost per unit of weight. Costs are compared
 * cross-multiplied (a / wa < b / wb as a * wb < b * wa), so there is no
 * division on the read path; the clamps below keep the products inside
 * 64 bits (cost < 2^52, weight <= 1000 < 2^10).
 */
#include <linux/bitops.h>
#include <linux/bitmap.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/string.h>

#include "compat.h"
#include "selector.h"

/* Clamps: 2^16 I/Os in flight, 2^36 ns (about 69 s) of service time. */
#define VIO_SEL_INFLIGHT_MAX	BIT(16)
#define VIO_SEL_EWMA_MAX	BIT_ULL(36)

u64 vio_ewma_update(u64 ewma, u64 sample)
{
	sample = min(sample, VIO_SEL_EWMA_MAX);
	if (!ewma)
		return sample;		/* the first sample is the estimate */
	if (sample >= ewma)
		return ewma + ((sample - ewma) >> VIO_EWMA_SHIFT);
	return ewma - ((ewma - sample) >> VIO_EWMA_SHIFT);
}
EXPORT_SYMBOL_IF_KUNIT(vio_ewma_update);

/*
 * The leg's service time as the selector sees it at @now: its EWMA, which
 * halves every VIO_EWMA_IDLE_HALF_NS the leg stands idle (nothing in
 * flight), so that a leg once slow is tried again. Status and sysfs show
 * this value.
 */
u64 vio_leg_service_ns(const struct vio_leg_load *l, u64 now)
{
	u64 ewma = min(l->ewma_ns, VIO_SEL_EWMA_MAX);

	if (!l->inflight && now > l->last_done_ns) {
		u64 halvings = div64_u64(now - l->last_done_ns,
					 VIO_EWMA_IDLE_HALF_NS);

		ewma = halvings >= 64 ? 0 : ewma >> halvings;
	}
	return ewma;
}
EXPORT_SYMBOL_IF_KUNIT(vio_leg_service_ns);

/*
 * What the next read would wait on this leg: its queue plus itself, each
 * taking the leg's recent service time.
 */
u64 vio_leg_expected_ns(const struct vio_leg_load *l, u64 now)
{
	u64 ewma = vio_leg_service_ns(l, now);
	u32 inflight = min(l->inflight, VIO_SEL_INFLIGHT_MAX);

	/*
	 * A leg with no measurement yet (or whose estimate decayed away)
	 * counts 1 ns per request: unmeasured legs compare by queue length,
	 * as least-outstanding would, and each gets measured soon.
	 */
	return (u64)(inflight + 1) * max(ewma, 1ULL);
}
EXPORT_SYMBOL_IF_KUNIT(vio_leg_expected_ns);

/* The index in @cand with the least cost(leg) / weight(leg). */
static unsigned int vio_sel_min(const struct vio_leg_load *legs,
				unsigned long cand, u64 now,
				u64 (*cost)(const struct vio_leg_load *, u64))
{
	unsigned int best = __ffs(cand), i;
	u64 best_cost = cost(&legs[best], now);

	for_each_set_bit(i, &cand, BITS_PER_LONG) {
		u64 c = cost(&legs[i], now);

		if (c * max(legs[best].weight, 1U) <
		    best_cost * max(legs[i].weight, 1U)) {
			best = i;
			best_cost = c;
		}
	}
	return best;
}

static u64 vio_cost_served(const struct vio_leg_load *l, u64 now)
{
	return min(l->served, BIT_ULL(52));
}

static u64 vio_cost_inflight(const struct vio_leg_load *l, u64 now)
{
	return min(l->inflight, VIO_SEL_INFLIGHT_MAX);
}

static unsigned int vio_sel_rr(const struct vio_leg_load *legs,
			       unsigned long cand, u64 now)
{
	return vio_sel_min(legs, cand, now, vio_cost_served);
}

static unsigned int vio_sel_lo(const struct vio_leg_load *legs,
			       unsigned long cand, u64 now)
{
	return vio_sel_min(legs, cand, now, vio_cost_inflight);
}

static unsigned int vio_sel_st(const struct vio_leg_load *legs,
			       unsigned long cand, u64 now)
{
	return vio_sel_min(legs, cand, now, vio_leg_expected_ns);
}

const struct vio_selector_ops vio_selectors[VIO_NR_SELECTORS] = {
	[VIO_SEL_ROUND_ROBIN]	    = { DM_VIO_SELECTOR_ROUND_ROBIN, vio_sel_rr },
	[VIO_SEL_LEAST_OUTSTANDING] = { DM_VIO_SELECTOR_LEAST_OUTSTANDING, vio_sel_lo },
	[VIO_SEL_SERVICE_TIME]	    = { DM_VIO_SELECTOR_SERVICE_TIME, vio_sel_st },
};
EXPORT_SYMBOL_IF_KUNIT(vio_selectors);

/* Return: the selector's index, or -EINVAL for an unknown name. */
int vio_selector_find(const char *name)
{
	unsigned int k;

	for (k = 0; k < VIO_NR_SELECTORS; k++)
		if (!strcmp(name, vio_selectors[k].name))
			return k;
	return -EINVAL;
}
EXPORT_SYMBOL_IF_KUNIT(vio_selector_find);
