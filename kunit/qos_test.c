// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for dm-vio's QoS classes: the class parameter grammar, the
 * counting of I/Os, and the mClock-style scheduler driven by a small
 * simulator with a fake clock. The simulator's classes are backlogged, fed
 * at a fixed rate or stopped on command, and its device serves one request
 * per slot every service_ns, so the scheduler alone decides who goes; a
 * test then checks the rates and shares it produced.
 */
#include <kunit/test.h>
#include <linux/math64.h>
#include <linux/string.h>

#include "compat.h"
#include "vio_test.h"
#include "qos.h"

#define MAX_WORDS	16

/* Apply the words of @line to @p; the result of vio_qos_parse(). */
static int qos_parse_line(struct kunit *test, const char *line,
			  struct vio_qos_params *p, struct vio_err *err)
{
	char *argv[MAX_WORDS];
	unsigned int argc = vio_split_words(test, line, argv, MAX_WORDS);

	return vio_qos_parse(argc, argv, p, err);
}

/* Parameters from the defaults and @line, which must be valid. */
static void qos_params(struct kunit *test, const char *line,
		       struct vio_qos_params *p)
{
	struct vio_err err = {};

	vio_qos_params_default(p);
	KUNIT_ASSERT_EQ_MSG(test, qos_parse_line(test, line, p, &err), 0,
			    "\"%s\": %s", line, err.msg);
}

/* ---- Parameter grammar ---- */

struct param_case {
	const char *line;
	const char *error;	/* the exact message; NULL: valid */
	const char *format;	/* valid: what vio_qos_format() prints then */
};

#define NUM23	"99999999999999999999999"
#define BYTES	"expected bytes (digits, optional k/m/g/t suffix)"
#define NUMBER	"expected a decimal number"
#define ARRAYS	"expected array indices below 32, like 0,2, or none"
#define ARRAYS32	"0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19," \
			"20,21,22,23,24,25,26,27,28,29,30,31"

static const struct param_case param_cases[] = {
	/* Every key, alone and with its burst. */
	{ "", NULL, "" },
	{ "res_iops=300", NULL, "res_iops=300" },
	{ "res_bps=1m", NULL, "res_bps=1048576" },
	{ "weight=1", NULL, "weight=1" },
	{ "weight=10000", NULL, "weight=10000" },
	{ "weight=100", NULL, "" },
	{ "riops=10 riops_max=20 riops_max_len=3", NULL, "riops=10 riops_max=20 riops_max_len=3" },
	{ "wiops=10 wiops_max=20 wiops_max_len=3", NULL, "wiops=10 wiops_max=20 wiops_max_len=3" },
	{ "iops=10 iops_max=20 iops_max_len=3600", NULL, "iops=10 iops_max=20 iops_max_len=3600" },
	{ "iops=10 iops_max=11", NULL, "iops=10 iops_max=11" },
	{ "rbps=1k rbps_max=2k rbps_max_len=5", NULL, "rbps=1024 rbps_max=2048 rbps_max_len=5" },
	{ "wbps=1g wbps_max=2g", NULL, "wbps=1073741824 wbps_max=2147483648" },
	{ "bps=1t", NULL, "bps=1099511627776" },
	{ "bps=1024t", NULL, "bps=1125899906842624" },
	{ "bps=7", NULL, "bps=7" },
	{ "bps=1K rbps=1M wbps=1G", NULL, "rbps=1048576 wbps=1073741824 bps=1024" },
	{ "iops=100000000", NULL, "iops=100000000" },
	{ "iops_size=4k", NULL, "iops_size=4096" },
	{ "iops_size=64m", NULL, "iops_size=67108864" },
	{ "lat_target_us=500", NULL, "lat_target_us=500" },
	{ "lat_target_us=60000000", NULL, "lat_target_us=60000000" },
	{ "iops=0100", NULL, "iops=100" },
	{ "iops=0 bps=0 res_iops=0", NULL, "" },
	{ "res_iops=10 iops=10", NULL, "res_iops=10 iops=10" },
	{ "res_bps=1k bps=1k", NULL, "res_bps=1024 bps=1024" },
	{ "weight=5 iops=9 res_iops=1", NULL, "res_iops=1 weight=5 iops=9" },
	/* Mirror read preferences: array indices, printed in order. */
	{ "prefer=0,2", NULL, "prefer=0,2" },
	{ "prefer=2,0", NULL, "prefer=0,2" },
	{ "avoid=1", NULL, "avoid=1" },
	{ "prefer=31", NULL, "prefer=31" },
	{ "avoid=3 prefer=0", NULL, "prefer=0 avoid=3" },
	{ "prefer=0,1 avoid=2,3 weight=5", NULL, "weight=5 prefer=0,1 avoid=2,3" },
	{ "prefer=7,6,5,4,3,2,1,0", NULL, "prefer=0,1,2,3,4,5,6,7" },
	{ "prefer=" ARRAYS32, NULL, "prefer=" ARRAYS32 },
	{ "prefer=none", NULL, "" },
	{ "prefer=none avoid=none", NULL, "" },

	/* Unknown keys and missing values. */
	{ "frob=1", "Unknown class parameter 'frob=1'" },
	{ "=1", "Unknown class parameter '=1'" },
	{ "Weight=1", "Unknown class parameter 'Weight=1'" },
	{ "iops_max_lenx=1", "Unknown class parameter 'iops_max_lenx=1'" },
	{ "weight=5 frob", "Unknown class parameter 'frob'" },
	{ "weight", "Class parameter 'weight' needs a value: weight=<n>" },
	{ "bps", "Class parameter 'bps' needs a value: bps=<n>" },

	/* Malformed values. */
	{ "weight=", "Class parameter 'weight=': " NUMBER },
	{ "bps=", "Class parameter 'bps=': " BYTES },
	{ "iops=12x", "Class parameter 'iops=12x': " NUMBER },
	{ "bps=12x", "Class parameter 'bps=12x': " BYTES },
	{ "iops=-1", "Class parameter 'iops=-1': " NUMBER },
	{ "res_bps=-1k", "Class parameter 'res_bps=-1k': " BYTES },
	{ "iops=+1", "Class parameter 'iops=+1': " NUMBER },
	{ "iops=0x10", "Class parameter 'iops=0x10': " NUMBER },
	{ "iops=1.5", "Class parameter 'iops=1.5': " NUMBER },
	{ "bps=1kb", "Class parameter 'bps=1kb': " BYTES },
	{ "bps=k", "Class parameter 'bps=k': " BYTES },
	{ "bps=1p", "Class parameter 'bps=1p': " BYTES },
	/* Suffixes are for byte keys only. */
	{ "iops=1k", "Class parameter 'iops=1k': " NUMBER },
	{ "res_iops=1k", "Class parameter 'res_iops=1k': " NUMBER },
	{ "weight=1k", "Class parameter 'weight=1k': " NUMBER },
	{ "iops=10 iops_max=20 iops_max_len=1k",
	  "Class parameter 'iops_max_len=1k': " NUMBER },
	{ "lat_target_us=1m", "Class parameter 'lat_target_us=1m': " NUMBER },

	/* Out of range, overflow included. */
	{ "weight=0", "Class weight 0 is out of range 1-10000" },
	{ "weight=10001", "Class parameter 'weight=10001' is out of range (at most 10000)" },
	{ "weight=4294967296",
	  "Class parameter 'weight=4294967296' is out of range (at most 10000)" },
	{ "iops=100000001",
	  "Class parameter 'iops=100000001' is out of range (at most 100000000)" },
	{ "res_iops=100000001",
	  "Class parameter 'res_iops=100000001' is out of range (at most 100000000)" },
	{ "iops=18446744073709551616",
	  "Class parameter 'iops=18446744073709551616' is out of range (at most 100000000)" },
	{ "iops=" NUM23, "Class parameter 'iops=" NUM23 "' is out of range (at most 100000000)" },
	{ "bps=1025t", "Class parameter 'bps=1025t' is out of range (at most 1125899906842624)" },
	{ "bps=16777216t",
	  "Class parameter 'bps=16777216t' is out of range (at most 1125899906842624)" },
	{ "bps=18446744073709551615",
	  "Class parameter 'bps=18446744073709551615' is out of range (at most 1125899906842624)" },
	{ "iops_size=65m", "Class parameter 'iops_size=65m' is out of range (at most 67108864)" },
	{ "iops=1 iops_max=2 iops_max_len=3601",
	  "Class parameter 'iops_max_len=3601' is out of range (at most 3600)" },
	{ "lat_target_us=60000001",
	  "Class parameter 'lat_target_us=60000001' is out of range (at most 60000000)" },

	/* Relations between parameters. */
	{ "iops=5 iops=6", "Class parameter 'iops' given twice" },
	{ "weight=5 weight=5", "Class parameter 'weight' given twice" },
	{ "iops_max=10", "Class parameter 'iops_max' needs the limit 'iops' it bursts above" },
	{ "rbps_max=1m", "Class parameter 'rbps_max' needs the limit 'rbps' it bursts above" },
	{ "riops=10 iops_max=20",
	  "Class parameter 'iops_max' needs the limit 'iops' it bursts above" },
	{ "iops=10 iops_max=10", "Burst rate iops_max=10 must exceed the limit iops=10" },
	{ "iops=10 iops_max=5", "Burst rate iops_max=5 must exceed the limit iops=10" },
	{ "wbps=1m wbps_max=1m", "Burst rate wbps_max=1048576 must exceed the limit wbps=1048576" },
	{ "iops_max_len=2", "Class parameter 'iops_max_len' needs a burst rate 'iops_max'" },
	{ "iops=10 iops_max_len=2",
	  "Class parameter 'iops_max_len' needs a burst rate 'iops_max'" },
	{ "res_iops=11 iops=10", "Reservation res_iops=11 exceeds the limit iops=10" },
	{ "res_bps=2k bps=1k", "Reservation res_bps=2048 exceeds the limit bps=1024" },

	/* Mirror read preferences. */
	{ "prefer=32", "Class parameter 'prefer=32': " ARRAYS },
	{ "avoid=100", "Class parameter 'avoid=100': " ARRAYS },
	{ "prefer=4294967297", "Class parameter 'prefer=4294967297': " ARRAYS },
	{ "prefer=0,0", "Class parameter 'prefer=0,0': " ARRAYS },
	{ "avoid=1,2,1", "Class parameter 'avoid=1,2,1': " ARRAYS },
	{ "prefer=0,1,", "Class parameter 'prefer=0,1,': " ARRAYS },
	{ "prefer=,1", "Class parameter 'prefer=,1': " ARRAYS },
	{ "prefer=0,,1", "Class parameter 'prefer=0,,1': " ARRAYS },
	{ "prefer=", "Class parameter 'prefer=': " ARRAYS },
	{ "avoid=-1", "Class parameter 'avoid=-1': " ARRAYS },
	{ "prefer=a", "Class parameter 'prefer=a': " ARRAYS },
	{ "prefer=0x1", "Class parameter 'prefer=0x1': " ARRAYS },
	{ "prefer=0;1", "Class parameter 'prefer=0;1': " ARRAYS },
	{ "prefer=NONE", "Class parameter 'prefer=NONE': " ARRAYS },
	{ "prefer=none,1", "Class parameter 'prefer=none,1': " ARRAYS },
	{ "prefer", "Class parameter 'prefer' needs a value: prefer=<n>" },
	{ "prefer=0 prefer=1", "Class parameter 'prefer' given twice" },
	{ "avoid=none avoid=none", "Class parameter 'avoid' given twice" },
	{ "prefer=0,2 avoid=2", "Class both prefers and avoids array 2" },
	{ "avoid=3,1 prefer=1,3", "Class both prefers and avoids array 1" },
	{ "prefer=31 avoid=0,31", "Class both prefers and avoids array 31" },
};

static void param_case_desc(const struct param_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "\"%s\"", c->line);
}

KUNIT_ARRAY_PARAM(param, param_cases, param_case_desc);

/*
 * Each line applied to the defaults: a valid one prints back as expected,
 * a refused one gives the exact message and leaves the parameters alone.
 */
static void vio_qos_parse_test(struct kunit *test)
{
	const struct param_case *c = test->param_value;
	struct vio_qos_params p, def;
	struct vio_err err = {};
	char buf[256];
	int r;

	vio_qos_params_default(&def);
	p = def;
	r = qos_parse_line(test, c->line, &p, &err);
	vio_expect_result(test, r, &err, c->error);
	if (c->error) {
		KUNIT_EXPECT_STREQ(test, err.msg, c->error);
		KUNIT_EXPECT_EQ(test, memcmp(&p, &def, sizeof(p)), 0);
		return;
	}
	KUNIT_EXPECT_EQ(test, vio_qos_format(&p, buf, sizeof(buf)), (int)strlen(c->format));
	KUNIT_EXPECT_STREQ(test, buf, c->format);
}

/* A refused message changes nothing, whichever check refuses it. */
static void vio_qos_parse_atomic_test(struct kunit *test)
{
	static const char * const refused[] = {
		"iops=200 weight=0",		/* whole-result check */
		"iops=200 frob=1",		/* unknown key after a good one */
		"bps=2m iops=300x",		/* bad value after a good one */
		"iops=2000",			/* now below the burst rate */
		"iops_max=0",			/* leaves a burst length alone */
		"res_iops=101 weight=3",	/* above the existing limit */
	};
	struct vio_qos_params base, p;
	struct vio_err err = {};
	unsigned int i;

	qos_params(test, "weight=7 iops=100 iops_max=1000 iops_max_len=2 bps=1m", &base);
	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		p = base;
		KUNIT_EXPECT_EQ_MSG(test, qos_parse_line(test, refused[i], &p, &err), -EINVAL,
				    "\"%s\" accepted", refused[i]);
		KUNIT_EXPECT_EQ_MSG(test, memcmp(&p, &base, sizeof(p)), 0,
				    "\"%s\" changed the parameters", refused[i]);
	}
	/* Later messages change only what they name. */
	p = base;
	KUNIT_ASSERT_EQ(test, qos_parse_line(test, "iops=500 bps=0", &p, &err), 0);
	KUNIT_EXPECT_EQ(test, p.lim[VIO_LIM_IOPS], 500);
	KUNIT_EXPECT_EQ(test, p.lim[VIO_LIM_BPS], 0);
	KUNIT_EXPECT_EQ(test, p.lim_max[VIO_LIM_IOPS], 1000);
	KUNIT_EXPECT_EQ(test, p.lim_max_len[VIO_LIM_IOPS], 2);
	KUNIT_EXPECT_EQ(test, p.weight, 7);
}

/* vio_qos_format() prints what vio_qos_parse() rebuilds exactly. */
static void vio_qos_format_roundtrip_test(struct kunit *test)
{
	static const char * const lines[] = {
		"",
		"weight=1",
		"res_iops=1 res_bps=1t weight=10000 iops=2 iops_max=3 iops_max_len=3600",
		"riops=1 riops_max=100000000 riops_max_len=1 wiops=5 wiops_max=6 wiops_max_len=7",
		"rbps=1 rbps_max=1024t rbps_max_len=9 wbps=3k wbps_max=4k bps=1023 bps_max=1g",
		"iops_size=1 lat_target_us=1",
		"iops_size=64m lat_target_us=60000000 res_bps=1024t iops=100000000 res_iops=5",
		"prefer=0,2 avoid=1,31",
		"weight=7 prefer=" ARRAYS32,
		"avoid=5 iops=10",
	};
	struct vio_qos_params p, q;
	struct vio_err err = {};
	unsigned int i;
	char *buf;
	int n;

	buf = kunit_kzalloc(test, 1024, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (i = 0; i < ARRAY_SIZE(lines); i++) {
		qos_params(test, lines[i], &p);
		n = vio_qos_format(&p, buf, 1024);
		KUNIT_EXPECT_EQ(test, n, (int)strlen(buf));
		KUNIT_EXPECT_EQ(test, vio_qos_format(&p, NULL, 0), n);
		vio_qos_params_default(&q);
		KUNIT_ASSERT_EQ_MSG(test, qos_parse_line(test, buf, &q, &err), 0,
				    "\"%s\": %s", buf, err.msg);
		KUNIT_EXPECT_EQ_MSG(test, memcmp(&p, &q, sizeof(p)), 0,
				    "\"%s\" printed as \"%s\"", lines[i], buf);
	}
}

/* A short buffer gets a terminated prefix and nothing past its end. */
static void vio_qos_format_short_test(struct kunit *test)
{
	struct vio_qos_params p;
	char buf[16];

	qos_params(test, "weight=5 iops=1000 bps=1m", &p);
	KUNIT_EXPECT_EQ(test, vio_qos_format(&p, NULL, 0),
			(int)strlen("weight=5 iops=1000 bps=1048576"));
	memset(buf, 'X', sizeof(buf));
	vio_qos_format(&p, buf, 10);
	KUNIT_EXPECT_STREQ(test, buf, "weight=5 ");
	KUNIT_EXPECT_EQ(test, buf[10], 'X');
	memset(buf, 'X', sizeof(buf));
	vio_qos_format(&p, buf, 1);
	KUNIT_EXPECT_EQ(test, buf[0], '\0');
	KUNIT_EXPECT_EQ(test, buf[1], 'X');
}

/* An array list cut short stays a terminated prefix, never overrunning. */
static void vio_qos_format_arrays_short_test(struct kunit *test)
{
	static const char full[] = "weight=5 prefer=0,2,17";
	struct vio_qos_params p;
	unsigned int size;
	char buf[32];

	qos_params(test, "weight=5 prefer=17,2,0", &p);
	KUNIT_EXPECT_EQ(test, vio_qos_format(&p, NULL, 0), (int)strlen(full));
	for (size = 1; size <= sizeof(full); size++) {
		memset(buf, 'X', sizeof(buf));
		KUNIT_EXPECT_EQ_MSG(test, vio_qos_format(&p, buf, size), (int)size - 1,
				    "size %u", size);
		KUNIT_EXPECT_EQ_MSG(test, strncmp(buf, full, size - 1), 0, "size %u", size);
		KUNIT_EXPECT_EQ_MSG(test, buf[size - 1], '\0', "size %u", size);
		KUNIT_EXPECT_EQ_MSG(test, buf[size], 'X', "size %u", size);
	}
}

/*
 * prefer= and avoid= are bit masks of array indices; "none" clears one;
 * a message that would make them overlap is refused as a whole, whichever
 * of the two it sets.
 */
static void vio_qos_prefer_avoid_test(struct kunit *test)
{
	struct vio_qos_params p, base;
	struct vio_err err = {};

	qos_params(test, "prefer=0,2 weight=3", &p);
	KUNIT_EXPECT_EQ(test, p.prefer, BIT(0) | BIT(2));
	KUNIT_EXPECT_EQ(test, p.avoid, 0);
	qos_params(test, "avoid=31,1", &p);
	KUNIT_EXPECT_EQ(test, p.prefer, 0);
	KUNIT_EXPECT_EQ(test, p.avoid, BIT(1) | BIT(31));

	qos_params(test, "prefer=0,1 weight=3", &base);
	p = base;
	KUNIT_EXPECT_EQ(test, qos_parse_line(test, "avoid=1", &p, &err), -EINVAL);
	KUNIT_EXPECT_STREQ(test, err.msg, "Class both prefers and avoids array 1");
	KUNIT_EXPECT_EQ(test, memcmp(&p, &base, sizeof(p)), 0);
	KUNIT_EXPECT_EQ(test, qos_parse_line(test, "weight=9 avoid=2,3 prefer=3", &p, &err),
			-EINVAL);
	KUNIT_EXPECT_STREQ(test, err.msg, "Class both prefers and avoids array 3");
	KUNIT_EXPECT_EQ(test, memcmp(&p, &base, sizeof(p)), 0);

	/* Moving array 1 from one list to the other in one message. */
	KUNIT_ASSERT_EQ(test, qos_parse_line(test, "prefer=0 avoid=1", &p, &err), 0);
	KUNIT_EXPECT_EQ(test, p.prefer, BIT(0));
	KUNIT_EXPECT_EQ(test, p.avoid, BIT(1));
	KUNIT_EXPECT_EQ(test, p.weight, 3);
	/* A later message changes only what it names; none clears. */
	KUNIT_ASSERT_EQ(test, qos_parse_line(test, "avoid=2", &p, &err), 0);
	KUNIT_EXPECT_EQ(test, p.prefer, BIT(0));
	KUNIT_EXPECT_EQ(test, p.avoid, BIT(2));
	KUNIT_ASSERT_EQ(test, qos_parse_line(test, "prefer=none", &p, &err), 0);
	KUNIT_EXPECT_EQ(test, p.prefer, 0);
	KUNIT_EXPECT_EQ(test, p.avoid, BIT(2));
	KUNIT_ASSERT_EQ(test, qos_parse_line(test, "prefer=2 avoid=none", &p, &err), 0);
	KUNIT_EXPECT_EQ(test, p.prefer, BIT(2));
	KUNIT_EXPECT_EQ(test, p.avoid, 0);
	/* Preferences are no limit: the class's arithmetic is the default's. */
	vio_qos_params_default(&base);
	base.prefer = p.prefer;
	base.weight = p.weight;
	KUNIT_EXPECT_EQ(test, memcmp(&p, &base, sizeof(p)), 0);
}

struct rate_case {
	const char *s;
	bool bytes;
	int ret;
	u64 value;
};

static const struct rate_case rate_cases[] = {
	{ "0", false, 0, 0 },
	{ "1", false, 0, 1 },
	{ "100000000", false, 0, 100000000 },
	{ "100000001", false, -ERANGE },
	{ "18446744073709551616", false, -ERANGE },
	{ "1k", false, -EINVAL },
	{ "1k", true, 0, 1024 },
	{ "2M", true, 0, 2 << 20 },
	{ "3g", true, 0, 3ULL << 30 },
	{ "1t", true, 0, 1ULL << 40 },
	{ "1024t", true, 0, 1ULL << 50 },
	{ "1125899906842624", true, 0, 1ULL << 50 },
	{ "1025t", true, -ERANGE },
	{ "1125899906842625", true, -ERANGE },
	{ "16777216t", true, -ERANGE },
	{ "18446744073709551615", true, -ERANGE },
	{ "", false, -EINVAL },
	{ "", true, -EINVAL },
	{ "k", true, -EINVAL },
	{ "x", false, -EINVAL },
	{ "-1", false, -EINVAL },
	{ "+1", true, -EINVAL },
	{ "1kk", true, -EINVAL },
	{ "1.5", false, -EINVAL },
	{ "1p", true, -EINVAL },
	{ "12 ", false, -EINVAL },
};

static void rate_case_desc(const struct rate_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "\"%s\" %s", c->s,
		 c->bytes ? "bytes" : "count");
}

KUNIT_ARRAY_PARAM(rate, rate_cases, rate_case_desc);

static void vio_qos_parse_rate_test(struct kunit *test)
{
	const struct rate_case *c = test->param_value;
	u64 v = 12345;

	KUNIT_ASSERT_EQ(test, vio_qos_parse_rate(c->s, c->bytes, &v), c->ret);
	KUNIT_EXPECT_EQ(test, v, c->ret ? 12345 : c->value);
}

struct units_case {
	u32 iops_size;
	enum vio_dir dir;
	u32 bytes;
	u64 units;
	u16 copies;	/* 0 counts as 1 */
	u16 up_copies;
};

static const struct units_case units_cases[] = {
	{ 0, VIO_DIR_READ, 4096, 1 },
	{ 0, VIO_DIR_WRITE, 1 << 20, 1 },
	{ 0, VIO_DIR_READ, 0, 1 },
	{ 4096, VIO_DIR_READ, 0, 1 },
	{ 4096, VIO_DIR_READ, 1, 1 },
	{ 4096, VIO_DIR_READ, 4095, 1 },
	{ 4096, VIO_DIR_READ, 4096, 1 },
	{ 4096, VIO_DIR_WRITE, 4097, 2 },
	{ 4096, VIO_DIR_WRITE, 8192, 2 },
	{ 4096, VIO_DIR_READ, 8193, 3 },
	{ 4096, VIO_DIR_READ, 65536, 16 },
	{ 4096, VIO_DIR_READ, 1 << 20, 256 },
	{ 512, VIO_DIR_WRITE, 1 << 20, 2048 },
	{ 1, VIO_DIR_READ, U32_MAX, U32_MAX },
	{ 64 << 20, VIO_DIR_READ, U32_MAX, 64 },
	/* The largest discard: 4 GiB less a sector. */
	{ 4096, VIO_DIR_WRITE, 0xfffffe00, 1048576 },
	/* An empty flush is never charged. */
	{ 0, VIO_DIR_NONE, 0, 0 },
	{ 4096, VIO_DIR_NONE, 0, 0 },
	/* A write to 3 legs is 3 array I/Os: 3 x the count above. */
	{ 0, VIO_DIR_WRITE, 4096, 3, 3 },
	{ 0, VIO_DIR_WRITE, 1 << 20, 3, 3 },
	{ 0, VIO_DIR_WRITE, 0, 2, 2 },
	{ 4096, VIO_DIR_WRITE, 4096, 3, 3 },
	{ 4096, VIO_DIR_WRITE, 4097, 2 * 2, 2 },
	{ 4096, VIO_DIR_WRITE, 65536, 16 * 3, 3 },
	{ 512, VIO_DIR_WRITE, 1 << 20, 2048 * 8, 8 },
	{ 1, VIO_DIR_WRITE, U32_MAX, 8ULL * U32_MAX, 8 },
	{ 0, VIO_DIR_WRITE, 4096, 1, 1 },
	{ 4096, VIO_DIR_WRITE, 65536, 16, 1 },
	{ 0, VIO_DIR_READ, 4096, 65535, 65535 },
	{ 4096, VIO_DIR_NONE, 0, 0, 3 },
	/* Upstream copies cost bytes, not I/Os. */
	{ 0, VIO_DIR_WRITE, 4096, 1, 0, 3 },
	{ 4096, VIO_DIR_WRITE, 65536, 16, 1, 8 },
	{ 4096, VIO_DIR_WRITE, 65536, 16 * 2, 2, 2 },
};

static void units_case_desc(const struct units_case *c, char *desc)
{
	static const char * const dirs[] = { "read", "write", "flush" };

	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "iops_size=%u %s %u bytes x%u up x%u",
		 c->iops_size, dirs[c->dir], c->bytes, c->copies, c->up_copies);
}

KUNIT_ARRAY_PARAM(units, units_cases, units_case_desc);

static void vio_qos_units_test(struct kunit *test)
{
	const struct units_case *c = test->param_value;
	struct vio_req rq = { .dir = c->dir, .bytes = c->bytes, .copies = c->copies,
			      .up_copies = c->up_copies };
	struct vio_qos_params p;

	vio_qos_params_default(&p);
	p.iops_size = c->iops_size;
	KUNIT_EXPECT_EQ(test, vio_qos_units(&p, &rq), c->units);
}

static struct kunit_case vio_qos_param_test_cases[] = {
	KUNIT_CASE_PARAM(vio_qos_parse_test, param_gen_params),
	KUNIT_CASE(vio_qos_parse_atomic_test),
	KUNIT_CASE(vio_qos_format_roundtrip_test),
	KUNIT_CASE(vio_qos_format_short_test),
	KUNIT_CASE(vio_qos_format_arrays_short_test),
	KUNIT_CASE(vio_qos_prefer_avoid_test),
	KUNIT_CASE_PARAM(vio_qos_parse_rate_test, rate_gen_params),
	KUNIT_CASE_PARAM(vio_qos_units_test, units_gen_params),
	{}
};

static struct kunit_suite vio_qos_param_test_suite = {
	.name = "dm_vio_qos_params",
	.test_cases = vio_qos_param_test_cases,
};

/* ---- The simulator ---- */

#define SIM_CLASSES	4
#define SIM_DEPTH	8
#define SIM_SECS	64
#define SEC		NSEC_PER_SEC
#define MSEC		NSEC_PER_MSEC
#define USEC		NSEC_PER_USEC

struct sim_class {
	struct vio_qclass q;
	struct vio_req rq;	/* every request of the class is this one */
	bool greedy;		/* always has another request queued */
	u64 period_ns;		/* else one arrives every period_ns; 0: none */
	u64 next_arrival;
	u64 backlog;		/* queued behind the head, when not greedy */
	u64 total;		/* requests dispatched */
	u64 units;		/* counted I/Os dispatched */
	u64 reserved;		/* of which in the reservation phase */
	u64 missed;		/* dispatches that missed the reservation */
	u32 per_sec[SIM_SECS];	/* requests dispatched in each second */
};

struct sim {
	struct vio_sched s;
	struct sim_class c[SIM_CLASSES];
	unsigned int n;
	u64 now;
	u64 service_ns;		/* device time per request and slot */
	unsigned int depth;	/* slots: requests in flight at most */
	unsigned int inflight;
	u64 done[SIM_DEPTH];	/* completion times of those in flight */
	struct vio_qclass *pause;	/* sim_run() returns when it went */
};

/*
 * A device serving @depth requests at a time, each in @service_ns, and @n
 * classes of 4 KiB reads with default parameters, none backlogged yet.
 */
static struct sim *sim_new(struct kunit *test, unsigned int n, u64 service_ns,
			   unsigned int depth)
{
	struct vio_qos_params p;
	struct sim *sim;
	unsigned int i;

	sim = kunit_kzalloc(test, sizeof(*sim), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sim);
	KUNIT_ASSERT_LE(test, n, SIM_CLASSES);
	KUNIT_ASSERT_LE(test, depth, SIM_DEPTH);
	sim->n = n;
	sim->service_ns = service_ns;
	sim->depth = depth;
	vio_sched_init(&sim->s);
	vio_qos_params_default(&p);
	for (i = 0; i < n; i++) {
		vio_qclass_init(&sim->c[i].q, &p);
		sim->c[i].rq.dir = VIO_DIR_READ;
		sim->c[i].rq.bytes = 4096;
	}
	return sim;
}

/* New parameters for class @i, before it starts or while it runs. */
static void sim_params(struct kunit *test, struct sim *sim, unsigned int i,
		       const char *line)
{
	struct vio_qos_params p;

	qos_params(test, line, &p);
	vio_sched_reparam(&sim->s, &sim->c[i].q, &p, sim->now);
}

/* Class @i becomes backlogged, and stays so. */
static void sim_start(struct sim *sim, unsigned int i)
{
	struct sim_class *c = &sim->c[i];

	c->greedy = true;
	if (c->q.state == VIO_Q_IDLE)
		vio_sched_activate(&sim->s, &c->q, &c->rq, sim->now);
}

/* Class @i queues nothing more: its queued head is its last request. */
static void sim_stop(struct sim *sim, unsigned int i)
{
	sim->c[i].greedy = false;
	sim->c[i].period_ns = 0;
	sim->c[i].backlog = 0;
}

/* Class @i gets @rate requests per second, from now on. */
static void sim_feed(struct sim *sim, unsigned int i, u64 rate)
{
	sim->c[i].greedy = false;
	sim->c[i].period_ns = div64_u64(SEC, rate);
	sim->c[i].next_arrival = sim->now;
}

/* Requests arriving at fed classes until now; returns the next arrival. */
static u64 sim_arrive(struct sim *sim, u64 next)
{
	unsigned int i;

	for (i = 0; i < sim->n; i++) {
		struct sim_class *c = &sim->c[i];

		if (!c->period_ns)
			continue;
		for (; c->next_arrival <= sim->now; c->next_arrival += c->period_ns) {
			if (c->q.state == VIO_Q_IDLE)
				vio_sched_activate(&sim->s, &c->q, &c->rq, sim->now);
			else
				c->backlog++;
		}
		next = min(next, c->next_arrival);
	}
	return next;
}

static void sim_dispatch(struct sim *sim, const struct vio_pick *pick)
{
	struct sim_class *c = container_of(pick->c, struct sim_class, q);
	u64 sec = div_u64(sim->now, SEC);
	bool more = c->greedy;

	if (!more && c->backlog) {
		c->backlog--;
		more = true;
	}
	c->units += vio_qos_units(&c->q.p, &c->q.head);
	if (!vio_sched_dispatched(&sim->s, &c->q, pick->reserved, sim->now,
				  more ? &c->rq : NULL))
		c->missed++;
	c->total++;
	if (pick->reserved)
		c->reserved++;
	if (sec < SIM_SECS)
		c->per_sec[sec]++;
	sim->done[sim->inflight++] = sim->now + sim->service_ns;
}

/*
 * Run until @until: retire what completed, queue what arrived, dispatch
 * while a slot is free and the scheduler offers a class, then jump to the
 * next completion or arrival or, if the scheduler holds everything back,
 * to when it says to wake.
 */
static void sim_run(struct sim *sim, u64 until)
{
	for (;;) {
		struct vio_pick pick = {};
		u64 next;
		unsigned int i;

		for (i = 0; i < sim->inflight;) {
			if (sim->done[i] <= sim->now)
				sim->done[i] = sim->done[--sim->inflight];
			else
				i++;
		}
		next = sim_arrive(sim, until);
		while (sim->inflight < sim->depth) {
			pick = vio_sched_pick(&sim->s, sim->now);
			if (!pick.c)
				break;
			sim_dispatch(sim, &pick);
			if (pick.c == sim->pause) {
				sim->pause = NULL;
				return;
			}
		}
		if (sim->now >= until)
			break;
		if (sim->inflight == sim->depth) {
			for (i = 0; i < sim->inflight; i++)
				next = min(next, sim->done[i]);
		} else if (pick.wake) {
			next = min(next, pick.wake);
		}
		sim->now = next;
	}
}

/* Run for @ns and return what class @i dispatched meanwhile. */
static u64 sim_run_for(struct sim *sim, u64 ns, unsigned int i, u64 *others)
{
	u64 before[SIM_CLASSES];
	unsigned int k;

	for (k = 0; k < sim->n; k++)
		before[k] = sim->c[k].total;
	sim_run(sim, sim->now + ns);
	if (others) {
		*others = 0;
		for (k = 0; k < sim->n; k++)
			if (k != i)
				*others += sim->c[k].total - before[k];
	}
	return sim->c[i].total - before[i];
}

/* Is @got within @tol of @want? */
static bool near(u64 got, u64 want, u64 tol)
{
	return got + tol >= want && got <= want + tol;
}

/* @got is within @tol of @want. */
static void expect_near(struct kunit *test, const char *what, u64 got, u64 want,
			u64 tol)
{
	KUNIT_EXPECT_TRUE_MSG(test, near(got, want, tol),
			      "%s: got %llu, want %llu +- %llu", what, got, want, tol);
}

/* @part / @whole, per mille, rounded. */
static u64 per_mille(u64 part, u64 whole)
{
	return whole ? div64_u64(part * 1000 + whole / 2, whole) : 0;
}

/* @part / @whole is @want_pm per mille, within @tol_pm. */
static void expect_share(struct kunit *test, const char *what, u64 part,
			 u64 whole, u64 want_pm, u64 tol_pm)
{
	u64 pm = per_mille(part, whole);

	KUNIT_EXPECT_TRUE_MSG(test, near(pm, want_pm, tol_pm),
			      "%s: %llu of %llu is %llu per mille, want %llu +- %llu",
			      what, part, whole, pm, want_pm, tol_pm);
}

/* A check that prints what it saw against what it wanted. */
static void qos_expect(struct kunit *test, bool ok, const char *what,
		       u64 got, u64 want)
{
	KUNIT_EXPECT_TRUE_MSG(test, ok, "%s: got %llu, want %llu", what, got, want);
}

/* ---- Limits and bursts ---- */

struct limit_case {
	const char *params;
	enum vio_dir dir;
	u32 bytes;
	u64 rate;	/* requests per second it should get */
	u64 secs;	/* measured for */
};

static const struct limit_case limit_cases[] = {
	{ "iops=10", VIO_DIR_READ, 4096, 10, 10 },
	{ "iops=1000", VIO_DIR_WRITE, 4096, 1000, 10 },
	{ "iops=20000", VIO_DIR_READ, 4096, 20000, 2 },
	{ "riops=500", VIO_DIR_READ, 4096, 500, 4 },
	{ "wiops=500", VIO_DIR_WRITE, 4096, 500, 4 },
	{ "bps=64k", VIO_DIR_READ, 4096, 16, 10 },
	{ "bps=256m", VIO_DIR_WRITE, 1 << 20, 256, 10 },
	{ "rbps=1m", VIO_DIR_READ, 65536, 16, 10 },
	{ "wbps=100m", VIO_DIR_WRITE, 4096, 25600, 2 },
	{ "iops=2000 bps=1m", VIO_DIR_READ, 4096, 256, 10 },
	{ "iops=100 bps=1g", VIO_DIR_READ, 4096, 100, 10 },
	/* iops_size: a 64 KiB I/O counts 16 against iops. */
	{ "iops=1600 iops_size=4k", VIO_DIR_READ, 65536, 100, 10 },
	{ "iops=1000 iops_size=4k", VIO_DIR_READ, 4096, 1000, 10 },
	/* Weight and reservation do not lift a limit. */
	{ "iops=50 res_iops=50 weight=10000", VIO_DIR_READ, 4096, 50, 10 },
};

static void limit_case_desc(const struct limit_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s, %s of %u bytes", c->params,
		 c->dir == VIO_DIR_READ ? "reads" : "writes", c->bytes);
}

KUNIT_ARRAY_PARAM(limit, limit_cases, limit_case_desc);

/*
 * A lone backlogged class on a device far faster than its limit gets the
 * limit within 1%, and its first second at most the 10 ms slack more.
 */
static void vio_qos_limit_test(struct kunit *test)
{
	const struct limit_case *c = test->param_value;
	struct sim *sim = sim_new(test, 1, USEC, 1);
	u64 first, got;

	sim->c[0].rq.dir = c->dir;
	sim->c[0].rq.bytes = c->bytes;
	sim_params(test, sim, 0, c->params);
	sim_start(sim, 0);
	first = sim_run_for(sim, SEC, 0, NULL);
	KUNIT_EXPECT_GE(test, first, c->rate);
	KUNIT_EXPECT_LE(test, first, c->rate + div_u64(c->rate, 100) + 1);

	got = sim_run_for(sim, c->secs * SEC, 0, NULL);
	expect_near(test, c->params, got, c->rate * c->secs,
		    max_t(u64, div_u64(c->rate * c->secs, 100), 1));
}

struct dir_case {
	const char *params;
	bool reads_limited;
	bool writes_limited;
};

static const struct dir_case dir_cases[] = {
	{ "riops=100", true, false },
	{ "wiops=100", false, true },
	{ "iops=100", true, true },
	{ "rbps=400k", true, false },
	{ "wbps=400k", false, true },
	{ "bps=400k", true, true },
	{ "riops=100 rbps=400k", true, false },
};

static void dir_case_desc(const struct dir_case *c, char *desc)
{
	strscpy(desc, c->params, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(dir, dir_cases, dir_case_desc);

/*
 * A reader and a writer with the same parameters on a 10000 IOPS device:
 * a direction's limit holds it at 100/s, the other direction takes the
 * rest of the device.
 */
static void vio_qos_limit_dir_test(struct kunit *test)
{
	const struct dir_case *c = test->param_value;
	struct sim *sim = sim_new(test, 2, 100 * USEC, 1);
	u64 reads, writes;

	sim->c[1].rq.dir = VIO_DIR_WRITE;
	sim_params(test, sim, 0, c->params);
	sim_params(test, sim, 1, c->params);
	sim_start(sim, 0);
	sim_start(sim, 1);
	sim_run(sim, SEC);
	reads = sim_run_for(sim, 2 * SEC, 0, &writes);
	if (c->reads_limited)
		expect_near(test, "reads", reads, 200, 2);
	else
		expect_near(test, "reads", reads, c->writes_limited ? 19800 : 10000, 200);
	if (c->writes_limited)
		expect_near(test, "writes", writes, 200, 2);
	else
		expect_near(test, "writes", writes, c->reads_limited ? 19800 : 10000, 200);
}

/* Per-second counts of a 100/s class with a 2 s burst at 1000/s. */
static void expect_burst(struct kunit *test, const struct sim_class *c,
			 unsigned int from, unsigned int secs)
{
	unsigned int s;

	for (s = from; s < from + secs; s++) {
		if (s < from + 2)
			expect_near(test, "burst second", c->per_sec[s], 1000, 50);
		else
			expect_near(test, "second after the burst", c->per_sec[s], 100, 2);
	}
}

/*
 * iops=100 iops_max=1000 iops_max_len=2: 1000/s for 2 s, then 100/s; the
 * burst is earned back by being idle (18 s at 100/s for 1800 I/Os).
 */
static void vio_qos_burst_test(struct kunit *test)
{
	struct sim *sim = sim_new(test, 1, 10 * USEC, 1);
	const struct sim_class *c = &sim->c[0];

	sim_params(test, sim, 0, "iops=100 iops_max=1000 iops_max_len=2");
	sim_start(sim, 0);
	sim_run(sim, 6 * SEC);
	expect_burst(test, c, 0, 6);

	/* Idle for 9 s: half the burst is back (900 extra I/Os). */
	sim_stop(sim, 0);
	sim_run(sim, 15 * SEC);
	KUNIT_EXPECT_LE(test, c->per_sec[6], 2);
	KUNIT_EXPECT_EQ(test, c->per_sec[7] + c->per_sec[14], 0);
	sim_start(sim, 0);
	sim_run(sim, 18 * SEC);
	expect_near(test, "half burst", c->per_sec[15], 100 + 900, 50);
	expect_near(test, "after half burst", c->per_sec[16], 100, 2);
	expect_near(test, "after half burst", c->per_sec[17], 100, 2);

	/* Idle for 20 s: the whole burst is back. */
	sim_stop(sim, 0);
	sim_run(sim, 38 * SEC);
	sim_start(sim, 0);
	sim_run(sim, 42 * SEC);
	expect_burst(test, c, 38, 4);
}

/* A burst is also capped by its rate when the device could go faster. */
static void vio_qos_burst_bytes_test(struct kunit *test)
{
	struct sim *sim = sim_new(test, 1, 10 * USEC, 1);
	const struct sim_class *c = &sim->c[0];

	sim->c[0].rq.bytes = 65536;
	sim_params(test, sim, 0, "bps=4m bps_max=64m bps_max_len=1");
	sim_start(sim, 0);
	sim_run(sim, 4 * SEC);
	/* 64 MiB/s of 64 KiB I/Os is 1024/s; 4 MiB/s is 64/s. */
	expect_near(test, "burst second", c->per_sec[0], 1024, 52);
	expect_near(test, "after the burst", c->per_sec[1], 64, 2);
	expect_near(test, "after the burst", c->per_sec[2], 64, 2);
	expect_near(test, "after the burst", c->per_sec[3], 64, 2);
}

/*
 * The largest bursts the parser accepts: the credit they build is capped,
 * not overflowed (which trapped in the division), and the class still
 * bursts and then holds its limit.
 */
static void vio_qos_burst_extreme_test(struct kunit *test)
{
	static const char * const params[] = {
		"iops=1 iops_max=100000000 iops_max_len=3600",
		"bps=1 bps_max=1t bps_max_len=17",
	};
	struct vio_qclass *qc = kunit_kzalloc(test, sizeof(*qc), GFP_KERNEL);
	const struct vio_req rq = { .dir = VIO_DIR_READ, .bytes = 4096 };
	struct vio_qos_params p;
	struct vio_err err = {};
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, qc);
	for (i = 0; i < ARRAY_SIZE(params); i++) {
		char *argv[3];
		unsigned int argc = vio_split_words(test, params[i], argv,
						    ARRAY_SIZE(argv));

		vio_qos_params_default(&p);
		KUNIT_ASSERT_EQ_MSG(test, vio_qos_parse(argc, argv, &p, &err), 0,
				    "%s", err.msg);
		vio_qclass_init(qc, &p);
		KUNIT_EXPECT_LE(test, qc->avg[i ? VIO_LIM_BPS : VIO_LIM_IOPS].tolerance_ns,
				VIO_QOS_SLACK_NS + VIO_BURST_CREDIT_MAX_NS);
		/* An idle class may go at once. */
		KUNIT_EXPECT_LE(test, vio_qclass_eligible(qc, &rq), 1000ULL);
	}
}

/* When a limit holds a class back, vio_sched_pick() says when to wake. */
static void vio_qos_pick_wake_test(struct kunit *test)
{
	struct vio_qos_params p;
	struct vio_qclass *c;
	struct vio_sched *s;
	struct vio_req rq = { VIO_DIR_READ, 4096 };
	struct vio_req flush = { VIO_DIR_NONE, 0 };
	struct vio_pick pick;

	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_NOT_NULL(test, c);
	vio_sched_init(s);
	qos_params(test, "iops=10", &p);
	vio_qclass_init(c, &p);

	pick = vio_sched_pick(s, 0);
	KUNIT_EXPECT_NULL(test, pick.c);
	KUNIT_EXPECT_EQ(test, pick.wake, 0);

	vio_sched_activate(s, c, &rq, 0);
	pick = vio_sched_pick(s, 0);
	KUNIT_ASSERT_PTR_EQ(test, pick.c, c);
	KUNIT_EXPECT_FALSE(test, pick.reserved);
	KUNIT_EXPECT_TRUE(test, vio_sched_dispatched(s, c, false, 0, &rq));
	/* 100 ms per I/O, 10 ms early allowed. */
	pick = vio_sched_pick(s, MSEC);
	KUNIT_EXPECT_NULL(test, pick.c);
	KUNIT_EXPECT_EQ(test, pick.wake, 90 * MSEC);
	pick = vio_sched_pick(s, 90 * MSEC - 1);
	KUNIT_EXPECT_NULL(test, pick.c);
	pick = vio_sched_pick(s, 90 * MSEC);
	KUNIT_EXPECT_PTR_EQ(test, pick.c, c);

	/* An empty flush behind it is not held back by the limit... */
	KUNIT_EXPECT_EQ(test, vio_sched_dispatched(s, c, false, 90 * MSEC, &flush), true);
	KUNIT_EXPECT_EQ(test, vio_qclass_eligible(c, &rq), 190 * MSEC);
	KUNIT_EXPECT_EQ(test, vio_qclass_eligible(c, &flush), 0);
	pick = vio_sched_pick(s, 90 * MSEC);
	KUNIT_ASSERT_PTR_EQ(test, pick.c, c);
	/* ...nor charged. */
	vio_sched_dispatched(s, c, false, 90 * MSEC, NULL);
	KUNIT_EXPECT_EQ(test, vio_qclass_eligible(c, &rq), 190 * MSEC);
	KUNIT_EXPECT_EQ(test, c->state, VIO_Q_IDLE);
	pick = vio_sched_pick(s, 90 * MSEC);
	KUNIT_EXPECT_NULL(test, pick.c);
	KUNIT_EXPECT_EQ(test, pick.wake, 0);
}

/*
 * One 64 KiB write charged to a class with every kind of rate, at 0:
 * iops=100 is 10 ms per counted I/O, and a 64 KiB write counts 4 at
 * iops_size=16k, 4 x copies in all; bps=1m is 62.5 ms per 64 KiB that
 * crosses the host's link, up_copies times. res_iops=50 and
 * res_bps=512k advance the R-tags by twice that; weight 100 advances
 * the P-tag by (10000 << 20) / 100 = 104857600 per counted I/O. The next
 * write may go 10 ms (the slack) before the later bucket is due.
 */
static void vio_qos_charge_copies_test(struct kunit *test)
{
	static const struct {
		u16 copies, up_copies;
		u64 iops_tat, bps_tat, eligible, rtag_iops, rtag_bps, ptag;
	} cases[] = {
		/* 4 I/Os: 40 ms; 64 KiB once: 62.5 ms, less 10 ms. */
		{ 0, 0, 40 * MSEC, 62500 * USEC, 52500 * USEC, 80 * MSEC, 125 * MSEC,
		  4 * 104857600ULL },
		{ 1, 1, 40 * MSEC, 62500 * USEC, 52500 * USEC, 80 * MSEC, 125 * MSEC,
		  4 * 104857600ULL },
		/* Multicast to 3 legs: 12 I/Os, 120 ms; the bytes once. */
		{ 3, 1, 120 * MSEC, 62500 * USEC, 110 * MSEC, 240 * MSEC, 125 * MSEC,
		  12 * 104857600ULL },
		{ 3, 0, 120 * MSEC, 62500 * USEC, 110 * MSEC, 240 * MSEC, 125 * MSEC,
		  12 * 104857600ULL },
		/* From the host to 3 legs: the bytes 3 times, 187.5 ms. */
		{ 3, 3, 120 * MSEC, 187500 * USEC, 177500 * USEC, 240 * MSEC, 375 * MSEC,
		  12 * 104857600ULL },
		{ 1, 3, 40 * MSEC, 187500 * USEC, 177500 * USEC, 80 * MSEC, 375 * MSEC,
		  4 * 104857600ULL },
		/* 8 legs from the host: 32 I/Os, 320 ms; 512 KiB, 500 ms. */
		{ 8, 8, 320 * MSEC, 500 * MSEC, 490 * MSEC, 640 * MSEC, 1000 * MSEC,
		  32 * 104857600ULL },
	};
	struct vio_qclass *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct vio_qos_params p;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, c);
	qos_params(test, "iops=100 bps=1m res_iops=50 res_bps=512k iops_size=16k", &p);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vio_req rq = { .dir = VIO_DIR_WRITE, .bytes = 65536,
				      .copies = cases[i].copies,
				      .up_copies = cases[i].up_copies };

		vio_qclass_init(c, &p);
		KUNIT_EXPECT_EQ(test, vio_qclass_eligible(c, &rq), 0);
		vio_qclass_charge(c, &rq, 0, 0, true, false);
		KUNIT_EXPECT_EQ_MSG(test, c->avg_tat[VIO_LIM_IOPS], cases[i].iops_tat,
				    "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, c->avg_tat[VIO_LIM_BPS], cases[i].bps_tat, "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, vio_qclass_eligible(c, &rq), cases[i].eligible,
				    "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, c->rtag[VIO_RES_IOPS], cases[i].rtag_iops, "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, c->rtag[VIO_RES_BPS], cases[i].rtag_bps, "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, c->ptag, cases[i].ptag, "case %u", i);
	}
}

/*
 * iops=1000 is 1 ms per counted I/O; a write to 3 legs counts 3, so the
 * n-th write (from 0) may go at 3n - 10 ms (the slack), and one due at
 * the end of a run goes in that run: in the first second n = 0 to 336,
 * 337 writes, then in the next nine seconds n = 337 to 3336, 3000: a
 * third of the 1011 and 9000 writes to one leg (n - 10 <= 1000, then
 * n = 1011 to 10010).
 */
static void vio_qos_limit_copies_test(struct kunit *test)
{
	static const struct {
		const char *params;
		u32 bytes;
		u16 copies;
		u64 first, next9;
	} cases[] = {
		{ "iops=1000", 4096, 3, 337, 3000 },
		{ "iops=1000", 4096, 1, 1011, 9000 },
		{ "iops=1000", 4096, 0, 1011, 9000 },
		/*
		 * iops_size=4k: a 16 KiB write counts 4, 12 on 3 legs, at
		 * 12n - 10 ms: n = 0 to 84, 85; then n = 85 to 834, 750.
		 */
		{ "iops=1000 iops_size=4k", 16384, 3, 85, 750 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sim *sim = sim_new(test, 1, USEC, 1);

		sim->c[0].rq.dir = VIO_DIR_WRITE;
		sim->c[0].rq.bytes = cases[i].bytes;
		sim->c[0].rq.copies = cases[i].copies;
		sim_params(test, sim, 0, cases[i].params);
		sim_start(sim, 0);
		KUNIT_EXPECT_EQ_MSG(test, sim_run_for(sim, SEC, 0, NULL), cases[i].first,
				    "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, sim_run_for(sim, 9 * SEC, 0, NULL), cases[i].next9,
				    "case %u", i);
	}
}

/*
 * bps=3m of 64 KiB writes: 1/48 s each when they cross the host's link
 * once, 48/s: the n-th at 20.83n - 10 ms, n = 0 to 48 in the first
 * second (49), n = 49 to 528 in the next ten (480). 3 upstream copies
 * are 3 x 64 KiB, 1/16 s, a third as many: 62.5n - 10 ms, n = 0 to 16
 * (17), then n = 17 to 176 (160). Copies the switch makes cost no bytes.
 */
static void vio_qos_limit_up_copies_test(struct kunit *test)
{
	static const struct {
		u16 copies, up_copies;
		u64 first, next10;
	} cases[] = {
		{ 1, 1, 49, 480 },
		{ 3, 1, 49, 480 },
		{ 3, 3, 17, 160 },
		{ 0, 3, 17, 160 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sim *sim = sim_new(test, 1, USEC, 1);

		sim->c[0].rq.dir = VIO_DIR_WRITE;
		sim->c[0].rq.bytes = 65536;
		sim->c[0].rq.copies = cases[i].copies;
		sim->c[0].rq.up_copies = cases[i].up_copies;
		sim_params(test, sim, 0, "bps=3m");
		sim_start(sim, 0);
		KUNIT_EXPECT_EQ_MSG(test, sim_run_for(sim, SEC, 0, NULL), cases[i].first,
				    "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, sim_run_for(sim, 10 * SEC, 0, NULL), cases[i].next10,
				    "case %u", i);
	}
}

static struct kunit_case vio_qos_limit_test_cases[] = {
	KUNIT_CASE_PARAM(vio_qos_limit_test, limit_gen_params),
	KUNIT_CASE_PARAM(vio_qos_limit_dir_test, dir_gen_params),
	KUNIT_CASE(vio_qos_burst_test),
	KUNIT_CASE(vio_qos_burst_bytes_test),
	KUNIT_CASE(vio_qos_burst_extreme_test),
	KUNIT_CASE(vio_qos_pick_wake_test),
	KUNIT_CASE(vio_qos_charge_copies_test),
	KUNIT_CASE(vio_qos_limit_copies_test),
	KUNIT_CASE(vio_qos_limit_up_copies_test),
	{}
};

static struct kunit_suite vio_qos_limit_test_suite = {
	.name = "dm_vio_qos_limits",
	.test_cases = vio_qos_limit_test_cases,
};

/* ---- Weights ---- */

/* Weights 4:2:1, all backlogged, device saturated: 4/7, 2/7, 1/7. */
static void vio_qos_weight_test(struct kunit *test)
{
	struct sim *sim = sim_new(test, 3, MSEC, 1);
	u64 total;

	sim_params(test, sim, 0, "weight=400");
	sim_params(test, sim, 1, "weight=200");
	sim_params(test, sim, 2, "weight=100");
	sim_start(sim, 0);
	sim_start(sim, 1);
	sim_start(sim, 2);
	sim_run(sim, 10 * SEC);
	total = sim->c[0].total + sim->c[1].total + sim->c[2].total;
	expect_near(test, "device busy", total, 10000, 1);
	expect_share(test, "weight 4", sim->c[0].total, total, 571, 10);
	expect_share(test, "weight 2", sim->c[1].total, total, 286, 10);
	expect_share(test, "weight 1", sim->c[2].total, total, 143, 10);
	/* And so in the first second already. */
	expect_share(test, "weight 4, first second", sim->c[0].per_sec[0], 1000, 571, 10);
}

/* With a deeper queue the shares are the same. */
static void vio_qos_weight_depth_test(struct kunit *test)
{
	struct sim *sim = sim_new(test, 3, 8 * MSEC, 8);
	u64 total;

	sim_params(test, sim, 0, "weight=4");
	sim_params(test, sim, 1, "weight=2");
	sim_params(test, sim, 2, "weight=1");
	sim_start(sim, 0);
	sim_start(sim, 1);
	sim_start(sim, 2);
	sim_run(sim, 10 * SEC);
	total = sim->c[0].total + sim->c[1].total + sim->c[2].total;
	expect_near(test, "device busy", total, 10000, 8);
	expect_share(test, "weight 4", sim->c[0].total, total, 571, 10);
	expect_share(test, "weight 2", sim->c[1].total, total, 286, 10);
	expect_share(test, "weight 1", sim->c[2].total, total, 143, 10);
}

/*
 * Same weight, iops_size=4k: a class of 64 KiB I/Os counts 16 per I/O, so
 * it gets 1/16 of the I/Os of a class of 4 KiB I/Os, the same counted I/Os.
 */
static void vio_qos_weight_iops_size_test(struct kunit *test)
{
	struct sim *sim = sim_new(test, 2, MSEC, 1);

	sim->c[0].rq.bytes = 65536;
	sim_params(test, sim, 0, "iops_size=4k");
	sim_params(test, sim, 1, "iops_size=4k");
	sim_start(sim, 0);
	sim_start(sim, 1);
	sim_run(sim, 10 * SEC);
	expect_share(test, "64k class, I/Os", sim->c[0].total,
		     sim->c[0].total + sim->c[1].total, 59, 2);
	expect_share(test, "64k class, counted", sim->c[0].units,
		     sim->c[0].units + sim->c[1].units, 500, 10);
	KUNIT_EXPECT_EQ(test, sim->c[0].units, 16 * sim->c[0].total);
	KUNIT_EXPECT_EQ(test, sim->c[1].units, sim->c[1].total);
}

/*
 * Same weight: a class of writes to 3 legs counts 3 per write, so it gets
 * a third of the writes of a class of reads, the same counted I/Os: of
 * the 10000 requests of 10 s, x writes and 3x reads, x = 2500.
 */
static void vio_qos_weight_copies_test(struct kunit *test)
{
	struct sim *sim = sim_new(test, 2, MSEC, 1);
	u64 total;

	sim->c[0].rq.dir = VIO_DIR_WRITE;
	sim->c[0].rq.copies = 3;
	sim_start(sim, 0);
	sim_start(sim, 1);
	sim_run(sim, 10 * SEC);
	total = sim->c[0].total + sim->c[1].total;
	expect_near(test, "device busy", total, 10000, 1);
	expect_near(test, "writes to 3 legs", sim->c[0].total, 2500, 25);
	expect_share(test, "counted", sim->c[0].units, sim->c[0].units + sim->c[1].units,
		     500, 10);
	KUNIT_EXPECT_EQ(test, sim->c[0].units, 3 * sim->c[0].total);
	KUNIT_EXPECT_EQ(test, sim->c[1].units, sim->c[1].total);
}

/*
 * Work conservation: an idle class's share goes to the others; when it
 * comes back after a long idle time it gets its share, not a burst of
 * credit banked meanwhile.
 */
static void vio_qos_idle_test(struct kunit *test)
{
	struct sim *sim = sim_new(test, 3, MSEC, 1);
	u64 got, others;
	unsigned int k;

	for (k = 0; k < 3; k++) {
		sim_params(test, sim, k, "weight=100");
		sim_start(sim, k);
	}
	got = sim_run_for(sim, SEC, 2, &others);
	expect_share(test, "all busy", got, got + others, 333, 10);

	sim_stop(sim, 2);
	got = sim_run_for(sim, 5 * SEC, 0, &others);
	expect_near(test, "idle class's leftover", sim->c[2].per_sec[1], 0, 1);
	expect_share(test, "one idle", got, got + others, 500, 10);

	sim_start(sim, 2);
	got = sim_run_for(sim, 100 * MSEC, 2, &others);
	expect_share(test, "back, first 100 ms", got, got + others, 333, 20);
	sim_run(sim, 8 * SEC);
	for (k = 0; k < 3; k++)
		expect_share(test, "all busy again", sim->c[k].per_sec[7], 1000, 333, 10);
}

/*
 * A class that asks for less than its share gets all it asks for, the
 * backlogged ones the rest; one that asks for more gets its share.
 */
static void vio_qos_demand_test(struct kunit *test)
{
	static const u64 demand[] = { 100, 400 };
	unsigned int d, k;

	for (d = 0; d < ARRAY_SIZE(demand); d++) {
		struct sim *sim = sim_new(test, 3, MSEC, 1);
		u64 got, others;

		sim_feed(sim, 0, demand[d]);
		sim_start(sim, 1);
		sim_start(sim, 2);
		got = sim_run_for(sim, 10 * SEC, 0, &others);
		expect_near(test, "device busy", got + others, 10000, 1);
		if (demand[d] == 100) {
			expect_near(test, "light class", got, 1000, 2);
			KUNIT_EXPECT_LE(test, sim->c[0].backlog, 1);
		} else {
			expect_share(test, "heavy class", got, got + others, 333, 10);
			KUNIT_EXPECT_GE(test, sim->c[0].backlog, 600);
		}
		for (k = 1; k < 3; k++)
			expect_near(test, "backlogged class", sim->c[k].total,
				    (10000 - got) / 2, 2);
	}
}

/* Weight 1 against 10000 on a 20000 IOPS device: 2/s, every second. */
static void vio_qos_no_starvation_test(struct kunit *test)
{
	struct sim *sim = sim_new(test, 2, 50 * USEC, 1);
	unsigned int s;

	sim_params(test, sim, 0, "weight=1");
	sim_params(test, sim, 1, "weight=10000");
	sim_start(sim, 0);
	sim_start(sim, 1);
	sim_run(sim, 5 * SEC);
	for (s = 0; s < 5; s++) {
		KUNIT_EXPECT_GT_MSG(test, sim->c[0].per_sec[s], 0, "second %u", s);
		KUNIT_EXPECT_LE_MSG(test, sim->c[0].per_sec[s], 3, "second %u", s);
	}
}

/*
 * A class of weight 1000 limited to 100 IOPS gets 100/s; the others split
 * the rest of the 1000 IOPS device by their weights.
 */
static void vio_qos_limit_weight_test(struct kunit *test)
{
	struct sim *sim = sim_new(test, 3, MSEC, 1);
	u64 got, others;

	sim_params(test, sim, 0, "weight=1000 iops=100");
	sim_params(test, sim, 1, "weight=200");
	sim_params(test, sim, 2, "weight=100");
	sim_start(sim, 0);
	sim_start(sim, 1);
	sim_start(sim, 2);
	sim_run(sim, SEC);
	got = sim_run_for(sim, 10 * SEC, 0, &others);
	expect_near(test, "limited class", got, 1000, 10);
	expect_near(test, "others", others, 9000, 10);
	expect_near(test, "weight 200", sim->c[1].total - sim->c[1].per_sec[0], 6000, 60);
	expect_near(test, "weight 100", sim->c[2].total - sim->c[2].per_sec[0], 3000, 60);
}

/*
 * A class held back by its limit does not bank weight: once the limit is
 * lifted, it shares by weight from then on.
 */
static void vio_qos_limit_no_credit_test(struct kunit *test)
{
	struct sim *sim = sim_new(test, 2, MSEC, 1);
	u64 got, others;

	sim_params(test, sim, 0, "iops=100");
	sim_start(sim, 0);
	sim_start(sim, 1);
	sim_run(sim, 5 * SEC);
	expect_near(test, "limited", sim->c[0].total, 500, 6);

	/*
	 * A class waiting for its limit falls behind the virtual time (here
	 * by the 4000 I/Os the other class got beyond its share); becoming
	 * ready again must bring it up to the virtual time, or it would have
	 * banked weight while limited and shut the other out for 4 s.
	 */
	sim_params(test, sim, 0, "");
	got = sim_run_for(sim, SEC, 0, &others);
	qos_expect(test, near(per_mille(got, got + others), 500, 10),
		   "share per mille of a class whose limit was lifted",
		      per_mille(got, got + others), 500);
}

/*
 * A class that starts while another is held back by its limit starts at
 * the current virtual time, not that of the limited class.
 */
static void vio_qos_start_beside_limited_test(struct kunit *test)
{
	struct sim *sim = sim_new(test, 3, MSEC, 1);
	u64 got, others;

	sim_params(test, sim, 0, "iops=100");
	sim_start(sim, 0);
	sim_start(sim, 1);
	sim_run(sim, 5 * SEC);

	/* Just after the limited class went, when it is furthest behind. */
	sim->pause = &sim->c[0].q;
	sim_run(sim, 6 * SEC);
	KUNIT_ASSERT_NULL(test, sim->pause);
	/*
	 * The virtual time never goes back: were it set back to a lagging
	 * class's P-tag, a class activated now would start some 4000 I/Os
	 * behind the other backlogged class and take the device for seconds.
	 */
	sim_start(sim, 2);
	got = sim_run_for(sim, 100 * MSEC, 2, &others);
	qos_expect(test, near(per_mille(got, got + others), 450, 50),
		   "share per mille of a new class, first 100 ms",
		      per_mille(got, got + others), 450);
}

static struct kunit_case vio_qos_weight_test_cases[] = {
	KUNIT_CASE(vio_qos_weight_test),
	KUNIT_CASE(vio_qos_weight_depth_test),
	KUNIT_CASE(vio_qos_weight_iops_size_test),
	KUNIT_CASE(vio_qos_weight_copies_test),
	KUNIT_CASE(vio_qos_idle_test),
	KUNIT_CASE(vio_qos_demand_test),
	KUNIT_CASE(vio_qos_no_starvation_test),
	KUNIT_CASE(vio_qos_limit_weight_test),
	KUNIT_CASE(vio_qos_limit_no_credit_test),
	KUNIT_CASE(vio_qos_start_beside_limited_test),
	{}
};

static struct kunit_suite vio_qos_weight_test_suite = {
	.name = "dm_vio_qos_weights",
	.test_cases = vio_qos_weight_test_cases,
};

/* ---- Reservations ---- */

/*
 * res_iops=300 at weight 1 against three greedy classes of weight 100 on
 * a 1000 IOPS device: at least 99% of 300/s, every dispatch on time.
 * Without the reservation the same class gets 1/301 of the device.
 */
static void vio_qos_reservation_test(struct kunit *test)
{
	static const char * const lines[] = { "res_iops=300 weight=1", "weight=1" };
	unsigned int r, k;

	for (r = 0; r < ARRAY_SIZE(lines); r++) {
		struct sim *sim = sim_new(test, 4, MSEC, 1);
		u64 got, others;

		sim_params(test, sim, 0, lines[r]);
		for (k = 1; k < 4; k++)
			sim_params(test, sim, k, "weight=100");
		for (k = 0; k < 4; k++)
			sim_start(sim, k);
		got = sim_run_for(sim, 10 * SEC, 0, &others);
		expect_near(test, "device busy", got + others, 10000, 1);
		if (r == 0) {
			KUNIT_EXPECT_GE(test, got, 2970);
			KUNIT_EXPECT_LE(test, got, 3000 + 10000 / 301 + 2);
			KUNIT_EXPECT_GE(test, sim->c[0].reserved, 2970);
			KUNIT_EXPECT_EQ(test, sim->c[0].missed, 0);
		} else {
			expect_near(test, "without reservation", got, 10000 / 301, 3);
			KUNIT_EXPECT_EQ(test, sim->c[0].reserved, 0);
		}
		for (k = 1; k < 4; k++) {
			KUNIT_EXPECT_EQ(test, sim->c[k].reserved, 0);
			KUNIT_EXPECT_EQ(test, sim->c[k].missed, 0);
		}
		expect_near(test, "greedy classes equal", sim->c[1].total, sim->c[2].total, 2);
	}
}

/* res_bps works the same way, in bytes. */
static void vio_qos_reservation_bytes_test(struct kunit *test)
{
	struct sim *sim = sim_new(test, 2, MSEC, 1);
	u64 got;

	sim->c[0].rq.bytes = 65536;
	sim_params(test, sim, 0, "res_bps=16m weight=1");
	sim_params(test, sim, 1, "weight=10000");
	sim_start(sim, 0);
	sim_start(sim, 1);
	got = sim_run_for(sim, 10 * SEC, 0, NULL);
	/* 16 MiB/s of 64 KiB I/Os: 256/s. */
	KUNIT_EXPECT_GE(test, got, 2534);
	KUNIT_EXPECT_LE(test, got, 2560 + 2);
	KUNIT_EXPECT_EQ(test, sim->c[0].missed, 0);
}

/*
 * Reservations are met while the device can deliver them all, and
 * vio_sched_dispatched() says so; a reservation above what the device
 * can do is reported missed.
 */
static void vio_qos_reservation_met_test(struct kunit *test)
{
	struct sim *sim = sim_new(test, 3, MSEC, 1);

	sim_params(test, sim, 0, "res_iops=400 weight=1");
	sim_params(test, sim, 1, "res_iops=500 weight=1");
	sim_params(test, sim, 2, "weight=10000");
	sim_start(sim, 0);
	sim_start(sim, 1);
	sim_start(sim, 2);
	sim_run(sim, 5 * SEC);
	KUNIT_EXPECT_GE(test, sim->c[0].total, 1980);
	KUNIT_EXPECT_GE(test, sim->c[1].total, 2475);
	KUNIT_EXPECT_EQ(test, sim->c[0].missed, 0);
	KUNIT_EXPECT_EQ(test, sim->c[1].missed, 0);

	sim = sim_new(test, 2, MSEC, 1);
	sim_params(test, sim, 0, "res_iops=2000");
	sim_start(sim, 0);
	sim_start(sim, 1);
	sim_run(sim, SEC);
	KUNIT_EXPECT_GT(test, sim->c[0].missed, 0);
	KUNIT_EXPECT_EQ(test, sim->c[1].missed, 0);
}

/*
 * A reservation given to a class that has been busy for a while counts
 * from then on: the class gets no backlog of reserved I/O for the time
 * before, which would shut the others out.
 */
static void vio_qos_reservation_reparam_test(struct kunit *test)
{
	struct sim *sim = sim_new(test, 2, MSEC, 1);
	u64 got, others;

	sim_start(sim, 0);
	sim_start(sim, 1);
	sim_run(sim, 5 * SEC);
	/*
	 * A reservation added to a busy class starts now, not when the class
	 * was activated (t = 0): 5 s overdue, the class would be served in
	 * the reservation phase alone for over 2 s.
	 */
	sim_params(test, sim, 0, "res_iops=300");
	got = sim_run_for(sim, SEC, 0, &others);
	KUNIT_EXPECT_GE(test, got, 297);
	qos_expect(test, others >= 350, "the other class's I/Os in the next second",
		   others, 500);
}

/*
 * vio_sched_res_due() is true exactly while a backlogged reserved class is
 * behind its reservation schedule: not for a class without one, not for a
 * reserved class ahead of schedule, not once it has left the scheduler.
 */
static void vio_qos_res_due_test(struct kunit *test)
{
	struct vio_req rq = { VIO_DIR_READ, 4096 };
	struct vio_qos_params p;
	struct vio_qclass *r, *w;
	struct vio_sched *s;
	struct vio_pick pick;

	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_NOT_NULL(test, w);
	vio_sched_init(s);
	qos_params(test, "res_iops=100", &p);
	vio_qclass_init(r, &p);
	qos_params(test, "weight=100", &p);
	vio_qclass_init(w, &p);

	KUNIT_EXPECT_FALSE(test, vio_sched_res_due(s, 0));
	vio_sched_activate(s, w, &rq, 0);
	KUNIT_EXPECT_FALSE(test, vio_sched_res_due(s, SEC));

	vio_sched_activate(s, r, &rq, 0);
	KUNIT_EXPECT_TRUE(test, vio_sched_res_due(s, 0));
	pick = vio_sched_pick(s, 0);
	KUNIT_ASSERT_PTR_EQ(test, pick.c, r);
	KUNIT_EXPECT_TRUE(test, pick.reserved);
	vio_sched_dispatched(s, r, true, 0, &rq);
	/* Served on time: the next reserved I/O is due 10 ms later. */
	KUNIT_EXPECT_FALSE(test, vio_sched_res_due(s, MSEC));
	KUNIT_EXPECT_TRUE(test, vio_sched_res_due(s, 10 * MSEC));
	pick = vio_sched_pick(s, 10 * MSEC);
	KUNIT_ASSERT_PTR_EQ(test, pick.c, r);
	vio_sched_dispatched(s, r, true, 10 * MSEC, NULL);
	KUNIT_EXPECT_FALSE(test, vio_sched_res_due(s, SEC));
}

static struct kunit_case vio_qos_reservation_test_cases[] = {
	KUNIT_CASE(vio_qos_reservation_test),
	KUNIT_CASE(vio_qos_reservation_bytes_test),
	KUNIT_CASE(vio_qos_reservation_met_test),
	KUNIT_CASE(vio_qos_reservation_reparam_test),
	KUNIT_CASE(vio_qos_res_due_test),
	{}
};

static struct kunit_suite vio_qos_reservation_test_suite = {
	.name = "dm_vio_qos_reservations",
	.test_cases = vio_qos_reservation_test_cases,
};

/* ---- New parameters while queued ---- */

/* Raising the limit of a queued class takes effect at once. */
static void vio_qos_reparam_raise_test(struct kunit *test)
{
	struct sim *sim = sim_new(test, 1, 10 * USEC, 1);
	u64 got;

	sim_params(test, sim, 0, "iops=100");
	sim_start(sim, 0);
	sim_run(sim, 2 * SEC);
	KUNIT_EXPECT_EQ(test, sim->c[0].q.state, VIO_Q_WAIT);
	sim_params(test, sim, 0, "iops=1000");
	got = sim_run_for(sim, SEC, 0, NULL);
	/* Less the 10 ms the last I/O still owes at the old rate. */
	expect_near(test, "raised limit", got, 1000, 15);

	/* Lifting the limit releases it at once. */
	sim_params(test, sim, 0, "iops=10");
	sim_run(sim, sim->now + 20 * MSEC);
	KUNIT_EXPECT_EQ(test, sim->c[0].q.state, VIO_Q_WAIT);
	sim_params(test, sim, 0, "");
	KUNIT_EXPECT_EQ(test, sim->c[0].q.state, VIO_Q_READY);
	got = sim_run_for(sim, MSEC, 0, NULL);
	expect_near(test, "no limit", got, 100, 2);

	/* Lowering it holds it back from the next dispatch on. */
	sim_params(test, sim, 0, "iops=50");
	sim_run(sim, sim->now + SEC);
	got = sim_run_for(sim, 2 * SEC, 0, NULL);
	expect_near(test, "lowered limit", got, 100, 1);
}

/*
 * Raising the average limit after a burst was used up: the class runs at
 * the new limit, not held back by the debt of the burst it no longer has.
 */
static void vio_qos_reparam_after_burst_test(struct kunit *test)
{
	struct sim *sim = sim_new(test, 1, 10 * USEC, 1);
	u64 got;

	sim_params(test, sim, 0, "iops=100 iops_max=1000 iops_max_len=2");
	sim_start(sim, 0);
	sim_run(sim, 3 * SEC);
	/*
	 * The bucket is 18 s ahead (the burst's tolerance); new parameters
	 * forgive debt beyond the new 10 ms tolerance, or raising the limit
	 * would stop the class for 18 s.
	 */
	sim_params(test, sim, 0, "iops=200");
	got = sim_run_for(sim, SEC, 0, NULL);
	qos_expect(test, near(got, 200, 4), "I/Os in the second after raising the limit",
		   got, 200);
}

/* Changing the weights of queued classes changes the shares at once. */
static void vio_qos_reparam_weight_test(struct kunit *test)
{
	struct sim *sim = sim_new(test, 2, MSEC, 1);
	u64 got, others;

	sim_start(sim, 0);
	sim_start(sim, 1);
	got = sim_run_for(sim, SEC, 0, &others);
	expect_share(test, "equal weights", got, got + others, 500, 10);
	sim_params(test, sim, 0, "weight=300");
	got = sim_run_for(sim, SEC, 0, &others);
	expect_share(test, "weight 3:1", got, got + others, 750, 10);
}

/* A queued class can leave the scheduler and come back. */
static void vio_qos_remove_test(struct kunit *test)
{
	struct sim *sim = sim_new(test, 2, MSEC, 1);
	u64 got, others;

	sim_params(test, sim, 1, "iops=10");
	sim_start(sim, 0);
	sim_start(sim, 1);
	sim_run(sim, SEC);
	vio_sched_remove(&sim->s, &sim->c[0].q);
	vio_sched_remove(&sim->s, &sim->c[1].q);
	KUNIT_EXPECT_EQ(test, sim->c[0].q.state, VIO_Q_IDLE);
	KUNIT_EXPECT_EQ(test, sim->c[1].q.state, VIO_Q_IDLE);
	got = sim_run_for(sim, SEC, 0, &others);
	KUNIT_EXPECT_EQ(test, got + others, 0);
	sim_start(sim, 0);
	sim_start(sim, 1);
	got = sim_run_for(sim, SEC, 0, &others);
	expect_near(test, "unlimited class", got, 990, 3);
	expect_near(test, "limited class", others, 10, 2);
}

static struct kunit_case vio_qos_reparam_test_cases[] = {
	KUNIT_CASE(vio_qos_reparam_raise_test),
	KUNIT_CASE(vio_qos_reparam_after_burst_test),
	KUNIT_CASE(vio_qos_reparam_weight_test),
	KUNIT_CASE(vio_qos_remove_test),
	{}
};

static struct kunit_suite vio_qos_reparam_test_suite = {
	.name = "dm_vio_qos_reparam",
	.test_cases = vio_qos_reparam_test_cases,
};

/* ---- Tenants sharing a class ---- */

#define TSIM_TENANTS	4
#define TSIM_CLASSES	2

/*
 * A tenant is a closed loop, like fio at an iodepth: it keeps @depth
 * requests outstanding (queued or in flight) and issues the next one the
 * moment one completes. It is queued as dispatch.c queues a bio: in its
 * own FIFO, which joins its class's fair queue.
 */
struct tsim_tenant {
	struct vio_qtenant qt;
	unsigned int cls;
	struct vio_qclass *last;	/* the class it last queued in */
	struct vio_req rq;
	unsigned int depth;
	bool on;
	unsigned int queued;
	unsigned int outstanding;
	u64 total;
	u64 units;
};

struct tsim {
	struct vio_sched s;
	struct vio_qclass c[TSIM_CLASSES];
	bool active[TSIM_CLASSES];
	struct tsim_tenant t[TSIM_TENANTS];
	unsigned int nt;
	u64 now;
	u64 service_ns;
	unsigned int depth;
	unsigned int inflight;
	u64 done[SIM_DEPTH];
	unsigned int done_t[SIM_DEPTH];
};

/* @nt tenants in class 0 (default parameters), 4 KiB reads. */
static struct tsim *tsim_new(struct kunit *test, unsigned int nt,
			     u64 service_ns, unsigned int depth)
{
	struct vio_qos_params p;
	struct tsim *ts;
	unsigned int i;

	ts = kunit_kzalloc(test, sizeof(*ts), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ts);
	KUNIT_ASSERT_LE(test, nt, TSIM_TENANTS);
	KUNIT_ASSERT_LE(test, depth, SIM_DEPTH);
	ts->nt = nt;
	ts->service_ns = service_ns;
	ts->depth = depth;
	vio_sched_init(&ts->s);
	vio_qos_params_default(&p);
	for (i = 0; i < TSIM_CLASSES; i++)
		vio_qclass_init(&ts->c[i], &p);
	for (i = 0; i < nt; i++) {
		vio_qtenant_init(&ts->t[i].qt);
		ts->t[i].rq.dir = VIO_DIR_READ;
		ts->t[i].rq.bytes = 4096;
	}
	return ts;
}

static void tsim_params(struct kunit *test, struct tsim *ts, unsigned int c,
			const char *line)
{
	struct vio_qos_params p;

	qos_params(test, line, &p);
	vio_sched_reparam(&ts->s, &ts->c[c], &p, ts->now);
}

/* Tenant @i queues one request, as vio_qos_map() does. */
static void tsim_issue(struct tsim *ts, unsigned int i)
{
	struct tsim_tenant *t = &ts->t[i];
	struct vio_qclass *c = &ts->c[t->cls];
	bool first = false;

	if (!t->queued) {
		first = vio_qclass_tenant_add(c, &t->qt, &t->rq, t->last != c);
		t->last = c;
	}
	t->queued++;
	t->outstanding++;
	if (!ts->active[t->cls]) {
		ts->active[t->cls] = true;
		vio_sched_activate(&ts->s, c, &t->rq, ts->now);
	} else if (first) {
		vio_sched_rehead(&ts->s, c, &t->rq, ts->now);
	}
}

/* Tenant @i starts issuing, @depth requests outstanding. */
static void tsim_start(struct tsim *ts, unsigned int i, unsigned int depth)
{
	struct tsim_tenant *t = &ts->t[i];

	t->depth = depth;
	t->on = true;
	while (t->outstanding < t->depth)
		tsim_issue(ts, i);
}

/* The class's first tenant's head request goes, as the dispatcher does. */
static void tsim_dispatch(struct tsim *ts, const struct vio_pick *pick)
{
	struct vio_qclass *c = pick->c;
	struct vio_qtenant *qt = vio_qclass_tenant_first(c);
	struct tsim_tenant *t = container_of(qt, struct tsim_tenant, qt);
	unsigned int ci = c - ts->c;

	t->queued--;
	t->units += vio_qos_units(&c->p, &qt->head);
	vio_qclass_tenant_served(c, qt, t->queued ? &t->rq : NULL);
	qt = vio_qclass_tenant_first(c);
	if (!qt)
		ts->active[ci] = false;
	vio_sched_dispatched(&ts->s, c, pick->reserved, ts->now,
			     qt ? &qt->head : NULL);
	t->total++;
	ts->done_t[ts->inflight] = t - ts->t;
	ts->done[ts->inflight++] = ts->now + ts->service_ns;
}

/* Like sim_run(), with closed-loop tenants instead of fed classes. */
static void tsim_run(struct tsim *ts, u64 until)
{
	for (;;) {
		struct vio_pick pick = {};
		u64 next = until;
		unsigned int i;

		for (i = 0; i < ts->inflight;) {
			if (ts->done[i] <= ts->now) {
				struct tsim_tenant *t = &ts->t[ts->done_t[i]];

				ts->inflight--;
				ts->done[i] = ts->done[ts->inflight];
				ts->done_t[i] = ts->done_t[ts->inflight];
				t->outstanding--;
				if (t->on && t->outstanding < t->depth)
					tsim_issue(ts, t - ts->t);
			} else {
				i++;
			}
		}
		while (ts->inflight < ts->depth) {
			pick = vio_sched_pick(&ts->s, ts->now);
			if (!pick.c)
				break;
			tsim_dispatch(ts, &pick);
		}
		if (ts->now >= until)
			break;
		if (ts->inflight == ts->depth) {
			for (i = 0; i < ts->inflight; i++)
				next = min(next, ts->done[i]);
		} else {
			for (i = 0; i < ts->inflight; i++)
				next = min(next, ts->done[i]);
			if (pick.wake)
				next = min(next, pick.wake);
		}
		ts->now = max(next, ts->now + 1);
	}
}

/* Run for @ns; got[i] is what tenant i dispatched meanwhile. */
static void tsim_run_for(struct tsim *ts, u64 ns, u64 *got)
{
	u64 before[TSIM_TENANTS];
	unsigned int i;

	for (i = 0; i < ts->nt; i++)
		before[i] = ts->t[i].total;
	tsim_run(ts, ts->now + ns);
	for (i = 0; i < ts->nt; i++)
		got[i] = ts->t[i].total - before[i];
}

/*
 * A class held to its limit by a fast device: a tenant with one request
 * outstanding gets as much as one with 32 (a shared FIFO would give it
 * one in 33).
 */
static void vio_qos_tenant_depth_test(struct kunit *test)
{
	struct tsim *ts = tsim_new(test, 3, 10 * USEC, 8);
	u64 got[TSIM_TENANTS];

	tsim_params(test, ts, 0, "iops=1500");
	tsim_start(ts, 0, 32);
	tsim_start(ts, 1, 4);
	tsim_start(ts, 2, 1);
	tsim_run_for(ts, SEC, got);
	tsim_run_for(ts, 10 * SEC, got);
	expect_near(test, "tenant at QD32", got[0], 5000, 50);
	expect_near(test, "tenant at QD4", got[1], 5000, 50);
	expect_near(test, "tenant at QD1", got[2], 5000, 50);
}

/* A device-bound class: the tenants still share equally. */
static void vio_qos_tenant_saturated_test(struct kunit *test)
{
	struct tsim *ts = tsim_new(test, 2, MSEC, 4);
	u64 got[TSIM_TENANTS];

	tsim_start(ts, 0, 64);
	tsim_start(ts, 1, 8);
	tsim_run_for(ts, SEC, got);
	tsim_run_for(ts, 10 * SEC, got);
	expect_near(test, "tenant at QD64", got[0], 20000, 100);
	expect_near(test, "tenant at QD8", got[1], 20000, 100);
}

/*
 * The class's units are shared, not its requests: with iops_size=4k a
 * tenant of 16 KiB requests gets a quarter of the requests of a tenant of
 * 4 KiB ones, and the byte limit holds whichever tenant is at the head.
 */
static void vio_qos_tenant_units_test(struct kunit *test)
{
	struct tsim *ts = tsim_new(test, 2, 10 * USEC, 8);
	u64 got[TSIM_TENANTS];
	u64 units0, units1;

	tsim_params(test, ts, 0, "iops=1000 iops_size=4k bps=10m");
	ts->t[1].rq.bytes = 16384;
	tsim_start(ts, 0, 16);
	tsim_start(ts, 1, 16);
	tsim_run_for(ts, SEC, got);
	units0 = ts->t[0].units;
	units1 = ts->t[1].units;
	tsim_run_for(ts, 10 * SEC, got);
	expect_near(test, "4 KiB tenant, requests", got[0], 5000, 50);
	expect_near(test, "16 KiB tenant, requests", got[1], 1250, 13);
	expect_near(test, "4 KiB tenant, units", ts->t[0].units - units0, 5000, 50);
	expect_near(test, "16 KiB tenant, units", ts->t[1].units - units1, 5000, 50);
}

/*
 * A tenant banks nothing while it is idle and loses nothing for being
 * served alone: joining a busy class, it gets its share from the start
 * and no more.
 */
static void vio_qos_tenant_join_test(struct kunit *test)
{
	struct tsim *ts = tsim_new(test, 2, 10 * USEC, 8);
	u64 got[TSIM_TENANTS];

	tsim_params(test, ts, 0, "iops=1000");
	tsim_start(ts, 0, 8);
	tsim_run_for(ts, 5 * SEC, got);
	expect_near(test, "alone", got[0], 5000, 60);
	tsim_start(ts, 1, 8);
	tsim_run_for(ts, 100 * MSEC, got);
	expect_near(test, "old tenant, first 100 ms", got[0], 50, 3);
	expect_near(test, "new tenant, first 100 ms", got[1], 50, 3);
	tsim_run_for(ts, 5 * SEC, got);
	expect_near(test, "old tenant", got[0], 2500, 25);
	expect_near(test, "new tenant", got[1], 2500, 25);

	/* Away for two seconds, then back: no burst on return. */
	ts->t[1].on = false;
	tsim_run_for(ts, 2 * SEC, got);
	expect_near(test, "while the other is away", got[0], 2000, 25);
	tsim_start(ts, 1, 8);
	tsim_run_for(ts, 100 * MSEC, got);
	expect_near(test, "returning tenant, first 100 ms", got[1], 50, 3);
}

/*
 * Weights between classes hold whatever number of tenants each has, and
 * a class's share is split among its own tenants.
 */
static void vio_qos_tenant_classes_test(struct kunit *test)
{
	struct tsim *ts = tsim_new(test, 3, MSEC, 4);
	u64 got[TSIM_TENANTS];

	tsim_params(test, ts, 0, "weight=200");
	tsim_params(test, ts, 1, "weight=100");
	ts->t[2].cls = 1;
	tsim_start(ts, 0, 16);
	tsim_start(ts, 1, 16);
	tsim_start(ts, 2, 16);
	tsim_run_for(ts, SEC, got);
	tsim_run_for(ts, 9 * SEC, got);
	expect_share(test, "class 0, tenant 0", got[0], got[0] + got[1] + got[2],
		     333, 5);
	expect_share(test, "class 0, tenant 1", got[1], got[0] + got[1] + got[2],
		     333, 5);
	expect_share(test, "class 1, its one tenant", got[2],
		     got[0] + got[1] + got[2], 333, 5);
}

/*
 * A tenant that moves to another class starts there at that class's
 * virtual time, whatever tag it had in the old one.
 */
static void vio_qos_tenant_move_test(struct kunit *test)
{
	struct tsim *ts = tsim_new(test, 3, 10 * USEC, 8);
	u64 got[TSIM_TENANTS];

	tsim_params(test, ts, 0, "iops=100000");
	tsim_params(test, ts, 1, "iops=1000");
	ts->t[1].cls = 1;
	tsim_start(ts, 0, 4);
	tsim_start(ts, 1, 4);
	/* Tenant 0 runs far ahead in class 0's virtual time. */
	tsim_run_for(ts, 2 * SEC, got);
	ts->t[0].on = false;
	tsim_run_for(ts, 10 * MSEC, got);
	KUNIT_ASSERT_EQ(test, ts->t[0].outstanding, 0);
	ts->t[0].cls = 1;
	tsim_start(ts, 0, 4);
	tsim_run_for(ts, 100 * MSEC, got);
	expect_near(test, "moved tenant, first 100 ms", got[0], 50, 3);
	expect_near(test, "resident tenant, first 100 ms", got[1], 50, 3);
}

static struct kunit_case vio_qos_tenant_test_cases[] = {
	KUNIT_CASE(vio_qos_tenant_depth_test),
	KUNIT_CASE(vio_qos_tenant_saturated_test),
	KUNIT_CASE(vio_qos_tenant_units_test),
	KUNIT_CASE(vio_qos_tenant_join_test),
	KUNIT_CASE(vio_qos_tenant_classes_test),
	KUNIT_CASE(vio_qos_tenant_move_test),
	{}
};

static struct kunit_suite vio_qos_tenant_test_suite = {
	.name = "dm_vio_qos_tenants",
	.test_cases = vio_qos_tenant_test_cases,
};

kunit_test_suites(&vio_qos_param_test_suite, &vio_qos_limit_test_suite,
		  &vio_qos_weight_test_suite, &vio_qos_reservation_test_suite,
		  &vio_qos_reparam_test_suite, &vio_qos_tenant_test_suite);
