/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vio: the table line, parsed into plain data before anything is built.
 *
 * The parser is pure: it opens no device and allocates nothing, so KUnit
 * can drive it with every malformed line we can think of. The constructor
 * resolves the parsed device paths afterwards.
 */
#ifndef DM_VIO_TABLE_H
#define DM_VIO_TABLE_H

#include <linux/types.h>
#include <uapi/linux/dm-vio.h>

#include "pcie.h"

/* Longest error message, including the terminating NUL. */
#define VIO_ERR_LEN	160

/* A precise, formatted error for ti->error or a message reply. */
struct vio_err {
	char msg[VIO_ERR_LEN];
};

__printf(2, 3) int vio_err(struct vio_err *err, const char *fmt, ...);

enum vio_layout {
	VIO_LAYOUT_LINEAR,
	VIO_LAYOUT_STRIPE,
	VIO_LAYOUT_MIRROR,
};

/* Feature flags of the table line. */
#define VIO_F_IGNORE_DISCARD	BIT(0)
#define VIO_F_TAG		BIT(1)
#define VIO_F_NOSYNC		BIT(2)
#define VIO_F_FABRIC		BIT(3)
#define VIO_F_FABRIC_HOST	BIT(4)

/* Mirror region: the unit of resync, a power of two; default 1 MiB. */
#define VIO_REGION_DEFAULT	2048
#define VIO_REGION_MIN		8
#define VIO_REGION_MAX		DM_VIO_MIRROR_REGION_MAX

/* Longest static tag, including the NUL (a VM name, see tag.h). */
#define VIO_TAG_LEN		(DM_VIO_TAG_MAX + 1)

struct vio_array_args {
	const char *path;	/* as written in the table; points into argv */
	sector_t offset;	/* first sector of the array used by the volume */
};

struct vio_table_args {
	enum vio_layout layout;
	u32 chunk_sectors;	/* stripe only: power of two */
	/* mirror only */
	u32 region_sectors;	/* power of two */
	unsigned int selector;	/* enum vio_sel_kind */
	u32 weights[DM_VIO_MIRROR_MAX_LEGS];
	unsigned int nr_weights;	/* as given; 0: all default */
	unsigned int nr_arrays;
	struct vio_array_args arrays[DM_VIO_MAX_ARRAYS];
	unsigned long features;	/* VIO_F_* */
	char tag[VIO_TAG_LEN];	/* VIO_F_TAG: the volume's static tenant */
	/* the fabric's links; defaults unless VIO_F_FABRIC gives them */
	struct vio_link_params link_up;
	struct vio_link_params link_port[DM_VIO_MAX_ARRAYS];
};

int vio_parse_table(unsigned int argc, char **argv,
		    struct vio_table_args *args, struct vio_err *err);
const char *vio_layout_name(enum vio_layout layout);

#endif /* DM_VIO_TABLE_H */
