// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmvio: device-mapper through libdevmapper, and the kernel log.
 *
 * A refused message (-EINVAL) leaves its reason in the kernel log as
 * "device-mapper: vio: <major:minor>: <reason>"; the tool marks the end
 * of /dev/kmsg before each message and reads the reason back from there.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <libdevmapper.h>

#include "dmvio.h"

/*
 * libdevmapper's first error since the last task began: printed only when
 * nothing better is known.
 */
static char dm_last_error[512];

static void dm_log(int level, const char *file, int line, int dm_errno,
		   const char *fmt, ...)
	__printf(5, 6);

static void dm_log(int level, const char *file, int line, int dm_errno,
		   const char *fmt, ...)
{
	char msg[sizeof(dm_last_error)];
	va_list ap;

	(void)file;
	(void)line;
	(void)dm_errno;
	/* Only errors and warnings (the level may carry flags above 7). */
	if ((level & 7) > 4)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!dm_last_error[0])
		memcpy(dm_last_error, msg, sizeof(msg));
	if (getenv("DMVIO_DEBUG"))
		fprintf(stderr, "%s: libdevmapper: %s\n", program_invocation_short_name, msg);
}

void dm_init(void)
{
	dm_log_with_errno_init(dm_log);
	/*
	 * As dmsetup: without udev (DM_DISABLE_UDEV, or no udev running,
	 * which libdevmapper detects by itself), the library creates and
	 * removes the /dev/mapper nodes itself.
	 */
	if (getenv("DM_DISABLE_UDEV"))
		dm_udev_set_sync_support(0);
}

/* ---- the kernel log ---- */

static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * The text after @needle in the last record logged since kmsg_open() that
 * contains it, or NULL.
 */
static char *kmsg_find(int fd, const char *needle)
{
	char rec[8192], *found = NULL;
	ssize_t n;

	if (fd < 0)
		return NULL;
	for (;;) {
		char *text, *end, *hit;

		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records were overwritten; go on */
		if (n <= 0)
			break;
		rec[n] = '\0';
		text = strchr(rec, ';');
		if (!text)
			continue;
		text++;
		end = strchr(text, '\n');
		if (end)
			*end = '\0';
		hit = strstr(text, needle);
		if (hit) {
			free(found);
			found = xstrdup(hit + strlen(needle));
		}
	}
	return found;
}

/* ---- tasks ---- */

static struct dm_task *task_new(int type, const char *name)
{
	struct dm_task *dmt;

	dm_last_error[0] = '\0';
	dmt = dm_task_create(type);
	/* The first task opens /dev/mapper/control. */
	if (!dmt)
		errx(EXIT_FAILURE, "cannot use device-mapper: %s",
		     dm_last_error[0] ? dm_last_error : "unknown error");
	if (name && !dm_task_set_name(dmt, name))
		errx(EXIT_FAILURE, "%s: invalid device-mapper name", name);
	return dmt;
}

/* Why a task failed, for a message. */
static const char *task_error(struct dm_task *dmt)
{
	int e = dm_task_get_errno(dmt);

	if (e == EACCES || e == EPERM)
		return "permission denied (device-mapper needs root)";
	if (e)
		return strerror(e);
	if (dm_last_error[0])
		return dm_last_error;
	return "device-mapper failed";
}

/* Run; on failure prints "<what>: <reason>" and returns -1. */
static int task_run(struct dm_task *dmt, const char *what)
{
	dm_last_error[0] = '\0';
	if (dm_task_run(dmt))
		return 0;
	warnx("%s: %s", what, task_error(dmt));
	return -1;
}

/* DM_DEVICE_INFO: 0 when the device exists. */
static int info_run(struct dm_task *dmt, struct dm_info *info)
{
	dm_last_error[0] = '\0';
	if (!dm_task_run(dmt) || !dm_task_get_info(dmt, info) || !info->exists)
		return -1;
	return 0;
}

/* After info_run() failed: because there is no such device. */
static bool info_missing(struct dm_task *dmt)
{
	int e = dm_task_get_errno(dmt);

	return !e || e == ENXIO || e == ENODEV;
}

bool vol_exists(const char *name)
{
	struct dm_task *dmt = task_new(DM_DEVICE_INFO, name);
	struct dm_info info;
	bool r = !info_run(dmt, &info);

	dm_task_destroy(dmt);
	return r;
}

int vol_open(const char *arg, struct vol *v)
{
	struct dm_task *dmt;
	struct dm_info info;
	uint64_t start, len;
	char *type = NULL, *params = NULL;
	const char *name = arg;
	char devname[128];
	int r = -1;

	memset(v, 0, sizeof(*v));
	if (strchr(arg, '/')) {
		struct stat st;

		if (stat(arg, &st)) {
			warn("cannot access %s", arg);
			return -1;
		}
		if (!S_ISBLK(st.st_mode)) {
			warnx("%s: not a block device", arg);
			return -1;
		}
		dmt = task_new(DM_DEVICE_INFO, NULL);
		if (!dm_task_set_major_minor(dmt, major(st.st_rdev), minor(st.st_rdev), 0))
			errx(EXIT_FAILURE, "cannot prepare the device-mapper task");
		if (info_run(dmt, &info)) {
			if (info_missing(dmt))
				warnx("%s: not a device-mapper device", arg);
			else
				warnx("%s: %s", arg, task_error(dmt));
			dm_task_destroy(dmt);
			return -1;
		}
		snprintf(devname, sizeof(devname), "%s", dm_task_get_name(dmt));
		dm_task_destroy(dmt);
		name = devname;
	}

	dmt = task_new(DM_DEVICE_INFO, name);
	if (info_run(dmt, &info)) {
		if (info_missing(dmt))
			warnx("%s: no such device-mapper device", name);
		else
			warnx("%s: %s", name, task_error(dmt));
		dm_task_destroy(dmt);
		return -1;
	}
	dm_task_destroy(dmt);
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->major = info.major;
	v->minor = info.minor;

	dmt = task_new(DM_DEVICE_TABLE, name);
	if (task_run(dmt, name))
		goto out;
	dm_get_next_target(dmt, NULL, &start, &len, &type, &params);
	if (!type || !info.live_table) {
		warnx("%s: not a vio volume (no table is loaded)", name);
	} else if (strcmp(type, DM_VIO_TARGET_NAME) || start) {
		warnx("%s: not a vio volume (its table starts with a %s target)", name, type);
	} else {
		v->len = len;
		v->table = xstrdup(params ? params : "");
		r = 0;
	}
out:
	dm_task_destroy(dmt);
	return r;
}

void vol_close(struct vol *v)
{
	free(v->table);
	v->table = NULL;
}

char *dm_escape(const char *word)
{
	char *s = xmalloc(2 * strlen(word) + 1), *p = s;

	for (; *word; word++) {
		if (*word == '\\')
			*p++ = '\\';
		*p++ = *word;
	}
	*p = '\0';
	return s;
}

int vol_message(const struct vol *v, const char *msg, char **resp)
{
	struct dm_task *dmt = task_new(DM_DEVICE_TARGET_MSG, v->name);
	int kfd = -1, e, r = 0;

	if (!dm_task_set_sector(dmt, 0) || !dm_task_set_message(dmt, msg))
		errx(EXIT_FAILURE, "cannot prepare the message '%s'", msg);
	kfd = kmsg_open();
	dm_last_error[0] = '\0';
	if (!dm_task_run(dmt)) {
		char needle[64], *why;

		e = dm_task_get_errno(dmt);
		snprintf(needle, sizeof(needle), "vio: %u:%u: ", v->major, v->minor);
		why = e == EINVAL ? kmsg_find(kfd, needle) : NULL;
		if (why)
			warnx("%s: '%s' refused: %s", v->name, msg, why);
		else if (e == EINVAL)
			warnx("%s: '%s' refused (Invalid argument); the kernel log (dmesg) says why",
			      v->name, msg);
		else
			warnx("%s: '%s' failed: %s", v->name, msg, task_error(dmt));
		free(why);
		r = -1;
	} else if (resp) {
		const char *s = dm_task_get_message_response(dmt);

		*resp = xstrdup(s ? s : "");
	}
	if (kfd >= 0)
		close(kfd);
	dm_task_destroy(dmt);
	return r;
}

int vol_status(const struct vol *v, char **params)
{
	struct dm_task *dmt = task_new(DM_DEVICE_STATUS, v->name);
	uint64_t start, len;
	char *type = NULL, *p = NULL;
	int r = -1;

	if (task_run(dmt, v->name))
		goto out;
	dm_get_next_target(dmt, NULL, &start, &len, &type, &p);
	if (!type || strcmp(type, DM_VIO_TARGET_NAME)) {
		warnx("%s: not a vio volume any more", v->name);
		goto out;
	}
	*params = xstrdup(p ? p : "");
	r = 0;
out:
	dm_task_destroy(dmt);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/* Whether a device's live table starts with a vio target (quietly). */
static bool is_vio(const char *name)
{
	struct dm_task *dmt = task_new(DM_DEVICE_TABLE, name);
	uint64_t start, len;
	char *type = NULL, *params = NULL;
	bool r = false;

	if (dm_task_run(dmt)) {
		dm_get_next_target(dmt, NULL, &start, &len, &type, &params);
		r = type && !start && !strcmp(type, DM_VIO_TARGET_NAME);
	}
	dm_task_destroy(dmt);
	return r;
}

int vol_list(char ***names, size_t *n)
{
	struct dm_task *dmt = task_new(DM_DEVICE_LIST, NULL);
	struct dm_names *dn;
	unsigned int next = 0;

	*names = NULL;
	*n = 0;
	if (task_run(dmt, "cannot list device-mapper devices")) {
		dm_task_destroy(dmt);
		return -1;
	}
	dn = dm_task_get_names(dmt);
	if (dn && dn->dev) {
		do {
			dn = (struct dm_names *)((char *)dn + next);
			if (is_vio(dn->name)) {
				*names = xrealloc(*names, (*n + 1) * sizeof(**names));
				(*names)[(*n)++] = xstrdup(dn->name);
			}
			next = dn->next;
		} while (next);
	}
	dm_task_destroy(dmt);
	qsort(*names, *n, sizeof(**names), cmp_str);
	return 0;
}

int vol_create(const char *name, uint64_t len, const char *params)
{
	struct dm_task *dmt = task_new(DM_DEVICE_CREATE, name);
	uint32_t cookie = 0;
	int kfd, r = 0;

	if (!dm_task_add_target(dmt, 0, len, DM_VIO_TARGET_NAME, params) ||
	    !dm_task_set_cookie(dmt, &cookie, 0))
		errx(EXIT_FAILURE, "cannot prepare the device-mapper task");
	kfd = kmsg_open();
	dm_last_error[0] = '\0';
	if (!dm_task_run(dmt)) {
		int e = dm_task_get_errno(dmt);
		/* "device-mapper: table: 254:0: vio: <reason>" */
		char *why = kmsg_find(kfd, "device-mapper: table: "), *p;

		p = why ? strstr(why, ": ") : NULL;
		if (p)
			warnx("cannot create %s: %s", name, p + 2);
		else if (e == EBUSY)
			warnx("cannot create %s: a device of that name exists, or a device is in use",
			      name);
		else
			warnx("cannot create %s: %s%s", name, task_error(dmt),
			      e == EINVAL ? "; the kernel log (dmesg) says why" : "");
		free(why);
		r = -1;
	}
	dm_udev_wait(cookie);
	if (kfd >= 0)
		close(kfd);
	dm_task_destroy(dmt);
	return r;
}

int vol_remove(const char *name)
{
	struct dm_task *dmt = task_new(DM_DEVICE_REMOVE, name);
	uint32_t cookie = 0;
	int r = 0;

	if (!dm_task_retry_remove(dmt) || !dm_task_set_cookie(dmt, &cookie, 0))
		errx(EXIT_FAILURE, "cannot prepare the device-mapper task");
	if (task_run(dmt, name))
		r = -1;
	dm_udev_wait(cookie);
	dm_task_destroy(dmt);
	return r;
}
