// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the pure pieces of dm-vio's mirror layout: the read
 * selectors, driven with synthetic leg loads and a fake clock; the verdict
 * on a write sent to several legs; and the dirty regions a write marks.
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/limits.h>
#include <linux/math.h>

#include "compat.h"
#include "fabric.h"
#include "mirror.h"
#include "selector.h"

#define USEC		1000ULL
#define MSEC		(1000 * USEC)
#define SEC		(1000 * MSEC)

#define NR_LEGS		4
#define ALL_LEGS	(BIT(NR_LEGS) - 1)

static const char * const sel_names[VIO_NR_SELECTORS] = {
	[VIO_SEL_ROUND_ROBIN] = "round-robin",
	[VIO_SEL_LEAST_OUTSTANDING] = "least-outstanding",
	[VIO_SEL_SERVICE_TIME] = "service-time",
};

static unsigned int sel_pick(unsigned int sel, const struct vio_leg_load *legs,
			     unsigned long cand, u64 now)
{
	return vio_selectors[sel].select(legs, cand, now);
}

/*
 * How far leg @i's count @got strays from its share of @total by weight:
 * in reads, times the sum of the weights @wsum.
 */
static u64 share_error(u64 got, u64 total, u32 weight, u32 wsum)
{
	u64 want = total * weight;

	got *= wsum;
	return got > want ? got - want : want - got;
}

/* ---- Selectors ---- */

/* Names map to their index; anything else is refused. */
static void vio_selector_find_test(struct kunit *test)
{
	static const char * const unknown[] = {
		"", "Round-Robin", "round-robin ", "roundrobin", "service", "queue-length",
	};
	unsigned int k;

	for (k = 0; k < VIO_NR_SELECTORS; k++) {
		KUNIT_EXPECT_STREQ(test, vio_selectors[k].name, sel_names[k]);
		KUNIT_EXPECT_NOT_NULL(test, vio_selectors[k].select);
		KUNIT_EXPECT_EQ(test, vio_selector_find(sel_names[k]), (int)k);
	}
	KUNIT_EXPECT_EQ(test, vio_selector_find(DM_VIO_SELECTOR_ROUND_ROBIN),
			VIO_SEL_ROUND_ROBIN);
	KUNIT_EXPECT_EQ(test, vio_selector_find(DM_VIO_SELECTOR_LEAST_OUTSTANDING),
			VIO_SEL_LEAST_OUTSTANDING);
	KUNIT_EXPECT_EQ(test, vio_selector_find(DM_VIO_SELECTOR_SERVICE_TIME),
			VIO_SEL_SERVICE_TIME);
	for (k = 0; k < ARRAY_SIZE(unknown); k++)
		KUNIT_EXPECT_EQ_MSG(test, vio_selector_find(unknown[k]), -EINVAL,
				    "\"%s\"", unknown[k]);
}

/* The first sample is the estimate; then 1/8 of the way to each sample. */
static void vio_ewma_update_test(struct kunit *test)
{
	const u64 max = 1ULL << 36;

	KUNIT_EXPECT_EQ(test, vio_ewma_update(0, 12345), 12345);
	KUNIT_EXPECT_EQ(test, vio_ewma_update(0, 1), 1);
	KUNIT_EXPECT_EQ(test, vio_ewma_update(1000, 1800), 1100);
	KUNIT_EXPECT_EQ(test, vio_ewma_update(1000, 200), 900);
	KUNIT_EXPECT_EQ(test, vio_ewma_update(1000, 1000), 1000);
	/* Steps below 8 ns round to nothing, either way. */
	KUNIT_EXPECT_EQ(test, vio_ewma_update(1000, 1007), 1000);
	KUNIT_EXPECT_EQ(test, vio_ewma_update(1000, 993), 1000);
	/* Samples are clamped to about 69 s; nothing overflows. */
	KUNIT_EXPECT_EQ(test, vio_ewma_update(0, U64_MAX), max);
	KUNIT_EXPECT_EQ(test, vio_ewma_update(max, U64_MAX), max);
	KUNIT_EXPECT_EQ(test, vio_ewma_update(8, U64_MAX), 8 + ((max - 8) >> 3));
	KUNIT_EXPECT_EQ(test, vio_ewma_update(max, 0), max - (max >> 3));
}

/* A constant sample: the estimate moves monotonically to it, never past. */
static void vio_ewma_converge_test(struct kunit *test)
{
	static const u64 samples[] = { 5 * MSEC, 50 * USEC };
	u64 ewma = vio_ewma_update(0, 1 * MSEC);
	unsigned int s, i;

	KUNIT_ASSERT_EQ(test, ewma, 1 * MSEC);
	for (s = 0; s < ARRAY_SIZE(samples); s++) {
		u64 target = samples[s];
		u64 start = abs_diff(ewma, target);

		for (i = 1; i <= 200; i++) {
			u64 next = vio_ewma_update(ewma, target);

			KUNIT_ASSERT_LE(test, abs_diff(next, target), abs_diff(ewma, target));
			KUNIT_ASSERT_EQ(test, next >= target, ewma >= target);
			/* Half of the way within 6 samples: (7/8)^6 < 1/2. */
			if (i == 6)
				KUNIT_EXPECT_LT(test, abs_diff(next, target), start / 2);
			ewma = next;
		}
		/* There, to within the rounding of one step. */
		KUNIT_EXPECT_LT(test, abs_diff(ewma, target), 8);
	}
}

/* (in flight + 1) x EWMA; an idle leg's EWMA halves every idle second. */
static void vio_leg_expected_ns_test(struct kunit *test)
{
	struct vio_leg_load l = { .weight = 1, .ewma_ns = 2 * MSEC, .last_done_ns = 10 * SEC };

	KUNIT_EXPECT_EQ(test, vio_leg_expected_ns(&l, 10 * SEC), 2 * MSEC);
	KUNIT_EXPECT_EQ(test, vio_leg_expected_ns(&l, 11 * SEC - 1), 2 * MSEC);
	KUNIT_EXPECT_EQ(test, vio_leg_expected_ns(&l, 11 * SEC), 1 * MSEC);
	KUNIT_EXPECT_EQ(test, vio_leg_expected_ns(&l, 13 * SEC), 250 * USEC);
	KUNIT_EXPECT_EQ(test, vio_leg_expected_ns(&l, 10 * SEC + 20 * SEC), 1);
	/* Decayed away: 1 ns per request, the floor. */
	KUNIT_EXPECT_EQ(test, vio_leg_expected_ns(&l, 10 * SEC + 63 * SEC), 1);
	KUNIT_EXPECT_EQ(test, vio_leg_expected_ns(&l, 10 * SEC + 64 * SEC), 1);
	KUNIT_EXPECT_EQ(test, vio_leg_expected_ns(&l, U64_MAX), 1);
	/* A completion stamped after "now" (another CPU's clock): no decay. */
	KUNIT_EXPECT_EQ(test, vio_leg_expected_ns(&l, 1 * SEC), 2 * MSEC);

	/* A busy leg does not decay, however long since its last completion. */
	l.inflight = 3;
	KUNIT_EXPECT_EQ(test, vio_leg_expected_ns(&l, 10 * SEC), 8 * MSEC);
	KUNIT_EXPECT_EQ(test, vio_leg_expected_ns(&l, 100 * SEC), 8 * MSEC);

	/* Nothing measured yet: 1 ns per request, so queues still count. */
	l.ewma_ns = 0;
	KUNIT_EXPECT_EQ(test, vio_leg_expected_ns(&l, 10 * SEC), 4);

	/* Clamped to 2^16 in flight and 2^36 ns: no overflow. */
	l.inflight = U32_MAX;
	l.ewma_ns = U64_MAX;
	KUNIT_EXPECT_EQ(test, vio_leg_expected_ns(&l, 10 * SEC), ((1ULL << 16) + 1) << 36);
	l.inflight = 0;
	KUNIT_EXPECT_EQ(test, vio_leg_expected_ns(&l, 10 * SEC), 1ULL << 36);
	KUNIT_EXPECT_EQ(test, vio_leg_expected_ns(&l, 12 * SEC), 1ULL << 34);
}

/* What status shows: the decayed EWMA itself, without the 1 ns floor. */
static void vio_leg_service_ns_test(struct kunit *test)
{
	struct vio_leg_load l = { .weight = 1, .ewma_ns = 4 * MSEC, .last_done_ns = 10 * SEC };

	KUNIT_EXPECT_EQ(test, vio_leg_service_ns(&l, 10 * SEC), 4 * MSEC);
	KUNIT_EXPECT_EQ(test, vio_leg_service_ns(&l, 12 * SEC), 1 * MSEC);
	KUNIT_EXPECT_EQ(test, vio_leg_service_ns(&l, 10 * SEC + 40 * SEC), 0);
	/* In flight: what the last completions measured, not decayed. */
	l.inflight = 1;
	KUNIT_EXPECT_EQ(test, vio_leg_service_ns(&l, 12 * SEC), 4 * MSEC);
	/* Nothing measured: 0. */
	l.ewma_ns = 0;
	KUNIT_EXPECT_EQ(test, vio_leg_service_ns(&l, 12 * SEC), 0);
}

/* Unmeasured legs compare by queue length, and beat a measured one. */
static void vio_selector_st_unmeasured_test(struct kunit *test)
{
	struct vio_leg_load legs[2] = {
		{ .inflight = 1000, .weight = 1 },
		{ .inflight = 0, .weight = 1 },
	};

	KUNIT_EXPECT_EQ(test, sel_pick(VIO_SEL_SERVICE_TIME, legs, 0x3, SEC), 1);
	legs[1].inflight = 1001;
	KUNIT_EXPECT_EQ(test, sel_pick(VIO_SEL_SERVICE_TIME, legs, 0x3, SEC), 0);
	/* A measured leg at 50 us loses to an unmeasured one with a queue. */
	legs[0] = (struct vio_leg_load){ .inflight = 0, .weight = 1,
					 .ewma_ns = 50 * USEC, .last_done_ns = SEC };
	legs[1] = (struct vio_leg_load){ .inflight = 8, .weight = 1 };
	KUNIT_EXPECT_EQ(test, sel_pick(VIO_SEL_SERVICE_TIME, legs, 0x3, SEC), 1);
}

/* Equal loads: every selector picks the lowest index of the candidates. */
static void vio_selector_ties_test(struct kunit *test)
{
	struct vio_leg_load legs[NR_LEGS];
	unsigned long cand;
	unsigned int sel, i;

	for (i = 0; i < NR_LEGS; i++)
		legs[i] = (struct vio_leg_load){ .inflight = 2, .weight = 3, .served = 7,
						 .ewma_ns = 100 * USEC, .last_done_ns = SEC };
	for (sel = 0; sel < VIO_NR_SELECTORS; sel++)
		for (cand = 1; cand <= ALL_LEGS; cand++)
			KUNIT_EXPECT_EQ_MSG(test, sel_pick(sel, legs, cand, SEC), __ffs(cand),
					    "%s, candidates %#lx", sel_names[sel], cand);

	/* Equal per weight: 4 / 2 == 2 / 1, either way round. */
	legs[0] = (struct vio_leg_load){ .inflight = 4, .weight = 2, .served = 4,
					 .ewma_ns = 100 * USEC, .last_done_ns = SEC };
	legs[1] = (struct vio_leg_load){ .inflight = 2, .weight = 1, .served = 2,
					 .ewma_ns = 100 * USEC, .last_done_ns = SEC };
	for (sel = 0; sel < VIO_NR_SELECTORS; sel++) {
		if (sel == VIO_SEL_SERVICE_TIME)
			continue;	/* (4 + 1) / 2 != (2 + 1) / 1 */
		KUNIT_EXPECT_EQ(test, sel_pick(sel, legs, 0x3, SEC), 0);
		swap(legs[0], legs[1]);
		KUNIT_EXPECT_EQ(test, sel_pick(sel, legs, 0x3, SEC), 0);
		swap(legs[0], legs[1]);
	}
	/* Service time: (3 + 1) x 100 us / 2 == (1 + 1) x 100 us / 1. */
	legs[0].inflight = 3;
	legs[1].inflight = 1;
	KUNIT_EXPECT_EQ(test, sel_pick(VIO_SEL_SERVICE_TIME, legs, 0x3, SEC), 0);
	swap(legs[0], legs[1]);
	KUNIT_EXPECT_EQ(test, sel_pick(VIO_SEL_SERVICE_TIME, legs, 0x3, SEC), 0);

	/* A weight of 0 counts as 1. */
	legs[0] = (struct vio_leg_load){ .inflight = 5, .weight = 0, .served = 5,
					 .ewma_ns = 100 * USEC, .last_done_ns = SEC };
	legs[1] = (struct vio_leg_load){ .inflight = 5, .weight = 1, .served = 5,
					 .ewma_ns = 100 * USEC, .last_done_ns = SEC };
	for (sel = 0; sel < VIO_NR_SELECTORS; sel++) {
		KUNIT_EXPECT_EQ(test, sel_pick(sel, legs, 0x3, SEC), 0);
		swap(legs[0], legs[1]);
		KUNIT_EXPECT_EQ(test, sel_pick(sel, legs, 0x3, SEC), 0);
		swap(legs[0], legs[1]);
	}
}

/*
 * Only candidates are chosen, and the best of them: with the legs ranked
 * 3 < 1 < 2 < 0 by every selector's cost, each non-empty mask gets its
 * best-ranked member, though a better leg outside it is idle.
 */
static void vio_selector_mask_test(struct kunit *test)
{
	static const unsigned int rank[NR_LEGS] = { 3, 1, 2, 0 };
	struct vio_leg_load legs[NR_LEGS];
	unsigned long cand;
	unsigned int sel, i;

	for (i = 0; i < NR_LEGS; i++)
		legs[i] = (struct vio_leg_load){ .inflight = rank[i], .weight = 1,
						 .served = 10 * rank[i],
						 .ewma_ns = 100 * USEC, .last_done_ns = SEC };
	for (sel = 0; sel < VIO_NR_SELECTORS; sel++) {
		for (cand = 1; cand <= ALL_LEGS; cand++) {
			unsigned int want = __ffs(cand), got;

			for_each_set_bit(i, &cand, NR_LEGS)
				if (rank[i] < rank[want])
					want = i;
			got = sel_pick(sel, legs, cand, SEC);
			KUNIT_EXPECT_TRUE_MSG(test, cand & BIT(got), "%s, candidates %#lx: %u",
					      sel_names[sel], cand, got);
			KUNIT_EXPECT_EQ_MSG(test, got, want, "%s, candidates %#lx",
					    sel_names[sel], cand);
		}
	}
}

/*
 * Round-robin over a simulated run of 300 turns of @weights: each read
 * goes to the chosen leg, and at every step each leg's count stays within
 * one read of its share.
 */
static void rr_run(struct kunit *test, const u32 *weights, unsigned int n)
{
	struct vio_leg_load legs[NR_LEGS] = {};
	unsigned long cand = BIT(n) - 1;
	unsigned int i, k, got;
	u32 wsum = 0;

	for (i = 0; i < n; i++) {
		legs[i].weight = weights[i];
		legs[i].inflight = 100 * i;	/* ignored by round-robin */
		wsum += weights[i];
	}
	for (k = 1; k <= 300 * wsum; k++) {
		legs[sel_pick(VIO_SEL_ROUND_ROBIN, legs, cand, k)].served++;
		for (i = 0; i < n; i++) {
			got = legs[i].served;
			KUNIT_ASSERT_LE_MSG(test, share_error(got, k, weights[i], wsum), wsum,
					    "weight %u of %u: %u of %u reads", weights[i], wsum,
					    got, k);
		}
	}
	/* Every turn of the weights, the shares are exact. */
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, legs[i].served, 300ULL * weights[i]);
}

static void vio_selector_rr_weights_test(struct kunit *test)
{
	static const u32 weights[][NR_LEGS] = {
		{ 2, 1 }, { 1, 2 }, { 1, 1, 1, 1 }, { 3, 2, 1, 1 }, { 1000, 1 },
	};
	unsigned int w, n;

	for (w = 0; w < ARRAY_SIZE(weights); w++) {
		n = 0;
		while (n < NR_LEGS && weights[w][n])
			n++;
		rr_run(test, weights[w], n);
	}
}

/*
 * Least-outstanding: reads pile up in proportion to the weights; a leg
 * whose reads complete gets the next ones.
 */
static void vio_selector_lo_weights_test(struct kunit *test)
{
	struct vio_leg_load legs[3] = {
		{ .weight = 2, .served = 0 },
		{ .weight = 1, .served = 0 },
		{ .weight = 1, .served = 1000 },	/* ignored */
	};
	unsigned int i, k;

	for (k = 1; k <= 400; k++) {
		legs[sel_pick(VIO_SEL_LEAST_OUTSTANDING, legs, 0x7, 0)].inflight++;
		for (i = 0; i < 3; i++)
			KUNIT_ASSERT_LE_MSG(test,
					    share_error(legs[i].inflight, k, legs[i].weight, 4), 4,
					    "leg %u after %u reads", i, k);
	}
	KUNIT_EXPECT_EQ(test, legs[0].inflight, 200);
	KUNIT_EXPECT_EQ(test, legs[1].inflight, 100);
	KUNIT_EXPECT_EQ(test, legs[2].inflight, 100);

	/* Leg 2 completes 10: the next 10 reads go there, then leg 0. */
	legs[2].inflight -= 10;
	for (k = 0; k < 10; k++) {
		i = sel_pick(VIO_SEL_LEAST_OUTSTANDING, legs, 0x7, 0);
		KUNIT_EXPECT_EQ(test, i, 2);
		legs[i].inflight++;
	}
	KUNIT_EXPECT_EQ(test, sel_pick(VIO_SEL_LEAST_OUTSTANDING, legs, 0x7, 0), 0);
	/* 5 / 2 < 3 / 1: the heavier leg, though it has more in flight. */
	legs[0].inflight = 5;
	legs[1].inflight = 3;
	KUNIT_EXPECT_EQ(test, sel_pick(VIO_SEL_LEAST_OUTSTANDING, legs, 0x3, 0), 0);
	legs[0].inflight = 7;
	KUNIT_EXPECT_EQ(test, sel_pick(VIO_SEL_LEAST_OUTSTANDING, legs, 0x3, 0), 1);
}

/*
 * Service time: reads stay on a 50 us leg beside a 2 ms one until the
 * fast leg's queue makes it the slower bet: (in flight + 1) x 50 us
 * beyond 2 ms. At exactly 2 ms, the tie goes to the lower index.
 */
static void vio_selector_st_fast_slow_test(struct kunit *test)
{
	unsigned int fast, k;

	for (fast = 0; fast < 2; fast++) {
		struct vio_leg_load legs[2];
		unsigned int slow = !fast, i;

		legs[fast] = (struct vio_leg_load){ .weight = 1, .ewma_ns = 50 * USEC,
						    .last_done_ns = SEC };
		legs[slow] = (struct vio_leg_load){ .weight = 1, .ewma_ns = 2 * MSEC,
						    .last_done_ns = SEC };
		for (k = 0; k < 100; k++) {
			i = sel_pick(VIO_SEL_SERVICE_TIME, legs, 0x3, SEC);
			if (i != fast)
				break;
			legs[i].inflight++;
		}
		/* 40 x 50 us == 2 ms: 39 in flight ties, the 40th does not. */
		KUNIT_EXPECT_EQ_MSG(test, legs[fast].inflight, fast ? 39 : 40, "fast leg %u",
				    fast);
		KUNIT_EXPECT_EQ(test, i, slow);

		/* A completion on the fast leg brings the next read back. */
		legs[fast].inflight -= 2;
		KUNIT_EXPECT_EQ(test, sel_pick(VIO_SEL_SERVICE_TIME, legs, 0x3, SEC), fast);
		/* Once the slow leg has one in flight it costs 4 ms. */
		legs[fast].inflight = 60;
		legs[slow].inflight = 1;
		KUNIT_EXPECT_EQ(test, sel_pick(VIO_SEL_SERVICE_TIME, legs, 0x3, SEC), fast);
		legs[fast].inflight = 80;
		KUNIT_EXPECT_EQ(test, sel_pick(VIO_SEL_SERVICE_TIME, legs, 0x3, SEC), slow);
	}
}

/* Service time with weights 1:3 and equal speed: queues 1:3. */
static void vio_selector_st_weights_test(struct kunit *test)
{
	struct vio_leg_load legs[2] = {
		{ .weight = 1, .ewma_ns = 100 * USEC, .last_done_ns = SEC },
		{ .weight = 3, .ewma_ns = 100 * USEC, .last_done_ns = SEC },
	};
	unsigned int k;

	for (k = 1; k <= 400; k++) {
		legs[sel_pick(VIO_SEL_SERVICE_TIME, legs, 0x3, SEC)].inflight++;
		KUNIT_ASSERT_LE_MSG(test, share_error(legs[1].inflight, k, 3, 4), 4,
				    "after %u reads", k);
	}
	KUNIT_EXPECT_EQ(test, legs[0].inflight, 100);
	KUNIT_EXPECT_EQ(test, legs[1].inflight, 300);
}

/*
 * A leg that was slow once (2 ms) and then left idle is tried again once
 * its estimate has decayed below the busy fast leg's 50 us: after 6 idle
 * seconds (2 ms / 2^6 < 50 us < 2 ms / 2^5), not before. The read it is
 * sent puts it back at its full estimate until it completes.
 */
static void vio_selector_st_idle_decay_test(struct kunit *test)
{
	const u64 t0 = 5 * SEC;
	struct vio_leg_load legs[2] = {
		{ .weight = 1, .ewma_ns = 2 * MSEC, .last_done_ns = t0 },
		{ .weight = 1, .ewma_ns = 50 * USEC },
	};
	unsigned int s;

	for (s = 0; s <= 5; s++) {
		legs[1].last_done_ns = t0 + s * SEC;	/* the fast leg keeps completing */
		KUNIT_EXPECT_EQ_MSG(test, sel_pick(VIO_SEL_SERVICE_TIME, legs, 0x3, t0 + s * SEC),
				    1, "after %u idle seconds", s);
	}
	legs[1].last_done_ns = t0 + 6 * SEC - 1;
	KUNIT_EXPECT_EQ(test, sel_pick(VIO_SEL_SERVICE_TIME, legs, 0x3, t0 + 6 * SEC - 1), 1);
	legs[1].last_done_ns = t0 + 6 * SEC;
	KUNIT_EXPECT_EQ(test, sel_pick(VIO_SEL_SERVICE_TIME, legs, 0x3, t0 + 6 * SEC), 0);

	/* Tried once: back to (1 + 1) x 2 ms until it completes. */
	legs[0].inflight = 1;
	KUNIT_EXPECT_EQ(test, sel_pick(VIO_SEL_SERVICE_TIME, legs, 0x3, t0 + 6 * SEC), 1);
	/* One read in 100 us is not enough to win it back; a run of them is. */
	legs[0].inflight = 0;
	legs[0].ewma_ns = vio_ewma_update(legs[0].ewma_ns, 100 * USEC);
	legs[0].last_done_ns = t0 + 6 * SEC;
	KUNIT_EXPECT_EQ(test, legs[0].ewma_ns, 2 * MSEC - (1900 * USEC >> 3));
	KUNIT_EXPECT_EQ(test, sel_pick(VIO_SEL_SERVICE_TIME, legs, 0x3, t0 + 6 * SEC), 1);
	for (s = 0; s < 40; s++)
		legs[0].ewma_ns = vio_ewma_update(legs[0].ewma_ns, 20 * USEC);
	KUNIT_EXPECT_EQ(test, sel_pick(VIO_SEL_SERVICE_TIME, legs, 0x3, t0 + 6 * SEC), 0);
}

/*
 * Loads far beyond the clamps (2^16 in flight, 2^36 ns, 2^52 served) do
 * not overflow the weighted comparison: a modest leg still beats a
 * saturated one of any weight, and between two saturated legs the
 * heavier one wins, in either order.
 */
static void vio_selector_clamp_test(struct kunit *test)
{
	const struct vio_leg_load huge = {
		.inflight = U32_MAX, .weight = VIO_LEG_WEIGHT_MAX, .served = U64_MAX,
		.ewma_ns = U64_MAX, .last_done_ns = SEC,
	};
	const struct vio_leg_load modest = {
		.inflight = 50, .weight = 1, .served = 1ULL << 40,
		.ewma_ns = 1 * SEC, .last_done_ns = SEC,
	};
	struct vio_leg_load legs[2];
	unsigned int sel;

	for (sel = 0; sel < VIO_NR_SELECTORS; sel++) {
		legs[0] = huge;
		legs[1] = modest;
		KUNIT_EXPECT_EQ_MSG(test, sel_pick(sel, legs, 0x3, SEC), 1, "%s", sel_names[sel]);
		legs[0] = modest;
		legs[1] = huge;
		KUNIT_EXPECT_EQ_MSG(test, sel_pick(sel, legs, 0x3, SEC), 0, "%s", sel_names[sel]);

		legs[0] = huge;
		legs[1] = huge;
		legs[0].weight = 1;
		KUNIT_EXPECT_EQ_MSG(test, sel_pick(sel, legs, 0x3, SEC), 1, "%s", sel_names[sel]);
		swap(legs[0], legs[1]);
		KUNIT_EXPECT_EQ_MSG(test, sel_pick(sel, legs, 0x3, SEC), 0, "%s", sel_names[sel]);
	}
}

/* ---- Class affinity: prefer, avoid, fallback ---- */

struct affinity_case {
	const char *name;
	unsigned long insync;
	u32 prefer, avoid;
	unsigned long cand;
	enum vio_affinity_why why;
};

static const struct affinity_case affinity_cases[] = {
	{ "no affinity", 0x3, 0, 0, 0x3, VIO_AFF_INSYNC },
	{ "no affinity, leg 0 failed", 0x2, 0, 0, 0x2, VIO_AFF_INSYNC },
	{ "prefer the fast leg", 0x3, 0x1, 0, 0x1, VIO_AFF_PREFERRED },
	{ "prefer two of three", 0x7, 0x5, 0, 0x5, VIO_AFF_PREFERRED },
	{ "preferred leg failed", 0x2, 0x1, 0, 0x2, VIO_AFF_FALLBACK },
	{ "one preferred leg failed", 0x6, 0x5, 0, 0x4, VIO_AFF_PREFERRED },
	{ "avoid the fast leg", 0x3, 0, 0x1, 0x2, VIO_AFF_NOT_AVOIDED },
	{ "avoid all but one", 0x7, 0, 0x3, 0x4, VIO_AFF_NOT_AVOIDED },
	{ "only avoided legs left", 0x1, 0, 0x1, 0x1, VIO_AFF_FALLBACK },
	{ "avoided leg failed", 0x2, 0, 0x1, 0x2, VIO_AFF_NOT_AVOIDED },
	{ "prefer and avoid", 0x7, 0x1, 0x2, 0x1, VIO_AFF_PREFERRED },
	{ "preferred failed, not avoided", 0x6, 0x1, 0x2, 0x4,
	  VIO_AFF_FALLBACK_NOT_AVOIDED },
	{ "preferred failed, only avoided", 0x2, 0x1, 0x2, 0x2, VIO_AFF_FALLBACK },
	{ "prefer a leg beyond the mirror", 0x3, 0x4, 0, 0x3, VIO_AFF_FALLBACK },
	{ "no leg in sync", 0x0, 0x1, 0x2, 0x0, VIO_AFF_FALLBACK },
};

static void affinity_case_desc(const struct affinity_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(affinity, affinity_cases, affinity_case_desc);

static void vio_affinity_test(struct kunit *test)
{
	const struct affinity_case *c = test->param_value;
	enum vio_affinity_why why = -1;

	KUNIT_EXPECT_EQ(test, vio_affinity(c->insync, c->prefer, c->avoid, &why),
			c->cand);
	KUNIT_EXPECT_EQ(test, why, c->why);
	KUNIT_EXPECT_EQ(test, vio_affinity_fell_back(why),
			c->why == VIO_AFF_FALLBACK ||
			c->why == VIO_AFF_FALLBACK_NOT_AVOIDED);
}

/*
 * Every combination over 4 legs: the candidates are in sync; non-empty
 * while a leg is in sync; preferred legs whenever one is in sync, else no
 * avoided leg whenever another is in sync; a fallback only then.
 */
static void vio_affinity_all_test(struct kunit *test)
{
	unsigned long insync, cand, want;
	enum vio_affinity_why why;
	u32 prefer, avoid;

	for (insync = 0; insync <= ALL_LEGS; insync++) {
		for (prefer = 0; prefer <= ALL_LEGS; prefer++) {
			for (avoid = 0; avoid <= ALL_LEGS; avoid++) {
				bool pref_ok = insync & prefer;
				bool avoid_ok = insync & ~(unsigned long)avoid;

				cand = vio_affinity(insync, prefer, avoid, &why);
				KUNIT_ASSERT_EQ(test, cand & ~insync, 0UL);
				KUNIT_ASSERT_EQ(test, !cand, !insync);
				if (pref_ok)
					want = insync & prefer;
				else if (avoid && avoid_ok)
					want = insync & ~(unsigned long)avoid;
				else
					want = insync;
				KUNIT_ASSERT_EQ(test, cand, want);
				KUNIT_ASSERT_EQ(test, vio_affinity_fell_back(why),
						(prefer && !pref_ok) ||
						(!prefer && avoid && !avoid_ok));
			}
		}
	}
}

static struct kunit_case vio_selector_test_cases[] = {
	KUNIT_CASE(vio_selector_find_test),
	KUNIT_CASE(vio_ewma_update_test),
	KUNIT_CASE(vio_ewma_converge_test),
	KUNIT_CASE(vio_leg_expected_ns_test),
	KUNIT_CASE(vio_leg_service_ns_test),
	KUNIT_CASE(vio_selector_st_unmeasured_test),
	KUNIT_CASE(vio_selector_ties_test),
	KUNIT_CASE(vio_selector_mask_test),
	KUNIT_CASE(vio_selector_rr_weights_test),
	KUNIT_CASE(vio_selector_lo_weights_test),
	KUNIT_CASE(vio_selector_st_fast_slow_test),
	KUNIT_CASE(vio_selector_st_weights_test),
	KUNIT_CASE(vio_selector_st_idle_decay_test),
	KUNIT_CASE(vio_selector_clamp_test),
	KUNIT_CASE_PARAM(vio_affinity_test, affinity_gen_params),
	KUNIT_CASE(vio_affinity_all_test),
	{}
};

static struct kunit_suite vio_selector_test_suite = {
	.name = "dm_vio_selector",
	.test_cases = vio_selector_test_cases,
};

/* ---- Fan-out verdict ---- */

struct verdict_case {
	const char *name;
	unsigned long sent, insync, errors;
	bool ok;
	unsigned long to_fail;
};

static const struct verdict_case verdict_cases[] = {
	{ "all succeed", 0x7, 0x7, 0x0, true, 0x0 },
	{ "one fails", 0x7, 0x7, 0x2, true, 0x2 },
	{ "all but one fail", 0x7, 0x7, 0x6, true, 0x6 },
	{ "all fail", 0x7, 0x7, 0x7, false, 0x0 },
	{ "only a recovering leg took it", 0x7, 0x3, 0x3, false, 0x0 },
	{ "recovering leg fails", 0x7, 0x3, 0x4, true, 0x4 },
	{ "mixed", 0xf, 0x3, 0x6, true, 0x6 },
	{ "single in-sync leg fails", 0x3, 0x1, 0x1, false, 0x0 },
	{ "in-sync leg not sent to", 0x2, 0x3, 0x2, false, 0x0 },
	{ "errors of legs not sent to", 0x3, 0x3, 0xc, true, 0x0 },
	{ "eight legs, last one stands", 0xff, 0x80, 0x7f, true, 0x7f },
	{ "nothing sent", 0x0, 0x3, 0x0, false, 0x0 },
	/*
	 * A FUA write fans out like any write; the empty flushes dm sends
	 * ahead of it go to each leg on their own (num_flush_bios) and fail
	 * only their leg. Its verdict is the same.
	 */
	{ "FUA write, all succeed", 0x3, 0x3, 0x0, true, 0x0 },
	{ "FUA write, recovering leg fails", 0x3, 0x1, 0x2, true, 0x2 },
	{ "FUA write, the in-sync leg fails", 0x3, 0x1, 0x1, false, 0x0 },
};

static void verdict_case_desc(const struct verdict_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(verdict, verdict_cases, verdict_case_desc);

static void vio_fanout_verdict_test(struct kunit *test)
{
	const struct verdict_case *c = test->param_value;
	unsigned long to_fail = ~0UL;

	KUNIT_EXPECT_EQ(test, vio_fanout_verdict(c->sent, c->insync, c->errors, &to_fail),
			c->ok);
	KUNIT_EXPECT_EQ(test, to_fail, c->to_fail);
}

/*
 * Every combination over 3 legs: the write stands iff an in-sync leg it
 * was sent to took it; then exactly the legs that erred are failed.
 */
static void vio_fanout_verdict_all_test(struct kunit *test)
{
	unsigned long sent, insync, errors, to_fail;
	unsigned int i;

	for (sent = 0; sent < 8; sent++) {
		for (insync = 0; insync < 8; insync++) {
			for (errors = 0; errors < 8; errors++) {
				bool want = false;

				for (i = 0; i < 3; i++)
					if ((sent & BIT(i)) && (insync & BIT(i)) &&
					    !(errors & BIT(i)))
						want = true;
				to_fail = ~0UL;
				KUNIT_ASSERT_EQ(test,
						vio_fanout_verdict(sent, insync, errors, &to_fail),
						want);
				KUNIT_ASSERT_EQ(test, to_fail, want ? sent & errors : 0);
			}
		}
	}
}

static struct kunit_case vio_fanout_test_cases[] = {
	KUNIT_CASE_PARAM(vio_fanout_verdict_test, verdict_gen_params),
	KUNIT_CASE(vio_fanout_verdict_all_test),
	{}
};

static struct kunit_suite vio_fanout_test_suite = {
	.name = "dm_vio_fanout",
	.test_cases = vio_fanout_test_cases,
};

/* ---- Dirty regions ---- */

struct regions_case {
	sector_t sector, nr;
	unsigned int shift;
	unsigned long first, last;
};

static const struct regions_case regions_cases[] = {
	{ 0, 1, 11, 0, 0 },
	{ 0, 2048, 11, 0, 0 },			/* ends exactly at a region end */
	{ 2047, 1, 11, 0, 0 },
	{ 2048, 1, 11, 1, 1 },			/* starts at a region */
	{ 2048, 2048, 11, 1, 1 },
	{ 2047, 2, 11, 0, 1 },			/* spans two */
	{ 0, 2049, 11, 0, 1 },
	{ 1000, 3 * 2048, 11, 0, 3 },
	{ 4096, 8, 3, 512, 512 },
	{ 7, 2, 3, 0, 1 },
	{ 1ULL << 40, 8, 22, 1UL << 18, 1UL << 18 },
	{ (1ULL << 40) - 1, 2, 22, (1UL << 18) - 1, 1UL << 18 },
};

static void regions_case_desc(const struct regions_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%llu+%llu, region 2^%u",
		 (unsigned long long)c->sector, (unsigned long long)c->nr, c->shift);
}

KUNIT_ARRAY_PARAM(regions, regions_cases, regions_case_desc);

static void vio_regions_of_test(struct kunit *test)
{
	const struct regions_case *c = test->param_value;
	unsigned long first = ~0UL, last = ~0UL;

	vio_regions_of(c->sector, c->nr, c->shift, &first, &last);
	KUNIT_EXPECT_EQ(test, first, c->first);
	KUNIT_EXPECT_EQ(test, last, c->last);
}

/*
 * 8-sector regions, every range within 64 sectors: the regions returned
 * are exactly those holding a sector of the range.
 */
static void vio_regions_of_brute_force_test(struct kunit *test)
{
	sector_t s, nr, k;

	for (s = 0; s < 64; s++) {
		for (nr = 1; s + nr <= 64; nr++) {
			unsigned long first, last, r;
			bool hit[8] = {};

			for (k = s; k < s + nr; k++)
				hit[k / 8] = true;
			vio_regions_of(s, nr, 3, &first, &last);
			KUNIT_ASSERT_LE(test, first, last);
			KUNIT_ASSERT_LT(test, last, 8);
			for (r = 0; r < 8; r++)
				KUNIT_ASSERT_EQ_MSG(test, hit[r], r >= first && r <= last,
						    "%llu+%llu, region %lu", (u64)s, (u64)nr, r);
		}
	}
}

#define NR_REGIONS	130

KUNIT_DEFINE_ACTION_WRAPPER(bitmap_free_action, bitmap_free, const unsigned long *);

/* A leg with an empty bitmap of NR_REGIONS regions, freed with the test. */
static void leg_init(struct kunit *test, struct vio_leg *l)
{
	memset(l, 0, sizeof(*l));
	l->dirty = bitmap_zalloc(NR_REGIONS, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, l->dirty);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, bitmap_free_action, l->dirty), 0);
}

static void expect_dirty(struct kunit *test, struct vio_leg *l, long nr)
{
	KUNIT_EXPECT_EQ(test, atomic_long_read(&l->nr_dirty), nr);
	KUNIT_EXPECT_EQ(test, bitmap_weight(l->dirty, NR_REGIONS), nr);
}

static void vio_leg_mark_test(struct kunit *test)
{
	unsigned long first, last;
	struct vio_leg l;

	leg_init(test, &l);
	expect_dirty(test, &l, 0);

	vio_leg_mark(&l, 0, 0);
	expect_dirty(test, &l, 1);
	KUNIT_EXPECT_TRUE(test, test_bit(0, l.dirty));
	KUNIT_EXPECT_FALSE(test, test_bit(1, l.dirty));
	/* Marking again counts nothing. */
	vio_leg_mark(&l, 0, 0);
	expect_dirty(test, &l, 1);

	vio_leg_mark(&l, 5, 9);
	expect_dirty(test, &l, 6);
	KUNIT_EXPECT_EQ(test, find_next_bit(l.dirty, NR_REGIONS, 1), 5);
	KUNIT_EXPECT_EQ(test, find_next_zero_bit(l.dirty, NR_REGIONS, 5), 10);
	/* Overlapping: only 3 and 4 are new. */
	vio_leg_mark(&l, 3, 7);
	expect_dirty(test, &l, 8);
	KUNIT_EXPECT_FALSE(test, test_bit(2, l.dirty));
	vio_leg_mark(&l, 3, 9);
	expect_dirty(test, &l, 8);

	/* Across a word, and the last region. */
	vio_leg_mark(&l, BITS_PER_LONG - 1, BITS_PER_LONG);
	expect_dirty(test, &l, 10);
	vio_leg_mark(&l, NR_REGIONS - 1, NR_REGIONS - 1);
	expect_dirty(test, &l, 11);
	KUNIT_EXPECT_TRUE(test, test_bit(NR_REGIONS - 1, l.dirty));
	KUNIT_EXPECT_FALSE(test, test_bit(NR_REGIONS - 2, l.dirty));

	/* A write of 2 sectors across a 2048-sector region edge: both regions. */
	vio_regions_of(20 * 2048 - 1, 2, 11, &first, &last);
	vio_leg_mark(&l, first, last);
	expect_dirty(test, &l, 13);
	KUNIT_EXPECT_TRUE(test, test_bit(19, l.dirty));
	KUNIT_EXPECT_TRUE(test, test_bit(20, l.dirty));
	KUNIT_EXPECT_FALSE(test, test_bit(21, l.dirty));

	/* Everything. */
	vio_leg_mark(&l, 0, NR_REGIONS - 1);
	expect_dirty(test, &l, NR_REGIONS);
	KUNIT_EXPECT_TRUE(test, bitmap_full(l.dirty, NR_REGIONS));
	vio_leg_mark(&l, 0, NR_REGIONS - 1);
	expect_dirty(test, &l, NR_REGIONS);
}

/*
 * A pseudo-random sequence of overlapping ranges against a plain array:
 * the bitmap holds their union and nr_dirty counts it, at every step.
 */
static void vio_leg_mark_sequence_test(struct kunit *test)
{
	bool want[NR_REGIONS] = {};
	unsigned long r, first, last;
	u32 x = 12345;
	unsigned int k;
	struct vio_leg l;
	long count = 0;

	leg_init(test, &l);
	for (k = 0; k < 50; k++) {
		x = x * 1103515245 + 12345;
		first = (x >> 8) % NR_REGIONS;
		x = x * 1103515245 + 12345;
		last = min_t(unsigned long, first + (x >> 8) % 9, NR_REGIONS - 1);
		vio_leg_mark(&l, first, last);
		for (r = first; r <= last; r++) {
			if (!want[r])
				count++;
			want[r] = true;
		}
		KUNIT_ASSERT_EQ(test, atomic_long_read(&l.nr_dirty), count);
		KUNIT_ASSERT_EQ(test, bitmap_weight(l.dirty, NR_REGIONS), count);
		for (r = 0; r < NR_REGIONS; r++)
			KUNIT_ASSERT_EQ_MSG(test, test_bit(r, l.dirty), want[r],
					    "region %lu after %u ranges", r, k + 1);
	}
	/* The sequence did overlap, and left gaps. */
	KUNIT_EXPECT_GT(test, count, 20);
	KUNIT_EXPECT_LT(test, count, NR_REGIONS);
}

/*
 * A leg's dirty regions carried from one table to the next: a new region
 * is dirty exactly when one of its sectors was in an old dirty region, or
 * (unless the grown part is clean) lies past the old end. Checked sector
 * by sector against every combination of region sizes (2 to 64 sectors),
 * lengths that shrink, stay and grow, and pseudo-random old bitmaps.
 */
#define CARRY_MAX_SECTORS	1000

static bool carry_want(const unsigned long *old, sector_t old_len,
		       unsigned int old_shift, sector_t s, sector_t e,
		       bool grown_clean)
{
	sector_t x;

	for (x = s; x < e; x++) {
		if (x >= old_len) {
			if (!grown_clean)
				return true;
		} else if (test_bit(x >> old_shift, old)) {
			return true;
		}
	}
	return false;
}

/* One old and one new geometry, the old bitmap pseudo-random from @x. */
static void carry_check(struct kunit *test, unsigned long *old,
			unsigned long *dirty, unsigned int os, sector_t old_len,
			unsigned int ns, sector_t len, bool grown_clean, u32 *x)
{
	unsigned long old_nr = (old_len + BIT(os) - 1) >> os;
	unsigned long nr = (len + BIT(ns) - 1) >> ns, want_nr = 0, got, r;
	size_t bytes = BITS_TO_LONGS(CARRY_MAX_SECTORS) * sizeof(long);

	bitmap_zero(old, CARRY_MAX_SECTORS);
	for (r = 0; r < old_nr; r++) {
		*x = *x * 1103515245 + 12345;
		if ((*x >> 16) % 4 == 0)
			__set_bit(r, old);
	}
	/* What the new bitmap held before must not leak into it. */
	memset(dirty, 0xff, bytes);
	got = vio_carry_regions(old, old_len, os, dirty, len, ns, grown_clean);
	for (r = 0; r < nr; r++) {
		sector_t s = (sector_t)r << ns;
		bool want = carry_want(old, old_len, os, s,
				       min_t(sector_t, len, s + BIT(ns)),
				       grown_clean);

		want_nr += want;
		KUNIT_ASSERT_EQ_MSG(test, test_bit(r, dirty), want,
				    "region %lu: old %llu sectors /%u, new %llu /%u, grown %s",
				    r, (unsigned long long)old_len, 1U << os,
				    (unsigned long long)len, 1U << ns,
				    grown_clean ? "clean" : "dirty");
	}
	KUNIT_ASSERT_EQ(test, got, want_nr);
}

static void vio_carry_regions_test(struct kunit *test)
{
	static const sector_t lens[] = { 1, 63, 64, 65, 500, 640, 999, 1000 };
	size_t bytes = BITS_TO_LONGS(CARRY_MAX_SECTORS) * sizeof(long);
	unsigned int os, ns, i, j;
	unsigned long *old, *dirty;
	u32 x = 4242;

	old = kunit_kzalloc(test, bytes, GFP_KERNEL);
	dirty = kunit_kzalloc(test, bytes, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, old);
	KUNIT_ASSERT_NOT_NULL(test, dirty);

	for (os = 1; os <= 6; os++) {
		for (ns = 1; ns <= 6; ns++) {
			for (i = 0; i < ARRAY_SIZE(lens); i++) {
				for (j = 0; j < ARRAY_SIZE(lens); j++) {
					carry_check(test, old, dirty, os, lens[i],
						    ns, lens[j], false, &x);
					carry_check(test, old, dirty, os, lens[i],
						    ns, lens[j], true, &x);
				}
			}
		}
	}
}

/* The same geometry copies the bitmap as it is, and an empty one stays so. */
static void vio_carry_regions_same_test(struct kunit *test)
{
	unsigned long old[BITS_TO_LONGS(NR_REGIONS)] = {};
	unsigned long dirty[BITS_TO_LONGS(NR_REGIONS)];
	sector_t len = (sector_t)NR_REGIONS << 10;

	memset(dirty, 0xff, sizeof(dirty));
	KUNIT_EXPECT_EQ(test, vio_carry_regions(old, len, 10, dirty, len, 10, false), 0);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(dirty, NR_REGIONS));

	__set_bit(0, old);
	__set_bit(BITS_PER_LONG, old);
	__set_bit(NR_REGIONS - 1, old);
	KUNIT_EXPECT_EQ(test, vio_carry_regions(old, len, 10, dirty, len, 10, false), 3);
	KUNIT_EXPECT_TRUE(test, bitmap_equal(old, dirty, NR_REGIONS));

	/* Grown by one sector: the last, new region is dirty unless clean. */
	KUNIT_EXPECT_EQ(test, vio_carry_regions(old, len, 10, dirty, len + 1, 10, false), 4);
	KUNIT_EXPECT_TRUE(test, test_bit(NR_REGIONS, dirty));
	KUNIT_EXPECT_EQ(test, vio_carry_regions(old, len, 10, dirty, len + 1, 10, true), 3);
	KUNIT_EXPECT_FALSE(test, test_bit(NR_REGIONS, dirty));
}

static struct kunit_case vio_mirror_region_test_cases[] = {
	KUNIT_CASE_PARAM(vio_regions_of_test, regions_gen_params),
	KUNIT_CASE(vio_regions_of_brute_force_test),
	KUNIT_CASE(vio_leg_mark_test),
	KUNIT_CASE(vio_leg_mark_sequence_test),
	KUNIT_CASE(vio_carry_regions_test),
	KUNIT_CASE(vio_carry_regions_same_test),
	{}
};

static struct kunit_suite vio_mirror_region_test_suite = {
	.name = "dm_vio_mirror_regions",
	.test_cases = vio_mirror_region_test_cases,
};

kunit_test_suites(&vio_selector_test_suite, &vio_fanout_test_suite,
		  &vio_mirror_region_test_suite);
