// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmvio: status, arrays, classes, tenants, fabric and rule list: tables
 * built from one "stats" message (plus "class list", "rule list" and the
 * INFO status line where they say more).
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmvio.h"

#define COUNTERS_HELP(what) \
	{ "READS", COL_NUM, "read requests " what }, \
	{ "WRITES", COL_NUM, "write requests " what }, \
	{ "READ_BYTES", COL_BYTES, "bytes read " what }, \
	{ "WRITE_BYTES", COL_BYTES, "bytes written " what }

#define QSTATS_COLUMNS \
	COUNTERS_HELP("issued"), \
	{ "THROTTLED", COL_NUM, "requests that waited in a queue" }, \
	{ "THROTTLED_US", COL_NUM, "their total wait, microseconds" }, \
	{ "COMPLETED", COL_NUM, "completed requests" }, \
	{ "LAT_AVG_US", COL_NUM, "mean latency from arrival to completion, microseconds" }, \
	{ "LAT_MISSED", COL_NUM, "completions later than the class's lat_target_us" }, \
	{ "RES_MET", COL_NUM, "requests dispatched on the reservation schedule" }, \
	{ "RES_MISSED", COL_NUM, "requests behind the reservation by more than 10 ms" }, \
	{ "LAT_HIST", COL_STR, "latency histogram, 22 power-of-two buckets of 1.024 us" }

static const struct colinfo status_cols[] = {
	{ "NAME", COL_STR, "device-mapper name" },
	{ "DEV", COL_STR, "major:minor" },
	{ "SIZE", COL_BYTES, "volume size" },
	{ "LAYOUT", COL_STR, "linear, stripe or mirror" },
	{ "ARRAYS", COL_NUM, "number of arrays (mirror legs)" },
	{ "STATES", COL_STR, "state of every array: A in service, a resyncing, D failed" },
	{ "SYNC", COL_FLOAT, "mirror: percent in sync of the least synchronised leg" },
	{ "SELECTOR", COL_STR, "mirror read selector" },
	{ "REGION_SECTORS", COL_NUM, "mirror region size, sectors" },
	{ "REGIONS", COL_NUM, "mirror regions" },
	{ "FALLBACKS", COL_NUM, "mirror reads whose class preference could not be honoured" },
	{ "QOS", COL_STR, "on when classes or rules beyond the defaults exist" },
	{ "CLASSES", COL_NUM, "QoS classes (default included)" },
	{ "RULES", COL_NUM, "rules" },
	{ "TENANTS", COL_NUM, "cgroup tenants known" },
	{ "CAPACITY_IOPS", COL_NUM, "declared capacity, I/Os per second" },
	{ "CAPACITY_BPS", COL_BYTES, "declared capacity, bytes per second" },
	{ "RESERVED_IOPS", COL_NUM, "reservations, I/Os per second" },
	{ "RESERVED_BPS", COL_BYTES, "reservations, bytes per second" },
	{ "DEPTH", COL_NUM, "requests in flight under QoS" },
	{ "INFLIGHT", COL_NUM, "requests in flight under QoS now" },
	{ "QUEUED", COL_NUM, "requests waiting in tenant queues now" },
	{ "FABRIC", COL_STR, "simulated fabric on or off" },
	{ "FABRIC_MODE", COL_STR, "multicast or host (mirrored writes upstream)" },
	COUNTERS_HELP("on the arrays"),
	{ "ERRORS", COL_NUM, "requests the arrays failed" },
	{ "TABLE", COL_STR, "the table line's parameters" },
};

const struct table_def status_table = {
	"volumes", status_cols, ARRAY_SIZE(status_cols),
	"NAME,SIZE,LAYOUT,ARRAYS,STATES,QOS,CLASSES,RULES,TENANTS,FABRIC",
};

static const struct colinfo arrays_cols[] = {
	{ "IDX", COL_NUM, "array index" },
	{ "DEV", COL_STR, "major:minor" },
	{ "NAME", COL_STR, "kernel name of the device" },
	{ "STATE", COL_STR, "A in service (in sync), a resyncing, D failed" },
	{ "READS", COL_NUM, "read requests sent" },
	{ "WRITES", COL_NUM, "write requests sent" },
	{ "READ_SECTORS", COL_NUM, "512-byte sectors read" },
	{ "WRITE_SECTORS", COL_NUM, "512-byte sectors written" },
	{ "READ_BYTES", COL_BYTES, "bytes read" },
	{ "WRITE_BYTES", COL_BYTES, "bytes written" },
	{ "DISCARDS", COL_NUM, "discard requests sent" },
	{ "FLUSHES", COL_NUM, "flush requests sent" },
	{ "ERRORS", COL_NUM, "requests the array failed" },
	{ "INFLIGHT", COL_NUM, "mirror: requests on the leg now" },
	{ "SERVICE_US", COL_NUM, "mirror: smoothed service time, microseconds" },
	{ "WEIGHT", COL_NUM, "mirror: relative read weight" },
	{ "IN_SYNC_REGIONS", COL_NUM, "mirror: regions in sync" },
	{ "SYNC", COL_FLOAT, "mirror: percent of regions in sync" },
};

/* A mirror's legs show their read routing and sync progress too. */
#define ARRAYS_MIRROR_DEFAULTS \
	"IDX,DEV,NAME,STATE,READS,WRITES,READ_BYTES,WRITE_BYTES,ERRORS,INFLIGHT,SERVICE_US,WEIGHT,SYNC"

const struct table_def arrays_table = {
	"arrays", arrays_cols, ARRAY_SIZE(arrays_cols),
	"IDX,DEV,NAME,STATE,READS,WRITES,READ_BYTES,WRITE_BYTES,DISCARDS,FLUSHES,ERRORS",
};

static const struct colinfo classes_cols[] = {
	{ "NAME", COL_STR, "class name" },
	{ "PARAMS", COL_STR, "parameters that differ from the defaults" },
	{ "TENANTS", COL_NUM, "tenants in the class now" },
	{ "QUEUED", COL_NUM, "requests waiting in the queues of the class's tenants now" },
	QSTATS_COLUMNS,
};

const struct table_def classes_table = {
	"classes", classes_cols, ARRAY_SIZE(classes_cols),
	"NAME,PARAMS,TENANTS,QUEUED,READS,WRITES,READ_BYTES,WRITE_BYTES,THROTTLED,LAT_AVG_US",
};

static const struct colinfo tenants_cols[] = {
	{ "KIND", COL_STR, "cgroup, root or tag" },
	{ "ID", COL_NUM, "cgroup id" },
	{ "VM", COL_STR, "virtual machine name" },
	{ "CLASS", COL_STR, "class serving the tenant" },
	{ "PATH", COL_STR, "cgroup path" },
	{ "QUEUED", COL_NUM, "requests waiting in the tenant's queue now" },
	QSTATS_COLUMNS,
};

const struct table_def tenants_table = {
	"tenants", tenants_cols, ARRAY_SIZE(tenants_cols),
	"KIND,ID,VM,CLASS,READS,WRITES,READ_BYTES,WRITE_BYTES,THROTTLED,LAT_AVG_US,PATH",
};

static const struct colinfo fabric_cols[] = {
	{ "LINK", COL_STR, "up (host to switch) or port<i> (switch to array i)" },
	{ "DEV", COL_STR, "the port's array, major:minor" },
	{ "SPEC", COL_STR, "the link's parameters" },
	{ "GEN", COL_NUM, "PCIe generation" },
	{ "WIDTH", COL_NUM, "lanes" },
	{ "MPS", COL_NUM, "max payload size, bytes" },
	{ "LAT_NS", COL_NUM, "latency of the hop, nanoseconds" },
	{ "CREDITS", COL_NUM, "requests in flight on the port at most" },
	{ "MODEL_BPS", COL_BYTES, "payload rate without TLP overhead, per second" },
	{ "REQUESTS", COL_NUM, "requests carried" },
	{ "PAYLOAD_BYTES", COL_BYTES, "payload carried" },
	{ "WIRE_BYTES", COL_BYTES, "bytes on the wire, TLP overhead included" },
	{ "TLPS", COL_NUM, "transaction layer packets" },
	{ "CREDIT_STALLS", COL_NUM, "requests that waited for a credit" },
	{ "BUSY_DOWN_US", COL_NUM, "wire time toward the arrays, microseconds" },
	{ "BUSY_UP_US", COL_NUM, "wire time toward the host, microseconds" },
	{ "QUEUE_US", COL_NUM, "total time requests waited for the link, microseconds" },
	{ "INFLIGHT", COL_NUM, "requests at the array now" },
	{ "MAX_INFLIGHT", COL_NUM, "most requests ever at the array" },
	{ "WAITING", COL_NUM, "requests in the port's queue now" },
};

const struct table_def fabric_table = {
	"links", fabric_cols, ARRAY_SIZE(fabric_cols),
	"LINK,DEV,GEN,WIDTH,MPS,LAT_NS,CREDITS,MODEL_BPS,REQUESTS,PAYLOAD_BYTES,WIRE_BYTES,"
	"CREDIT_STALLS,QUEUE_US,INFLIGHT,MAX_INFLIGHT",
};

static const struct colinfo rules_cols[] = {
	{ "INDEX", COL_NUM, "position: rules are tried in order, the first match decides" },
	{ "PATTERN", COL_STR, "vm=<glob> or cgroup=<glob>" },
	{ "CLASS", COL_STR, "class of the tenants it matches" },
};

const struct table_def rules_table = {
	"rules", rules_cols, ARRAY_SIZE(rules_cols), "INDEX,PATTERN,CLASS",
};

/* The kernel's name of a block device ("loop0"), or NULL. */
static char *dev_kname(const char *devnum)
{
	char path[64], line[256], *name = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/dev/block/%s/uevent", devnum);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "DEVNAME=", 8)) {
			line[strcspn(line, "\n")] = '\0';
			name = xstrdup(line + 8);
			break;
		}
	fclose(f);
	return name;
}

static struct row *rows_new(struct row **rows, size_t *n)
{
	*rows = xrealloc(*rows, (*n + 1) * sizeof(**rows));
	memset(&(*rows)[*n], 0, sizeof(**rows));
	return &(*rows)[(*n)++];
}

/* Percent of regions in sync, one decimal. */
static void set_sync(struct row *r, uint64_t in_sync, uint64_t regions)
{
	if (regions)
		row_setf(r, "sync", "%.1f", 100.0 * in_sync / regions);
}

static int volume_row(const char *arg, struct row *r)
{
	struct stats st;
	struct vol v;
	struct status_info si;
	char *status = NULL, states[DM_VIO_MAX_ARRAYS + 1] = "";
	uint64_t sum[5] = {}, regions, min_sync = UINT64_MAX;
	const struct obj *mirror;
	unsigned int i, n = 0;

	if (vol_open(arg, &v))
		return -1;
	if (stats_read(&v, &st)) {
		vol_close(&v);
		return -1;
	}
	row_set(r, "name", v.name);
	row_setf(r, "dev", "%u:%u", v.major, v.minor);
	row_setf(r, "size", "%llu", (unsigned long long)v.len * 512);
	row_set(r, "table", v.table);
	mirror = stats_find(&st, "mirror", NULL);
	regions = obj_u64(mirror, "regions");
	for (i = 0; i < st.nobj; i++) {
		const struct obj *o = &st.obj[i];
		const char *s;

		if (!strcmp(o->kind, "volume") || !strcmp(o->kind, "qos") ||
		    !strcmp(o->kind, "mirror"))
			row_add_obj(r, o);
		if (strcmp(o->kind, "array"))
			continue;
		s = obj_get(o, "state");
		if (s && n < DM_VIO_MAX_ARRAYS)
			states[n++] = s[0];
		sum[0] += obj_u64(o, "reads");
		sum[1] += obj_u64(o, "writes");
		sum[2] += obj_u64(o, "read_sectors") * 512;
		sum[3] += obj_u64(o, "write_sectors") * 512;
		sum[4] += obj_u64(o, "errors");
		if (obj_get(o, "in_sync_regions") && obj_u64(o, "in_sync_regions") < min_sync)
			min_sync = obj_u64(o, "in_sync_regions");
	}
	states[n] = '\0';
	row_set(r, "states", states);
	row_setf(r, "reads", "%llu", (unsigned long long)sum[0]);
	row_setf(r, "writes", "%llu", (unsigned long long)sum[1]);
	row_setf(r, "read_bytes", "%llu", (unsigned long long)sum[2]);
	row_setf(r, "write_bytes", "%llu", (unsigned long long)sum[3]);
	row_setf(r, "errors", "%llu", (unsigned long long)sum[4]);
	if (mirror && min_sync != UINT64_MAX)
		set_sync(r, min_sync, regions);
	/* The fabric mode is only in the status line. */
	if (!vol_status(&v, &status) && !status_parse(status, &si))
		row_set(r, "fabric_mode", si.fabric_mode);
	free(status);
	stats_free(&st);
	vol_close(&v);
	return 0;
}

DMVIO_CMD(cmd_status)
{
	struct row *rows = NULL;
	size_t nrows = 0, i;
	char **names = NULL;
	int r = 0, n = argc;

	(void)cmd;
	if (!argc) {
		size_t nn;

		if (vol_list(&names, &nn))
			return -1;
		n = nn;
	}
	for (i = 0; i < (size_t)n; i++) {
		struct row *row = rows_new(&rows, &nrows);

		/* A volume that fails has nothing in its row yet. */
		if (volume_row(argc ? argv[i] : names[i], row)) {
			nrows--;
			r = -1;
		}
	}
	if (table_print(&status_table, NULL, rows, nrows))
		r = -1;
	rows_free(rows, nrows);
	for (i = 0; names && i < (size_t)n; i++)
		free(names[i]);
	free(names);
	return r;
}

/* Open a volume and read its stats; on failure prints why. */
static int open_stats(const char *arg, struct vol *v, struct stats *st)
{
	if (vol_open(arg, v))
		return -1;
	if (stats_read(v, st)) {
		vol_close(v);
		return -1;
	}
	return 0;
}

DMVIO_CMD(cmd_arrays)
{
	struct row *rows = NULL;
	size_t nrows = 0;
	struct stats st;
	struct vol v;
	const struct obj *mirror;
	unsigned int i;
	int r;

	(void)cmd;
	(void)argc;
	if (open_stats(argv[0], &v, &st))
		return -1;
	mirror = stats_find(&st, "mirror", NULL);
	for (i = 0; i < st.nobj; i++) {
		const struct obj *o = &st.obj[i];
		struct row *row;
		char *kname;

		if (strcmp(o->kind, "array"))
			continue;
		row = rows_new(&rows, &nrows);
		row_set(row, "idx", o->nword ? o->word[0] : "");
		row_add_obj(row, o);
		kname = obj_get(o, "dev") ? dev_kname(obj_get(o, "dev")) : NULL;
		if (kname)
			row_set(row, "name", kname);
		free(kname);
		row_setf(row, "read_bytes", "%llu",
			 (unsigned long long)obj_u64(o, "read_sectors") * 512);
		row_setf(row, "write_bytes", "%llu",
			 (unsigned long long)obj_u64(o, "write_sectors") * 512);
		if (mirror && obj_get(o, "in_sync_regions"))
			set_sync(row, obj_u64(o, "in_sync_regions"), obj_u64(mirror, "regions"));
	}
	r = table_print(&arrays_table, mirror ? ARRAYS_MIRROR_DEFAULTS : NULL, rows, nrows);
	rows_free(rows, nrows);
	stats_free(&st);
	vol_close(&v);
	return r;
}

/* "class list": name -> its parameters, as the kernel prints them. */
static char *class_params(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p = list;

	while (p && *p) {
		const char *end = strchr(p, '\n');
		size_t l = end ? (size_t)(end - p) : strlen(p);

		if (l >= len && !strncmp(p, name, len) && (l == len || p[len] == ' ')) {
			const char *s = p + len + (l > len);
			char *r = xmalloc(l - (s - p) + 1);

			memcpy(r, s, l - (s - p));
			r[l - (s - p)] = '\0';
			return r;
		}
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

DMVIO_CMD(cmd_classes)
{
	struct row *rows = NULL;
	size_t nrows = 0;
	struct stats st;
	struct vol v;
	char *list = NULL;
	unsigned int i, k;
	int r;

	(void)cmd;
	(void)argc;
	if (open_stats(argv[0], &v, &st))
		return -1;
	if (vol_message(&v, "class list", &list)) {
		stats_free(&st);
		vol_close(&v);
		return -1;
	}
	for (i = 0; i < st.nobj; i++) {
		const struct obj *o = &st.obj[i];
		struct row *row;
		char *params;
		unsigned int n = 0;

		if (strcmp(o->kind, "class") || !o->nword)
			continue;
		row = rows_new(&rows, &nrows);
		row_set(row, "name", o->word[0]);
		params = class_params(list, o->word[0]);
		if (params && *params)
			row_set(row, "params", params);
		free(params);
		for (k = 0; k < st.nobj; k++)
			if (!strcmp(st.obj[k].kind, "tenant") && st.obj[k].nword >= 3 &&
			    !strcmp(st.obj[k].word[2], o->word[0]))
				n++;
		row_setf(row, "tenants", "%u", n);
		row_add_obj(row, o);
	}
	r = table_print(&classes_table, NULL, rows, nrows);
	rows_free(rows, nrows);
	free(list);
	stats_free(&st);
	vol_close(&v);
	return r;
}

DMVIO_CMD(cmd_tenants)
{
	struct row *rows = NULL;
	size_t nrows = 0;
	struct stats st;
	struct vol v;
	unsigned int i, k;
	int r;

	(void)cmd;
	(void)argc;
	if (open_stats(argv[0], &v, &st))
		return -1;
	for (i = 0; i < st.nobj; i++) {
		const struct obj *o = &st.obj[i];
		struct row *row;

		if (strcmp(o->kind, "tenant") || o->nword < 3)
			continue;
		row = rows_new(&rows, &nrows);
		row_set(row, "kind", o->word[0]);
		row_set(row, "id", o->word[1]);
		row_set(row, "class", o->word[2]);
		for (k = 0; k < o->nkv; k++)
			/* "-": none; left out, so JSON says null */
			if (strcmp(o->kv[k].val, "-") ||
			    (strcmp(o->kv[k].key, "vm") && strcmp(o->kv[k].key, "path")))
				row_set(row, o->kv[k].key, o->kv[k].val);
	}
	r = table_print(&tenants_table, NULL, rows, nrows);
	rows_free(rows, nrows);
	stats_free(&st);
	vol_close(&v);
	return r;
}

/* A link spec, "gen=3,width=4,...", as keys of its row. */
static void add_spec(struct row *r, const char *spec)
{
	char *copy = xstrdup(spec), *save = NULL, *w;

	for (w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(w, '=');

		if (eq) {
			*eq = '\0';
			row_set(r, w, eq + 1);
		}
	}
	free(copy);
}

static int fabric_table_print(const char *arg)
{
	struct row *rows = NULL;
	size_t nrows = 0;
	struct stats st;
	struct vol v;
	unsigned int i;
	int r;

	if (open_stats(arg, &v, &st))
		return -1;
	for (i = 0; i < st.nobj; i++) {
		const struct obj *o = &st.obj[i];
		struct row *row;

		if (strcmp(o->kind, "link") || !o->nword)
			continue;
		row = rows_new(&rows, &nrows);
		row_set(row, "link", o->word[0]);
		if (o->nword > 1) {
			row_set(row, "spec", o->word[1]);
			add_spec(row, o->word[1]);
		}
		if (!strncmp(o->word[0], "port", 4)) {
			const struct obj *a = stats_find(&st, "array", o->word[0] + 4);

			if (a && obj_get(a, "dev"))
				row_set(row, "dev", obj_get(a, "dev"));
		}
		row_add_obj(row, o);
	}
	r = table_print(&fabric_table, NULL, rows, nrows);
	rows_free(rows, nrows);
	stats_free(&st);
	vol_close(&v);
	return r;
}

DMVIO_CMD(cmd_fabric)
{
	struct vol v;
	char *msg;
	int r;

	if (argc == 1)
		return fabric_table_print(argv[0]);
	if (argc == 2 && strcmp(argv[1], "on") && strcmp(argv[1], "off"))
		usage_error(cmd, "expected on, off or mode multicast|host, got '%s'", argv[1]);
	if (argc == 3 && (strcmp(argv[1], "mode") ||
			  (strcmp(argv[2], "multicast") && strcmp(argv[2], "host"))))
		usage_error(cmd, "expected mode multicast|host, got '%s %s'", argv[1], argv[2]);
	if (vol_open(argv[0], &v))
		return -1;
	if (argc == 2)
		xasprintf(&msg, "fabric %s", argv[1]);
	else
		xasprintf(&msg, "fabric mode %s", argv[2]);
	r = vol_message(&v, msg, NULL);
	free(msg);
	vol_close(&v);
	return r;
}

DMVIO_CMD(cmd_rules)
{
	struct row *rows = NULL;
	size_t nrows = 0;
	struct vol v;
	char *list = NULL, *line, *save = NULL;
	int r;

	(void)cmd;
	(void)argc;
	if (vol_open(argv[0], &v))
		return -1;
	if (vol_message(&v, "rule list", &list)) {
		vol_close(&v);
		return -1;
	}
	for (line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = line, *idx, *pat;
		struct row *row = rows_new(&rows, &nrows);

		idx = strsep(&p, " ");
		pat = strsep(&p, " ");
		row_set(row, "index", idx);
		row_set(row, "pattern", pat ? pat : "");
		row_set(row, "class", p ? p : "");
	}
	r = table_print(&rules_table, NULL, rows, nrows);
	rows_free(rows, nrows);
	free(list);
	vol_close(&v);
	return r;
}
