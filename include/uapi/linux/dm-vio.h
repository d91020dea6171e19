/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * dm-vio: what userspace tools share with the "vio" device-mapper target.
 *
 * Compatibility rule: everything here is ABI once released. Names and
 * values are never changed or reused; new layouts, features, states and
 * status fields are only ever appended. A tool built against an older
 * copy of this header keeps working against a newer module, because every
 * variable-length part of the status line is preceded by its count.
 */
#ifndef _UAPI_LINUX_DM_VIO_H
#define _UAPI_LINUX_DM_VIO_H

/* The device-mapper target name, as used in table lines. */
#define DM_VIO_TARGET_NAME		"vio"

/* Target version (major, minor, patch) as reported by "dmsetup targets". */
#define DM_VIO_VERSION_MAJOR		1
#define DM_VIO_VERSION_MINOR		0
#define DM_VIO_VERSION_PATCH		0

/* A volume spans 1 to DM_VIO_MAX_ARRAYS arrays. */
#define DM_VIO_MAX_ARRAYS		32

/* A mirror has DM_VIO_MIRROR_MIN_LEGS to DM_VIO_MIRROR_MAX_LEGS legs. */
#define DM_VIO_MIRROR_MIN_LEGS		2
#define DM_VIO_MIRROR_MAX_LEGS		8

/* Layout keywords of the table line. */
#define DM_VIO_LAYOUT_LINEAR		"linear"
#define DM_VIO_LAYOUT_STRIPE		"stripe"
#define DM_VIO_LAYOUT_MIRROR		"mirror"

/* Keywords of the mirror layout's arguments (key-value pairs). */
#define DM_VIO_MIRROR_REGION_SIZE	"region_size"	/* sectors */
#define DM_VIO_MIRROR_SELECTOR		"selector"
#define DM_VIO_MIRROR_WEIGHTS		"weights"	/* <w0>,<w1>,... */

/* Read selectors of the mirror layout. */
#define DM_VIO_SELECTOR_ROUND_ROBIN		"round-robin"
#define DM_VIO_SELECTOR_LEAST_OUTSTANDING	"least-outstanding"
#define DM_VIO_SELECTOR_SERVICE_TIME		"service-time"

/* Feature keywords of the table line's optional feature group. */
#define DM_VIO_FEATURE_IGNORE_DISCARD	"ignore_discard"
#define DM_VIO_FEATURE_TAG		"tag"	/* takes one argument */
#define DM_VIO_FEATURE_NOSYNC		"nosync" /* mirror legs start in sync */
/* fabric <#specs> <upstream spec> <port spec>...: the simulated fabric */
#define DM_VIO_FEATURE_FABRIC		"fabric"
#define DM_VIO_FEATURE_FABRIC_HOST	"fabric_host" /* host-side replication */

/* Per-array state letters in the status line. */
#define DM_VIO_ARRAY_ALIVE		'A'	/* in service (mirror: in sync) */
#define DM_VIO_ARRAY_RECOVERING		'a'	/* mirror: written, resyncing */
#define DM_VIO_ARRAY_FAILED		'D'	/* mirror: out of service */

/*
 * Per-array counters in the INFO status line, in this order, after the
 * array's device and state. Units: I/Os for the counts, 512-byte sectors
 * for the *_SECTORS fields.
 */
enum dm_vio_array_counter {
	DM_VIO_CTR_READS,
	DM_VIO_CTR_WRITES,
	DM_VIO_CTR_READ_SECTORS,
	DM_VIO_CTR_WRITE_SECTORS,
	DM_VIO_CTR_DISCARDS,
	DM_VIO_CTR_FLUSHES,
	DM_VIO_CTR_ERRORS,
	DM_VIO_NR_ARRAY_COUNTERS,
};

/*
 * Limits of table and message values, as the target checks them (a tool
 * checks the same before it sends anything).
 */
#define DM_VIO_MIRROR_REGION_MAX	(4U << 20)	/* sectors: 2 GiB */
#define DM_VIO_LEG_WEIGHT_MAX		1000	/* mirror leg weights: 1 to this */
#define DM_VIO_TAG_MAX			63	/* bytes of a static tag */
#define DM_VIO_CLASS_NAME_MAX		31	/* bytes of a class name */
#define DM_VIO_PATTERN_MAX		255	/* bytes of a rule's glob */
#define DM_VIO_MAX_CLASSES		64	/* per volume, "default" included */
#define DM_VIO_MAX_RULES		256	/* per volume */
#define DM_VIO_DEPTH_MAX		4096	/* requests in flight under QoS */
#define DM_VIO_WEIGHT_MAX		10000	/* class weights: 1 to this */
#define DM_VIO_IOPS_MAX			100000000ULL	/* I/Os per second */
#define DM_VIO_BPS_MAX			(1ULL << 50)	/* bytes per second */
#define DM_VIO_BURST_LEN_MAX		3600	/* seconds */
#define DM_VIO_IOPS_SIZE_MAX		(64ULL << 20)	/* bytes */
#define DM_VIO_LAT_TARGET_MAX		60000000ULL	/* microseconds */

#endif /* _UAPI_LINUX_DM_VIO_H */
