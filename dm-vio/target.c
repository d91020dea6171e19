// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vio: a device-mapper target that spreads a volume over several
 * storage arrays.
 *
 * This file is the bio plumbing and the dm target contract, in the usual
 * order: context, constructor, destructor, map, end_io, suspend hooks,
 * status, iterate_devices, io_hints, target type, module init. The table
 * grammar lives in table.c, the address arithmetic in layout.c, the sysfs
 * tree in sysfs.c. See Documentation/admin-guide/device-mapper/dm-vio.rst.
 *
 * Concurrency: the map and end_io paths touch the immutable geometry,
 * this CPU's counters and, through the policy (policy.c, dispatch.c),
 * RCU-protected tenants and a per-class lock; they never sleep. Table
 * state changes only through dm's constructor, suspend/resume and
 * destructor calls, which dm serialises per device; the policy's
 * configuration only through messages, under its mutex.
 */
#include <linux/atomic.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/blktrace_api.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "compat.h"
#include "vio.h"

#define CREATE_TRACE_POINTS
#include "vio_trace.h"

/*
 * ti->error must outlive the constructor: dm prints it right after ctr
 * returns, in the same thread, and never looks at it again. Messages that
 * quote the table are formatted into a small ring of buffers; a message
 * is overwritten only after VIO_ERR_RING further failed constructors,
 * far more than can interleave between a return and dm's print.
 */
#define VIO_ERR_RING	16
static struct vio_err vio_err_ring[VIO_ERR_RING];
static atomic_t vio_err_next = ATOMIC_INIT(0);

static void vio_set_error(struct dm_target *ti, const struct vio_err *err)
{
	unsigned int slot = (unsigned int)atomic_inc_return(&vio_err_next) %
			    VIO_ERR_RING;

	vio_err_ring[slot] = *err;
	ti->error = vio_err_ring[slot].msg;
}

void vio_array_read_stats(const struct vio_array *a, u64 *ctr)
{
	int cpu, k;

	memset(ctr, 0, sizeof(u64) * DM_VIO_NR_ARRAY_COUNTERS);
	for_each_possible_cpu(cpu) {
		const struct vio_array_stats *s = per_cpu_ptr(a->stats, cpu);

		for (k = 0; k < DM_VIO_NR_ARRAY_COUNTERS; k++)
			ctr[k] += READ_ONCE(s->ctr[k]);
	}
}

static void vio_dtr(struct dm_target *ti);

/* Open every array, refuse duplicates, and note what the geometry needs. */
static int vio_open_arrays(struct dm_target *ti, struct vio_c *vc,
			   const struct vio_table_args *args,
			   struct vio_array_info *info, struct vio_err *err)
{
	unsigned int i, j;
	int r;

	for (i = 0; i < args->nr_arrays; i++) {
		struct vio_array *a = &vc->arrays[i];
		struct block_device *bdev;

		r = dm_get_device(ti, args->arrays[i].path,
				  dm_table_get_mode(ti->table), &a->dev);
		if (r) {
			/* dm prints the errno after the message. */
			vio_err(err, "Array %u (%s): cannot open device",
				i, args->arrays[i].path);
			return r;
		}

		bdev = a->dev->bdev;
		for (j = 0; j < i; j++)
			if (vc->arrays[j].dev->bdev->bd_dev == bdev->bd_dev)
				return vio_err(err, "Array %u (%s) is the same device as array %u",
					       i, args->arrays[i].path, j);

		a->offset = args->arrays[i].offset;
		a->stats = alloc_percpu(struct vio_array_stats);
		if (!a->stats) {
			vio_err(err, "Cannot allocate counters");
			return -ENOMEM;
		}

		info[i].dev_sectors = bdev_nr_sectors(bdev);
		info[i].lbs_sectors = bdev_logical_block_size(bdev) >> SECTOR_SHIFT;
	}
	return 0;
}

/*
 * Construct a vio volume: parse the whole line (table.c has the grammar),
 * then open the arrays, then check the geometry against them.
 */
static int vio_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct vio_table_args *args;
	struct vio_array_info *info = NULL;
	struct vio_err err = {};
	struct vio_c *vc;
	int r;

	/*
	 * The sysfs tree hangs off the dm device, so there is one vio target
	 * per table, and it comes first.
	 */
	if (ti->begin) {
		ti->error = "A vio target must start at sector 0 of its table";
		return -EINVAL;
	}

	args = kmalloc(sizeof(*args), GFP_KERNEL);
	if (!args) {
		ti->error = "Cannot allocate table arguments";
		return -ENOMEM;
	}
	r = vio_parse_table(argc, argv, args, &err);
	if (r)
		goto bad_args;

	vc = kzalloc(struct_size(vc, arrays, args->nr_arrays), GFP_KERNEL);
	info = kcalloc(args->nr_arrays, sizeof(*info), GFP_KERNEL);
	if (!vc || !info) {
		kfree(vc);
		vio_err(&err, "Cannot allocate context");
		r = -ENOMEM;
		goto bad_args;
	}
	vc->ti = ti;
	vc->devt = disk_devt(dm_disk(dm_table_get_md(ti->table)));
	vc->queue = dm_disk(dm_table_get_md(ti->table))->queue;
	vc->nr_arrays = args->nr_arrays;
	vc->features = args->features;
	vc->chunk_sectors = args->chunk_sectors;
	ti->private = vc;

	r = vio_open_arrays(ti, vc, args, info, &err);
	if (r)
		goto bad;
	r = vio_geom_init(&vc->geom, args, info, ti->len, &err);
	if (r)
		goto bad;

	if (args->layout == VIO_LAYOUT_STRIPE) {
		r = dm_set_target_max_io_len(ti, args->chunk_sectors);
		if (r) {
			vio_err(&err, "Cannot set stripe chunk size %u as the I/O limit",
				args->chunk_sectors);
			goto bad;
		}
	}
	if (args->layout == VIO_LAYOUT_MIRROR) {
		/* A write then covers one region, which the resync locks. */
		r = dm_set_target_max_io_len(ti, args->region_sectors);
		if (r) {
			vio_err(&err, "Cannot set region size %u as the I/O limit",
				args->region_sectors);
			goto bad;
		}
		r = vio_mirror_init(vc, args, &err);
		if (r)
			goto bad;
		/*
		 * A mirror picks its leg after QoS, so the clone has no array
		 * yet when its tenant is looked up: have dm associate it with
		 * the submitter's cgroup on the volume itself (as remapping to
		 * an array does for linear and stripe).
		 */
		ti->needs_bio_set_dev = true;
	}
	r = vio_fabric_init(vc, args, &err);
	if (r)
		goto bad;

	vc->pol = vio_policy_get(ti, &err);
	if (!vc->pol) {
		r = -ENOMEM;
		goto bad;
	}
	if (args->features & VIO_F_TAG) {
		vc->tagged = vio_tenant_static(vc->pol, args->tag);
		if (!vc->tagged) {
			vio_err(&err, "Cannot allocate the tenant for tag %s", args->tag);
			r = -ENOMEM;
			goto bad;
		}
	}

	ti->per_io_data_size = sizeof(struct vio_io);
	ti->num_flush_bios = vc->nr_arrays;
	ti->num_discard_bios = args->features & VIO_F_IGNORE_DISCARD ?
			       0 : vc->nr_arrays;
	ti->num_write_zeroes_bios = vc->nr_arrays;

	kfree(info);
	kfree(args);
	return 0;

bad:
	vio_dtr(ti);
bad_args:
	vio_set_error(ti, &err);
	kfree(info);
	kfree(args);
	return r;
}

/* Tolerates a partially constructed context: the ctr's only cleanup. */
static void vio_dtr(struct dm_target *ti)
{
	struct vio_c *vc = ti->private;
	unsigned int i;

	vio_sysfs_unregister(vc);
	vio_mirror_exit(vc);
	vio_fabric_exit(vc);
	vio_tenant_put_static(vc->tagged);
	if (vc->pol)
		vio_policy_put(vc->pol);
	for (i = 0; i < vc->nr_arrays; i++) {
		free_percpu(vc->arrays[i].stats);
		if (vc->arrays[i].dev)
			dm_put_device(ti, vc->arrays[i].dev);
	}
	kfree(vc);
	ti->private = NULL;
}

/*
 * Empty flushes, discards and write-zeroes are cloned once per array by dm
 * (num_*_bios); each clone covers its array's share of the range. Out of
 * line: the reads and writes that vio_remap() maps need none of this.
 */
static noinline int vio_map_per_array(struct vio_c *vc, struct bio *bio,
				      struct vio_io *io)
{
	unsigned int i = dm_bio_get_target_bio_nr(bio);
	struct vio_array *a = &vc->arrays[i];
	sector_t begin, nr;

	io->array = i;
	bio_set_dev(bio, a->dev->bdev);
	if (bio->bi_opf & REQ_PREFLUSH) {
		/* An empty flush: REQ_OP_WRITE with no data. */
		vio_count(a, DM_VIO_CTR_FLUSHES, 1);
		return DM_MAPIO_REMAPPED;
	}

	if (!vio_geom_map_range(&vc->geom, i,
				dm_target_offset(vc->ti, bio->bi_iter.bi_sector),
				bio_sectors(bio), &begin, &nr)) {
		/* None of the range lies on this array. */
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	}
	bio->bi_iter.bi_sector = a->offset + begin;
	bio->bi_iter.bi_size = nr << SECTOR_SHIFT;
	vio_account(a, bio);
	return DM_MAPIO_REMAPPED;
}

/* Where the bio goes: remap it to its array. */
static int vio_remap(struct vio_c *vc, struct bio *bio, struct vio_io *io)
{
	sector_t array_sector, max_len;
	struct vio_array *a;
	unsigned int i;

	if (unlikely(bio->bi_opf & REQ_PREFLUSH) ||
	    unlikely(bio_op(bio) == REQ_OP_DISCARD) ||
	    unlikely(bio_op(bio) == REQ_OP_WRITE_ZEROES))
		return vio_map_per_array(vc, bio, io);

	i = vio_geom_map(&vc->geom, dm_target_offset(vc->ti, bio->bi_iter.bi_sector),
			 &array_sector, &max_len);
	/* Linear: stop at the array's end; dm resubmits the rest. */
	if (bio_sectors(bio) > max_len)
		dm_accept_partial_bio(bio, max_len);

	a = &vc->arrays[i];
	io->array = i;
	bio_set_dev(bio, a->dev->bdev);
	bio->bi_iter.bi_sector = a->offset + array_sector;
	vio_account(a, bio);
	return DM_MAPIO_REMAPPED;
}

/*
 * A mirror bio: note where it goes on every leg and which regions it
 * covers; the leg is chosen once QoS lets it go (vio_mirror_route()).
 */
static void vio_mirror_prep(struct vio_c *vc, struct bio *bio,
			    struct vio_io *io)
{
	io->sector = dm_target_offset(vc->ti, bio->bi_iter.bi_sector);
	vio_regions_of(io->sector, max(bio_sectors(bio), 1U),
		       vc->mirror->region_shift, &io->rfirst, &io->rlast);

	/* QoS charges a data write for every leg it will reach. */
	if (op_is_write(bio_op(bio)) && bio_sectors(bio) &&
	    !(bio->bi_opf & REQ_PREFLUSH) && !op_is_discard(bio_op(bio)) &&
	    bio_op(bio) != REQ_OP_WRITE_ZEROES) {
		io->q.req.copies = hweight_long(READ_ONCE(vc->mirror->writable));
		if (READ_ONCE(vc->fab->on) && READ_ONCE(vc->fab->host_mode))
			io->q.req.up_copies = io->q.req.copies;
	}
}

static inline bool vio_blktrace_on(struct vio_c *vc)
{
#ifdef CONFIG_BLK_DEV_IO_TRACE
	return unlikely(rcu_access_pointer(vc->queue->blk_trace));
#else
	return false;
#endif
}

/*
 * With blktrace running on the volume, note who issued each bio and the
 * class it was charged to: "vio <sector>+<sectors> tenant=<id> vm=<name>
 * class=<name>" next to the bio's queue and remap events.
 */
static noinline void vio_blktrace_note(struct vio_c *vc, sector_t sector,
				       unsigned int sectors,
				       struct vio_tenant *t,
				       struct vio_class *c)
{
#ifdef CONFIG_BLK_DEV_IO_TRACE
	char who[24];

	if (t == vc->tagged)
		strscpy(who, "tag", sizeof(who));
	else if (!t->id)
		strscpy(who, "root", sizeof(who));
	else
		snprintf(who, sizeof(who), "%llu", t->id);
	blk_add_trace_msg(vc->queue, "vio %llu+%u tenant=%s vm=%s class=%s",
			  (unsigned long long)sector, sectors, who,
			  t->vm[0] ? t->vm : "-", c->name);
#endif
}

/* Remap, then let the bio's tenant and class decide when it goes. */
static int vio_map(struct dm_target *ti, struct bio *bio)
{
	struct vio_c *vc = ti->private;
	struct vio_io *io = dm_per_bio_data(bio, sizeof(*io));
	sector_t sector = bio->bi_iter.bi_sector;
	struct vio_tenant *t;
	int r;

	io->q.cls = NULL;
	io->flags = 0;
	io->vc = vc;
	io->fab.t_switch = 0;
	io->fab.held = false;
	io->q.req.copies = 1;
	io->q.req.up_copies = 1;
	if (vc->mirror) {
		io->legs = 0;
		vio_mirror_prep(vc, bio, io);
	} else {
		r = vio_remap(vc, bio, io);
		if (r != DM_MAPIO_REMAPPED)
			return r;
	}

	rcu_read_lock();
	t = vc->tagged ?: vio_tenant_of_bio(vc->pol, bio);
	r = vio_qos_map(vc->pol, t, bio, &io->q);
	if (vio_blktrace_on(vc))
		vio_blktrace_note(vc, sector, bio_sectors(bio), t, io->q.cls);
	rcu_read_unlock();
	if (r != DM_MAPIO_REMAPPED)
		return r;
	if (vc->mirror) {
		r = vio_mirror_route(vc, bio, io, GFP_NOWAIT);
		if (r != DM_MAPIO_REMAPPED)
			return r;
	}
	/* Through the fabric: now, or when its modelled transfer is done. */
	if (likely(!READ_ONCE(vc->fab->on)))
		return DM_MAPIO_REMAPPED;
	return vio_fabric_send(vc, bio, &io->fab, io->array) ?
	       DM_MAPIO_REMAPPED : DM_MAPIO_SUBMITTED;
}

/* A bio that QoS held back may go now (dispatch.c, process context). */
void vio_submit_deferred(struct bio *bio)
{
	struct vio_io *io = dm_per_bio_data(bio, sizeof(*io));

	if (io->vc->mirror)
		vio_mirror_submit(io->vc, bio);
	else if (vio_fabric_send(io->vc, bio, &io->fab, io->array))
		dm_submit_bio_remap(bio, NULL);
}

static int vio_end_io(struct dm_target *ti, struct bio *bio,
		      blk_status_t *error)
{
	struct vio_c *vc = ti->private;
	struct vio_io *io = dm_per_bio_data(bio, sizeof(*io));

	/*
	 * Not array faults: BLK_STS_AGAIN asks a REQ_NOWAIT submitter to
	 * retry, BLK_STS_NOTSUPP answers an operation the array lacks (the
	 * block layer then falls back, e.g. from write-zeroes to writes).
	 */
	if (unlikely(io->fab.held))
		vio_fabric_done(vc, &io->fab);
	if (vc->mirror) {
		int r = vio_mirror_end_io(vc, bio, io, error);

		if (r != DM_ENDIO_DONE)
			return r;	/* retried on another leg */
	} else if (unlikely(*error) && *error != BLK_STS_AGAIN &&
		   *error != BLK_STS_NOTSUPP) {
		vio_count(&vc->arrays[io->array], DM_VIO_CTR_ERRORS, 1);
	}
	if (io->q.cls)
		vio_qos_end_io(vc->pol, bio, &io->q);
	return DM_ENDIO_DONE;
}

/*
 * The sysfs tree exists while the table is live: a table swap suspends
 * the old table (postsuspend removes its tree) before the new one resumes
 * (resume adds its own), so the two never collide on the same names.
 */
/*
 * Bios deferred by QoS are in flight as far as dm is concerned, so a
 * suspend waits for them: release them all now rather than at their
 * classes' pace, and stop deferring until resume.
 */
static void vio_presuspend(struct dm_target *ti)
{
	struct vio_c *vc = ti->private;

	/* Held requests go at once, whatever their modelled transfer. */
	vio_fabric_drain(vc);
	if (vc->mirror)
		vio_mirror_presuspend(vc);
	vio_qos_drain(vc->pol);
}

static void vio_presuspend_undo(struct dm_target *ti)
{
	struct vio_c *vc = ti->private;

	vio_qos_undrain(vc->pol);
	vio_fabric_undrain(vc);
	if (vc->mirror)
		vio_mirror_resume(vc);
}

static void vio_postsuspend(struct dm_target *ti)
{
	struct vio_c *vc = ti->private;

	vio_sysfs_unregister(vc);
	if (vc->mirror)
		vio_mirror_postsuspend(vc);
}

/* A mirror takes over its legs' states from the table it replaces. */
static int vio_preresume(struct dm_target *ti)
{
	return vio_mirror_preresume(ti->private);
}

static void vio_resume(struct dm_target *ti)
{
	struct vio_c *vc = ti->private;
	int r;

	vio_qos_undrain(vc->pol);
	vio_fabric_undrain(vc);
	if (vc->mirror)
		vio_mirror_resume(vc);

	if (vc->kobj)
		return;
	r = vio_sysfs_register(vc);
	if (r)
		DMWARN("%s: cannot create sysfs tree (error %d); I/O is not affected",
		       dm_table_device_name(ti->table), r);
}

/* Whether TABLE may say nosync: a mirror with every leg in sync. */
static bool vio_table_nosync(struct vio_c *vc)
{
	return vc->mirror && READ_ONCE(vc->mirror->insync) ==
			     GENMASK(vc->nr_arrays - 1, 0);
}

/* The mirror layout and its arguments, as they are now. */
static void vio_table_mirror(struct vio_c *vc, char *result,
			     unsigned int maxlen, unsigned int *sz_ptr)
{
	struct vio_mirror *m = vc->mirror;
	unsigned int sz = *sz_ptr, i;
	bool weights = false;

	for (i = 0; i < vc->nr_arrays; i++)
		weights |= READ_ONCE(vc->arrays[i].leg.weight) !=
			   VIO_LEG_WEIGHT_DEFAULT;
	DMEMIT("%s %u %s %u %s %s", DM_VIO_LAYOUT_MIRROR, weights ? 6 : 4,
	       DM_VIO_MIRROR_REGION_SIZE, 1U << m->region_shift,
	       DM_VIO_MIRROR_SELECTOR, vio_selectors[READ_ONCE(m->selector)].name);
	if (weights) {
		DMEMIT(" %s ", DM_VIO_MIRROR_WEIGHTS);
		for (i = 0; i < vc->nr_arrays; i++)
			DMEMIT("%s%u", i ? "," : "",
			       READ_ONCE(vc->arrays[i].leg.weight));
	}
	*sz_ptr = sz;
}

/*
 * Status format:
 *
 * INFO:  <layout> <#arrays> [<dev> <state> <reads> <writes> <read_sectors>
 *        <write_sectors> <discards> <flushes> <errors>]...
 *        mirror only: <selector> <region_sectors> <#legs>
 *          [<inflight> <service_us> <weight> <in_sync_regions>/<regions>]...
 *          <fallbacks>
 *        <qos on|off> <#classes> [<class> <ios> <bytes> <queued>
 *        <throttled>]...
 * TABLE: the constructor line, reprinted so that it loads again unchanged;
 *        a mirror's selector and weights as they are now, and nosync only
 *        while every leg is in sync (so a reload never skips a resync).
 * IMA:   target_name=vio,target_version=<x.y.z>,
 *        layout=...,chunk_sectors=...,array_count=...,
 *        array_<i>_device_name=...,array_<i>_physical_start=...,
 *        array_<i>_status=...,ignore_discard=y|n;
 */
static void vio_status(struct dm_target *ti, status_type_t type,
		       unsigned int status_flags, char *result,
		       unsigned int maxlen)
{
	struct vio_c *vc = ti->private;
	const char *layout = vio_layout_name(vc->geom.layout);
	bool stripe = vc->geom.layout == VIO_LAYOUT_STRIPE;
	bool ignore_discard = vc->features & VIO_F_IGNORE_DISCARD;
	bool nosync = vio_table_nosync(vc);
	unsigned int nfeat = (ignore_discard ? 1 : 0) + (vc->tagged ? 2 : 0) +
			     (nosync ? 1 : 0) + vio_fabric_table_words(vc);
	u64 ctr[DM_VIO_NR_ARRAY_COUNTERS];
	unsigned int sz = 0, i, k;

	switch (type) {
	case STATUSTYPE_INFO:
		DMEMIT("%s %u", layout, vc->nr_arrays);
		for (i = 0; i < vc->nr_arrays; i++) {
			vio_array_read_stats(&vc->arrays[i], ctr);
			DMEMIT(" %s %c", vc->arrays[i].dev->name,
			       vio_leg_state(vc, i));
			for (k = 0; k < DM_VIO_NR_ARRAY_COUNTERS; k++)
				DMEMIT(" %llu", ctr[k]);
		}
		if (vc->mirror)
			vio_mirror_status(vc, result, maxlen, &sz);
		vio_policy_status(vc->pol, result, maxlen, &sz);
		vio_fabric_status(vc, result, maxlen, &sz);
		break;

	case STATUSTYPE_TABLE:
		if (vc->mirror) {
			vio_table_mirror(vc, result, maxlen, &sz);
		} else {
			DMEMIT("%s %u", layout, stripe ? 1 : 0);
			if (stripe)
				DMEMIT(" %u", vc->chunk_sectors);
		}
		DMEMIT(" %u", vc->nr_arrays);
		for (i = 0; i < vc->nr_arrays; i++)
			DMEMIT(" %s %llu", vc->arrays[i].dev->name,
			       (unsigned long long)vc->arrays[i].offset);
		if (nfeat)
			DMEMIT(" %u", nfeat);
		if (ignore_discard)
			DMEMIT(" " DM_VIO_FEATURE_IGNORE_DISCARD);
		if (nosync)
			DMEMIT(" " DM_VIO_FEATURE_NOSYNC);
		vio_fabric_table(vc, result, maxlen, &sz);
		if (vc->tagged)
			DMEMIT(" " DM_VIO_FEATURE_TAG " %s", vc->tagged->vm);
		break;

	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",layout=%s,chunk_sectors=%u,array_count=%u", layout,
		       stripe ? vc->chunk_sectors : 0, vc->nr_arrays);
		for (i = 0; i < vc->nr_arrays; i++) {
			DMEMIT(",array_%u_device_name=%s", i,
			       vc->arrays[i].dev->name);
			DMEMIT(",array_%u_physical_start=%llu", i,
			       (unsigned long long)vc->arrays[i].offset);
			DMEMIT(",array_%u_status=%c", i, vio_leg_state(vc, i));
		}
		DMEMIT(",ignore_discard=%c;", ignore_discard ? 'y' : 'n');
		break;
	}
}

static const char * const vio_counter_names[DM_VIO_NR_ARRAY_COUNTERS] = {
	"reads", "writes", "read_sectors", "write_sectors", "discards",
	"flushes", "errors",
};

/*
 * "stats": every counter in one block, one object per line, each a kind,
 * usually a name, and key=value pairs (documented in dm-vio.rst):
 *
 *   volume layout=... arrays=... fabric=on|off
 *   array <i> dev=<maj:min> state=<A|a|D> reads=... errors=...
 *         [mirror: inflight= service_us= weight= in_sync_regions=]
 *   mirror selector=... region_sectors=... regions=... fallbacks=...
 *   qos qos=on|off capacity_iops=... classes=... rules=... tenants=...
 *   class <name> queued=... reads=... lat_hist=<22 counts>
 *   tenant <root|tag|cgroup> <id> <class> vm=... ... path=...
 *   link <up|port<i>> gen=...,... model_bps=... tlps=... max_inflight=...
 */
static int vio_stats_message(struct vio_c *vc, char *result,
			     unsigned int maxlen)
{
	u64 ctr[DM_VIO_NR_ARRAY_COUNTERS];
	unsigned int sz = 0, i, k;

	DMEMIT("volume layout=%s arrays=%u fabric=%s\n",
	       vio_layout_name(vc->geom.layout), vc->nr_arrays,
	       READ_ONCE(vc->fab->on) ? "on" : "off");
	for (i = 0; i < vc->nr_arrays; i++) {
		struct vio_array *a = &vc->arrays[i];

		vio_array_read_stats(a, ctr);
		DMEMIT("array %u dev=%s state=%c", i, a->dev->name,
		       vio_leg_state(vc, i));
		for (k = 0; k < DM_VIO_NR_ARRAY_COUNTERS; k++)
			DMEMIT(" %s=%llu", vio_counter_names[k], ctr[k]);
		if (vc->mirror)
			DMEMIT(" inflight=%d service_us=%llu weight=%u in_sync_regions=%lu",
			       atomic_read(&a->leg.inflight),
			       vio_leg_service_us(&a->leg),
			       READ_ONCE(a->leg.weight),
			       vc->mirror->nr_regions -
			       atomic_long_read(&a->leg.nr_dirty));
		DMEMIT("\n");
	}
	if (vc->mirror)
		DMEMIT("mirror selector=%s region_sectors=%u regions=%lu fallbacks=%llu\n",
		       vio_selectors[READ_ONCE(vc->mirror->selector)].name,
		       1U << vc->mirror->region_shift, vc->mirror->nr_regions,
		       (unsigned long long)atomic64_read(&vc->mirror->fallbacks));
	vio_policy_stats(vc->pol, vc, result, maxlen, &sz);
	vio_fabric_stats(vc, "link ", result, maxlen, &sz);
	return 1;	/* the result buffer holds the answer */
}

/*
 * Messages configure the device's policy (policy.c has the grammar). A
 * refused message logs one line naming the device and the reason, and
 * changes nothing.
 */
static int vio_message(struct dm_target *ti, unsigned int argc, char **argv,
		       char *result, unsigned int maxlen)
{
	struct vio_c *vc = ti->private;
	struct vio_err err = {};
	int r;

	if (!strcmp(argv[0], "stats") && argc == 1)
		return vio_stats_message(vc, result, maxlen);
	if (!strcmp(argv[0], "stats"))
		r = vio_err(&err, "Usage: stats (no arguments)");
	else if (vio_mirror_is_message(argv[0]))
		r = vio_mirror_message(vc, argc, argv, &err);
	else if (vio_fabric_is_message(argv[0]))
		r = vio_fabric_message(vc, argc, argv, result, maxlen, &err);
	else
		r = vio_policy_message(vc->pol, vc, argc, argv, result, maxlen, &err);
	if (r == -EINVAL)
		DMERR("%s: %s", dm_table_device_name(ti->table), err.msg);
	return r;
}

static int vio_iterate_devices(struct dm_target *ti,
			       iterate_devices_callout_fn fn, void *data)
{
	struct vio_c *vc = ti->private;
	unsigned int i;
	int r = 0;

	for (i = 0; i < vc->nr_arrays && !r; i++)
		r = fn(ti, vc->arrays[i].dev, vc->arrays[i].offset,
		       vc->geom.array_len[i], data);
	return r;
}

static void vio_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	struct vio_c *vc = ti->private;
	unsigned int chunk_bytes;

	if (vc->mirror) {
		/* Discards and write-zeroes then cover at most two regions. */
		sector_t region = (sector_t)1 << vc->mirror->region_shift;

		limits->max_hw_discard_sectors =
			min_t(sector_t, limits->max_hw_discard_sectors, region);
		limits->max_write_zeroes_sectors =
			min_t(sector_t, limits->max_write_zeroes_sectors, region);
		return;
	}
	if (vc->geom.layout != VIO_LAYOUT_STRIPE)
		return;
	/* Chunks too large to express in bytes get no hint. */
	if (vc->chunk_sectors > UINT_MAX >> SECTOR_SHIFT)
		return;
	/* Whole chunks avoid splits; whole rows keep every array busy. */
	chunk_bytes = vc->chunk_sectors << SECTOR_SHIFT;
	limits->io_min = chunk_bytes;
	if ((u64)chunk_bytes * vc->nr_arrays <= UINT_MAX)
		limits->io_opt = chunk_bytes * vc->nr_arrays;
}

static struct target_type vio_target = {
	.name		 = DM_VIO_TARGET_NAME,
	.version	 = { DM_VIO_VERSION_MAJOR, DM_VIO_VERSION_MINOR,
			     DM_VIO_VERSION_PATCH },
	.features	 = DM_TARGET_NOWAIT,
	.module		 = THIS_MODULE,
	.ctr		 = vio_ctr,
	.dtr		 = vio_dtr,
	.map		 = vio_map,
	.end_io		 = vio_end_io,
	.presuspend	 = vio_presuspend,
	.presuspend_undo = vio_presuspend_undo,
	.postsuspend	 = vio_postsuspend,
	.preresume	 = vio_preresume,
	.resume		 = vio_resume,
	.status		 = vio_status,
	.message	 = vio_message,
	.iterate_devices = vio_iterate_devices,
	.io_hints	 = vio_io_hints,
};

static int __init dm_vio_init(void)
{
	return dm_register_target(&vio_target);
}

static void __exit dm_vio_exit(void)
{
	dm_unregister_target(&vio_target);
	/*
	 * A removed volume's classes and tenants are freed by RCU callbacks
	 * of this module: their percpu_ref release (vio_*_release(), itself
	 * called from the RCU callback that percpu_ref_kill() queues) queues
	 * vio_*_free_rcu(). Wait for both generations before the module's
	 * code goes.
	 */
	rcu_barrier();
	rcu_barrier();
}

module_init(dm_vio_init);
module_exit(dm_vio_exit);

MODULE_DESCRIPTION(DM_NAME " tenant-aware volumes over several storage arrays");
MODULE_AUTHOR("The dm-vio authors");
MODULE_LICENSE("GPL");
