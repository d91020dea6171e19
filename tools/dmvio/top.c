// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmvio top: per-tenant and per-array rates from the differences between
 * two "stats" messages, every interval.
 *
 * A tenant's mean latency over an interval comes from its cumulative
 * mean (lat_avg_us) weighted by its completions: (avg1 x completed1 -
 * avg0 x completed0) / (completed1 - completed0). lat_avg_us is whole
 * microseconds, so that difference can be off by up to one microsecond
 * per completion ever made; the estimate is therefore kept within the
 * bounds the latency histogram's differences give for the interval.
 */
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dmvio.h"

#define LAT_BUCKETS	22
#define LAT_UNIT_US	1.024

#define RATE_COLUMNS(what) \
	{ "IOPS", COL_FLOAT, what " per second" }, \
	{ "READ_IOPS", COL_FLOAT, "reads per second" }, \
	{ "WRITE_IOPS", COL_FLOAT, "writes per second" }, \
	{ "MBS", COL_FLOAT, "MB/s (10^6 bytes) read and written" }, \
	{ "READ_MBS", COL_FLOAT, "MB/s read" }, \
	{ "WRITE_MBS", COL_FLOAT, "MB/s written" }

static const struct colinfo top_tenant_cols[] = {
	{ "TENANT", COL_STR, "the VM name, else the cgroup path (root: the root tenant)" },
	{ "KIND", COL_STR, "cgroup, root or tag" },
	{ "ID", COL_NUM, "cgroup id" },
	{ "VM", COL_STR, "virtual machine name" },
	{ "PATH", COL_STR, "cgroup path" },
	{ "CLASS", COL_STR, "class serving the tenant" },
	RATE_COLUMNS("requests"),
	{ "LAT_US", COL_FLOAT, "mean latency of the interval's completions, microseconds" },
	{ "THROTTLED_S", COL_FLOAT, "requests per second that waited in a queue" },
	{ "QUEUED", COL_NUM, "requests waiting in the tenant's queue now" },
};

const struct table_def top_tenants_table = {
	"tenants", top_tenant_cols, ARRAY_SIZE(top_tenant_cols),
	"TENANT,CLASS,READ_IOPS,WRITE_IOPS,READ_MBS,WRITE_MBS,LAT_US,THROTTLED_S",
};

static const struct colinfo top_array_cols[] = {
	{ "IDX", COL_NUM, "array index" },
	{ "DEV", COL_STR, "major:minor" },
	{ "STATE", COL_STR, "A in service, a resyncing, D failed" },
	RATE_COLUMNS("requests"),
	{ "ERRORS_S", COL_FLOAT, "errors per second" },
	{ "INFLIGHT", COL_NUM, "mirror: requests on the leg now" },
	{ "SERVICE_US", COL_NUM, "mirror: smoothed service time, microseconds" },
};

#define TOP_ARRAYS_MIRROR_DEFAULTS \
	"IDX,DEV,STATE,READ_IOPS,WRITE_IOPS,READ_MBS,WRITE_MBS,ERRORS_S,INFLIGHT,SERVICE_US"

const struct table_def top_arrays_table = {
	"arrays", top_array_cols, ARRAY_SIZE(top_array_cols),
	"IDX,DEV,STATE,READ_IOPS,WRITE_IOPS,READ_MBS,WRITE_MBS,ERRORS_S",
};

static double delta(const struct obj *now, const struct obj *before, const char *key)
{
	uint64_t a = obj_u64(now, key), b = before ? obj_u64(before, key) : 0;

	/* A counter that went back: the object was created anew. */
	return a >= b ? (double)(a - b) : (double)a;
}

static void set_rate(struct row *r, const char *key, double v)
{
	row_setf(r, key, "%.1f", v);
}

static void set_rates(struct row *r, double reads, double writes, double rbytes,
		      double wbytes, double dt)
{
	set_rate(r, "iops", (reads + writes) / dt);
	set_rate(r, "read_iops", reads / dt);
	set_rate(r, "write_iops", writes / dt);
	row_setf(r, "mbs", "%.2f", (rbytes + wbytes) / dt / 1e6);
	row_setf(r, "read_mbs", "%.2f", rbytes / dt / 1e6);
	row_setf(r, "write_mbs", "%.2f", wbytes / dt / 1e6);
	r->sort = reads + writes;
}

static int parse_hist(const char *s, uint64_t *h)
{
	unsigned int i;

	for (i = 0; i < LAT_BUCKETS; i++) {
		char *end;

		if (!s)
			return -1;
		errno = 0;
		h[i] = strtoull(s, &end, 10);
		if (errno || end == s)
			return -1;
		s = *end == ',' ? end + 1 : NULL;
	}
	return 0;
}

/* Mean latency of the completions between two samples, or < 0 if none. */
static double interval_latency(const struct obj *now, const struct obj *before)
{
	double c1 = obj_u64(now, "completed"), c0 = before ? obj_u64(before, "completed") : 0;
	double a1 = obj_u64(now, "lat_avg_us"), a0 = before ? obj_u64(before, "lat_avg_us") : 0;
	uint64_t h1[LAT_BUCKETS], h0[LAT_BUCKETS] = {};
	double est, lo = 0, hi = 0, n = 0;
	unsigned int i;

	if (c1 < c0) {		/* created anew */
		c0 = 0;
		a0 = 0;
		before = NULL;
	}
	if (c1 == c0)
		return -1;
	est = (a1 * c1 - a0 * c0) / (c1 - c0);
	if (parse_hist(obj_get(now, "lat_hist"), h1) ||
	    (before && parse_hist(obj_get(before, "lat_hist"), h0)))
		return est < 0 ? 0 : est;
	for (i = 0; i < LAT_BUCKETS; i++) {
		double d = h1[i] >= h0[i] ? h1[i] - h0[i] : 0;

		n += d;
		lo += d * (i ? ldexp(LAT_UNIT_US, i) : 0);
		hi += d * (i + 1 < LAT_BUCKETS ? ldexp(LAT_UNIT_US, i + 1) : INFINITY);
	}
	if (n > 0) {
		if (est < lo / n)
			est = lo / n;
		if (est > hi / n)
			est = hi / n;
	}
	return est < 0 ? 0 : est;
}

static const struct obj *find_tenant(const struct stats *st, const struct obj *t)
{
	unsigned int i;

	for (i = 0; st && i < st->nobj; i++) {
		const struct obj *o = &st->obj[i];

		if (!strcmp(o->kind, "tenant") && o->nword >= 2 &&
		    !strcmp(o->word[0], t->word[0]) && !strcmp(o->word[1], t->word[1]))
			return o;
	}
	return NULL;
}

static int cmp_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return (x->sort < y->sort) - (x->sort > y->sort);
}

static size_t tenant_rows(const struct stats *now, const struct stats *before,
			  struct row **rows)
{
	double dt = now->time - before->time;
	size_t n = 0;
	unsigned int i;

	*rows = NULL;
	for (i = 0; i < now->nobj; i++) {
		const struct obj *o = &now->obj[i], *b;
		const char *vm, *path;
		struct row *r;
		double lat;

		if (strcmp(o->kind, "tenant") || o->nword < 3)
			continue;
		b = find_tenant(before, o);
		*rows = xrealloc(*rows, (n + 1) * sizeof(**rows));
		r = &(*rows)[n++];
		memset(r, 0, sizeof(*r));
		vm = obj_get(o, "vm");
		path = obj_get(o, "path");
		if (vm && !strcmp(vm, "-"))
			vm = NULL;
		if (path && !strcmp(path, "-"))
			path = NULL;
		row_set(r, "tenant", !strcmp(o->word[0], "root") ? "root" :
			vm ? vm : path ? path : o->word[1]);
		row_set(r, "kind", o->word[0]);
		row_set(r, "id", o->word[1]);
		row_set(r, "class", o->word[2]);
		if (vm)
			row_set(r, "vm", vm);
		if (path)
			row_set(r, "path", path);
		set_rates(r, delta(o, b, "reads"), delta(o, b, "writes"),
			  delta(o, b, "read_bytes"), delta(o, b, "write_bytes"), dt);
		lat = interval_latency(o, b);
		if (lat >= 0)
			row_setf(r, "lat_us", "%.1f", lat);
		set_rate(r, "throttled_s", delta(o, b, "throttled") / dt);
		if (obj_get(o, "queued"))
			row_set(r, "queued", obj_get(o, "queued"));
	}
	qsort(*rows, n, sizeof(**rows), cmp_rows);
	return n;
}

static size_t array_rows(const struct stats *now, const struct stats *before,
			 struct row **rows)
{
	double dt = now->time - before->time;
	size_t n = 0;
	unsigned int i;

	*rows = NULL;
	for (i = 0; i < now->nobj; i++) {
		const struct obj *o = &now->obj[i], *b;
		struct row *r;

		if (strcmp(o->kind, "array") || !o->nword)
			continue;
		b = stats_find(before, "array", o->word[0]);
		/* Another table with other arrays: no rates for this one. */
		if (b && strcmp(obj_get(b, "dev") ?: "", obj_get(o, "dev") ?: ""))
			b = NULL;
		*rows = xrealloc(*rows, (n + 1) * sizeof(**rows));
		r = &(*rows)[n++];
		memset(r, 0, sizeof(*r));
		row_set(r, "idx", o->word[0]);
		row_add_obj(r, o);
		set_rates(r, delta(o, b, "reads"), delta(o, b, "writes"),
			  delta(o, b, "read_sectors") * 512,
			  delta(o, b, "write_sectors") * 512, dt);
		set_rate(r, "errors_s", delta(o, b, "errors") / dt);
	}
	return n;
}

static void json_string(struct buf *b, const char *s)
{
	buf_add(b, "\"");
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			buf_add(b, "\\%c", c);
		else if (c < 0x20)
			buf_add(b, "\\u%04x", c);
		else
			buf_add(b, "%c", c);
	}
	buf_add(b, "\"");
}

/* Every column the table knows, typed; null when a row has no value. */
static void json_rows(struct buf *b, const struct table_def *def, const struct row *rows,
		      size_t n)
{
	size_t i, k;

	buf_add(b, "[");
	for (i = 0; i < n; i++) {
		buf_add(b, "%s{", i ? "," : "");
		for (k = 0; k < def->ncols; k++) {
			char key[32];
			const char *v;
			size_t j;

			for (j = 0; def->cols[k].name[j] && j + 1 < sizeof(key); j++)
				key[j] = tolower((unsigned char)def->cols[k].name[j]);
			key[j] = '\0';
			v = row_get(&rows[i], key);
			buf_add(b, "%s\"%s\":", k ? "," : "", key);
			if (!v || (def->cols[k].type != COL_STR && !strcmp(v, "-")))
				buf_add(b, "null");
			else if (def->cols[k].type != COL_STR)
				buf_add(b, "%s", v);
			else
				json_string(b, v);
		}
		buf_add(b, "}");
	}
	buf_add(b, "]");
}

static int print_interval(const struct vol *v, const struct stats *now,
			  const struct stats *before, bool mirror, bool clear)
{
	const struct obj *q = stats_find(now, "qos", NULL);
	struct row *tr, *ar;
	size_t nt, na;
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;
	int r = 0;

	localtime_r(&t, &tm);
	nt = tenant_rows(now, before, &tr);
	na = array_rows(now, before, &ar);
	if (opts.json) {
		struct buf b = {};

		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S%z", &tm);
		buf_add(&b, "{\"volume\":");
		json_string(&b, v->name);
		buf_add(&b, ",\"time\":\"%s\",\"interval\":%.3f,\"qos\":", stamp,
			now->time - before->time);
		json_string(&b, obj_get(q, "qos") ?: "off");
		buf_add(&b, ",\"inflight\":%llu,\"queued\":%llu,\"tenants\":",
			(unsigned long long)obj_u64(q, "inflight"),
			(unsigned long long)obj_u64(q, "queued"));
		json_rows(&b, &top_tenants_table, tr, nt);
		buf_add(&b, ",\"arrays\":");
		json_rows(&b, &top_arrays_table, ar, na);
		buf_add(&b, "}");
		puts(b.s);
		buf_free(&b);
	} else {
		if (clear)
			fputs("\033[H\033[2J", stdout);
		strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
		printf("%s  %s  interval %.2fs  qos %s  inflight %llu  queued %llu\n\n",
		       v->name, stamp, now->time - before->time, obj_get(q, "qos") ?: "off",
		       (unsigned long long)obj_u64(q, "inflight"),
		       (unsigned long long)obj_u64(q, "queued"));
		r |= table_print(&top_tenants_table, NULL, tr, nt);
		putchar('\n');
		r |= table_print(&top_arrays_table, mirror ? TOP_ARRAYS_MIRROR_DEFAULTS : NULL,
				 ar, na);
		putchar('\n');
	}
	fflush(stdout);
	rows_free(tr, nt);
	rows_free(ar, na);
	return r;
}

static void sleep_until(struct timespec *next, double interval)
{
	long ns = (long)((interval - (long)interval) * 1e9);

	next->tv_sec += (long)interval;
	next->tv_nsec += ns;
	if (next->tv_nsec >= 1000000000L) {
		next->tv_sec++;
		next->tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL) == EINTR)
		;
}

DMVIO_CMD(cmd_top)
{
	struct stats before, now;
	struct timespec next;
	struct vol v;
	bool clear = !opts.batch && !opts.json && isatty(STDOUT_FILENO);
	bool mirror;
	long n;
	int r = 0;

	(void)cmd;
	(void)argc;
	if (vol_open(argv[0], &v))
		return -1;
	mirror = !strncmp(v.table, DM_VIO_LAYOUT_MIRROR " ", strlen(DM_VIO_LAYOUT_MIRROR) + 1);
	if (stats_read(&v, &before)) {
		vol_close(&v);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (n = 0; !opts.count || n < opts.count; n++) {
		sleep_until(&next, opts.interval);
		if (stats_read(&v, &now)) {
			r = -1;
			break;
		}
		if (print_interval(&v, &now, &before, mirror, clear)) {
			stats_free(&now);
			r = -1;
			break;
		}
		stats_free(&before);
		before = now;
	}
	stats_free(&before);
	vol_close(&v);
	return r;
}
