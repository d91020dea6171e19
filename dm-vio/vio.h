/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vio: the target's internal state, shared by the target and sysfs code.
 */
#ifndef DM_VIO_VIO_H
#define DM_VIO_VIO_H

#include <linux/device-mapper.h>
#include <linux/kobject.h>
#include <linux/percpu.h>

#include "fabric.h"
#include "layout.h"
#include "mirror.h"
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
	struct vio_leg leg;		/* mirror only */
};

struct vio_c {
	struct dm_target *ti;
	dev_t devt;			/* the dm device, for traces */
	struct request_queue *queue;	/* its queue, for blktrace notes */
	struct vio_geom geom;
	unsigned long features;		/* VIO_F_* */
	u32 chunk_sectors;		/* as given in the table (stripe) */
	struct vio_policy *pol;		/* the device's, shared across reloads */
	struct vio_tenant *tagged;	/* VIO_F_TAG: the static tenant */
	struct vio_mirror *mirror;	/* mirror layout only */
	struct vio_fabric *fab;		/* the simulated fabric */

	/* sysfs tree, present while the table is live (resumed) */
	struct kobject *kobj;		/* vio/ */
	struct kobject *arrays_kobj;	/* vio/arrays/ */
	struct kobject *qos_kobj;	/* vio/qos/ */

	unsigned int nr_arrays;
	struct vio_array arrays[] __counted_by(nr_arrays);
};

/* Per-bio data flags. */
#define VIO_IO_LEG	BIT(0)	/* counted in the leg's inflight (mirror) */
#define VIO_IO_GATED	BIT(1)	/* counted in its regions' write buckets */

/* Per-bio data: where the clone went, and its QoS and mirror state. */
struct vio_io {
	unsigned int array;
	unsigned int flags;		/* VIO_IO_* */
	struct vio_qio q;
	struct vio_fab_state fab;
	/* mirror */
	struct vio_c *vc;
	sector_t sector;		/* volume sector, relative to the target */
	u64 start_ns;			/* submitted to the leg */
	unsigned long rfirst, rlast;	/* regions a write covers */
	unsigned long legs;		/* write: legs it was sent to */
	unsigned long insync;		/* write: legs in sync when sent */
	atomic_t leg_err;		/* write: legs that failed it */
	/* read: to retry on another leg (as dm_bio_record() would) */
	struct bvec_iter iter;
	unsigned short bi_flags;
	int remaining;			/* __bi_remaining */
};

static inline struct vio_qio *vio_bio_qio(struct bio *bio)
{
	return &((struct vio_io *)dm_per_bio_data(bio, sizeof(struct vio_io)))->q;
}

void vio_array_read_stats(const struct vio_array *a, u64 *ctr);
void vio_submit_deferred(struct bio *bio);

static inline void vio_count(struct vio_array *a, enum dm_vio_array_counter c,
			     u64 n)
{
	this_cpu_add(a->stats->ctr[c], n);
}

static inline void vio_account(struct vio_array *a, struct bio *bio)
{
	switch (bio_op(bio)) {
	case REQ_OP_READ:
		vio_count(a, DM_VIO_CTR_READS, 1);
		vio_count(a, DM_VIO_CTR_READ_SECTORS, bio_sectors(bio));
		break;
	case REQ_OP_DISCARD:
		vio_count(a, DM_VIO_CTR_DISCARDS, 1);
		break;
	default:
		vio_count(a, DM_VIO_CTR_WRITES, 1);
		vio_count(a, DM_VIO_CTR_WRITE_SECTORS, bio_sectors(bio));
		break;
	}
}

int vio_sysfs_register(struct vio_c *vc);
void vio_sysfs_unregister(struct vio_c *vc);

#endif /* DM_VIO_VIO_H */
