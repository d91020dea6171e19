/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vio: the target's internal state, shared by the target and sysfs code.
 */
#ifndef DM_VIO_VIO_H
#define DM_VIO_VIO_H

#include <linux/device-mapper.h>
#include <linux/kobject.h>
#include <linux/percpu.h>

#include "layout.h"
#include "policy.h"
#include "table.h"

#define DM_MSG_PREFIX "vio"

/*
 * Per-array I/O counters, one copy per CPU: the map path only ever adds
 * to its own CPU's copy (this_cpu_*), readers sum all copies. Indexed by
 * enum dm_vio_array_counter.
 */
struct vio_array_stats {
	u64 ctr[DM_VIO_NR_ARRAY_COUNTERS];
};

struct vio_array {
	struct dm_dev *dev;
	sector_t offset;		/* table offset on the device */
	struct vio_array_stats __percpu *stats;
	struct kobject *kobj;		/* sysfs: vio/arrays/<index> */
};

struct vio_c {
	struct dm_target *ti;
	struct vio_geom geom;
	unsigned long features;		/* VIO_F_* */
	u32 chunk_sectors;		/* as given in the table (stripe) */
	struct vio_policy *pol;		/* the device's, shared across reloads */
	struct vio_tenant *tagged;	/* VIO_F_TAG: the static tenant */

	/* sysfs tree, present while the table is live (resumed) */
	struct kobject *kobj;		/* vio/ */
	struct kobject *arrays_kobj;	/* vio/arrays/ */

	unsigned int nr_arrays;
	struct vio_array arrays[] __counted_by(nr_arrays);
};

/* Per-bio data: which array the clone went to, and its QoS state. */
struct vio_io {
	unsigned int array;
	struct vio_qio q;
};

static inline struct vio_qio *vio_bio_qio(struct bio *bio)
{
	return &((struct vio_io *)dm_per_bio_data(bio, sizeof(struct vio_io)))->q;
}

void vio_array_read_stats(const struct vio_array *a, u64 *ctr);

int vio_sysfs_register(struct vio_c *vc);
void vio_sysfs_unregister(struct vio_c *vc);

#endif /* DM_VIO_VIO_H */
