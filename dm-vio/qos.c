// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vio: QoS class parameters and the mClock-style scheduler.
 *
 * See qos.h for the model. Everything here is pure: the caller owns the
 * locking (one lock per struct vio_sched, or a quiescent class) and passes
 * the time in. Costs are O(1) per request for the buckets and O(log n) in
 * the number of backlogged classes for the scheduler trees.
 *
 * Class parameter grammar (words of a "class create|set" message):
 *
 *   <key>=<value>...
 *
 *   res_iops=<n>  res_bps=<bytes>        reservation
 *   weight=<1-10000>                     share of what is left
 *   iops= riops= wiops=                  limits, I/O per second
 *   bps= rbps= wbps=                     limits, bytes per second
 *   <limit>_max=<rate>                   burst rate above that limit
 *   <limit>_max_len=<seconds>            burst length (default 1)
 *   iops_size=<bytes>                    an I/O counts ceil(size/iops_size)
 *   lat_target_us=<microseconds>         latency target (reported)
 *
 * Byte quantities take a k, m, g or t suffix (powers of 1024). A value of
 * 0 clears a setting (except weight).
 */
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/string.h>

#include "compat.h"
#include "qos.h"

/* Virtual time per counted I/O at weight 1; weight w advances 1/w of it. */
#define VIO_VT_SCALE	(10000ULL << 20)

enum vio_key_kind {
	VIO_KEY_IOPS,		/* plain count per second */
	VIO_KEY_BYTES,		/* bytes (per second), suffixes allowed */
	VIO_KEY_U32,		/* plain number */
	VIO_KEY_ARRAYS,		/* array indices "0,2", or "none": a mask */
};

struct vio_key {
	const char *name;
	enum vio_key_kind kind;
	u64 max;
	size_t offset;		/* into struct vio_qos_params */
	bool is_u32;
};

#define VIO_KEY_U64(_name, _kind, _max, _field)				\
	{ _name, _kind, _max, offsetof(struct vio_qos_params, _field), false }
#define VIO_KEY_32(_name, _kind, _max, _field)				\
	{ _name, _kind, _max, offsetof(struct vio_qos_params, _field), true }

static const struct vio_key vio_keys[] = {
	VIO_KEY_U64("res_iops", VIO_KEY_IOPS, VIO_IOPS_MAX, res[VIO_RES_IOPS]),
	VIO_KEY_U64("res_bps", VIO_KEY_BYTES, VIO_BPS_MAX, res[VIO_RES_BPS]),
	VIO_KEY_32("weight", VIO_KEY_U32, VIO_WEIGHT_MAX, weight),
	VIO_KEY_U64("riops", VIO_KEY_IOPS, VIO_IOPS_MAX, lim[VIO_LIM_RIOPS]),
	VIO_KEY_U64("riops_max", VIO_KEY_IOPS, VIO_IOPS_MAX, lim_max[VIO_LIM_RIOPS]),
	VIO_KEY_32("riops_max_len", VIO_KEY_U32, VIO_BURST_LEN_MAX, lim_max_len[VIO_LIM_RIOPS]),
	VIO_KEY_U64("wiops", VIO_KEY_IOPS, VIO_IOPS_MAX, lim[VIO_LIM_WIOPS]),
	VIO_KEY_U64("wiops_max", VIO_KEY_IOPS, VIO_IOPS_MAX, lim_max[VIO_LIM_WIOPS]),
	VIO_KEY_32("wiops_max_len", VIO_KEY_U32, VIO_BURST_LEN_MAX, lim_max_len[VIO_LIM_WIOPS]),
	VIO_KEY_U64("iops", VIO_KEY_IOPS, VIO_IOPS_MAX, lim[VIO_LIM_IOPS]),
	VIO_KEY_U64("iops_max", VIO_KEY_IOPS, VIO_IOPS_MAX, lim_max[VIO_LIM_IOPS]),
	VIO_KEY_32("iops_max_len", VIO_KEY_U32, VIO_BURST_LEN_MAX, lim_max_len[VIO_LIM_IOPS]),
	VIO_KEY_U64("rbps", VIO_KEY_BYTES, VIO_BPS_MAX, lim[VIO_LIM_RBPS]),
	VIO_KEY_U64("rbps_max", VIO_KEY_BYTES, VIO_BPS_MAX, lim_max[VIO_LIM_RBPS]),
	VIO_KEY_32("rbps_max_len", VIO_KEY_U32, VIO_BURST_LEN_MAX, lim_max_len[VIO_LIM_RBPS]),
	VIO_KEY_U64("wbps", VIO_KEY_BYTES, VIO_BPS_MAX, lim[VIO_LIM_WBPS]),
	VIO_KEY_U64("wbps_max", VIO_KEY_BYTES, VIO_BPS_MAX, lim_max[VIO_LIM_WBPS]),
	VIO_KEY_32("wbps_max_len", VIO_KEY_U32, VIO_BURST_LEN_MAX, lim_max_len[VIO_LIM_WBPS]),
	VIO_KEY_U64("bps", VIO_KEY_BYTES, VIO_BPS_MAX, lim[VIO_LIM_BPS]),
	VIO_KEY_U64("bps_max", VIO_KEY_BYTES, VIO_BPS_MAX, lim_max[VIO_LIM_BPS]),
	VIO_KEY_32("bps_max_len", VIO_KEY_U32, VIO_BURST_LEN_MAX, lim_max_len[VIO_LIM_BPS]),
	VIO_KEY_32("iops_size", VIO_KEY_BYTES, VIO_IOPS_SIZE_MAX, iops_size),
	VIO_KEY_32("lat_target_us", VIO_KEY_U32, VIO_LAT_TARGET_MAX, lat_target_us),
	VIO_KEY_32("prefer", VIO_KEY_ARRAYS, U32_MAX, prefer),
	VIO_KEY_32("avoid", VIO_KEY_ARRAYS, U32_MAX, avoid),
};

static const char * const vio_lim_names[VIO_NR_LIMS] = {
	"riops", "wiops", "iops", "rbps", "wbps", "bps",
};

static bool vio_lim_is_bytes(enum vio_lim k)
{
	return k >= VIO_LIM_RBPS;
}

/* Does a request in direction @dir count against limit @k? */
static bool vio_lim_applies(enum vio_lim k, enum vio_dir dir)
{
	switch (k) {
	case VIO_LIM_RIOPS:
	case VIO_LIM_RBPS:
		return dir == VIO_DIR_READ;
	case VIO_LIM_WIOPS:
	case VIO_LIM_WBPS:
		return dir == VIO_DIR_WRITE;
	default:
		return dir != VIO_DIR_NONE;
	}
}

void vio_qos_params_default(struct vio_qos_params *p)
{
	memset(p, 0, sizeof(*p));
	p->weight = VIO_WEIGHT_DEFAULT;
}
EXPORT_SYMBOL_IF_KUNIT(vio_qos_params_default);

static u64 vio_key_get(const struct vio_qos_params *p, const struct vio_key *k)
{
	const void *f = (const char *)p + k->offset;

	return k->is_u32 ? *(const u32 *)f : *(const u64 *)f;
}

static void vio_key_set(struct vio_qos_params *p, const struct vio_key *k,
			u64 v)
{
	void *f = (char *)p + k->offset;

	if (k->is_u32)
		*(u32 *)f = v;
	else
		*(u64 *)f = v;
}

/* Decimal digits, then for byte quantities an optional k/m/g/t suffix. */
static int vio_parse_value(const char *s, bool bytes, u64 *out)
{
	unsigned int shift = 0;
	char digits[24];
	size_t n = 0;
	u64 v;

	while (isdigit(s[n]))
		n++;
	if (!n)
		return -EINVAL;
	if (n >= sizeof(digits))
		return -ERANGE;
	if (s[n]) {
		if (!bytes || s[n + 1])
			return -EINVAL;
		switch (tolower(s[n])) {
		case 'k':
			shift = 10;
			break;
		case 'm':
			shift = 20;
			break;
		case 'g':
			shift = 30;
			break;
		case 't':
			shift = 40;
			break;
		default:
			return -EINVAL;
		}
	}
	memcpy(digits, s, n);
	digits[n] = '\0';
	if (kstrtou64(digits, 10, &v))
		return -ERANGE;
	if (shift && v > (U64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

/* "none", or array indices separated by commas, each at most once. */
static int vio_parse_arrays_mask(const char *s, u64 *out)
{
	u64 mask = 0;

	if (!strcmp(s, "none")) {
		*out = 0;
		return 0;
	}
	for (;;) {
		unsigned int n = 0, v = 0;

		/* Saturates: any index of 1000 or more is out of range anyway. */
		while (isdigit(s[n]))
			v = min(v * 10 + (s[n++] - '0'), 1000U);
		if (!n || v >= DM_VIO_MAX_ARRAYS || (mask & BIT_ULL(v)))
			return -EINVAL;
		mask |= BIT_ULL(v);
		s += n;
		if (!*s)
			break;
		if (*s++ != ',')
			return -EINVAL;
	}
	*out = mask;
	return 0;
}

/* A rate as messages write it: digits, bytes with a k/m/g/t suffix. */
int vio_qos_parse_rate(const char *s, bool bytes, u64 *out)
{
	u64 v;
	int r = vio_parse_value(s, bytes, &v);

	if (r)
		return r;
	if (v > (bytes ? VIO_BPS_MAX : VIO_IOPS_MAX))
		return -ERANGE;
	*out = v;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vio_qos_parse_rate);

/**
 * vio_qos_parse - apply "key=value" words to a class's parameters
 * @argc: number of words
 * @argv: the words
 * @p: parameters to modify; left untouched on error
 * @err: the reason, on error
 *
 * Parses every word, then checks the result as a whole
 * (vio_qos_params_check()), so a refused message changes nothing.
 */
int vio_qos_parse(unsigned int argc, char **argv, struct vio_qos_params *p,
		  struct vio_err *err)
{
	struct vio_qos_params np = *p;
	unsigned long seen = 0;
	unsigned int i, k;
	int r;

	BUILD_BUG_ON(ARRAY_SIZE(vio_keys) > BITS_PER_LONG);
	for (i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		size_t len = eq ? eq - argv[i] : strlen(argv[i]);
		const struct vio_key *key = NULL;
		u64 v;

		for (k = 0; k < ARRAY_SIZE(vio_keys); k++)
			if (strlen(vio_keys[k].name) == len &&
			    !strncmp(vio_keys[k].name, argv[i], len)) {
				key = &vio_keys[k];
				break;
			}
		if (!key)
			return vio_err(err, "Unknown class parameter '%.40s'", argv[i]);
		if (!eq)
			return vio_err(err, "Class parameter '%s' needs a value: %s=<n>",
				       key->name, key->name);
		if (seen & BIT(k))
			return vio_err(err, "Class parameter '%s' given twice", key->name);
		seen |= BIT(k);

		if (key->kind == VIO_KEY_ARRAYS) {
			if (vio_parse_arrays_mask(eq + 1, &v))
				return vio_err(err,
					       "Class parameter '%.40s': expected array indices below %u, like 0,2, or none",
					       argv[i], DM_VIO_MAX_ARRAYS);
			vio_key_set(&np, key, v);
			continue;
		}
		r = vio_parse_value(eq + 1, key->kind == VIO_KEY_BYTES, &v);
		if (r == -ERANGE || (!r && v > key->max))
			return vio_err(err,
				       "Class parameter '%.40s' is out of range (at most %llu)",
				       argv[i], key->max);
		if (r)
			return vio_err(err, "Class parameter '%.40s': %s",
				       argv[i], key->kind == VIO_KEY_BYTES ?
				       "expected bytes (digits, optional k/m/g/t suffix)" :
				       "expected a decimal number");
		vio_key_set(&np, key, v);
	}

	r = vio_qos_params_check(&np, err);
	if (r)
		return r;
	*p = np;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vio_qos_parse);

/* Checks that hold between parameters, whichever words set them. */
int vio_qos_params_check(const struct vio_qos_params *p, struct vio_err *err)
{
	unsigned int k;

	if (p->weight < VIO_WEIGHT_MIN || p->weight > VIO_WEIGHT_MAX)
		return vio_err(err, "Class weight %u is out of range %u-%u",
			       p->weight, VIO_WEIGHT_MIN, VIO_WEIGHT_MAX);
	if (p->prefer & p->avoid)
		return vio_err(err, "Class both prefers and avoids array %lu",
			       __ffs(p->prefer & p->avoid));
	for (k = 0; k < VIO_NR_LIMS; k++) {
		const char *n = vio_lim_names[k];

		if (p->lim_max[k] && !p->lim[k])
			return vio_err(err,
				       "Class parameter '%s_max' needs the limit '%s' it bursts above",
				       n, n);
		if (p->lim_max[k] && p->lim_max[k] <= p->lim[k])
			return vio_err(err, "Burst rate %s_max=%llu must exceed the limit %s=%llu",
				       n, p->lim_max[k], n, p->lim[k]);
		if (p->lim_max_len[k] && !p->lim_max[k])
			return vio_err(err,
				       "Class parameter '%s_max_len' needs a burst rate '%s_max'",
				       n, n);
	}
	if (p->lim[VIO_LIM_IOPS] && p->res[VIO_RES_IOPS] > p->lim[VIO_LIM_IOPS])
		return vio_err(err, "Reservation res_iops=%llu exceeds the limit iops=%llu",
			       p->res[VIO_RES_IOPS], p->lim[VIO_LIM_IOPS]);
	if (p->lim[VIO_LIM_BPS] && p->res[VIO_RES_BPS] > p->lim[VIO_LIM_BPS])
		return vio_err(err, "Reservation res_bps=%llu exceeds the limit bps=%llu",
			       p->res[VIO_RES_BPS], p->lim[VIO_LIM_BPS]);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vio_qos_params_check);

/**
 * vio_qos_format - print the parameters that differ from the defaults
 * @p: the parameters
 * @buf: output
 * @size: size of @buf
 *
 * The output is a list of words that vio_qos_parse() accepts and that
 * rebuilds @p from the defaults. Returns the length written (at most
 * @size - 1), or with @size 0 the length needed.
 */
int vio_qos_format(const struct vio_qos_params *p, char *buf, size_t size)
{
	struct vio_qos_params def;
	unsigned int k;
	int n = 0;

	vio_qos_params_default(&def);
	if (size)
		buf[0] = '\0';
	for (k = 0; k < ARRAY_SIZE(vio_keys); k++) {
		u64 v = vio_key_get(p, &vio_keys[k]);

		if (v == vio_key_get(&def, &vio_keys[k]))
			continue;
		if (vio_keys[k].kind == VIO_KEY_ARRAYS) {
			unsigned long mask = v;
			unsigned int a;
			char sep = '=';

			n += snprintf(size ? buf + n : NULL, size ? size - n : 0,
				      "%s%s", n ? " " : "", vio_keys[k].name);
			for_each_set_bit(a, &mask, DM_VIO_MAX_ARRAYS) {
				if (size && n >= size)
					break;
				n += snprintf(size ? buf + n : NULL,
					      size ? size - n : 0, "%c%u", sep, a);
				sep = ',';
			}
		} else {
			n += snprintf(size ? buf + n : NULL, size ? size - n : 0,
				      "%s%s=%llu", n ? " " : "", vio_keys[k].name, v);
		}
		if (size && n >= size)
			n = size - 1;
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(vio_qos_format);

/*
 * Counted I/Os of a request: 0 for an empty flush, at least 1 otherwise,
 * times the array I/Os it becomes (a mirrored write: one per leg).
 */
u64 vio_qos_units(const struct vio_qos_params *p, const struct vio_req *rq)
{
	u64 copies = max_t(u64, rq->copies, 1);

	if (rq->dir == VIO_DIR_NONE)
		return 0;
	if (!p->iops_size || rq->bytes <= p->iops_size)
		return copies;
	return DIV_ROUND_UP_ULL(rq->bytes, p->iops_size) * copies;
}

/* Bytes charged to byte limits: what crosses the host's link. */
static u64 vio_qos_bytes(const struct vio_req *rq)
{
	if (rq->dir == VIO_DIR_NONE)
		return 0;
	return (u64)rq->bytes * max_t(u64, rq->up_copies, 1);
}
EXPORT_SYMBOL_IF_KUNIT(vio_qos_units);

static void vio_rate_set(struct vio_rate *r, u64 rate, u64 tolerance_ns)
{
	r->ns_per_unit = rate ? div64_u64(NSEC_PER_SEC << 32, rate) : 0;
	r->tolerance_ns = tolerance_ns;
}

static u64 vio_rate_ns(const struct vio_rate *r, u64 cost)
{
	return mul_u64_u64_shr(cost, r->ns_per_unit, 32);
}

/* The earliest time a bucket at @tat lets a request through. */
static u64 vio_rate_ready(const struct vio_rate *r, u64 tat)
{
	return tat > r->tolerance_ns ? tat - r->tolerance_ns : 0;
}

void vio_qclass_set_params(struct vio_qclass *c, const struct vio_qos_params *p)
{
	unsigned int k;

	c->p = *p;
	for (k = 0; k < VIO_NR_LIMS; k++) {
		u64 avg = p->lim[k], max = p->lim_max[k];
		u64 tol = VIO_QOS_SLACK_NS;

		/* Running at max for len seconds puts tat len*(max-avg)/avg ahead. */
		if (max) {
			u64 len_ns = (u64)(p->lim_max_len[k] ?: VIO_BURST_LEN_DEFAULT) *
				     NSEC_PER_SEC;

			/* Bursts beyond VIO_BURST_CREDIT_MAX_NS of credit are capped. */
			if (div64_u64(max - avg, avg) >=
			    div64_u64(VIO_BURST_CREDIT_MAX_NS, len_ns))
				tol += VIO_BURST_CREDIT_MAX_NS;
			else
				tol += mul_u64_u64_div_u64(len_ns, max - avg, avg);
		}
		vio_rate_set(&c->avg[k], avg, tol);
		vio_rate_set(&c->peak[k], max, VIO_QOS_SLACK_NS);
	}
	for (k = 0; k < VIO_NR_RES; k++)
		vio_rate_set(&c->rsv[k], p->res[k], 0);
	c->vt_per_unit = DIV_ROUND_UP_ULL(VIO_VT_SCALE, p->weight);
}
EXPORT_SYMBOL_IF_KUNIT(vio_qclass_set_params);

void vio_qclass_init(struct vio_qclass *c, const struct vio_qos_params *p)
{
	memset(c, 0, sizeof(*c));
	c->tenants = RB_ROOT_CACHED;
	RB_CLEAR_NODE(&c->pnode);
	RB_CLEAR_NODE(&c->rnode);
	RB_CLEAR_NODE(&c->wnode);
	vio_qclass_set_params(c, p);
}
EXPORT_SYMBOL_IF_KUNIT(vio_qclass_init);

static u64 vio_lim_cost(const struct vio_qclass *c, enum vio_lim k,
			const struct vio_req *rq)
{
	return vio_lim_is_bytes(k) ? vio_qos_bytes(rq) : vio_qos_units(&c->p, rq);
}

/**
 * vio_qclass_eligible - when a request conforms to the class's limits
 * @c: the class
 * @rq: the request
 *
 * Returns the earliest time (ns) at which @rq may be dispatched without
 * exceeding a limit; 0 or a time in the past means now.
 */
u64 vio_qclass_eligible(const struct vio_qclass *c, const struct vio_req *rq)
{
	u64 t = 0;
	unsigned int k;

	for (k = 0; k < VIO_NR_LIMS; k++) {
		if (!c->avg[k].ns_per_unit || !vio_lim_applies(k, rq->dir))
			continue;
		t = max(t, vio_rate_ready(&c->avg[k], c->avg_tat[k]));
		if (c->peak[k].ns_per_unit)
			t = max(t, vio_rate_ready(&c->peak[k], c->peak_tat[k]));
	}
	return t;
}
EXPORT_SYMBOL_IF_KUNIT(vio_qclass_eligible);

/* Virtual times wrap; they are compared only within a bounded window. */
static bool vio_vt_before(u64 a, u64 b)
{
	return (s64)(a - b) < 0;
}

/**
 * vio_qclass_charge - account a dispatched request to its class
 * @c: the class
 * @rq: the request
 * @now: dispatch time
 * @vtime: the scheduler's virtual time
 * @reserved: served in the reservation phase
 * @waited: the request was queued (the class was backlogged)
 */
void vio_qclass_charge(struct vio_qclass *c, const struct vio_req *rq,
		       u64 now, u64 vtime, bool reserved, bool waited)
{
	u64 units = vio_qos_units(&c->p, rq);
	u64 base = now;
	unsigned int k;

	/* A backlogged class did not choose to be idle: keep its lag. */
	if (waited)
		base = now > VIO_QOS_CATCHUP_NS ? now - VIO_QOS_CATCHUP_NS : 0;

	for (k = 0; k < VIO_NR_LIMS; k++) {
		u64 cost;

		if (!c->avg[k].ns_per_unit || !vio_lim_applies(k, rq->dir))
			continue;
		cost = vio_lim_cost(c, k, rq);
		c->avg_tat[k] = max(c->avg_tat[k], base) +
				vio_rate_ns(&c->avg[k], cost);
		if (c->peak[k].ns_per_unit)
			c->peak_tat[k] = max(c->peak_tat[k], now) +
					 vio_rate_ns(&c->peak[k], cost);
	}
	if (reserved) {
		c->rtag[VIO_RES_IOPS] += vio_rate_ns(&c->rsv[VIO_RES_IOPS], units);
		c->rtag[VIO_RES_BPS] += vio_rate_ns(&c->rsv[VIO_RES_BPS],
						    vio_qos_bytes(rq));
	}
	if (vio_vt_before(c->ptag, vtime))
		c->ptag = vtime;
	c->ptag += units * c->vt_per_unit;
}
EXPORT_SYMBOL_IF_KUNIT(vio_qclass_charge);

bool vio_qclass_has_res(const struct vio_qclass *c)
{
	return c->rsv[VIO_RES_IOPS].ns_per_unit || c->rsv[VIO_RES_BPS].ns_per_unit;
}
EXPORT_SYMBOL_IF_KUNIT(vio_qclass_has_res);

/* The earliest R-tag among the reservations the class has. */
static u64 vio_qclass_rkey(const struct vio_qclass *c)
{
	u64 t = U64_MAX;
	unsigned int k;

	for (k = 0; k < VIO_NR_RES; k++)
		if (c->rsv[k].ns_per_unit)
			t = min(t, c->rtag[k]);
	return t;
}

bool vio_qclass_res_due(const struct vio_qclass *c, u64 now)
{
	return vio_qclass_has_res(c) && vio_qclass_rkey(c) <= now;
}
EXPORT_SYMBOL_IF_KUNIT(vio_qclass_res_due);

void vio_qtenant_init(struct vio_qtenant *t)
{
	memset(t, 0, sizeof(*t));
	RB_CLEAR_NODE(&t->node);
}
EXPORT_SYMBOL_IF_KUNIT(vio_qtenant_init);

static bool vio_tenant_less(struct rb_node *a, const struct rb_node *b)
{
	return vio_vt_before(rb_entry(a, struct vio_qtenant, node)->stag,
			     rb_entry(b, struct vio_qtenant, node)->stag);
}

/**
 * vio_qclass_tenant_add - a tenant of @c with nothing queued queues @head
 * @c: the class
 * @t: the tenant's queue state, not in any class
 * @head: its first queued request
 * @fresh: @t was last queued in another class (or never): its S-tag
 *	means nothing here
 *
 * The tenant starts at the tag served last, or later if it was served
 * ahead of the others just before (one request at a time is no reason to
 * be served before a tenant with many queued). Returns true if @t is now
 * the class's first tenant: the class's head request is @head.
 */
bool vio_qclass_tenant_add(struct vio_qclass *c, struct vio_qtenant *t,
			   const struct vio_req *head, bool fresh)
{
	if (fresh || RB_EMPTY_ROOT(&c->tenants.rb_root) ||
	    vio_vt_before(t->stag, c->tvtime))
		t->stag = c->tvtime;
	t->head = *head;
	rb_add_cached(&t->node, &c->tenants, vio_tenant_less);
	return rb_first_cached(&c->tenants) == &t->node;
}
EXPORT_SYMBOL_IF_KUNIT(vio_qclass_tenant_add);

/* The tenant whose head request is the class's next; NULL when idle. */
struct vio_qtenant *vio_qclass_tenant_first(const struct vio_qclass *c)
{
	struct rb_node *n = rb_first_cached(&c->tenants);

	return n ? rb_entry(n, struct vio_qtenant, node) : NULL;
}
EXPORT_SYMBOL_IF_KUNIT(vio_qclass_tenant_first);

/**
 * vio_qclass_tenant_served - the first tenant's head request went
 * @c: the class
 * @t: vio_qclass_tenant_first(@c)
 * @next: the tenant's next queued request, or NULL if it has none
 */
void vio_qclass_tenant_served(struct vio_qclass *c, struct vio_qtenant *t,
			      const struct vio_req *next)
{
	rb_erase_cached(&t->node, &c->tenants);
	RB_CLEAR_NODE(&t->node);
	c->tvtime = t->stag;
	t->stag += vio_qos_units(&c->p, &t->head);
	if (next) {
		t->head = *next;
		rb_add_cached(&t->node, &c->tenants, vio_tenant_less);
	}
}
EXPORT_SYMBOL_IF_KUNIT(vio_qclass_tenant_served);

static bool vio_ready_less(struct rb_node *a, const struct rb_node *b)
{
	return vio_vt_before(rb_entry(a, struct vio_qclass, pnode)->ptag,
			     rb_entry(b, struct vio_qclass, pnode)->ptag);
}

static bool vio_reserved_less(struct rb_node *a, const struct rb_node *b)
{
	return vio_qclass_rkey(rb_entry(a, struct vio_qclass, rnode)) <
	       vio_qclass_rkey(rb_entry(b, struct vio_qclass, rnode));
}

static bool vio_waiting_less(struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct vio_qclass, wnode)->eligible <
	       rb_entry(b, struct vio_qclass, wnode)->eligible;
}

void vio_sched_init(struct vio_sched *s)
{
	s->ready = RB_ROOT_CACHED;
	s->reserved = RB_ROOT_CACHED;
	s->waiting = RB_ROOT_CACHED;
	s->vtime = 0;
}
EXPORT_SYMBOL_IF_KUNIT(vio_sched_init);

static void vio_sched_make_ready(struct vio_sched *s, struct vio_qclass *c)
{
	/* Time spent waiting for a limit earns no weight credit. */
	if (vio_vt_before(c->ptag, s->vtime))
		c->ptag = s->vtime;
	c->state = VIO_Q_READY;
	rb_add_cached(&c->pnode, &s->ready, vio_ready_less);
	if (vio_qclass_has_res(c))
		rb_add_cached(&c->rnode, &s->reserved, vio_reserved_less);
}

/* Put a backlogged class in the tree its head request belongs in. */
static void vio_sched_place(struct vio_sched *s, struct vio_qclass *c, u64 now)
{
	c->eligible = vio_qclass_eligible(c, &c->head);
	if (c->eligible <= now) {
		vio_sched_make_ready(s, c);
	} else {
		c->state = VIO_Q_WAIT;
		rb_add_cached(&c->wnode, &s->waiting, vio_waiting_less);
	}
}

static void vio_sched_unplace(struct vio_sched *s, struct vio_qclass *c)
{
	if (c->state == VIO_Q_READY) {
		rb_erase_cached(&c->pnode, &s->ready);
		RB_CLEAR_NODE(&c->pnode);
		if (!RB_EMPTY_NODE(&c->rnode)) {
			rb_erase_cached(&c->rnode, &s->reserved);
			RB_CLEAR_NODE(&c->rnode);
		}
	} else if (c->state == VIO_Q_WAIT) {
		rb_erase_cached(&c->wnode, &s->waiting);
		RB_CLEAR_NODE(&c->wnode);
	}
	c->state = VIO_Q_IDLE;
}

/**
 * vio_sched_activate - a class with nothing queued gets a request queued
 * @s: the scheduler
 * @c: the class, VIO_Q_IDLE
 * @head: its first queued request
 * @now: current time
 *
 * Tags restart from now: a class does not bank reservation or weight
 * while it has nothing queued.
 */
void vio_sched_activate(struct vio_sched *s, struct vio_qclass *c,
			const struct vio_req *head, u64 now)
{
	unsigned int k;

	c->head = *head;
	if (vio_vt_before(c->ptag, s->vtime))
		c->ptag = s->vtime;
	for (k = 0; k < VIO_NR_RES; k++)
		c->rtag[k] = max(c->rtag[k], now);
	/* Idle time is not lag to make up (see VIO_QOS_CATCHUP_NS). */
	for (k = 0; k < VIO_NR_LIMS; k++)
		c->avg_tat[k] = max(c->avg_tat[k], now);
	vio_sched_place(s, c, now);
}
EXPORT_SYMBOL_IF_KUNIT(vio_sched_activate);

/**
 * vio_sched_pick - choose the class whose head request goes next
 * @s: the scheduler
 * @now: current time
 *
 * Reservation phase first: the ready class with the earliest due R-tag.
 * Otherwise the weight phase: the ready class with the smallest P-tag.
 * If no class is ready, .wake says when the first waiting one will be.
 */
struct vio_pick vio_sched_pick(struct vio_sched *s, u64 now)
{
	struct vio_pick pick = {};
	struct rb_node *n;

	while ((n = rb_first_cached(&s->waiting))) {
		struct vio_qclass *c = rb_entry(n, struct vio_qclass, wnode);

		if (c->eligible > now)
			break;
		rb_erase_cached(n, &s->waiting);
		RB_CLEAR_NODE(n);
		vio_sched_make_ready(s, c);
	}

	n = rb_first_cached(&s->reserved);
	if (n) {
		struct vio_qclass *c = rb_entry(n, struct vio_qclass, rnode);

		if (vio_qclass_rkey(c) <= now) {
			pick.c = c;
			pick.reserved = true;
			return pick;
		}
	}
	n = rb_first_cached(&s->ready);
	if (n) {
		pick.c = rb_entry(n, struct vio_qclass, pnode);
		return pick;
	}
	n = rb_first_cached(&s->waiting);
	if (n)
		pick.wake = rb_entry(n, struct vio_qclass, wnode)->eligible;
	return pick;
}
EXPORT_SYMBOL_IF_KUNIT(vio_sched_pick);

/*
 * A reserved class is behind its reservation schedule: the next free slot
 * of the volume goes to it, before anything scheduled by weight.
 */
bool vio_sched_res_due(const struct vio_sched *s, u64 now)
{
	struct rb_node *n = rb_first_cached(&s->reserved);

	return n && vio_qclass_rkey(rb_entry(n, struct vio_qclass, rnode)) <= now;
}
EXPORT_SYMBOL_IF_KUNIT(vio_sched_res_due);

/**
 * vio_sched_dispatched - the picked class's head request was dispatched
 * @s: the scheduler
 * @c: the class vio_sched_pick() returned
 * @reserved: the phase vio_sched_pick() returned
 * @now: current time
 * @next: the class's next queued request, or NULL if none is left
 *
 * Returns false if the class has a reservation and this dispatch came
 * later than the reservation schedule asked for (a missed reservation).
 */
bool vio_sched_dispatched(struct vio_sched *s, struct vio_qclass *c,
			  bool reserved, u64 now, const struct vio_req *next)
{
	bool met = !vio_qclass_has_res(c) ||
		   vio_qclass_rkey(c) + VIO_QOS_SLACK_NS >= now;

	vio_sched_unplace(s, c);
	if (!reserved && vio_vt_before(s->vtime, c->ptag))
		s->vtime = c->ptag;
	vio_qclass_charge(c, &c->head, now, s->vtime, reserved, true);
	if (next) {
		c->head = *next;
		vio_sched_place(s, c, now);
	}
	return met;
}
EXPORT_SYMBOL_IF_KUNIT(vio_sched_dispatched);

/**
 * vio_sched_rehead - a queued class has a new head request
 * @s: the scheduler
 * @c: the class, queued
 * @head: the request now at the head of its queue
 * @now: current time
 *
 * A tenant that joined the class's queue went to its front: the class's
 * limits are checked against that tenant's request from now on.
 */
void vio_sched_rehead(struct vio_sched *s, struct vio_qclass *c,
		      const struct vio_req *head, u64 now)
{
	if (c->head.dir == head->dir && c->head.bytes == head->bytes &&
	    c->head.copies == head->copies &&
	    c->head.up_copies == head->up_copies)
		return;
	vio_sched_unplace(s, c);
	c->head = *head;
	vio_sched_place(s, c, now);
}
EXPORT_SYMBOL_IF_KUNIT(vio_sched_rehead);

/*
 * New parameters for a class, queued or not; it keeps its place in line.
 * Debt run up under the old limits is forgiven beyond the new tolerance
 * (a class that just burst is not stopped for the old burst's length),
 * and a new reservation starts now rather than when the class was
 * activated (it would otherwise be overdue and shut everyone out).
 */
void vio_sched_reparam(struct vio_sched *s, struct vio_qclass *c,
		       const struct vio_qos_params *p, u64 now)
{
	bool queued = c->state != VIO_Q_IDLE;
	unsigned int k;

	if (queued)
		vio_sched_unplace(s, c);
	vio_qclass_set_params(c, p);
	for (k = 0; k < VIO_NR_LIMS; k++) {
		c->avg_tat[k] = min(c->avg_tat[k], now + c->avg[k].tolerance_ns);
		c->peak_tat[k] = min(c->peak_tat[k], now + c->peak[k].tolerance_ns);
	}
	for (k = 0; k < VIO_NR_RES; k++)
		if (queued)
			c->rtag[k] = max(c->rtag[k], now);
	if (queued)
		vio_sched_place(s, c, now);
}
EXPORT_SYMBOL_IF_KUNIT(vio_sched_reparam);

void vio_sched_remove(struct vio_sched *s, struct vio_qclass *c)
{
	vio_sched_unplace(s, c);
}
EXPORT_SYMBOL_IF_KUNIT(vio_sched_remove);
