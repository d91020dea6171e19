// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for dm-vio's PCIe link model: the link rates of every
 * generation and width, the TLPs and wire bytes of a request, the wire
 * time of those bytes, the payload rate a link sustains, and the link spec
 * grammar. Every expected value is worked out by hand from the constants
 * of the PCI Express Base Specification (see pcie.h) in its comment.
 */
#include <kunit/test.h>
#include <linux/math64.h>
#include <linux/percpu.h>
#include <linux/string.h>

#include "compat.h"
#include "vio_test.h"
#include "fabric.h"
#include "pcie.h"
#include "table.h"

#define WR	VIO_XFER_WRITE
#define RD	VIO_XFER_READ
#define CMD	VIO_XFER_CMD

static const char * const kind_names[] = {
	[VIO_XFER_WRITE] = "write",
	[VIO_XFER_READ] = "read",
	[VIO_XFER_CMD] = "cmd",
};

/* A link of generation @gen, @width lanes and @mps, else the defaults. */
static struct vio_link_params link_of(u32 gen, u32 width, u32 mps)
{
	struct vio_link_params p;

	vio_link_params_default(&p);
	p.gen = gen;
	p.width = width;
	p.mps = mps;
	return p;
}

/* ---- Link rates ---- */

struct rate_case {
	u32 gen, width;
	u64 bps;	/* payload bytes per second and direction */
	u64 fp;		/* ns per byte, 32.32 fixed point */
};

/*
 * Per lane: Gen1 2.5 GT/s x 8/10 / 8 = 250e6 B/s, a byte is 10 bits at
 * 2.5 bits a ns, 4 ns, 4 << 32 = 17179869184 in 32.32; Gen2 twice the
 * rate, 2 ns. Gen3 8 GT/s x 128/130 / 8 = 984615384.615... B/s, a byte
 * is 8 x 130/128 bits at 8 bits a ns, 65/64 ns; Gen4 and Gen5 two and
 * four times the rate. The rate is truncated to whole bytes per second
 * and the fixed point is 10^9 << 32 / rate, truncated: for every link but
 * Gen3 x1 that is exactly (ns a byte) << 32, the fraction of a byte lost
 * being too small to move it; Gen3 x1 runs 0.615 B/s slow, so
 * 10^9 << 32 / 984615384 = 4362076162.73, not 65/64 << 32 = 4362076160.
 */
static const struct rate_case rate_cases[] = {
	/* Gen1: 250e6 x width; 4 ns / width. */
	{ 1, 1, 250000000, 17179869184ULL },
	{ 1, 2, 500000000, 8589934592ULL },
	{ 1, 4, 1000000000, 4294967296ULL },
	{ 1, 8, 2000000000, 2147483648ULL },
	{ 1, 16, 4000000000ULL, 1073741824 },
	/* Gen2: 500e6 x width; 2 ns / width. */
	{ 2, 1, 500000000, 8589934592ULL },
	{ 2, 2, 1000000000, 4294967296ULL },
	{ 2, 4, 2000000000, 2147483648ULL },
	{ 2, 8, 4000000000ULL, 1073741824 },
	{ 2, 16, 8000000000ULL, 536870912 },
	/*
	 * Gen3: 8e9 x width x 128 / 1040, truncated: 984615384.6,
	 * 1969230769.2, 3938461538.5, 7876923076.9, 15753846153.8;
	 * 65/64 ns / width: 65 << 26 = 4362076160 (but see above), then
	 * 65 << 25 = 2181038080, 65 << 24, 65 << 23, 65 << 22.
	 */
	{ 3, 1, 984615384, 4362076162ULL },
	{ 3, 2, 1969230769, 2181038080ULL },
	{ 3, 4, 3938461538ULL, 1090519040 },
	{ 3, 8, 7876923076ULL, 545259520 },
	{ 3, 16, 15753846153ULL, 272629760 },
	/* Gen4: twice Gen3 (31507692307.7 for x16); half its time. */
	{ 4, 1, 1969230769, 2181038080ULL },
	{ 4, 2, 3938461538ULL, 1090519040 },
	{ 4, 4, 7876923076ULL, 545259520 },
	{ 4, 8, 15753846153ULL, 272629760 },
	{ 4, 16, 31507692307ULL, 136314880 },
	/* Gen5: four times Gen3 (63015384615.4 for x16); a quarter. */
	{ 5, 1, 3938461538ULL, 1090519040 },
	{ 5, 2, 7876923076ULL, 545259520 },
	{ 5, 4, 15753846153ULL, 272629760 },
	{ 5, 8, 31507692307ULL, 136314880 },
	{ 5, 16, 63015384615ULL, 68157440 },
};

static void rate_case_desc(const struct rate_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "gen%u x%u", c->gen, c->width);
}

KUNIT_ARRAY_PARAM(rate, rate_cases, rate_case_desc);

/* The rate and the time per byte depend on generation and width only. */
static void vio_link_rate_test(struct kunit *test)
{
	const struct rate_case *c = test->param_value;
	static const u32 mps[] = { 128, 4096 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mps); i++) {
		struct vio_link_params p = link_of(c->gen, c->width, mps[i]);

		KUNIT_EXPECT_EQ(test, vio_link_bytes_per_sec(&p), c->bps);
		KUNIT_EXPECT_EQ(test, vio_link_ns_per_byte_fp(&p), c->fp);
	}
}

struct wire_case {
	u32 gen, width;
	u64 wire;	/* bytes */
	u64 ns;
};

static const struct wire_case wire_cases[] = {
	/* Gen1 x1: 4 ns a byte; a 4 KiB write at mps 128 is 4864 bytes. */
	{ 1, 1, 4096 + 768, 19456 },
	{ 1, 1, 1, 4 },
	{ 1, 1, 0, 0 },
	/* Gen1 x16: 0.25 ns; 10^9 bytes take a quarter second. */
	{ 1, 16, 1000000000, 250000000 },
	{ 1, 16, 3, 0 },
	{ 1, 16, 4, 1 },
	/* Gen2 x4: 0.5 ns. */
	{ 2, 4, 4288, 2144 },
	/* Gen3 x4: 65/256 ns; 4512 x 65 / 256 = 1145.6. */
	{ 3, 4, 4512, 1145 },
	/* Gen3 x4: 142336 x 65 / 256 = 36140 exactly. */
	{ 3, 4, 142336, 36140 },
	/* Gen3 x1: 65/64 ns; 26 x 65 / 64 = 26.4. */
	{ 3, 1, 26, 26 },
	/* 1 GiB: 2^30 x 65 / 64 = 1090519040 (the fixed point adds 0.7). */
	{ 3, 1, 1ULL << 30, 1090519040 },
	/* Gen5 x16: 65/4096 ns; 131904 x 65 / 4096 = 2093.2. */
	{ 5, 16, 131904, 2093 },
	/* 2^30 x 65 / 4096 = 65 << 18 = 17039360 exactly. */
	{ 5, 16, 1ULL << 30, 17039360 },
	/* 10^9 x 65 / 4096 = 15869140.6. */
	{ 5, 16, 1000000000, 15869140 },
};

static void wire_case_desc(const struct wire_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "gen%u x%u, %llu bytes", c->gen,
		 c->width, c->wire);
}

KUNIT_ARRAY_PARAM(wire, wire_cases, wire_case_desc);

static void vio_link_wire_ns_test(struct kunit *test)
{
	const struct wire_case *c = test->param_value;
	struct vio_link_params p = link_of(c->gen, c->width, 256);

	KUNIT_EXPECT_EQ(test, vio_link_wire_ns(vio_link_ns_per_byte_fp(&p), c->wire), c->ns);
}

/*
 * Large transfers on every link: within 1 ns of the exact wire time,
 * wire x (ns a byte on one lane) / width, with 4 ns for Gen1 (10 bits at
 * 2.5 bits a ns), 2 for Gen2, 65/64 for Gen3 (8 x 130/128 bits at 8 bits
 * a ns), 65/128 for Gen4 and 65/256 for Gen5.
 */
static void vio_link_wire_ns_precision_test(struct kunit *test)
{
	/* ns a byte on one lane, as a fraction, by generation. */
	static const struct { u64 num, den; } per_lane[VIO_PCIE_GEN_MAX + 1] = {
		[1] = { 4, 1 },
		[2] = { 2, 1 },
		[3] = { 65, 64 },
		[4] = { 65, 128 },
		[5] = { 65, 256 },
	};
	static const u32 widths[] = { 1, 2, 4, 8, 16 };
	static const u64 wires[] = {
		4864, 131904, 1048576 + 4096 * 26, 999999937, 1000000000, 1ULL << 30,
	};
	unsigned int w, i;
	u32 gen;

	for (gen = 1; gen <= VIO_PCIE_GEN_MAX; gen++) {
		for (w = 0; w < ARRAY_SIZE(widths); w++) {
			struct vio_link_params p = link_of(gen, widths[w], 256);
			u64 fp = vio_link_ns_per_byte_fp(&p);

			for (i = 0; i < ARRAY_SIZE(wires); i++) {
				u64 exact = div64_u64(wires[i] * per_lane[gen].num,
						      per_lane[gen].den * widths[w]);
				u64 ns = vio_link_wire_ns(fp, wires[i]);

				KUNIT_EXPECT_TRUE_MSG(test, ns + 1 >= exact && ns <= exact + 1,
						      "gen%u x%u, %llu bytes: %llu ns, exact %llu",
						      gen, widths[w], wires[i], ns, exact);
			}
		}
	}
}

struct model_case {
	u32 gen, width, mps;
	enum vio_xfer_kind kind;
	u32 io;
	u64 bps;
};

static const struct model_case model_cases[] = {
	/* 4096 x 250e6 / (4096 + 32 x 24) = 1.024e12 / 4864 = 210526315.8 */
	{ 1, 1, 128, WR, 4096, 210526315 },
	/* Up 4096 + 32 x 20 = 4736 beats down 8 x 24 = 192: 216216216.2 */
	{ 1, 1, 128, RD, 4096, 216216216 },
	/* 4096 x 3938461538 / (4096 + 16 x 26 = 4512) = 3575340970.7 */
	{ 3, 4, 256, WR, 4096, 3575340970ULL },
	/* 128 KiB: 131072 / (131072 + 512 x 26) = 4096 / 4512, the same. */
	{ 3, 4, 256, WR, 131072, 3575340970ULL },
	/* Up 4096 + 16 x 22 = 4448 beats down 8 x 26 = 208: 3626784725.6 */
	{ 3, 4, 256, RD, 4096, 3626784725ULL },
	/* Up 131072 + 512 x 22 = 142336 = 32 x 4448, down 256 x 26. */
	{ 3, 4, 256, RD, 131072, 3626784725ULL },
	/* Down 26 beats up 1 + 22 = 23: 3938461538 / 26 = 151479289.9 */
	{ 3, 4, 256, RD, 1, 151479289 },
	/* Down 26 beats up 3 + 22 = 25: 3 x 3938461538 / 26 = 454437869.8 */
	{ 3, 4, 256, RD, 3, 454437869 },
	/* Both 26: 4 x 3938461538 / 26 = 605917159.7 */
	{ 3, 4, 256, RD, 4, 605917159 },
	/* 131072 x 63015384615 / (131072 + 32 x 26 = 131904) = 62617907662.1 */
	{ 5, 16, 4096, WR, 131072, 62617907662ULL },
	/* 65536 x 4e9 / (65536 + 128 x 24 = 68608) = 3820895522.4 */
	{ 2, 8, 512, WR, 65536, 3820895522ULL },
	/* No payload, no payload rate. */
	{ 1, 1, 128, CMD, 0, 0 },
	{ 3, 4, 256, WR, 0, 0 },
	{ 3, 4, 256, RD, 0, 0 },
};

static void model_case_desc(const struct model_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "gen%u x%u mps %u, %s of %u bytes",
		 c->gen, c->width, c->mps, kind_names[c->kind], c->io);
}

KUNIT_ARRAY_PARAM(model, model_cases, model_case_desc);

static void vio_link_model_bps_test(struct kunit *test)
{
	const struct model_case *c = test->param_value;
	struct vio_link_params p = link_of(c->gen, c->width, c->mps);

	KUNIT_EXPECT_EQ(test, vio_link_model_bps(&p, c->kind, c->io), c->bps);
}

struct sum_case {
	u32 gen, width, mps;
	enum vio_xfer_kind kind;
	u32 io;
	u64 ns;		/* wire time of one request, busier direction */
	u64 rate;	/* payload bytes per second of back-to-back requests */
};

#define SUM_REQS	1000

static const struct sum_case sum_cases[] = {
	/* 4864 bytes x 4 ns = 19456 ns; 4096e9 / 19456 = 210526315.8 */
	{ 1, 1, 128, WR, 4096, 19456, 210526315 },
	/* Up 4736 x 4 = 18944 ns (down 768); 4096e9 / 18944 = 216216216.2 */
	{ 1, 1, 128, RD, 4096, 18944, 216216216 },
	/* 4512 x 65 / 256 = 1145.6, truncated; 4096e9 / 1145 = 3577292576.4 */
	{ 3, 4, 256, WR, 4096, 1145, 3577292576ULL },
	/* Up 142336 x 65 / 256 = 36140; 131072e9 / 36140 = 3626784726.0 */
	{ 3, 4, 256, RD, 131072, 36140, 3626784726ULL },
	/* 131904 x 65 / 4096 = 2093.2; 131072e9 / 2093 = 62623984710.0 */
	{ 5, 16, 4096, WR, 131072, 2093, 62623984710ULL },
};

static void sum_case_desc(const struct sum_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "gen%u x%u mps %u, %s of %u bytes",
		 c->gen, c->width, c->mps, kind_names[c->kind], c->io);
}

KUNIT_ARRAY_PARAM(sum, sum_cases, sum_case_desc);

/*
 * SUM_REQS back-to-back requests, each direction reserved for its wire
 * time in turn as the fabric's virtual clocks do: the payload over the
 * busier direction's total time is the link's model rate, up to the
 * truncation of each request's time to whole ns. That loses under 1 of
 * the request's ns, so the rate is above the model rate by at most
 * model / ns, never below it.
 */
static void vio_link_wire_sum_test(struct kunit *test)
{
	const struct sum_case *c = test->param_value;
	struct vio_link_params p = link_of(c->gen, c->width, c->mps);
	u64 fp = vio_link_ns_per_byte_fp(&p);
	u64 down = 0, up = 0, total, rate, model;
	struct vio_xfer x;
	unsigned int i;

	for (i = 0; i < SUM_REQS; i++) {
		vio_link_xfer(&p, c->kind, c->io, &x);
		down += vio_link_wire_ns(fp, x.down_wire);
		up += vio_link_wire_ns(fp, x.up_wire);
	}
	total = max(down, up);
	KUNIT_EXPECT_EQ(test, total, SUM_REQS * c->ns);
	rate = div64_u64((u64)SUM_REQS * c->io * NSEC_PER_SEC, total);
	KUNIT_EXPECT_EQ(test, rate, c->rate);

	model = vio_link_model_bps(&p, c->kind, c->io);
	KUNIT_EXPECT_GE(test, rate, model);
	KUNIT_EXPECT_LE(test, rate, model + div64_u64(model, c->ns) + 1);
}

static struct kunit_case vio_pcie_rate_test_cases[] = {
	KUNIT_CASE_PARAM(vio_link_rate_test, rate_gen_params),
	KUNIT_CASE_PARAM(vio_link_wire_ns_test, wire_gen_params),
	KUNIT_CASE(vio_link_wire_ns_precision_test),
	KUNIT_CASE_PARAM(vio_link_model_bps_test, model_gen_params),
	KUNIT_CASE_PARAM(vio_link_wire_sum_test, sum_gen_params),
	{}
};

static struct kunit_suite vio_pcie_rate_test_suite = {
	.name = "dm_vio_pcie_rates",
	.test_cases = vio_pcie_rate_test_cases,
};

/* ---- TLPs and wire bytes ---- */

struct xfer_case {
	u32 gen, mps;
	enum vio_xfer_kind kind;
	u64 payload;
	u32 down_tlps;
	u64 down_wire;
	u32 up_tlps;
	u64 up_wire;
};

/*
 * A memory request TLP carries 16 + 6 (sequence number, LCRC) bytes and
 * framing: 2 on Gen1 and Gen2, 4 from Gen3 on, so 24 or 26 bytes; a
 * completion 12 + 6 + framing, 20 or 22 bytes.
 */
static const struct xfer_case xfer_cases[] = {
	/* Writes, Gen1, mps 128: ceil(payload / 128) TLPs of 24 bytes. */
	{ 1, 128, WR, 1, 1, 1 + 24 },
	{ 1, 128, WR, 127, 1, 127 + 24 },
	{ 1, 128, WR, 128, 1, 128 + 24 },
	{ 1, 128, WR, 129, 2, 129 + 2 * 24 },
	{ 1, 128, WR, 4096, 32, 4096 + 32 * 24 },
	{ 1, 128, WR, 131072, 1024, 131072 + 1024 * 24 },
	/* Writes, Gen3, mps 256: TLPs of 26 bytes. */
	{ 3, 256, WR, 1, 1, 1 + 26 },
	{ 3, 256, WR, 255, 1, 255 + 26 },
	{ 3, 256, WR, 256, 1, 256 + 26 },
	{ 3, 256, WR, 257, 2, 257 + 2 * 26 },
	{ 3, 256, WR, 4096, 16, 4096 + 16 * 26 },
	{ 3, 256, WR, 131072, 512, 131072 + 512 * 26 },
	/* Writes, Gen5, mps 4096. */
	{ 5, 4096, WR, 1, 1, 1 + 26 },
	{ 5, 4096, WR, 4095, 1, 4095 + 26 },
	{ 5, 4096, WR, 4096, 1, 4096 + 26 },
	{ 5, 4096, WR, 4097, 2, 4097 + 2 * 26 },
	{ 5, 4096, WR, 131072, 32, 131072 + 32 * 26 },
	/* Gen2 frames like Gen1, Gen4 like Gen3. */
	{ 2, 512, WR, 4096, 8, 4096 + 8 * 24 },
	{ 4, 1024, WR, 1048576, 1024, 1048576 + 1024 * 26 },
	/* A 4 GiB write less a sector: 2^25 - 4 TLPs of 128 bytes. */
	{ 1, 128, WR, 0xfffffe00ULL, 33554428, 0xfffffe00ULL + 33554428ULL * 24 },

	/*
	 * Reads: ceil(payload / 512) header-only requests down, and
	 * ceil(payload / mps) completions up with the data.
	 */
	{ 1, 128, RD, 1, 1, 24, 1, 1 + 20 },
	{ 1, 128, RD, 128, 1, 24, 1, 128 + 20 },
	{ 1, 128, RD, 129, 1, 24, 2, 129 + 2 * 20 },
	{ 1, 128, RD, 4096, 8, 8 * 24, 32, 4096 + 32 * 20 },
	{ 1, 128, RD, 131072, 256, 256 * 24, 1024, 131072 + 1024 * 20 },
	{ 3, 256, RD, 1, 1, 26, 1, 1 + 22 },
	{ 3, 256, RD, 255, 1, 26, 1, 255 + 22 },
	{ 3, 256, RD, 256, 1, 26, 1, 256 + 22 },
	{ 3, 256, RD, 257, 1, 26, 2, 257 + 2 * 22 },
	{ 3, 256, RD, 511, 1, 26, 2, 511 + 2 * 22 },
	{ 3, 256, RD, 512, 1, 26, 2, 512 + 2 * 22 },
	{ 3, 256, RD, 513, 2, 2 * 26, 3, 513 + 3 * 22 },
	{ 3, 256, RD, 4096, 8, 8 * 26, 16, 4096 + 16 * 22 },
	{ 3, 256, RD, 131072, 256, 256 * 26, 512, 131072 + 512 * 22 },
	/* mps 512, the read request size: one completion per request. */
	{ 2, 512, RD, 511, 1, 24, 1, 511 + 20 },
	{ 2, 512, RD, 512, 1, 24, 1, 512 + 20 },
	{ 2, 512, RD, 513, 2, 2 * 24, 2, 513 + 2 * 20 },
	{ 2, 512, RD, 4096, 8, 8 * 24, 8, 4096 + 8 * 20 },

	/* Flushes and discards: one header-only request, whatever the size. */
	{ 1, 128, CMD, 0, 1, 24 },
	{ 3, 256, CMD, 0, 1, 26 },
	{ 3, 256, CMD, 1048576, 1, 26 },
	{ 5, 4096, CMD, 0xfffffe00ULL, 1, 26 },
	/* No payload: the same. */
	{ 1, 128, WR, 0, 1, 24 },
	{ 3, 256, WR, 0, 1, 26 },
	{ 3, 256, RD, 0, 1, 26 },
};

static void xfer_case_desc(const struct xfer_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "gen%u mps %u, %s of %llu bytes",
		 c->gen, c->mps, kind_names[c->kind], c->payload);
}

KUNIT_ARRAY_PARAM(xfer, xfer_cases, xfer_case_desc);

static void vio_link_xfer_test(struct kunit *test)
{
	const struct xfer_case *c = test->param_value;
	static const u32 widths[] = { 1, 16 };
	struct vio_xfer x;
	unsigned int i;

	/* The width changes the rate, not the TLPs. */
	for (i = 0; i < ARRAY_SIZE(widths); i++) {
		struct vio_link_params p = link_of(c->gen, widths[i], c->mps);

		memset(&x, 0xa5, sizeof(x));
		vio_link_xfer(&p, c->kind, c->payload, &x);
		KUNIT_EXPECT_EQ(test, x.payload, c->payload);
		KUNIT_EXPECT_EQ(test, x.down_tlps, c->down_tlps);
		KUNIT_EXPECT_EQ(test, x.down_wire, c->down_wire);
		KUNIT_EXPECT_EQ(test, x.up_tlps, c->up_tlps);
		KUNIT_EXPECT_EQ(test, x.up_wire, c->up_wire);
	}
}

/* Gen1 x1, mps 128: a 4 KiB write's 4864 wire bytes take 19.456 us. */
static void vio_link_write_4k_test(struct kunit *test)
{
	struct vio_link_params p = link_of(1, 1, 128);
	struct vio_xfer x;

	vio_link_xfer(&p, VIO_XFER_WRITE, 4096, &x);
	KUNIT_EXPECT_EQ(test, x.down_wire, 4096 + 768);
	KUNIT_EXPECT_EQ(test, vio_link_ns_per_byte_fp(&p), 4ULL << 32);
	KUNIT_EXPECT_EQ(test, vio_link_wire_ns(vio_link_ns_per_byte_fp(&p), x.down_wire), 19456);
}

/*
 * Payloads above the 512 B read request: each request's data comes back
 * in its own completion (never combined), so a 4 KiB read on Gen3 with
 * mps 4096 is 8 requests of 16 + 6 + 4 = 26 B and 8 completions of
 * 512 + 12 + 6 + 4 = 534 B: 208 B down, 4272 B up.
 */
static void vio_link_read_big_mps_test(struct kunit *test)
{
	struct vio_link_params p = link_of(3, 4, 4096);
	struct vio_xfer x;

	vio_link_xfer(&p, VIO_XFER_READ, 4096, &x);
	KUNIT_EXPECT_EQ(test, x.down_tlps, 8);
	KUNIT_EXPECT_EQ(test, x.down_wire, 208);
	KUNIT_EXPECT_EQ(test, x.up_tlps, 8);
	KUNIT_EXPECT_EQ(test, x.up_wire, 4272);
	/* A 100 B read: one request, one completion. */
	vio_link_xfer(&p, VIO_XFER_READ, 100, &x);
	KUNIT_EXPECT_EQ(test, x.up_tlps, 1);
	KUNIT_EXPECT_EQ(test, x.up_wire, 100 + 22);
	/* mps 1024, 1500 B: 3 requests (512, 512, 476), 3 completions. */
	p.mps = 1024;
	vio_link_xfer(&p, VIO_XFER_READ, 1500, &x);
	KUNIT_EXPECT_EQ(test, x.up_tlps, 3);
	KUNIT_EXPECT_EQ(test, x.up_wire, 1500 + 3 * 22);
}

/*
 * The fabric's clocks count 1/256 ns: a 26 B header on Gen5 x16
 * (0.4126 ns) is 106 units (105.6 rounded), not the 0 ns whole
 * nanoseconds would give, and a million of them add up to the link's
 * rate within 0.5%.
 */
static void vio_link_wire_fine_test(struct kunit *test)
{
	struct vio_link_params p = link_of(5, 16, 256);
	u64 fp = vio_link_ns_per_byte_fp(&p);
	u64 fine = vio_link_wire_fine(fp, 26);

	KUNIT_EXPECT_EQ(test, vio_link_wire_ns(fp, 26), 0);
	KUNIT_EXPECT_EQ(test, fine, 106);	/* 105.6, to the nearest */
	/* A million: 26e6 B at 63015384615 B/s is 412598 ns; within 0.5%. */
	KUNIT_EXPECT_LE(test, abs_diff(fine * 1000000 >> VIO_CLOCK_SHIFT, 412598ULL), 2063);
	/* Gen1 x1: exactly 4 ns per byte, 1024 units. */
	p = link_of(1, 1, 128);
	KUNIT_EXPECT_EQ(test, vio_link_wire_fine(vio_link_ns_per_byte_fp(&p), 1), 1024);
}

static struct kunit_case vio_pcie_xfer_test_cases[] = {
	KUNIT_CASE_PARAM(vio_link_xfer_test, xfer_gen_params),
	KUNIT_CASE(vio_link_write_4k_test),
	KUNIT_CASE(vio_link_read_big_mps_test),
	KUNIT_CASE(vio_link_wire_fine_test),
	{}
};

static struct kunit_suite vio_pcie_xfer_test_suite = {
	.name = "dm_vio_pcie_tlps",
	.test_cases = vio_pcie_xfer_test_cases,
};

/* ---- Link specs ---- */

#define PORT_KEYS	"(expected gen, width, mps, lat_ns or credits)"
#define UP_KEYS		"(expected gen, width, mps, lat_ns)"
#define ZEROS10		"0000000000"
/* 40 characters, then lat_ns=1000 with leading zeros: 95 and 96 long. */
#define SPEC40		"gen=3,width=4,mps=256,credits=64,lat_ns="
#define SPEC95		SPEC40 ZEROS10 ZEROS10 ZEROS10 ZEROS10 ZEROS10 "01000"
#define SPEC96		SPEC40 ZEROS10 ZEROS10 ZEROS10 ZEROS10 ZEROS10 "001000"

struct spec_case {
	const char *spec;
	bool port;
	const char *error;		/* the exact message; NULL: valid */
	struct vio_link_params want;	/* valid: from the defaults */
};

static const struct spec_case spec_cases[] = {
	/* Keys in any order; those not given keep their values. */
	{ "gen=1", true, NULL, { 1, 4, 256, 1000, 64 } },
	{ "width=16,gen=5", true, NULL, { 5, 16, 256, 1000, 64 } },
	{ "credits=8,lat_ns=0,mps=4096,width=1,gen=2", true, NULL, { 2, 1, 4096, 0, 8 } },
	{ "gen=4,width=8,mps=512,lat_ns=250", false, NULL, { 4, 8, 512, 250, 64 } },
	{ "mps=128", true, NULL, { 3, 4, 128, 1000, 64 } },
	{ "width=2", false, NULL, { 3, 2, 256, 1000, 64 } },
	{ "lat_ns=10000000", true, NULL, { 3, 4, 256, 10000000, 64 } },
	{ "credits=1", true, NULL, { 3, 4, 256, 1000, 1 } },
	{ "credits=4096", true, NULL, { 3, 4, 256, 1000, 4096 } },
	{ "gen=05,width=016,mps=0128", true, NULL, { 5, 16, 128, 1000, 64 } },
	{ "gen=3,width=4,mps=256,lat_ns=1000,credits=64", true, NULL, { 3, 4, 256, 1000, 64 } },
	{ SPEC95, true, NULL, { 3, 4, 256, 1000, 64 } },

	/* Keys: known, once, and credits on ports only. */
	{ "", true, "Empty link spec" },
	{ "", false, "Empty link spec" },
	{ "speed=3", true, "Unknown link key 'speed' " PORT_KEYS },
	{ "speed=3", false, "Unknown link key 'speed' " UP_KEYS },
	{ "Gen=3", true, "Unknown link key 'Gen' " PORT_KEYS },
	{ "gen=3,lanes=4", true, "Unknown link key 'lanes' " PORT_KEYS },
	{ "abcdefghijklmnopqrstuvwxyz=1", true,
	  "Unknown link key 'abcdefghijklmnopqrst' " PORT_KEYS },
	{ "credits=8", false, "Unknown link key 'credits' " UP_KEYS },
	{ "gen=3,credits=8", false, "Unknown link key 'credits' " UP_KEYS },
	{ "gen=3,gen=4", true, "Link key 'gen' given twice" },
	{ "gen=3,width=4,gen=3", true, "Link key 'gen' given twice" },
	{ "credits=1,credits=1", true, "Link key 'credits' given twice" },
	{ "lat_ns=5,mps=128,lat_ns=5", false, "Link key 'lat_ns' given twice" },
	{ "gen=3,", true, "Unknown link key '' " PORT_KEYS },
	{ ",gen=3", true, "Unknown link key '' " PORT_KEYS },
	{ "gen=3,,width=4", false, "Unknown link key '' " UP_KEYS },
	{ "=3", true, "Unknown link key '' " PORT_KEYS },
	{ "gen 3", true, "Unknown link key 'gen 3' " PORT_KEYS },
	{ SPEC96, true, "Link spec '" SPEC40 "...' is too long" },

	/* Values: present, digits, in range. */
	{ "gen", true, "Link gen '' is not 1 to 5" },
	{ "gen=", true, "Link gen '' is not 1 to 5" },
	{ "width", false, "Link width '' is not 1 to 16" },
	{ "credits", true, "Link credits '' is not 1 to 4096" },
	{ "gen=0", true, "Link gen '0' is not 1 to 5" },
	{ "gen=6", true, "Link gen '6' is not 1 to 5" },
	{ "gen=x", true, "Link gen 'x' is not 1 to 5" },
	{ "gen=3x", true, "Link gen '3x' is not 1 to 5" },
	{ "gen=-3", true, "Link gen '-3' is not 1 to 5" },
	{ "gen=3=4", true, "Link gen '3=4' is not 1 to 5" },
	{ "gen=4294967297", true, "Link gen '4294967297' is not 1 to 5" },
	{ "width=0", true, "Link width '0' is not 1 to 16" },
	{ "width=3", true, "Link width 3 is not 1, 2, 4, 8 or 16" },
	{ "width=12", false, "Link width 12 is not 1, 2, 4, 8 or 16" },
	{ "width=32", true, "Link width '32' is not 1 to 16" },
	{ "width=4.0", true, "Link width '4.0' is not 1 to 16" },
	{ "mps=64", true, "Link mps '64' is not 128 to 4096" },
	{ "mps=8192", true, "Link mps '8192' is not 128 to 4096" },
	{ "mps=384", true, "Link mps 384 is not a power of two" },
	{ "mps=129", false, "Link mps 129 is not a power of two" },
	{ "mps=0x100", true, "Link mps '0x100' is not 128 to 4096" },
	{ "mps=1k", true, "Link mps '1k' is not 128 to 4096" },
	{ "lat_ns=10000001", true, "Link lat_ns '10000001' is not 0 to 10000000" },
	{ "lat_ns=-1", false, "Link lat_ns '-1' is not 0 to 10000000" },
	{ "credits=0", true, "Link credits '0' is not 1 to 4096" },
	{ "credits=4097", true, "Link credits '4097' is not 1 to 4096" },
	/* The first bad key is the one reported. */
	{ "gen=2,width=3,mps=64", true, "Link width 3 is not 1, 2, 4, 8 or 16" },
	{ "gen=7,frob=1", true, "Link gen '7' is not 1 to 5" },
};

static void spec_case_desc(const struct spec_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "\"%s\" %s", c->spec,
		 c->port ? "port" : "upstream");
}

KUNIT_ARRAY_PARAM(spec, spec_cases, spec_case_desc);

static void expect_params(struct kunit *test, const struct vio_link_params *got,
			  const struct vio_link_params *want)
{
	KUNIT_EXPECT_EQ(test, got->gen, want->gen);
	KUNIT_EXPECT_EQ(test, got->width, want->width);
	KUNIT_EXPECT_EQ(test, got->mps, want->mps);
	KUNIT_EXPECT_EQ(test, got->lat_ns, want->lat_ns);
	KUNIT_EXPECT_EQ(test, got->credits, want->credits);
}

/*
 * Each spec applied to the defaults: a valid one gives the expected
 * link, a refused one the exact message and leaves the link alone.
 */
static void vio_link_parse_test(struct kunit *test)
{
	const struct spec_case *c = test->param_value;
	const struct vio_link_params def = { 3, 4, 256, 1000, 64 };
	struct vio_link_params p = def;
	struct vio_err err = {};
	int r;

	r = vio_link_parse(c->spec, &p, c->port, &err);
	vio_expect_result(test, r, &err, c->error);
	if (c->error) {
		KUNIT_EXPECT_STREQ(test, err.msg, c->error);
		expect_params(test, &p, &def);
		return;
	}
	expect_params(test, &p, &c->want);
}

/* The defaults: a Gen3 x4 link, mps 256, 1 us, 64 credits. */
static void vio_link_params_default_test(struct kunit *test)
{
	const struct vio_link_params want = { 3, 4, 256, 1000, 64 };
	struct vio_link_params p;

	memset(&p, 0xa5, sizeof(p));
	vio_link_params_default(&p);
	expect_params(test, &p, &want);
}

/* A refused spec changes nothing, however far it got. */
static void vio_link_parse_atomic_test(struct kunit *test)
{
	static const char * const refused[] = {
		"gen=1,width=1,mps=4096,lat_ns=0,credits=0",	/* last key bad */
		"gen=1,width=16,gen=2",				/* repeated key */
		"mps=128,lat_ns=7,",				/* empty key last */
		"gen=2,frob=1",					/* unknown key */
		"width=1,credits=4097",				/* out of range */
	};
	const struct vio_link_params base = { 5, 2, 1024, 42, 7 };
	struct vio_link_params p;
	struct vio_err err = {};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		p = base;
		KUNIT_EXPECT_EQ_MSG(test, vio_link_parse(refused[i], &p, true, &err), -EINVAL,
				    "\"%s\" accepted", refused[i]);
		expect_params(test, &p, &base);
	}
	/* Valid as a port, refused upstream: still nothing changes. */
	p = base;
	KUNIT_EXPECT_EQ(test, vio_link_parse("gen=1,mps=128,credits=9", &p, false, &err),
			-EINVAL);
	KUNIT_EXPECT_STREQ(test, err.msg, "Unknown link key 'credits' " UP_KEYS);
	expect_params(test, &p, &base);

	/* A later spec changes only what it names. */
	p = base;
	KUNIT_ASSERT_EQ(test, vio_link_parse("lat_ns=0,gen=1", &p, true, &err), 0);
	KUNIT_EXPECT_EQ(test, p.gen, 1);
	KUNIT_EXPECT_EQ(test, p.width, 2);
	KUNIT_EXPECT_EQ(test, p.mps, 1024);
	KUNIT_EXPECT_EQ(test, p.lat_ns, 0);
	KUNIT_EXPECT_EQ(test, p.credits, 7);
}

/* The spec printed, exactly; snprintf semantics on a short buffer. */
static void vio_link_format_test(struct kunit *test)
{
	const struct vio_link_params def = { 3, 4, 256, 1000, 64 };
	const struct vio_link_params max = { 5, 16, 4096, 10000000, 4096 };
	char buf[96];

	KUNIT_EXPECT_EQ(test, vio_link_format(&def, true, buf, sizeof(buf)), 44);
	KUNIT_EXPECT_STREQ(test, buf, "gen=3,width=4,mps=256,lat_ns=1000,credits=64");
	KUNIT_EXPECT_EQ(test, vio_link_format(&def, false, buf, sizeof(buf)), 33);
	KUNIT_EXPECT_STREQ(test, buf, "gen=3,width=4,mps=256,lat_ns=1000");
	KUNIT_EXPECT_EQ(test, vio_link_format(&max, true, buf, sizeof(buf)), 52);
	KUNIT_EXPECT_STREQ(test, buf, "gen=5,width=16,mps=4096,lat_ns=10000000,credits=4096");

	memset(buf, 'X', sizeof(buf));
	KUNIT_EXPECT_EQ(test, vio_link_format(&def, true, buf, 10), 44);
	KUNIT_EXPECT_STREQ(test, buf, "gen=3,wid");
	KUNIT_EXPECT_EQ(test, buf[10], 'X');
	KUNIT_EXPECT_EQ(test, vio_link_format(&def, false, NULL, 0), 33);
}

/*
 * What vio_link_format() prints, vio_link_parse() reads back to the same
 * link, from any other link; upstream, the credits are not part of it.
 */
static void vio_link_format_roundtrip_test(struct kunit *test)
{
	static const struct vio_link_params links[] = {
		{ 3, 4, 256, 1000, 64 },
		{ 1, 1, 128, 0, 1 },
		{ 5, 16, 4096, 10000000, 4096 },
		{ 2, 8, 512, 123456, 17 },
		{ 4, 2, 1024, 1, 4095 },
		{ 3, 16, 2048, 9999999, 2 },
	};
	const struct vio_link_params other = { 2, 2, 2048, 777, 3 };
	struct vio_err err = {};
	unsigned int i, port;
	char buf[96];

	for (i = 0; i < ARRAY_SIZE(links); i++) {
		for (port = 0; port < 2; port++) {
			struct vio_link_params want = links[i], p = other;
			int n = vio_link_format(&links[i], port, buf, sizeof(buf));

			KUNIT_EXPECT_EQ(test, n, (int)strlen(buf));
			KUNIT_ASSERT_EQ_MSG(test, vio_link_parse(buf, &p, port, &err), 0,
					    "\"%s\": %s", buf, err.msg);
			if (!port)
				want.credits = other.credits;
			expect_params(test, &p, &want);
		}
	}
}

static struct kunit_case vio_pcie_spec_test_cases[] = {
	KUNIT_CASE_PARAM(vio_link_parse_test, spec_gen_params),
	KUNIT_CASE(vio_link_params_default_test),
	KUNIT_CASE(vio_link_parse_atomic_test),
	KUNIT_CASE(vio_link_format_test),
	KUNIT_CASE(vio_link_format_roundtrip_test),
	{}
};

static struct kunit_suite vio_pcie_spec_test_suite = {
	.name = "dm_vio_pcie_specs",
	.test_cases = vio_pcie_spec_test_cases,
};

/* ---- A link's virtual clocks and a port's credits (fabric.c) ---- */

/* A link of @spec's parameters, clocks at 0 ns, its counters zeroed. */
static struct vio_link *link_new(struct kunit *test, u32 gen, u32 width,
				 u32 mps, u32 lat_ns, u32 credits)
{
	struct vio_link *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	struct vio_link_params p = link_of(gen, width, mps);

	KUNIT_ASSERT_NOT_NULL(test, l);
	l->stats = alloc_percpu(struct vio_link_stats);
	KUNIT_ASSERT_NOT_NULL(test, l->stats);
	p.lat_ns = lat_ns;
	p.credits = credits;
	vio_link_set(l, &p);
	atomic64_set(&l->next_free[VIO_LINK_DOWN], 0);
	atomic64_set(&l->next_free[VIO_LINK_UP], 0);
	atomic_set(&l->inflight, 0);
	atomic_set(&l->max_inflight, 0);
	return l;
}

static void link_free(struct vio_link *l)
{
	free_percpu(l->stats);
}

/* Wire time of @wire bytes on @l, in the clock's 1/2^VIO_CLOCK_SHIFT ns. */
static u64 fine(const struct vio_link *l, u64 wire)
{
	return vio_link_wire_fine(l->ns_per_byte_fp, wire);
}

static u64 fine_to_ns(u64 f)
{
	return DIV_ROUND_UP_ULL(f, 1ULL << VIO_CLOCK_SHIFT);
}

/*
 * Requests that arrive while the link is busy queue behind each other in
 * arrival order: each is through one wire time after the one before,
 * plus the hop latency; the two directions are separate clocks; an idle
 * link banks nothing (a request after a pause starts when it arrives).
 */
static void vio_link_clock_order_test(struct kunit *test)
{
	struct vio_link *l = link_new(test, 1, 1, 128, 500, 8);
	const u64 wire = 4096 + 32 * 24;
	u64 d = fine(l, wire), t, prev = 0;
	struct vio_link_stats st;
	unsigned int i;

	/* Gen1 x1 carries 250 MB/s: 4864 bytes take 19456 ns. */
	KUNIT_EXPECT_EQ(test, fine_to_ns(d), 19456ULL);
	for (i = 1; i <= 4; i++) {
		t = vio_link_reserve(l, VIO_LINK_DOWN, 0, wire, 32, 4096);
		KUNIT_EXPECT_EQ(test, t, fine_to_ns(i * d) + 500);
		KUNIT_EXPECT_GT(test, t, prev);
		prev = t;
	}
	/* The other direction is free. */
	KUNIT_EXPECT_EQ(test, vio_link_reserve(l, VIO_LINK_UP, 0, wire, 32, 4096),
			fine_to_ns(d) + 500);
	/* Arriving mid-way through the queue: behind it. */
	KUNIT_EXPECT_EQ(test, vio_link_reserve(l, VIO_LINK_DOWN, 30000, wire, 32, 4096),
			fine_to_ns(5 * d) + 500);
	/* After a pause: from its arrival, nothing banked. */
	KUNIT_EXPECT_EQ(test, vio_link_reserve(l, VIO_LINK_DOWN, 1000000, wire, 32, 4096),
			1000000 + fine_to_ns(d) + 500);

	vio_link_read_stats(l, &st);
	KUNIT_EXPECT_EQ(test, st.wire_bytes, 7 * wire);
	KUNIT_EXPECT_EQ(test, st.payload_bytes, 7ULL * 4096);
	KUNIT_EXPECT_EQ(test, st.tlps, 7ULL * 32);
	KUNIT_EXPECT_EQ(test, st.busy_ns[VIO_LINK_DOWN], 6 * (d >> VIO_CLOCK_SHIFT));
	KUNIT_EXPECT_EQ(test, st.busy_ns[VIO_LINK_UP], d >> VIO_CLOCK_SHIFT);
	/* Waits of 1, 2 and 3 wire times at 0 ns, 4d - 30000 ns at 30000 ns. */
	KUNIT_EXPECT_EQ(test, st.queue_ns,
			(d >> VIO_CLOCK_SHIFT) + (2 * d >> VIO_CLOCK_SHIFT) +
			(3 * d >> VIO_CLOCK_SHIFT) + ((4 * d - (30000ULL << VIO_CLOCK_SHIFT)) >>
						       VIO_CLOCK_SHIFT));
	link_free(l);
}

/*
 * Sub-nanosecond wire times add up: a million back-to-back 24-byte TLPs
 * on a Gen5 x16 link (63 GB/s, 0.38 ns each) take their exact total, not
 * a million rounded nanoseconds.
 */
static void vio_link_clock_fine_test(struct kunit *test)
{
	struct vio_link *l = link_new(test, 5, 16, 128, 0, 8);
	u64 t = 0, d = fine(l, 24);
	unsigned int i;

	for (i = 0; i < 1000000; i++)
		t = vio_link_reserve(l, VIO_LINK_DOWN, 0, 24, 1, 0);
	KUNIT_EXPECT_EQ(test, t, fine_to_ns(1000000 * d));
	KUNIT_EXPECT_LT(test, t, 1000000ULL / 2);
	link_free(l);
}

/* A link changed live: requests reserved after it go at the new rate. */
static void vio_link_clock_relink_test(struct kunit *test)
{
	struct vio_link *l = link_new(test, 3, 4, 256, 0, 8);
	struct vio_link_params p = link_of(1, 1, 256);
	u64 fast = fine(l, 100000), t1, t2;

	p.lat_ns = 0;
	t1 = vio_link_reserve(l, VIO_LINK_DOWN, 0, 100000, 1, 0);
	KUNIT_EXPECT_EQ(test, t1, fine_to_ns(fast));
	vio_link_set(l, &p);
	t2 = vio_link_reserve(l, VIO_LINK_DOWN, 0, 100000, 1, 0);
	/* Gen1 x1: 4 ns a byte, after the fast transfer already reserved. */
	KUNIT_EXPECT_EQ(test, t2, fine_to_ns(fast + fine(l, 100000)));
	KUNIT_EXPECT_EQ(test, t2 - t1, 400000ULL);
	link_free(l);
}

/*
 * Credits: at most so many requests in flight on a port; each completion
 * frees one; the high-water mark records the most ever taken; fewer
 * credits set live hold new requests until enough have completed.
 */
static void vio_credit_test(struct kunit *test)
{
	struct vio_link *l = link_new(test, 3, 4, 256, 0, 3);
	struct vio_link_params p;
	unsigned int i;

	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_TRUE(test, vio_credit_get(l));
	KUNIT_EXPECT_FALSE(test, vio_credit_get(l));
	KUNIT_EXPECT_EQ(test, atomic_read(&l->inflight), 3);
	KUNIT_EXPECT_EQ(test, atomic_read(&l->max_inflight), 3);

	atomic_dec(&l->inflight);		/* as vio_fabric_done() */
	KUNIT_EXPECT_TRUE(test, vio_credit_get(l));
	KUNIT_EXPECT_FALSE(test, vio_credit_get(l));

	vio_link_get(l, &p);
	p.credits = 1;
	vio_link_set(l, &p);
	atomic_sub(2, &l->inflight);
	KUNIT_EXPECT_FALSE(test, vio_credit_get(l));
	atomic_dec(&l->inflight);
	KUNIT_EXPECT_TRUE(test, vio_credit_get(l));
	KUNIT_EXPECT_FALSE(test, vio_credit_get(l));
	KUNIT_EXPECT_EQ(test, atomic_read(&l->inflight), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&l->max_inflight), 3);

	p.credits = 4;
	vio_link_set(l, &p);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_TRUE(test, vio_credit_get(l));
	KUNIT_EXPECT_FALSE(test, vio_credit_get(l));
	KUNIT_EXPECT_EQ(test, atomic_read(&l->max_inflight), 4);
	link_free(l);
}

static struct kunit_case vio_fabric_link_test_cases[] = {
	KUNIT_CASE(vio_link_clock_order_test),
	KUNIT_CASE(vio_link_clock_fine_test),
	KUNIT_CASE(vio_link_clock_relink_test),
	KUNIT_CASE(vio_credit_test),
	{}
};

static struct kunit_suite vio_fabric_link_test_suite = {
	.name = "dm_vio_fabric_links",
	.test_cases = vio_fabric_link_test_cases,
};

kunit_test_suites(&vio_pcie_rate_test_suite, &vio_pcie_xfer_test_suite,
		  &vio_pcie_spec_test_suite, &vio_fabric_link_test_suite);
