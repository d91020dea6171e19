/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dmvio - manage and monitor dm-vio volumes.
 *
 * Shared declarations of the tool's parts: dm.c (libdevmapper and the
 * kernel log), stats.c (parsing what the target prints), output.c
 * (libsmartcols tables), params.c (class parameters), and one file per
 * group of commands.
 */
#ifndef DMVIO_H
#define DMVIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/dm-vio.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define __noreturn __attribute__((noreturn))

/* ---- options (dmvio.c) ---- */

struct dmvio_opts {
	bool json;
	bool noheadings;
	bool raw;
	bool bytes;
	bool batch;
	bool nosync;
	bool ignore_discard;
	bool fabric_host;
	bool dry_run;
	const char *output;	/* -o */
	double interval;	/* top -d, seconds */
	long count;		/* top -c, 0: forever */
	const char *selector;
	const char *tag;
	const char *weights;
	uint64_t size;		/* bytes; 0: as large as the devices allow */
	uint64_t chunk;		/* bytes */
	uint64_t region;	/* bytes */
	uint64_t offset;	/* bytes */
	char **fabric;		/* link specs, upstream first */
	unsigned int nfabric;
};

extern struct dmvio_opts opts;

/* ---- helpers (dmvio.c) ---- */

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
int xasprintf(char **s, const char *fmt, ...) __printf(2, 3);

/* Growable string. */
struct buf {
	char *s;
	size_t len, size;
};

void buf_add(struct buf *b, const char *fmt, ...) __printf(2, 3);
void buf_free(struct buf *b);

/* Decimal u64, all digits, no sign, no overflow. */
int parse_u64(const char *s, uint64_t *v);
/* Bytes: digits, optional K/M/G/T/P (powers of 1024, "KiB" too) or "s" (sectors). */
int parse_size(const char *s, uint64_t *v);
/* "254:3" */
int parse_devnum(const char *s, unsigned int *major, unsigned int *minor);

/* ---- device-mapper (dm.c) ---- */

struct vol {
	char name[128];
	unsigned int major, minor;
	uint64_t len;		/* sectors of the vio target */
	char *table;		/* its table parameters */
};

void dm_init(void);
/*
 * Find a volume by name, /dev/mapper path or /dev/dm-N and check that its
 * table is a vio target at sector 0. On failure prints why and returns -1.
 */
int vol_open(const char *arg, struct vol *v);
void vol_close(struct vol *v);
/*
 * Send a message. *resp (may be NULL) receives the response, "" when
 * none. A refusal prints the kernel's reason and returns -1.
 */
int vol_message(const struct vol *v, const char *msg, char **resp);
/* The INFO status parameters of the vio target. */
int vol_status(const struct vol *v, char **params);
/* Names of every device-mapper device with a vio table, sorted. */
int vol_list(char ***names, size_t *n);
bool vol_exists(const char *name);
int vol_create(const char *name, uint64_t len, const char *params);
int vol_remove(const char *name);
/* A message word: backslashes escaped, as device-mapper splits words. */
char *dm_escape(const char *word);

/* ---- parsed output of the target (stats.c) ---- */

struct kv {
	char *key;
	char *val;
};

/* One line of "stats" (or of another list message): kind, words, pairs. */
struct obj {
	char *kind;
	char *word[3];
	unsigned int nword;
	struct kv *kv;
	unsigned int nkv;
};

struct stats {
	char *text;		/* the response, split in place */
	struct obj *obj;
	unsigned int nobj;
	double time;		/* CLOCK_MONOTONIC seconds, when read */
};

int stats_read(const struct vol *v, struct stats *st);
/* One line into @o, in place; free(o->kv) when done. */
void obj_parse(char *line, struct obj *o);
void stats_free(struct stats *st);
const struct obj *stats_find(const struct stats *st, const char *kind,
			     const char *word0);
const char *obj_get(const struct obj *o, const char *key);
uint64_t obj_u64(const struct obj *o, const char *key);

/* What the INFO status line says beyond "stats" (the fabric mode). */
struct status_info {
	char layout[16];
	unsigned int narrays;
	char fabric_mode[16];
	bool parsed;
};

int status_parse(const char *line, struct status_info *si);

/* ---- tables (output.c) ---- */

enum col_type {
	COL_STR,
	COL_NUM,	/* an unsigned number, right aligned */
	COL_BYTES,	/* a number of bytes: human-readable unless --bytes or -J */
	COL_FLOAT,	/* one decimal */
};

struct colinfo {
	const char *name;
	enum col_type type;
	const char *help;
};

struct table_def {
	const char *name;	/* the JSON array name */
	const struct colinfo *cols;
	size_t ncols;
	const char *defaults;	/* comma-separated column names */
};

/* A table row: keys (lower case column names) and their values. */
struct row {
	struct kv *kv;
	unsigned int n, size;
	double sort;
};

void row_set(struct row *r, const char *key, const char *val);
void row_setf(struct row *r, const char *key, const char *fmt, ...)
	__printf(3, 4);
void row_add_obj(struct row *r, const struct obj *o);
const char *row_get(const struct row *r, const char *key);
void rows_free(struct row *rows, size_t n);

/*
 * Print rows with -o (or the defaults), -J, -n and -r. @defaults
 * overrides def->defaults when not NULL. Returns -1 (after a message) for
 * an unknown column.
 */
int table_print(const struct table_def *def, const char *defaults,
		struct row *rows, size_t nrows);
void table_help_columns(const struct table_def *def);
char *size_to_human(uint64_t bytes);

/* ---- class parameters (params.c) ---- */

enum param_kind {
	PARAM_IOPS,	/* I/Os per second */
	PARAM_BYTES,	/* bytes, suffixes allowed */
	PARAM_U32,	/* a plain number */
	PARAM_ARRAYS,	/* array indices "0,2", or "none" */
};

struct param_key {
	const char *name;
	enum param_kind kind;
	uint64_t max;
	uint64_t def;
};

extern const struct param_key param_keys[];
extern const size_t nparam_keys;

struct params {
	uint64_t v[32];
	uint32_t seen;		/* keys given (bit per param_keys index) */
};

void params_default(struct params *p);
/*
 * Apply one "key=value" word. On error, writes a message to @err (size
 * @errsz) and returns -1.
 */
int params_word(struct params *p, const char *word, char *err, size_t errsz);
/* Checks between keys (bursts, reservations under limits, prefer/avoid). */
int params_check(const struct params *p, char *err, size_t errsz);
/* "key=value" for key @k, canonical. */
void params_format_key(const struct params *p, size_t k, struct buf *b);
/* The non-default keys, space separated ("" if none). */
void params_format(const struct params *p, struct buf *b);
int class_name_check(const char *name, char *err, size_t errsz);
int pattern_check(const char *pattern, char *err, size_t errsz);
/* Index of a key by name, or -1. */
int param_find(const char *name);
/* "iops=<n>" or "bps=<bytes>" of a capacity message into *iops or *bps. */
int capacity_word(const char *word, uint64_t *iops, uint64_t *bps, char *err, size_t errsz);
/* A mirror read selector's name; prints why not and returns -1. */
int selector_check(const char *name);

/* ---- commands ---- */

struct dmvio_cmd {
	const char *name;	/* "status", "class add" */
	const char *verb;	/* the second word, or NULL */
	const char *args;	/* synopsis of the arguments */
	const char *help;	/* one line */
	unsigned int opts;	/* OPT_* accepted beyond -h, -V */
	int min_args, max_args;	/* max -1: any number */
	int (*run)(const struct dmvio_cmd *cmd, int argc, char **argv);
	const struct table_def *table;	/* columns for the help text */
};

/* Bad usage: prints the message and a hint, exits 1. */
void usage_error(const struct dmvio_cmd *cmd, const char *fmt, ...)
	__printf(2, 3) __noreturn;

#define DMVIO_CMD(fn) int fn(const struct dmvio_cmd *cmd, int argc, char **argv)

DMVIO_CMD(cmd_create);
DMVIO_CMD(cmd_remove);
DMVIO_CMD(cmd_status);
DMVIO_CMD(cmd_arrays);
DMVIO_CMD(cmd_classes);
DMVIO_CMD(cmd_tenants);
DMVIO_CMD(cmd_fabric);
DMVIO_CMD(cmd_link);
DMVIO_CMD(cmd_class);
DMVIO_CMD(cmd_rule);
DMVIO_CMD(cmd_rules);
DMVIO_CMD(cmd_mirror);
DMVIO_CMD(cmd_selector);
DMVIO_CMD(cmd_capacity);
DMVIO_CMD(cmd_depth);
DMVIO_CMD(cmd_top);
DMVIO_CMD(cmd_apply);

extern const struct table_def status_table, arrays_table, classes_table,
	tenants_table, fabric_table, rules_table, top_tenants_table,
	top_arrays_table;

#endif /* DMVIO_H */
