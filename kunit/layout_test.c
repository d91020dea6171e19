// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for dm-vio's geometry: validation against device sizes, the
 * sector mapping of every layout at every boundary, and the per-array
 * ranges used for discard, checked against a sector-by-sector brute force.
 */
#include <kunit/test.h>

#include "compat.h"
#include "vio_test.h"
#include "layout.h"

static const char * const paths[] = {
	"a", "b", "c", "d", "e", "f", "g", "h",
};

struct geom_case {
	const char *name;
	enum vio_layout layout;
	u32 chunk;
	unsigned int n;
	sector_t offset[4];
	sector_t dev_sectors[4];
	unsigned int lbs[4];	/* sectors; 0 means 1 */
	sector_t len;
	const char *error;	/* expected message prefix; NULL: valid */
};

static const struct geom_case geom_cases[] = {
	{ "linear exact", VIO_LAYOUT_LINEAR, 0, 2, { 0, 0 }, { 100, 50 }, {}, 150, NULL },
	{ "linear last partly used", VIO_LAYOUT_LINEAR, 0, 2, { 0, 0 }, { 100, 50 }, {},
	  101, NULL },
	{ "linear offsets", VIO_LAYOUT_LINEAR, 0, 2, { 10, 20 }, { 100, 50 }, {}, 120, NULL },
	{ "linear too long", VIO_LAYOUT_LINEAR, 0, 2, { 0, 0 }, { 100, 50 }, {}, 151,
	  "Length 151 exceeds the arrays' capacity of 150 sectors" },
	{ "linear unused array", VIO_LAYOUT_LINEAR, 0, 2, { 0, 0 }, { 100, 50 }, {}, 100,
	  "Length 100 leaves array 1 (b) unused" },
	{ "linear offset at end", VIO_LAYOUT_LINEAR, 0, 2, { 0, 50 }, { 100, 50 }, {}, 100,
	  "Array 1 (b): offset 50 is beyond its end (50 sectors)" },
	{ "linear offset huge", VIO_LAYOUT_LINEAR, 0, 1, { U64_MAX }, { 100 }, {}, 100,
	  "Array 0 (a): offset 18446744073709551615 is beyond its end" },
	{ "linear 4k rounds extents", VIO_LAYOUT_LINEAR, 0, 2, { 0, 0 }, { 100, 64 },
	  { 8, 8 }, 160, NULL },
	{ "linear 4k too long", VIO_LAYOUT_LINEAR, 0, 2, { 0, 0 }, { 100, 64 }, { 8, 8 }, 168,
	  "Length 168 exceeds the arrays' capacity of 160 sectors" },
	{ "linear 4k no whole block", VIO_LAYOUT_LINEAR, 0, 2, { 0, 8 }, { 100, 12 },
	  { 8, 8 }, 96, "Array 1 (b): no whole logical block after offset 8" },
	{ "unaligned offset", VIO_LAYOUT_LINEAR, 0, 2, { 0, 3 }, { 100, 100 }, { 1, 8 }, 160,
	  "Array 1 (b): offset 3 is not aligned to its logical block size (4096 bytes)" },
	{ "unaligned length", VIO_LAYOUT_LINEAR, 0, 2, { 0, 0 }, { 100, 100 }, { 1, 8 }, 100,
	  "Length 100 is not a multiple of the logical block size (4096 bytes)" },
	{ "zero length", VIO_LAYOUT_LINEAR, 0, 1, { 0 }, { 100 }, {}, 0,
	  "Length must not be zero" },
	{ "stripe exact", VIO_LAYOUT_STRIPE, 8, 3, { 0, 0, 0 }, { 16, 16, 16 }, {}, 48, NULL },
	{ "stripe offsets", VIO_LAYOUT_STRIPE, 8, 2, { 8, 0 }, { 24, 16 }, {}, 32, NULL },
	{ "stripe partial row", VIO_LAYOUT_STRIPE, 8, 3, { 0, 0, 0 }, { 16, 16, 16 }, {}, 40,
	  "Length 40 is not a multiple of the stripe width (3 x 8 = 24 sectors)" },
	{ "stripe not per-array multiple", VIO_LAYOUT_STRIPE, 8, 2, { 0, 0 }, { 16, 16 }, {},
	  20, "Length 20 is not a multiple of the stripe width (2 x 8 = 16 sectors)" },
	{ "stripe array too small", VIO_LAYOUT_STRIPE, 8, 3, { 0, 8, 0 }, { 16, 16, 16 }, {},
	  48, "Array 1 (b) too small: needs 16 sectors after offset 8, has 8" },
	{ "stripe chunk below block", VIO_LAYOUT_STRIPE, 4, 2, { 0, 0 }, { 64, 64 }, { 1, 8 },
	  64, "Stripe chunk size 4 is below the logical block size (4096 bytes)" },
	{ "stripe 4k", VIO_LAYOUT_STRIPE, 8, 2, { 0, 0 }, { 64, 64 }, { 8, 8 }, 128, NULL },
	{ "mirror exact", VIO_LAYOUT_MIRROR, 0, 2, { 0, 0 }, { 100, 100 }, {}, 100, NULL },
	{ "mirror offsets", VIO_LAYOUT_MIRROR, 0, 3, { 10, 0, 50 }, { 110, 200, 150 }, {}, 100,
	  NULL },
	{ "mirror one sector", VIO_LAYOUT_MIRROR, 0, 2, { 99, 0 }, { 100, 1 }, {}, 1, NULL },
	{ "mirror 4 legs", VIO_LAYOUT_MIRROR, 0, 4, { 0, 8, 16, 24 }, { 64, 72, 80, 88 }, {},
	  64, NULL },
	{ "mirror leg too small", VIO_LAYOUT_MIRROR, 0, 2, { 0, 8 }, { 100, 100 }, {}, 100,
	  "Mirror leg 1 (b) too small: needs 100 sectors after offset 8, has 92" },
	{ "mirror first leg too small", VIO_LAYOUT_MIRROR, 0, 3, { 0, 0, 0 }, { 99, 200, 200 },
	  {}, 100, "Mirror leg 0 (a) too small: needs 100 sectors after offset 0, has 99" },
	{ "mirror last leg too small", VIO_LAYOUT_MIRROR, 0, 4, { 0, 0, 0, 1 },
	  { 100, 100, 100, 100 }, {}, 100,
	  "Mirror leg 3 (d) too small: needs 100 sectors after offset 1, has 99" },
	{ "mirror offset at end", VIO_LAYOUT_MIRROR, 0, 2, { 0, 100 }, { 100, 100 }, {}, 100,
	  "Array 1 (b): offset 100 is beyond its end (100 sectors)" },
	{ "mirror 4k", VIO_LAYOUT_MIRROR, 0, 2, { 0, 8 }, { 64, 72 }, { 8, 1 }, 64, NULL },
	{ "mirror 4k unaligned length", VIO_LAYOUT_MIRROR, 0, 2, { 0, 0 }, { 64, 64 }, { 1, 8 },
	  60, "Length 60 is not a multiple of the logical block size (4096 bytes)" },
	{ "mirror 4k unaligned offset", VIO_LAYOUT_MIRROR, 0, 2, { 0, 4 }, { 64, 72 }, { 8, 8 },
	  64, "Array 1 (b): offset 4 is not aligned to its logical block size (4096 bytes)" },
	{ "mirror zero length", VIO_LAYOUT_MIRROR, 0, 2, { 0, 0 }, { 64, 64 }, {}, 0,
	  "Length must not be zero" },
};

static void geom_case_desc(const struct geom_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(geom, geom_cases, geom_case_desc);

static int build_geom(struct kunit *test, struct vio_geom *geom,
		      const struct geom_case *c, struct vio_err *err)
{
	struct vio_table_args *args;
	struct vio_array_info info[4] = {};
	unsigned int i;

	args = kunit_kzalloc(test, sizeof(*args), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, args);
	args->layout = c->layout;
	args->chunk_sectors = c->chunk;
	args->nr_arrays = c->n;
	for (i = 0; i < c->n; i++) {
		args->arrays[i].path = paths[i];
		args->arrays[i].offset = c->offset[i];
		info[i].dev_sectors = c->dev_sectors[i];
		info[i].lbs_sectors = c->lbs[i] ? c->lbs[i] : 1;
	}
	return vio_geom_init(geom, args, info, c->len, err);
}

static void vio_geom_init_test(struct kunit *test)
{
	const struct geom_case *c = test->param_value;
	struct vio_geom *geom = kunit_kzalloc(test, sizeof(*geom), GFP_KERNEL);
	struct vio_err err = {};
	sector_t sum = 0;
	unsigned int i;
	int r;

	KUNIT_ASSERT_NOT_NULL(test, geom);
	r = build_geom(test, geom, c, &err);
	vio_expect_result(test, r, &err, c->error);
	if (c->error)
		return;

	/*
	 * Every sector of the volume is on exactly one array, or, for a
	 * mirror, on every array.
	 */
	for (i = 0; i < c->n; i++) {
		KUNIT_EXPECT_GT(test, geom->array_len[i], 0);
		KUNIT_EXPECT_LE(test, c->offset[i] + geom->array_len[i], c->dev_sectors[i]);
		sum += geom->array_len[i];
		if (c->layout == VIO_LAYOUT_MIRROR)
			KUNIT_EXPECT_EQ(test, geom->array_len[i], c->len);
	}
	KUNIT_EXPECT_EQ(test, sum, c->layout == VIO_LAYOUT_MIRROR ? c->n * c->len : c->len);
}

struct map_expect {
	sector_t sector;
	unsigned int array;
	sector_t array_sector;
	sector_t max_len;
};

static void check_map(struct kunit *test, const struct vio_geom *geom,
		      const struct map_expect *e, unsigned int n)
{
	sector_t as, max;
	unsigned int i, a;

	for (i = 0; i < n; i++) {
		a = vio_geom_map(geom, e[i].sector, &as, &max);
		KUNIT_EXPECT_EQ_MSG(test, a, e[i].array, "sector %llu",
				    (unsigned long long)e[i].sector);
		KUNIT_EXPECT_EQ_MSG(test, as, e[i].array_sector, "sector %llu",
				    (unsigned long long)e[i].sector);
		KUNIT_EXPECT_EQ_MSG(test, max, e[i].max_len, "sector %llu",
				    (unsigned long long)e[i].sector);
	}
}

/* Linear over 100 + 50 + 200 sectors, using 300: every edge. */
static void vio_geom_map_linear_test(struct kunit *test)
{
	static const struct geom_case c = {
		"linear", VIO_LAYOUT_LINEAR, 0, 3, { 0, 0, 0 }, { 100, 50, 200 }, {}, 300,
	};
	static const struct map_expect e[] = {
		{ 0, 0, 0, 100 }, { 99, 0, 99, 1 }, { 100, 1, 0, 50 },
		{ 149, 1, 49, 1 }, { 150, 2, 0, 150 }, { 299, 2, 149, 1 },
	};
	struct vio_geom *geom = kunit_kzalloc(test, sizeof(*geom), GFP_KERNEL);
	struct vio_err err = {};

	KUNIT_ASSERT_NOT_NULL(test, geom);
	KUNIT_ASSERT_EQ(test, build_geom(test, geom, &c, &err), 0);
	KUNIT_EXPECT_EQ(test, geom->array_len[2], 150);
	check_map(test, geom, e, ARRAY_SIZE(e));
}

/* Stripe over 3 arrays, 8-sector chunks: chunk and row edges. */
static void vio_geom_map_stripe_test(struct kunit *test)
{
	static const struct geom_case c = {
		"stripe", VIO_LAYOUT_STRIPE, 8, 3, { 0, 0, 0 }, { 64, 64, 64 }, {}, 96,
	};
	static const struct map_expect e[] = {
		{ 0, 0, 0, 8 }, { 7, 0, 7, 1 }, { 8, 1, 0, 8 }, { 16, 2, 0, 8 },
		{ 23, 2, 7, 1 }, { 24, 0, 8, 8 }, { 27, 0, 11, 5 }, { 95, 2, 31, 1 },
	};
	struct vio_geom *geom = kunit_kzalloc(test, sizeof(*geom), GFP_KERNEL);
	struct vio_err err = {};

	KUNIT_ASSERT_NOT_NULL(test, geom);
	KUNIT_ASSERT_EQ(test, build_geom(test, geom, &c, &err), 0);
	KUNIT_EXPECT_EQ(test, vio_geom_chunk_sectors(geom), 8);
	check_map(test, geom, e, ARRAY_SIZE(e));
}

/*
 * Mirror over 3 legs at different offsets: every sector maps to array 0
 * (the caller picks the leg) at the same sector, and may run to the end
 * of the volume; every range lies whole on every leg.
 */
static void vio_geom_map_mirror_test(struct kunit *test)
{
	static const struct geom_case c = {
		"mirror", VIO_LAYOUT_MIRROR, 0, 3, { 0, 8, 1000 }, { 40, 100, 2000 }, {}, 32,
	};
	static const struct map_expect e[] = {
		{ 0, 0, 0, 32 }, { 1, 0, 1, 31 }, { 16, 0, 16, 16 }, { 31, 0, 31, 1 },
	};
	struct vio_geom *geom = kunit_kzalloc(test, sizeof(*geom), GFP_KERNEL);
	struct vio_err err = {};
	sector_t s, nr, as, max;
	unsigned int a;

	KUNIT_ASSERT_NOT_NULL(test, geom);
	KUNIT_ASSERT_EQ(test, build_geom(test, geom, &c, &err), 0);
	KUNIT_EXPECT_EQ(test, geom->len, 32);
	KUNIT_EXPECT_EQ(test, vio_geom_chunk_sectors(geom), 0);
	check_map(test, geom, e, ARRAY_SIZE(e));

	for (s = 0; s < c.len; s++) {
		KUNIT_ASSERT_EQ(test, vio_geom_map(geom, s, &as, &max), 0);
		KUNIT_ASSERT_EQ(test, as, s);
		KUNIT_ASSERT_EQ(test, s + max, c.len);
	}
	for (s = 0; s < c.len; s++) {
		for (nr = 1; s + nr <= c.len; nr++) {
			for (a = 0; a < c.n; a++) {
				bool hit;

				as = U64_MAX;
				max = 0;
				hit = vio_geom_map_range(geom, a, s, nr, &as, &max);
				KUNIT_ASSERT_TRUE(test, hit);
				KUNIT_ASSERT_EQ(test, as, s);
				KUNIT_ASSERT_EQ(test, max, nr);
			}
		}
	}
}

/*
 * For small linear and stripe geometries: mapping every sector is a
 * bijection onto the arrays' extents, max_len ends exactly at the next
 * array (linear) or chunk (stripe) edge, and every per-array range equals the brute-force
 * set of that array's sectors in the range.
 */
static const struct geom_case brute_cases[] = {
	{ "linear 3", VIO_LAYOUT_LINEAR, 0, 3, { 0, 5, 0 }, { 7, 9, 20 }, {}, 20 },
	{ "linear 1", VIO_LAYOUT_LINEAR, 0, 1, { 3 }, { 40 }, {}, 30 },
	{ "stripe 1x4", VIO_LAYOUT_STRIPE, 4, 1, { 0 }, { 16 }, {}, 16 },
	{ "stripe 2x1", VIO_LAYOUT_STRIPE, 1, 2, { 0, 2 }, { 12, 14 }, {}, 24 },
	{ "stripe 3x2", VIO_LAYOUT_STRIPE, 2, 3, { 0, 0, 4 }, { 8, 8, 12 }, {}, 24 },
	{ "stripe 4x4", VIO_LAYOUT_STRIPE, 4, 4, { 0, 0, 0, 0 }, { 8, 8, 8, 8 }, {}, 32 },
};

KUNIT_ARRAY_PARAM(brute, brute_cases, geom_case_desc);

static void vio_geom_brute_force_test(struct kunit *test)
{
	const struct geom_case *c = test->param_value;
	struct vio_geom *geom = kunit_kzalloc(test, sizeof(*geom), GFP_KERNEL);
	/* owner[a][as]: which volume sector maps to array a, sector as */
	sector_t (*owner)[64] = kunit_kzalloc(test, 4 * sizeof(*owner), GFP_KERNEL);
	unsigned int *arr_of = kunit_kcalloc(test, c->len, sizeof(*arr_of), GFP_KERNEL);
	sector_t *as_of = kunit_kcalloc(test, c->len, sizeof(*as_of), GFP_KERNEL);
	struct vio_err err = {};
	sector_t s, as, max, nr;
	unsigned int a;

	KUNIT_ASSERT_NOT_NULL(test, geom);
	KUNIT_ASSERT_NOT_NULL(test, owner);
	KUNIT_ASSERT_NOT_NULL(test, arr_of);
	KUNIT_ASSERT_NOT_NULL(test, as_of);
	KUNIT_ASSERT_EQ(test, build_geom(test, geom, c, &err), 0);
	memset(owner, 0xff, 4 * sizeof(*owner));

	for (s = 0; s < c->len; s++) {
		a = vio_geom_map(geom, s, &as, &max);
		KUNIT_ASSERT_LT(test, a, c->n);
		KUNIT_ASSERT_LT(test, as, geom->array_len[a]);
		KUNIT_ASSERT_LT(test, as, (sector_t)ARRAY_SIZE(*owner));
		KUNIT_EXPECT_EQ(test, owner[a][as], (sector_t)U64_MAX);
		owner[a][as] = s;
		arr_of[s] = a;
		as_of[s] = as;
		KUNIT_EXPECT_GE(test, max, 1);
		KUNIT_EXPECT_LE(test, s + max, c->len);
	}
	/* max_len: contiguous on one array up to it, not one sector more. */
	for (s = 0; s < c->len; s++) {
		sector_t k;

		vio_geom_map(geom, s, &as, &max);
		for (k = 1; k < max; k++) {
			KUNIT_EXPECT_EQ(test, arr_of[s + k], arr_of[s]);
			KUNIT_EXPECT_EQ(test, as_of[s + k], as_of[s] + k);
		}
		/* Stripe stops at the chunk edge, even on a single array. */
		if (c->layout == VIO_LAYOUT_STRIPE)
			KUNIT_EXPECT_EQ(test, (s + max) % c->chunk, 0);
		else if (s + max < c->len)
			KUNIT_EXPECT_NE(test, arr_of[s + max], arr_of[s]);
	}
	/* Ranges: every (start, length), every array. */
	for (s = 0; s < c->len; s++) {
		for (nr = 1; s + nr <= c->len; nr++) {
			for (a = 0; a < c->n; a++) {
				sector_t lo = U64_MAX, hi = 0, k, count = 0;
				sector_t begin = 0, rnr = 0;
				bool hit;

				for (k = s; k < s + nr; k++) {
					if (arr_of[k] != a)
						continue;
					lo = min(lo, as_of[k]);
					hi = max(hi, as_of[k] + 1);
					count++;
				}
				hit = vio_geom_map_range(geom, a, s, nr, &begin, &rnr);
				KUNIT_ASSERT_EQ(test, hit, count > 0);
				if (!count)
					continue;
				/* Contiguous on the array, exactly those sectors. */
				KUNIT_ASSERT_EQ(test, hi - lo, count);
				KUNIT_ASSERT_EQ(test, begin, lo);
				KUNIT_ASSERT_EQ(test, rnr, count);
			}
		}
	}
}

static struct kunit_case vio_layout_test_cases[] = {
	KUNIT_CASE_PARAM(vio_geom_init_test, geom_gen_params),
	KUNIT_CASE(vio_geom_map_linear_test),
	KUNIT_CASE(vio_geom_map_stripe_test),
	KUNIT_CASE(vio_geom_map_mirror_test),
	KUNIT_CASE_PARAM(vio_geom_brute_force_test, brute_gen_params),
	{}
};

static struct kunit_suite vio_layout_test_suite = {
	.name = "dm_vio_layout",
	.test_cases = vio_layout_test_cases,
};

kunit_test_suite(vio_layout_test_suite);

