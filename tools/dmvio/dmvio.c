// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmvio - manage and monitor dm-vio volumes.
 *
 * One table of commands and one table of options drive the parsing, the
 * usage text and every command's help. Commands are one or two words
 * ("status", "class add"); options may come anywhere on the line.
 */
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmvio.h"

struct dmvio_opts opts;

enum {
	OPT_JSON		= 1U << 0,
	OPT_OUTPUT		= 1U << 1,
	OPT_NOHEADINGS		= 1U << 2,
	OPT_RAW			= 1U << 3,
	OPT_BYTES		= 1U << 4,
	OPT_SIZE		= 1U << 5,
	OPT_CHUNK		= 1U << 6,
	OPT_OFFSET		= 1U << 7,
	OPT_SELECTOR		= 1U << 8,
	OPT_REGION		= 1U << 9,
	OPT_WEIGHTS		= 1U << 10,
	OPT_NOSYNC		= 1U << 11,
	OPT_TAG			= 1U << 12,
	OPT_FABRIC		= 1U << 13,
	OPT_FABRIC_HOST		= 1U << 14,
	OPT_IGNORE_DISCARD	= 1U << 15,
	OPT_INTERVAL		= 1U << 16,
	OPT_BATCH		= 1U << 17,
	OPT_COUNT		= 1U << 18,
	OPT_DRY_RUN		= 1U << 19,
	OPT_HELP		= 1U << 30,
	OPT_VERSION		= 1U << 31,
};

#define OPT_TABLE (OPT_JSON | OPT_OUTPUT | OPT_NOHEADINGS | OPT_RAW | OPT_BYTES)
#define OPT_CREATE (OPT_SIZE | OPT_CHUNK | OPT_OFFSET | OPT_SELECTOR | OPT_REGION | \
		    OPT_WEIGHTS | OPT_NOSYNC | OPT_TAG | OPT_FABRIC | OPT_FABRIC_HOST | \
		    OPT_IGNORE_DISCARD)

/* Long-only options get values beyond any character. */
enum {
	LONG_BYTES = 0x100, LONG_SIZE, LONG_CHUNK, LONG_OFFSET, LONG_SELECTOR,
	LONG_REGION, LONG_WEIGHTS, LONG_NOSYNC, LONG_TAG, LONG_FABRIC,
	LONG_FABRIC_HOST, LONG_IGNORE_DISCARD, LONG_DRY_RUN,
};

struct optdef {
	unsigned int bit;
	int val;
	const char *name;
	const char *arg;	/* NULL: no argument */
	const char *help;
};

static const struct optdef optdefs[] = {
	{ OPT_JSON, 'J', "json", NULL, "use JSON output format" },
	{ OPT_OUTPUT, 'o', "output", "<list>", "output columns (+<list> adds to the default)" },
	{ OPT_NOHEADINGS, 'n', "noheadings", NULL, "don't print headings" },
	{ OPT_RAW, 'r', "raw", NULL, "use the raw output format" },
	{ OPT_BYTES, LONG_BYTES, "bytes", NULL, "print sizes in bytes, not human-readable" },
	{ OPT_SIZE, LONG_SIZE, "size", "<size>", "volume size (default: what the devices allow)" },
	{ OPT_CHUNK, LONG_CHUNK, "chunk", "<size>", "stripe chunk, a power of two (default 64K)" },
	{ OPT_OFFSET, LONG_OFFSET, "offset", "<size>",
	  "start of the volume on every device (default 0)" },
	{ OPT_SELECTOR, LONG_SELECTOR, "selector", "<name>", "mirror read selector" },
	{ OPT_REGION, LONG_REGION, "region-size", "<size>", "mirror region size (default 1M)" },
	{ OPT_WEIGHTS, LONG_WEIGHTS, "weights", "<w0,w1,...>", "mirror leg weights, 1 to 1000" },
	{ OPT_NOSYNC, LONG_NOSYNC, "nosync", NULL, "mirror legs hold the same data already" },
	{ OPT_TAG, LONG_TAG, "tag", "<vm>", "attribute every request to the VM <vm>" },
	{ OPT_FABRIC, LONG_FABRIC, "fabric", "<specs>", "fabric specs: \"<upstream> <port>...\"" },
	{ OPT_FABRIC_HOST, LONG_FABRIC_HOST, "fabric-host", NULL,
	  "one upstream copy per mirror leg" },
	{ OPT_IGNORE_DISCARD, LONG_IGNORE_DISCARD, "ignore-discard", NULL,
	  "do not advertise discard" },
	{ OPT_INTERVAL, 'd', "interval", "<seconds>", "time between updates (default 1)" },
	{ OPT_BATCH, 'b', "batch", NULL, "plain output, no screen handling" },
	{ OPT_COUNT, 'c', "count", "<n>", "stop after <n> updates" },
	{ OPT_DRY_RUN, LONG_DRY_RUN, "dry-run", NULL, "print the messages, send none" },
	{ OPT_HELP, 'h', "help", NULL, "display this help" },
	{ OPT_VERSION, 'V', "version", NULL, "display version" },
};

static const struct dmvio_cmd commands[] = {
	{ "create", NULL, "<name> <layout> <dev>...",
	  "create a volume over block devices",
	  OPT_CREATE, 3, -1, cmd_create, NULL },
	{ "remove", NULL, "<vol>", "remove a volume", 0, 1, 1, cmd_remove, NULL },
	{ "status", NULL, "[<vol>...]", "show volumes (default: all vio ones)",
	  OPT_TABLE, 0, -1, cmd_status, &status_table },
	{ "arrays", NULL, "<vol>", "show a volume's arrays (mirror legs)",
	  OPT_TABLE, 1, 1, cmd_arrays, &arrays_table },
	{ "classes", NULL, "<vol>", "show QoS classes and their counters",
	  OPT_TABLE, 1, 1, cmd_classes, &classes_table },
	{ "tenants", NULL, "<vol>", "show tenants and their counters",
	  OPT_TABLE, 1, 1, cmd_tenants, &tenants_table },
	{ "fabric", NULL, "<vol> [on|off|mode multicast|host]",
	  "show the fabric links, or switch it",
	  OPT_TABLE, 1, 3, cmd_fabric, &fabric_table },
	{ "link", NULL, "<vol> up|<index> <spec>", "change a fabric link",
	  0, 3, 3, cmd_link, NULL },
	{ "class", "add", "<vol> <name> [<key>=<value>...]", "create a QoS class",
	  0, 2, -1, cmd_class, NULL },
	{ "class", "set", "<vol> <name> <key>=<value>...", "change a class's parameters",
	  0, 3, -1, cmd_class, NULL },
	{ "class", "delete", "<vol> <name>", "delete a class", 0, 2, 2, cmd_class, NULL },
	{ "rule", "add", "<vol> vm=<glob>|cgroup=<glob> <class>", "append a rule",
	  0, 3, 3, cmd_rule, NULL },
	{ "rule", "insert", "<vol> <index> <pattern> <class>",
	  "insert a rule before <index>", 0, 4, 4, cmd_rule, NULL },
	{ "rule", "delete", "<vol> <pattern>", "delete a rule", 0, 2, 2, cmd_rule, NULL },
	{ "rule", "list", "<vol>", "show the rules, in the order tried",
	  OPT_TABLE, 1, 1, cmd_rules, &rules_table },
	{ "mirror", "fail", "<vol> <index>", "take a mirror leg out of service",
	  0, 2, 2, cmd_mirror, NULL },
	{ "mirror", "reinstate", "<vol> <index>", "resync a failed leg and return it",
	  0, 2, 2, cmd_mirror, NULL },
	{ "mirror", "weight", "<vol> <index> <weight>", "change a leg's read weight",
	  0, 3, 3, cmd_mirror, NULL },
	{ "selector", NULL, "<vol> <name>", "change a mirror's read selector",
	  0, 2, 2, cmd_selector, NULL },
	{ "capacity", NULL, "<vol> [iops=<n>] [bps=<bytes>]",
	  "declare capacity for reservations",
	  0, 2, 3, cmd_capacity, NULL },
	{ "depth", NULL, "<vol> <n>", "set the requests in flight under QoS",
	  0, 2, 2, cmd_depth, NULL },
	{ "top", NULL, "<vol>", "show rates per tenant and per array",
	  OPT_JSON | OPT_NOHEADINGS | OPT_RAW | OPT_INTERVAL | OPT_BATCH | OPT_COUNT,
	  1, 1, cmd_top, &top_tenants_table },
	{ "apply", NULL, "<vol> <policy file>",
	  "apply a policy of classes and rules",
	  OPT_DRY_RUN, 2, 2, cmd_apply, NULL },
};

/* ---- helpers ---- */

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		err(EXIT_FAILURE, "cannot allocate %zu bytes", size);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		err(EXIT_FAILURE, "cannot allocate %zu bytes", n * size);
	return p;
}

void *xrealloc(void *old, size_t size)
{
	void *p = realloc(old, size ? size : 1);

	if (!p)
		err(EXIT_FAILURE, "cannot allocate %zu bytes", size);
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		err(EXIT_FAILURE, "cannot allocate %zu bytes", strlen(s) + 1);
	return p;
}

int xasprintf(char **s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(s, fmt, ap);
	va_end(ap);
	if (n < 0)
		err(EXIT_FAILURE, "cannot allocate memory");
	return n;
}

void buf_add(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->size - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			errx(EXIT_FAILURE, "cannot format output");
		if ((size_t)n < room)
			break;
		b->size = (b->len + n + 1) * 2;
		b->s = xrealloc(b->s, b->size);
	}
	b->len += n;
}

void buf_free(struct buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = 0;
	b->size = 0;
}

int parse_u64(const char *s, uint64_t *v)
{
	uint64_t n = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		if (n > (UINT64_MAX - (*s - '0')) / 10)
			return -1;
		n = n * 10 + (*s - '0');
	}
	if (*s)
		return -1;
	*v = n;
	return 0;
}

int parse_size(const char *s, uint64_t *v)
{
	static const char units[] = "KMGTP";
	const char *end = s, *u;
	unsigned int shift = 0;
	uint64_t n;
	char digits[24];

	while (isdigit((unsigned char)*end))
		end++;
	if (end == s || (size_t)(end - s) >= sizeof(digits))
		return -1;
	memcpy(digits, s, end - s);
	digits[end - s] = '\0';
	if (parse_u64(digits, &n))
		return -1;
	if (!strcmp(end, "s") || !strcmp(end, "S")) {
		shift = 9;
	} else if (*end) {
		u = strchr(units, toupper((unsigned char)*end));
		if (!u)
			return -1;
		shift = 10 * (u - units + 1);
		end++;
		if (*end && strcmp(end, "iB") && strcmp(end, "B"))
			return -1;
	}
	if (shift && n > (UINT64_MAX >> shift))
		return -1;
	*v = n << shift;
	return 0;
}

int parse_devnum(const char *s, unsigned int *major, unsigned int *minor)
{
	char *colon = strchr(s, ':'), tmp[32];
	uint64_t a, b;

	if (!colon || (size_t)(colon - s) >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, colon - s);
	tmp[colon - s] = '\0';
	if (parse_u64(tmp, &a) || parse_u64(colon + 1, &b) || a > UINT_MAX || b > UINT_MAX)
		return -1;
	*major = a;
	*minor = b;
	return 0;
}

/* ---- usage ---- */

static void cmd_synopsis(FILE *out, const struct dmvio_cmd *c)
{
	fprintf(out, " %s %s%s%s%s %s\n", program_invocation_short_name, c->name,
		c->verb ? " " : "", c->verb ? c->verb : "",
		c->opts & ~(OPT_HELP | OPT_VERSION) ? " [options]" : "", c->args);
}

static void print_options(FILE *out, unsigned int mask)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(optdefs); i++) {
		const struct optdef *o = &optdefs[i];
		char left[64];

		if (!(o->bit & mask))
			continue;
		if (o->val < 0x100)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->val, o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(out, " %-28s %s\n", left, o->help);
	}
}

static void __noreturn usage(void)
{
	FILE *out = stdout;
	size_t i;

	fputs("\nUsage:\n", out);
	fprintf(out, " %s <command> [options] [<arguments>]\n", program_invocation_short_name);
	fputs("\nCreate, inspect and configure dm-vio volumes.\n", out);
	fputs("\nCommands:\n", out);
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		const struct dmvio_cmd *c = &commands[i];
		char left[96];

		snprintf(left, sizeof(left), "%s%s%s %s", c->name, c->verb ? " " : "",
			 c->verb ? c->verb : "", c->args);
		if (strlen(left) > 40)
			fprintf(out, " %s\n %-40s  %s\n", left, "", c->help);
		else
			fprintf(out, " %-40s  %s\n", left, c->help);
	}
	fputs("\nOptions:\n", out);
	print_options(out, ~0U);
	fprintf(out, "\nRun '%s <command> --help' for a command's options and columns.\n",
		program_invocation_short_name);
	fprintf(out, "For more details see %s(8).\n", program_invocation_short_name);
	exit(EXIT_SUCCESS);
}

static void __noreturn cmd_usage(const struct dmvio_cmd *c)
{
	FILE *out = stdout;

	fputs("\nUsage:\n", out);
	cmd_synopsis(out, c);
	fprintf(out, "\n%c%s.\n", toupper((unsigned char)c->help[0]), c->help + 1);
	fputs("\nOptions:\n", out);
	print_options(out, c->opts | OPT_HELP | OPT_VERSION);
	if (c->table == &top_tenants_table) {
		fputs("\nTenant columns:\n", out);
		table_help_columns(c->table);
		fputs("\nArray columns:\n", out);
		table_help_columns(&top_arrays_table);
	} else if (c->table) {
		fputs("\nAvailable output columns:\n", out);
		table_help_columns(c->table);
	}
	fprintf(out, "\nFor more details see %s(8).\n", program_invocation_short_name);
	exit(EXIT_SUCCESS);
}

void usage_error(const struct dmvio_cmd *c, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fprintf(stderr, "%s: ", program_invocation_short_name);
		if (c)
			fprintf(stderr, "%s%s%s: ", c->name, c->verb ? " " : "",
				c->verb ? c->verb : "");
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	if (c)
		fprintf(stderr, "Try '%s %s%s%s --help' for more information.\n",
			program_invocation_short_name, c->name, c->verb ? " " : "",
			c->verb ? c->verb : "");
	else
		fprintf(stderr, "Try '%s --help' for more information.\n",
			program_invocation_short_name);
	exit(EXIT_FAILURE);
}

static const struct dmvio_cmd *find_command(int argc, char **argv, int *used)
{
	bool known = false;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		const struct dmvio_cmd *c = &commands[i];

		if (strcmp(c->name, argv[0]))
			continue;
		known = true;
		if (!c->verb) {
			*used = 1;
			return c;
		}
		if (argc > 1 && !strcmp(c->verb, argv[1])) {
			*used = 2;
			return c;
		}
	}
	if (known) {
		struct buf b = {};

		for (i = 0; i < ARRAY_SIZE(commands); i++)
			if (!strcmp(commands[i].name, argv[0]))
				buf_add(&b, "%s%s", b.len ? "|" : "", commands[i].verb);
		usage_error(NULL, "%s: expected %s %s, got '%s'", argv[0], argv[0], b.s,
			    argc > 1 ? argv[1] : "");
	}
	return NULL;
}

static const struct optdef *optdef_by_val(int val)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(optdefs); i++)
		if (optdefs[i].val == val)
			return &optdefs[i];
	return NULL;
}

static void parse_option(int val, const char *arg)
{
	char *end;

	switch (val) {
	case 'J':
		opts.json = true;
		break;
	case 'o':
		opts.output = arg;
		break;
	case 'n':
		opts.noheadings = true;
		break;
	case 'r':
		opts.raw = true;
		break;
	case 'b':
		opts.batch = true;
		break;
	case 'd':
		errno = 0;
		opts.interval = strtod(arg, &end);
		if (errno || end == arg || *end || !(opts.interval >= 0.1) ||
		    opts.interval > 86400)
			usage_error(NULL, "invalid interval '%s' (expected 0.1 to 86400 seconds)",
				    arg);
		break;
	case 'c': {
		uint64_t n;

		if (parse_u64(arg, &n) || !n || n > LONG_MAX)
			usage_error(NULL, "invalid count '%s' (expected a positive number)", arg);
		opts.count = n;
		break;
	}
	case LONG_BYTES:
		opts.bytes = true;
		break;
	case LONG_SIZE:
	case LONG_CHUNK:
	case LONG_OFFSET:
	case LONG_REGION: {
		uint64_t v;

		if (parse_size(arg, &v) || (v % 512) || (!v && val != LONG_OFFSET))
			usage_error(NULL, "--%s: invalid size '%s' (expected a multiple of 512 bytes, like 64K, 1G or 2048s)",
				    optdef_by_val(val)->name, arg);
		if (val == LONG_SIZE)
			opts.size = v;
		else if (val == LONG_CHUNK)
			opts.chunk = v;
		else if (val == LONG_OFFSET)
			opts.offset = v;
		else
			opts.region = v;
		break;
	}
	case LONG_SELECTOR:
		opts.selector = arg;
		break;
	case LONG_WEIGHTS:
		opts.weights = arg;
		break;
	case LONG_NOSYNC:
		opts.nosync = true;
		break;
	case LONG_TAG:
		opts.tag = arg;
		break;
	case LONG_FABRIC: {
		char *copy = xstrdup(arg), *save = NULL, *w;

		for (w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
			opts.fabric = xrealloc(opts.fabric,
					       (opts.nfabric + 1) * sizeof(*opts.fabric));
			opts.fabric[opts.nfabric++] = w;
		}
		break;
	}
	case LONG_FABRIC_HOST:
		opts.fabric_host = true;
		break;
	case LONG_IGNORE_DISCARD:
		opts.ignore_discard = true;
		break;
	case LONG_DRY_RUN:
		opts.dry_run = true;
		break;
	}
}

int main(int argc, char **argv)
{
	struct option longopts[ARRAY_SIZE(optdefs) + 1] = {};
	char shortopts[64] = "+";
	const struct dmvio_cmd *cmd = NULL;
	unsigned int seen = 0;
	int c, used = 0, nargs;
	char **args;
	size_t i, n = strlen(shortopts);

	/*
	 * "+": stop at the first non-option, so that the command is found
	 * first; then options and arguments are taken in turn, so options
	 * may come anywhere.
	 */
	for (i = 0; i < ARRAY_SIZE(optdefs); i++) {
		const struct optdef *o = &optdefs[i];

		longopts[i].name = o->name;
		longopts[i].has_arg = o->arg ? required_argument : no_argument;
		longopts[i].val = o->val;
		if (o->val < 0x100) {
			shortopts[n++] = o->val;
			if (o->arg)
				shortopts[n++] = ':';
		}
	}
	shortopts[n] = '\0';
	opts.interval = 1;

	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct optdef *o = optdef_by_val(c);

		if (!o)
			usage_error(NULL, NULL);
		seen |= o->bit;
		parse_option(c, optarg);
	}
	if (optind < argc) {
		cmd = find_command(argc - optind, argv + optind, &used);
		if (!cmd)
			usage_error(NULL, "unknown command '%s'", argv[optind]);
		optind += used;
		/* The rest: options anywhere, arguments in order ("--" ends options). */
		args = xcalloc(argc, sizeof(*args));
		nargs = 0;
		while (optind < argc) {
			const struct optdef *o;
			int before = optind;

			c = getopt_long(argc, argv, shortopts, longopts, NULL);
			if (c == -1) {
				if (optind == before + 1 && !strcmp(argv[before], "--")) {
					while (optind < argc)
						args[nargs++] = argv[optind++];
					break;
				}
				args[nargs++] = argv[optind++];
				continue;
			}
			o = optdef_by_val(c);
			if (!o)
				usage_error(cmd, NULL);
			seen |= o->bit;
			parse_option(c, optarg);
		}
	} else {
		args = NULL;
		nargs = 0;
	}

	if (seen & OPT_VERSION) {
		printf("%s from dm-vio %d.%d.%d\n", program_invocation_short_name,
		       DM_VIO_VERSION_MAJOR, DM_VIO_VERSION_MINOR, DM_VIO_VERSION_PATCH);
		return EXIT_SUCCESS;
	}
	if (seen & OPT_HELP) {
		if (cmd)
			cmd_usage(cmd);
		usage();
	}
	if (!cmd)
		usage_error(NULL, "no command specified");
	for (i = 0; i < ARRAY_SIZE(optdefs); i++) {
		const struct optdef *o = &optdefs[i];

		if ((seen & o->bit) && !(cmd->opts & o->bit))
			usage_error(cmd, "option --%s does not apply here", o->name);
	}
	if (nargs < cmd->min_args)
		usage_error(cmd, "too few arguments (expected %s)", cmd->args);
	if (cmd->max_args >= 0 && nargs > cmd->max_args)
		usage_error(cmd, "too many arguments (expected %s)", cmd->args);

	dm_init();
	c = cmd->run(cmd, nargs, args);
	free(args);
	return c ? EXIT_FAILURE : EXIT_SUCCESS;
}
