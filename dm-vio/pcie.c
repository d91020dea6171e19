// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vio: PCIe link model (see pcie.h for the model and its sources).
 *
 * Link spec grammar, one word, keys in any order, each at most once,
 * missing keys at their defaults:
 *
 *   gen=<1-5>,width=<1|2|4|8|16>,mps=<128-4096, power of 2>,
 *   lat_ns=<0-10000000>,credits=<1-4096>     (credits: ports only)
 */
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/string.h>
#include <linux/time64.h>

#include "compat.h"
#include "pcie.h"
#include "table.h"

/* Signalling rate per lane, MT/s, and encoding, by generation. */
static const struct {
	u32 mts;
	u32 enc_num, enc_den;
	u32 framing;
} vio_pcie_gens[VIO_PCIE_GEN_MAX + 1] = {
	[1] = { 2500, 8, 10, VIO_PCIE_FRAME_8B10B },
	[2] = { 5000, 8, 10, VIO_PCIE_FRAME_8B10B },
	[3] = { 8000, 128, 130, VIO_PCIE_FRAME_128B130B },
	[4] = { 16000, 128, 130, VIO_PCIE_FRAME_128B130B },
	[5] = { 32000, 128, 130, VIO_PCIE_FRAME_128B130B },
};

void vio_link_params_default(struct vio_link_params *p)
{
	p->gen = VIO_PCIE_GEN_DEFAULT;
	p->width = VIO_PCIE_WIDTH_DEFAULT;
	p->mps = VIO_PCIE_MPS_DEFAULT;
	p->lat_ns = VIO_PCIE_LAT_DEFAULT_NS;
	p->credits = VIO_PCIE_CREDITS_DEFAULT;
}
EXPORT_SYMBOL_IF_KUNIT(vio_link_params_default);

/* Payload bytes per second one direction of the link carries on the wire. */
u64 vio_link_bytes_per_sec(const struct vio_link_params *p)
{
	u64 bits = (u64)vio_pcie_gens[p->gen].mts * 1000000 * p->width *
		   vio_pcie_gens[p->gen].enc_num;

	return div_u64(bits, vio_pcie_gens[p->gen].enc_den * 8);
}
EXPORT_SYMBOL_IF_KUNIT(vio_link_bytes_per_sec);

/* Wire time per byte, ns in 32.32 fixed point: no division per request. */
u64 vio_link_ns_per_byte_fp(const struct vio_link_params *p)
{
	return div64_u64((u64)NSEC_PER_SEC << 32, vio_link_bytes_per_sec(p));
}
EXPORT_SYMBOL_IF_KUNIT(vio_link_ns_per_byte_fp);

u64 vio_link_wire_ns(u64 ns_per_byte_fp, u64 wire_bytes)
{
	return mul_u64_u64_shr(wire_bytes, ns_per_byte_fp, 32);
}
EXPORT_SYMBOL_IF_KUNIT(vio_link_wire_ns);

/*
 * The same in 1/2^VIO_CLOCK_SHIFT ns: what the fabric's virtual clocks
 * count in, so that sub-nanosecond TLPs on fast links are not lost to
 * rounding.
 */
u64 vio_link_wire_fine(u64 ns_per_byte_fp, u64 wire_bytes)
{
	/* Rounded to the nearest unit: errors do not pile up one way. */
	return (mul_u64_u64_shr(wire_bytes, ns_per_byte_fp,
				31 - VIO_CLOCK_SHIFT) + 1) >> 1;
}
EXPORT_SYMBOL_IF_KUNIT(vio_link_wire_fine);

/**
 * vio_link_xfer() - the TLPs and wire bytes of one request on a link
 * @p: the link
 * @kind: what the request moves
 * @payload: its data bytes
 * @x: result
 *
 * O(1): the payload size is a power of two, so TLP counts are shifts.
 */
void vio_link_xfer(const struct vio_link_params *p, enum vio_xfer_kind kind,
		   u64 payload, struct vio_xfer *x)
{
	u32 frame = vio_pcie_gens[p->gen].framing;
	u32 req = VIO_PCIE_REQ_HDR + VIO_PCIE_DLL + frame;
	u32 cpl = VIO_PCIE_CPL_HDR + VIO_PCIE_DLL + frame;
	unsigned int mps_shift = ilog2(p->mps);
	u64 tlps;

	memset(x, 0, sizeof(*x));
	x->payload = payload;
	if (kind == VIO_XFER_CMD || !payload) {
		x->down_tlps = 1;
		x->down_wire = req;
		return;
	}
	tlps = (payload + p->mps - 1) >> mps_shift;
	if (kind == VIO_XFER_WRITE) {
		x->down_tlps = tlps;
		x->down_wire = payload + tlps * req;
		return;
	}
	/*
	 * Completions answer one request each (they are never combined), so
	 * a request of up to MRRS bytes gets ceil(its size / mps) of them.
	 */
	x->down_tlps = (payload + VIO_PCIE_MRRS - 1) / VIO_PCIE_MRRS;
	x->down_wire = (u64)x->down_tlps * req;
	if (p->mps > VIO_PCIE_MRRS)
		tlps = x->down_tlps;
	x->up_tlps = tlps;
	x->up_wire = payload + tlps * cpl;
}
EXPORT_SYMBOL_IF_KUNIT(vio_link_xfer);

/*
 * The payload rate the link sustains for back-to-back requests of
 * @io_bytes: limited by the busier direction. Bytes per second.
 */
u64 vio_link_model_bps(const struct vio_link_params *p,
		       enum vio_xfer_kind kind, u32 io_bytes)
{
	struct vio_xfer x;
	u64 wire;

	if (kind == VIO_XFER_CMD)
		return 0;	/* carries no data */
	vio_link_xfer(p, kind, io_bytes, &x);
	wire = max(x.down_wire, x.up_wire);
	return mul_u64_u64_div_u64(io_bytes, vio_link_bytes_per_sec(p), wire);
}
EXPORT_SYMBOL_IF_KUNIT(vio_link_model_bps);

static int vio_link_key(const char *key, const char *val, u32 min, u32 max,
			u32 *out, struct vio_err *err)
{
	if (!val || !isdigit(*val) || kstrtou32(val, 10, out) || *out < min ||
	    *out > max)
		return vio_err(err, "Link %s '%s' is not %u to %u", key,
			       val ?: "", min, max);
	return 0;
}

/**
 * vio_link_parse() - apply a link spec to @p
 * @spec: "gen=3,width=4,..."; see the grammar above
 * @p: parameters to modify; untouched on error
 * @port: a downstream port (which has credits)
 * @err: the reason, on error
 */
int vio_link_parse(const char *spec, struct vio_link_params *p, bool port,
		   struct vio_err *err)
{
	static const char * const keys[] = {
		"gen", "width", "mps", "lat_ns", "credits",
	};
	struct vio_link_params np = *p;
	char buf[96], *s = buf, *word;
	unsigned long seen = 0;
	int r;

	if (strscpy(buf, spec, sizeof(buf)) < 0)
		return vio_err(err, "Link spec '%.40s...' is too long", spec);
	if (!*s)
		return vio_err(err, "Empty link spec");
	while ((word = strsep(&s, ","))) {
		char *val = strchr(word, '=');
		int k;

		if (val)
			*val++ = '\0';
		k = match_string(keys, ARRAY_SIZE(keys), word);
		if (k < 0 || (k == 4 && !port))
			return vio_err(err,
				       "Unknown link key '%.20s' (expected gen, width, mps, lat_ns%s)",
				       word, port ? " or credits" : "");
		if (seen & BIT(k))
			return vio_err(err, "Link key '%s' given twice", keys[k]);
		seen |= BIT(k);
		switch (k) {
		case 0:
			r = vio_link_key("gen", val, VIO_PCIE_GEN_MIN,
					 VIO_PCIE_GEN_MAX, &np.gen, err);
			break;
		case 1:
			r = vio_link_key("width", val, 1, 16, &np.width, err);
			if (!r && !is_power_of_2(np.width))
				r = vio_err(err, "Link width %u is not 1, 2, 4, 8 or 16",
					    np.width);
			break;
		case 2:
			r = vio_link_key("mps", val, VIO_PCIE_MPS_MIN,
					 VIO_PCIE_MPS_MAX, &np.mps, err);
			if (!r && !is_power_of_2(np.mps))
				r = vio_err(err, "Link mps %u is not a power of two",
					    np.mps);
			break;
		case 3:
			r = vio_link_key("lat_ns", val, 0, VIO_PCIE_LAT_MAX_NS,
					 &np.lat_ns, err);
			break;
		default:
			r = vio_link_key("credits", val, 1, VIO_PCIE_CREDITS_MAX,
					 &np.credits, err);
			break;
		}
		if (r)
			return r;
	}
	*p = np;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vio_link_parse);

/* The spec that rebuilds @p; returns the length (snprintf semantics). */
int vio_link_format(const struct vio_link_params *p, bool port, char *buf,
		    size_t size)
{
	if (port)
		return snprintf(buf, size, "gen=%u,width=%u,mps=%u,lat_ns=%u,credits=%u",
				p->gen, p->width, p->mps, p->lat_ns, p->credits);
	return snprintf(buf, size, "gen=%u,width=%u,mps=%u,lat_ns=%u",
			p->gen, p->width, p->mps, p->lat_ns);
}
EXPORT_SYMBOL_IF_KUNIT(vio_link_format);
