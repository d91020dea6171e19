/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vio: tenants, classes and rules of a volume, and the QoS state that
 * schedules them.
 *
 * A policy belongs to the mapped device, not to a table: every table that
 * is loaded into the device shares it, so classes, rules, tenants and their
 * counters survive a table reload. It is created by the first table of a
 * device and freed with the last one (when the device is removed).
 *
 *   tenant  who issued a bio: a cgroup (id, path) and the VM derived from
 *           its path; or the volume's static tag. Found per bio by cgroup
 *           id in an RCU hash table, created on first sight.
 *   class   a QoS contract (qos.h) for all its tenants together, and the
 *           fair queue of its backlogged tenants; "default" always exists
 *           and serves unmatched tenants.
 *   rule    <vm=glob|cgroup=glob> -> class; the first matching rule in
 *           list order decides a tenant's class.
 *
 * Locking:
 *   policy->lock (mutex)   configuration: messages, classification walks.
 *   policy->sched_lock     the scheduler trees; taken per bio only when the
 *                          bio has to wait, and by the dispatcher.
 *   class->lock            a class's QoS state while it has nothing queued
 *                          (the fast path), and its tenants' queues.
 *                          Nests inside sched_lock, which is also held
 *                          whenever a tenant's queue changes.
 *   RCU                    the tenant table, tenant->cls, the rule list.
 * Lifetimes: bios in flight hold percpu references on their tenant and
 * class; a deleted class or an expired tenant is freed when the last one
 * completes. The root and static tenants and the default class are never
 * freed while the device (table) can have I/O, and are not referenced.
 */
#ifndef DM_VIO_POLICY_H
#define DM_VIO_POLICY_H

#include <linux/bio.h>
#include <linux/blk-cgroup.h>
#include <linux/device-mapper.h>
#include <linux/hrtimer.h>
#include <linux/log2.h>
#include <linux/mutex.h>
#include <linux/percpu-refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "qos.h"
#include "tag.h"

#define VIO_CLASS_NAME_LEN	(DM_VIO_CLASS_NAME_MAX + 1)	/* with the NUL */
#define VIO_MAX_CLASSES		DM_VIO_MAX_CLASSES
#define VIO_MAX_RULES		DM_VIO_MAX_RULES
#define VIO_MAX_TENANTS		4096
#define VIO_DEPTH_DEFAULT	32
#define VIO_DEPTH_MAX		DM_VIO_DEPTH_MAX
#define VIO_DEFAULT_CLASS	"default"

/*
 * Latency histogram: bucket i counts [2^i, 2^(i+1)) units of 1.024 us
 * (2^10 ns); bucket 0 also shorter ones, the last all longer ones.
 */
#define VIO_LAT_BUCKETS		22

/* Per-class and per-tenant counters, one copy per CPU. */
struct vio_qstats {
	u64 reads;
	u64 writes;
	u64 read_bytes;
	u64 write_bytes;
	u64 throttled;		/* bios that waited in a queue */
	u64 throttled_ns;	/* total time they waited */
	u64 completed;		/* not counted: vio_qstats_read() sums lat_hist */
	u64 lat_ns;		/* total arrival-to-completion time */
	u64 lat_hist[VIO_LAT_BUCKETS];
	u64 lat_missed;		/* completions later than the latency target */
	u64 res_met;		/* dispatches on the reservation schedule */
	u64 res_missed;		/* dispatches behind it */
};

struct vio_policy;

struct vio_class {
	char name[VIO_CLASS_NAME_LEN];
	struct vio_policy *pol;
	struct percpu_ref ref;		/* one per bio in flight, one for the list */
	spinlock_t lock;
	unsigned int nr_queued;		/* bios in its tenants' queues */
	bool active;			/* in the scheduler (has a queue) */
	u64 idle_since;			/* when the queue last ran empty, ns */
	struct vio_qclass qc;
	struct vio_qstats __percpu *stats;
	struct kobject *kobj;		/* vio/classes/<name>; policy->lock */
	struct rcu_head rcu;
};

struct vio_tenant {
	struct rhash_head node;
	u64 id;				/* cgroup id; 0 for the root tenant */
	struct percpu_ref ref;		/* one per bio in flight, one for the table */
	struct vio_policy *pol;
	struct vio_class __rcu *cls;
	unsigned int gen;		/* policy->gen it was classified at */
	unsigned long last_used;	/* jiffies */
	struct vio_qstats __percpu *stats;

	/*
	 * Deferred bios, FIFO, in the queue of class qcls while nr_queued;
	 * policy->sched_lock and qcls->lock. While the tenant has bios
	 * queued, its new bios join them there, whatever class it is in now.
	 */
	struct bio_list queue;
	unsigned int nr_queued;
	struct vio_class *qcls;
	struct vio_qtenant qt;

	struct kobject *kobj;		/* vio/tenants/<id>; policy->lock */
	struct list_head dir_node;	/* in policy->tenant_dirs */
	bool kobj_tried;		/* policy->lock */
	bool gone;			/* expired; policy->lock */
	struct rcu_head rcu;
	char vm[VIO_VM_NAME_LEN];	/* "" when not in a machine scope */
	char path[];			/* cgroup path, or the static tag */
};

struct vio_rule {
	struct vio_match_spec match;
	struct vio_class *cls;
};

/* An immutable rule list, replaced as a whole under policy->lock. */
struct vio_rules {
	struct rcu_head rcu;
	unsigned int nr;
	struct vio_rule rule[] __counted_by(nr);
};

struct vio_mirror_carry;

struct vio_policy {
	struct list_head node;		/* in the registry, by md */
	struct mapped_device *md;
	unsigned int users;		/* tables of md; registry lock */
	char name[16];			/* dm-N, for log lines */
	dev_t devt;			/* for trace events */

	struct mutex lock;		/* configuration, see above */
	struct vio_class *classes[VIO_MAX_CLASSES];	/* [0] is "default" */
	struct vio_rules __rcu *rules;
	unsigned int gen;		/* bumped by every rule or class change */
	u64 cap_iops;			/* declared capacity, 0: not declared */
	u64 cap_bps;
	unsigned int depth;		/* I/Os in flight when QoS is on */
	bool qos_on;			/* any class or rule beyond the defaults */
	struct kobject *classes_kobj;	/* vio/classes of the live table */
	struct kobject *tenants_kobj;	/* vio/tenants of the live table */
	struct list_head tenant_dirs;	/* tenants with a directory */
	struct work_struct sysfs_work;	/* makes new tenants' directories */

	struct rhashtable tenants;
	atomic_t nr_tenants;
	struct vio_tenant *root;	/* root cgroup, no cgroup, table full */
	struct delayed_work expire;	/* drops tenants idle for long */

	spinlock_t sched_lock;		/* the scheduler trees, see above */
	struct vio_sched sched;
	atomic_t inflight;		/* dispatched under QoS, not completed */
	atomic_t queued;		/* deferred, not yet dispatched */
	bool starved;			/* bios wait for depth, not for limits */
	bool draining;			/* suspending: release everything now */
	struct workqueue_struct *wq;
	struct work_struct dispatch;
	struct hrtimer timer;

	/*
	 * The mirror leg states and dirty regions the last table to suspend
	 * left for the next one to resume (mirror.c); under lock.
	 */
	struct vio_mirror_carry *carry;
};

/* Per-bio QoS state, part of struct vio_io. */
struct vio_qio {
	struct vio_tenant *tenant;
	struct vio_class *cls;
	u64 arrival_ns;
	struct vio_req req;
	bool counted;			/* holds a slot of policy->depth */
};

/* The volume's QoS at a glance: the "qos" line of stats, vio/qos/. */
struct vio_qos_summary {
	u64 cap_iops;
	u64 cap_bps;
	u64 res_iops;			/* sum of the classes' reservations */
	u64 res_bps;
	unsigned int depth;
	int inflight;
	int queued;
	unsigned int classes;
	unsigned int rules;
	int tenants;
	bool on;
};

struct dm_target;
struct vio_c;

struct vio_policy *vio_policy_get(struct dm_target *ti, struct vio_err *err);
void vio_policy_put(struct vio_policy *pol);
void vio_policy_summary(struct vio_policy *pol, struct vio_qos_summary *s);
void vio_policy_stats(struct vio_policy *pol, struct vio_c *vc, char *result,
		      unsigned int maxlen, unsigned int *psz);
int vio_policy_message(struct vio_policy *pol, struct vio_c *vc,
		       unsigned int argc, char **argv, char *result,
		       unsigned int maxlen, struct vio_err *err);
void vio_policy_status(struct vio_policy *pol, char *result,
		       unsigned int maxlen, unsigned int *sz);

struct vio_tenant *vio_tenant_lookup(struct vio_policy *pol,
				     struct cgroup_subsys_state *css);
void vio_tenant_classify(struct vio_policy *pol, struct vio_tenant *t);
struct vio_tenant *vio_tenant_static(struct vio_policy *pol, const char *tag);
void vio_tenant_put_static(struct vio_tenant *t);

/**
 * vio_tenant_of_bio - who issued a bio
 * @pol: the volume's policy
 * @bio: the bio
 *
 * Called under rcu_read_lock() from the map path, after the bio has been
 * remapped. The bio's cgroup (the one the io controller charges) decides;
 * bios without one or from the root cgroup go to the root tenant without
 * a lookup. Does not take a reference.
 */
static inline struct vio_tenant *vio_tenant_of_bio(struct vio_policy *pol,
						   struct bio *bio)
{
#ifdef CONFIG_BLK_CGROUP
	/*
	 * bio_associate_blkg() gives a bio of the root cgroup its queue's
	 * root blkg: tell those apart without calling out for the css.
	 */
	if (bio->bi_blkg &&
	    bio->bi_blkg != bdev_get_queue(bio->bi_bdev)->root_blkg)
		return vio_tenant_lookup(pol, bio_blkcg_css(bio));
#endif
	return pol->root;
}

/**
 * vio_tenant_class - the class a tenant's bios go to now
 * @pol: the volume's policy
 * @t: the tenant
 *
 * Under rcu_read_lock(). A tenant classified before the last rule or class
 * change is classified again first, so it never uses a deleted class.
 */
static inline struct vio_class *vio_tenant_class(struct vio_policy *pol,
						 struct vio_tenant *t)
{
	/* Acquire: the rules this generation announces are visible. */
	if (unlikely(READ_ONCE(t->gen) != smp_load_acquire(&pol->gen)))
		vio_tenant_classify(pol, t);
	return rcu_dereference(t->cls);
}

void vio_sysfs_class_add(struct vio_policy *pol, struct vio_class *c);
void vio_sysfs_class_remove(struct vio_policy *pol, struct vio_class *c);
void vio_sysfs_tenants_sync(struct vio_policy *pol);
void vio_sysfs_tenant_remove(struct vio_policy *pol, struct vio_tenant *t);
void vio_qstats_read(struct vio_qstats __percpu *pcpu, struct vio_qstats *sum);

int vio_qos_queue(struct vio_policy *pol, struct vio_tenant *t,
		  struct bio *bio, struct vio_qio *qio);

static inline enum vio_dir vio_bio_dir(struct bio *bio)
{
	if (unlikely(op_is_discard(bio_op(bio)) ||
		     bio_op(bio) == REQ_OP_WRITE_ZEROES))
		/* Cloned once per array: charge the first clone only. */
		return dm_bio_get_target_bio_nr(bio) ? VIO_DIR_NONE : VIO_DIR_WRITE;
	if (unlikely(!bio_sectors(bio)))
		return VIO_DIR_NONE;		/* empty flush */
	return op_is_write(bio_op(bio)) ? VIO_DIR_WRITE : VIO_DIR_READ;
}

static inline void vio_stats_add(struct vio_qstats __percpu *s,
				 const struct vio_req *rq)
{
	if (rq->dir == VIO_DIR_READ) {
		this_cpu_inc(s->reads);
		this_cpu_add(s->read_bytes, rq->bytes);
	} else if (rq->dir == VIO_DIR_WRITE) {
		this_cpu_inc(s->writes);
		this_cpu_add(s->write_bytes, rq->bytes);
	}
}

/**
 * vio_qos_map - attribute a remapped bio to its tenant and class
 * @pol: the volume's policy
 * @t: the bio's tenant (vio_tenant_of_bio() or the static tag)
 * @bio: the bio, already remapped to its array
 * @qio: the bio's per-bio QoS state
 *
 * Called under rcu_read_lock(). Inline, as every bio of every volume
 * passes here: with QoS off (no class with a contract) it only counts.
 * Return: DM_MAPIO_REMAPPED if the bio may go now, DM_MAPIO_SUBMITTED if
 * it was queued.
 */
static inline int vio_qos_map(struct vio_policy *pol, struct vio_tenant *t,
			      struct bio *bio, struct vio_qio *qio)
{
	struct vio_class *c = vio_tenant_class(pol, t);

	/*
	 * The root and static tenants and the default class live as long as
	 * the device (or table) and need no reference per bio.
	 */
	if (t->id)
		percpu_ref_get(&t->ref);
	if (c != pol->classes[0])
		percpu_ref_get(&c->ref);
	qio->tenant = t;
	qio->cls = c;
	qio->arrival_ns = ktime_get_ns();
	qio->req.dir = vio_bio_dir(bio);
	qio->req.bytes = qio->req.dir == VIO_DIR_NONE ? 0 : bio->bi_iter.bi_size;
	qio->counted = false;
	vio_stats_add(t->stats, &qio->req);

	if (likely(!READ_ONCE(pol->qos_on)) || READ_ONCE(pol->draining)) {
		vio_stats_add(c->stats, &qio->req);
		return DM_MAPIO_REMAPPED;
	}
	return vio_qos_queue(pol, t, bio, qio);
}

/**
 * vio_qos_end_io - account a completed bio and free its slot
 * @pol: the volume's policy
 * @bio: the bio
 * @qio: its QoS state, set by vio_qos_map()
 *
 * Any context; does not sleep. Inline, as every completion passes here.
 */
static inline void vio_qos_end_io(struct vio_policy *pol, struct bio *bio,
				  struct vio_qio *qio)
{
	struct vio_class *c = qio->cls;
	struct vio_tenant *t = qio->tenant;
	u64 lat = ktime_get_ns() - qio->arrival_ns;
	/* Buckets of 2^10 ns "microseconds": a shift, not a division. */
	u64 us = lat >> 10;
	unsigned int b = us ? min_t(unsigned int, ilog2(us), VIO_LAT_BUCKETS - 1) : 0;
	u64 target = READ_ONCE(c->qc.p.lat_target_us);

	this_cpu_add(c->stats->lat_ns, lat);
	this_cpu_inc(c->stats->lat_hist[b]);
	this_cpu_add(t->stats->lat_ns, lat);
	this_cpu_inc(t->stats->lat_hist[b]);
	if (unlikely(target) && lat > target * NSEC_PER_USEC) {
		this_cpu_inc(c->stats->lat_missed);
		this_cpu_inc(t->stats->lat_missed);
	}

	if (qio->counted) {
		atomic_dec(&pol->inflight);
		if (atomic_read(&pol->queued))
			queue_work(pol->wq, &pol->dispatch);
	}
	if (c != pol->classes[0])
		percpu_ref_put(&c->ref);
	if (t->id)
		percpu_ref_put(&t->ref);
}

void vio_qos_drain(struct vio_policy *pol);
void vio_qos_undrain(struct vio_policy *pol);
int vio_qos_init(struct vio_policy *pol);
void vio_qos_exit(struct vio_policy *pol);

#endif /* DM_VIO_POLICY_H */
