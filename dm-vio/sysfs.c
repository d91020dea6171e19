// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vio: the per-volume sysfs tree, one value per file.
 *
 *   /sys/block/dm-N/vio/layout
 *                       chunk_sectors
 *                       nr_arrays
 *                       selector, region_sectors, regions, fallbacks
 *                                  (mirror only)
 *                       arrays/<i>/device, name, offset, sectors, state,
 *                                  reads, writes, read_sectors,
 *                                  write_sectors, discards, flushes, errors;
 *                                  mirror only: inflight, service_us,
 *                                  weight, in_sync_regions
 *                       fabric/state, mode
 *                       fabric/links/up|<i>/params, model_bps, requests,
 *                                  payload_bytes, wire_bytes, tlps,
 *                                  credit_stalls, busy_down_us, busy_up_us,
 *                                  queue_us, inflight, max_inflight,
 *                                  waiting
 *                       qos/state, capacity_iops, capacity_bps,
 *                                  reserved_iops, reserved_bps, depth,
 *                                  inflight, queued, classes, rules,
 *                                  tenants
 *                       classes/<name>/params, queued, reads, writes,
 *                                  read_bytes, write_bytes, throttled,
 *                                  throttled_us, completed, lat_avg_us,
 *                                  lat_missed, res_met, res_missed, lat_hist
 *                       tenants/<cgroup id>|root/path (root only), vm,
 *                                  class, queued and the counters above
 *
 * Class directories follow the policy: they are added and removed by the
 * class create/delete messages while the tree is live, under the policy
 * lock, which also covers building and tearing down the tree.
 * Documented in Documentation/ABI/testing/sysfs-block-dm-vio. The status
 * line is the authoritative source; these files mirror it for people and
 * scripts. All files are read-only.
 *
 * Lifetime: each directory is a dynamically allocated kobject that points
 * back at the volume. kobject_del() drains running show() calls (kernfs
 * waits for active references), so once unregister returns no callback can
 * reach the volume, and the kobjects' memory goes with their last reference.
 */
#include <linux/kobject.h>
#include <linux/math64.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "compat.h"
#include "vio.h"

struct vio_kobj {
	struct kobject kobj;
	struct vio_c *vc;
	unsigned int array;
};

static struct vio_kobj *to_vio_kobj(struct kobject *kobj)
{
	return container_of(kobj, struct vio_kobj, kobj);
}

static void vio_kobj_release(struct kobject *kobj)
{
	kfree(to_vio_kobj(kobj));
}

/* vio/ */

static ssize_t layout_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  vio_layout_name(to_vio_kobj(kobj)->vc->geom.layout));
}

static ssize_t chunk_sectors_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", (unsigned long long)
			  vio_geom_chunk_sectors(&to_vio_kobj(kobj)->vc->geom));
}

static ssize_t nr_arrays_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%u\n", to_vio_kobj(kobj)->vc->nr_arrays);
}

static struct kobj_attribute vio_attr_layout = __ATTR_RO(layout);
static struct kobj_attribute vio_attr_chunk_sectors = __ATTR_RO(chunk_sectors);
static struct kobj_attribute vio_attr_nr_arrays = __ATTR_RO(nr_arrays);

static struct attribute *vio_volume_attrs[] = {
	&vio_attr_layout.attr,
	&vio_attr_chunk_sectors.attr,
	&vio_attr_nr_arrays.attr,
	NULL,
};

static const struct attribute_group vio_volume_group = {
	.attrs = vio_volume_attrs,
};

/* vio/ of a mirror */

static struct vio_mirror *to_mirror(struct kobject *kobj)
{
	return to_vio_kobj(kobj)->vc->mirror;
}

static ssize_t selector_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  vio_selectors[READ_ONCE(to_mirror(kobj)->selector)].name);
}

static ssize_t region_sectors_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", 1U << to_mirror(kobj)->region_shift);
}

static ssize_t regions_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%lu\n", to_mirror(kobj)->nr_regions);
}

static ssize_t fallbacks_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%llu\n", (unsigned long long)
			  atomic64_read(&to_mirror(kobj)->fallbacks));
}

static struct kobj_attribute vio_attr_selector = __ATTR_RO(selector);
static struct kobj_attribute vio_attr_region_sectors = __ATTR_RO(region_sectors);
static struct kobj_attribute vio_attr_regions = __ATTR_RO(regions);
static struct kobj_attribute vio_attr_fallbacks = __ATTR_RO(fallbacks);

static struct attribute *vio_volume_mirror_attrs[] = {
	&vio_attr_selector.attr,
	&vio_attr_region_sectors.attr,
	&vio_attr_regions.attr,
	&vio_attr_fallbacks.attr,
	NULL,
};

/* Files that only a mirror has. */
static umode_t vio_mirror_visible(struct kobject *kobj, struct attribute *attr,
				  int n)
{
	return to_vio_kobj(kobj)->vc->mirror ? attr->mode : 0;
}

static const struct attribute_group vio_volume_mirror_group = {
	.attrs = vio_volume_mirror_attrs,
	.is_visible = vio_mirror_visible,
};

static const struct attribute_group *vio_volume_groups[] = {
	&vio_volume_group,
	&vio_volume_mirror_group,
	NULL,
};

static const struct kobj_type vio_volume_ktype = {
	.release	= vio_kobj_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= vio_volume_groups,
};

/* vio/arrays/<i>/ */

static struct vio_array *to_array(struct kobject *kobj)
{
	struct vio_kobj *vk = to_vio_kobj(kobj);

	return &vk->vc->arrays[vk->array];
}

static ssize_t device_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n", to_array(kobj)->dev->name);
}

static ssize_t name_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%pg\n", to_array(kobj)->dev->bdev);
}

static ssize_t offset_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  (unsigned long long)to_array(kobj)->offset);
}

static ssize_t sectors_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct vio_kobj *vk = to_vio_kobj(kobj);

	return sysfs_emit(buf, "%llu\n",
			  (unsigned long long)vk->vc->geom.array_len[vk->array]);
}

static ssize_t state_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct vio_kobj *vk = to_vio_kobj(kobj);

	switch (vio_leg_state(vk->vc, vk->array)) {
	case DM_VIO_ARRAY_RECOVERING:
		return sysfs_emit(buf, "recovering\n");
	case DM_VIO_ARRAY_FAILED:
		return sysfs_emit(buf, "failed\n");
	default:
		return sysfs_emit(buf, "alive\n");
	}
}

static ssize_t inflight_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&to_array(kobj)->leg.inflight));
}

static ssize_t service_us_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", vio_leg_service_us(&to_array(kobj)->leg));
}

static ssize_t weight_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_array(kobj)->leg.weight));
}

static ssize_t in_sync_regions_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	struct vio_kobj *vk = to_vio_kobj(kobj);

	return sysfs_emit(buf, "%lu\n", vk->vc->mirror->nr_regions -
			  atomic_long_read(&to_array(kobj)->leg.nr_dirty));
}

/* One attribute per counter, all sharing one show() that reads its index. */
struct vio_counter_attr {
	struct kobj_attribute attr;
	enum dm_vio_array_counter counter;
};

static ssize_t counter_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct vio_counter_attr *ca =
		container_of(attr, struct vio_counter_attr, attr);
	u64 ctr[DM_VIO_NR_ARRAY_COUNTERS];

	vio_array_read_stats(to_array(kobj), ctr);
	return sysfs_emit(buf, "%llu\n", ctr[ca->counter]);
}

#define VIO_COUNTER_ATTR(_name, _counter)				\
	static struct vio_counter_attr vio_attr_##_name = {		\
		.attr = __ATTR(_name, 0444, counter_show, NULL),	\
		.counter = _counter,					\
	}

VIO_COUNTER_ATTR(reads, DM_VIO_CTR_READS);
VIO_COUNTER_ATTR(writes, DM_VIO_CTR_WRITES);
VIO_COUNTER_ATTR(read_sectors, DM_VIO_CTR_READ_SECTORS);
VIO_COUNTER_ATTR(write_sectors, DM_VIO_CTR_WRITE_SECTORS);
VIO_COUNTER_ATTR(discards, DM_VIO_CTR_DISCARDS);
VIO_COUNTER_ATTR(flushes, DM_VIO_CTR_FLUSHES);
VIO_COUNTER_ATTR(errors, DM_VIO_CTR_ERRORS);

static struct kobj_attribute vio_attr_device = __ATTR_RO(device);
static struct kobj_attribute vio_attr_name = __ATTR_RO(name);
static struct kobj_attribute vio_attr_offset = __ATTR_RO(offset);
static struct kobj_attribute vio_attr_sectors = __ATTR_RO(sectors);
static struct kobj_attribute vio_attr_state = __ATTR_RO(state);

static struct attribute *vio_array_attrs[] = {
	&vio_attr_device.attr,
	&vio_attr_name.attr,
	&vio_attr_offset.attr,
	&vio_attr_sectors.attr,
	&vio_attr_state.attr,
	&vio_attr_reads.attr.attr,
	&vio_attr_writes.attr.attr,
	&vio_attr_read_sectors.attr.attr,
	&vio_attr_write_sectors.attr.attr,
	&vio_attr_discards.attr.attr,
	&vio_attr_flushes.attr.attr,
	&vio_attr_errors.attr.attr,
	NULL,
};

static const struct attribute_group vio_array_group = {
	.attrs = vio_array_attrs,
};

static struct kobj_attribute vio_attr_inflight = __ATTR_RO(inflight);
static struct kobj_attribute vio_attr_service_us = __ATTR_RO(service_us);
static struct kobj_attribute vio_attr_weight = __ATTR_RO(weight);
static struct kobj_attribute vio_attr_in_sync_regions = __ATTR_RO(in_sync_regions);

static struct attribute *vio_array_mirror_attrs[] = {
	&vio_attr_inflight.attr,
	&vio_attr_service_us.attr,
	&vio_attr_weight.attr,
	&vio_attr_in_sync_regions.attr,
	NULL,
};

static const struct attribute_group vio_array_mirror_group = {
	.attrs = vio_array_mirror_attrs,
	.is_visible = vio_mirror_visible,
};

static const struct attribute_group *vio_array_groups[] = {
	&vio_array_group,
	&vio_array_mirror_group,
	NULL,
};

static const struct kobj_type vio_array_ktype = {
	.release	= vio_kobj_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= vio_array_groups,
};

static void vio_kobj_remove(struct kobject **kobj);

/* vio/qos/: the "qos" line of stats, one value per file */

enum vio_qos_field {
	VIO_QF_CAP_IOPS, VIO_QF_CAP_BPS, VIO_QF_RES_IOPS, VIO_QF_RES_BPS,
	VIO_QF_DEPTH, VIO_QF_INFLIGHT, VIO_QF_QUEUED, VIO_QF_CLASSES,
	VIO_QF_RULES, VIO_QF_TENANTS,
};

struct vio_qos_attr {
	struct kobj_attribute attr;
	enum vio_qos_field field;
};

/*
 * Takes the policy lock: this directory is removed outside it
 * (vio_sysfs_unregister()), so that cannot wait on us while we wait on it.
 */
static void vio_qos_summary_of(struct kobject *kobj, struct vio_qos_summary *s)
{
	struct vio_policy *pol = to_vio_kobj(kobj)->vc->pol;

	mutex_lock(&pol->lock);
	vio_policy_summary(pol, s);
	mutex_unlock(&pol->lock);
}

static ssize_t qos_state_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	struct vio_qos_summary s;

	vio_qos_summary_of(kobj, &s);
	return sysfs_emit(buf, "%s\n", s.on ? "on" : "off");
}

static ssize_t qos_field_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	enum vio_qos_field f = container_of(attr, struct vio_qos_attr, attr)->field;
	struct vio_qos_summary s;
	long long v;

	vio_qos_summary_of(kobj, &s);
	switch (f) {
	case VIO_QF_CAP_IOPS:
		v = s.cap_iops;
		break;
	case VIO_QF_CAP_BPS:
		v = s.cap_bps;
		break;
	case VIO_QF_RES_IOPS:
		v = s.res_iops;
		break;
	case VIO_QF_RES_BPS:
		v = s.res_bps;
		break;
	case VIO_QF_DEPTH:
		v = s.depth;
		break;
	case VIO_QF_INFLIGHT:
		v = s.inflight;
		break;
	case VIO_QF_QUEUED:
		v = s.queued;
		break;
	case VIO_QF_CLASSES:
		v = s.classes;
		break;
	case VIO_QF_RULES:
		v = s.rules;
		break;
	default:
		v = s.tenants;
		break;
	}
	return sysfs_emit(buf, "%lld\n", v);
}

#define VIO_QOS_ATTR(_name, _field)					\
	static struct vio_qos_attr vio_attr_qos_##_name = {		\
		.attr = __ATTR(_name, 0444, qos_field_show, NULL),	\
		.field = _field,					\
	}

VIO_QOS_ATTR(capacity_iops, VIO_QF_CAP_IOPS);
VIO_QOS_ATTR(capacity_bps, VIO_QF_CAP_BPS);
VIO_QOS_ATTR(reserved_iops, VIO_QF_RES_IOPS);
VIO_QOS_ATTR(reserved_bps, VIO_QF_RES_BPS);
VIO_QOS_ATTR(depth, VIO_QF_DEPTH);
VIO_QOS_ATTR(inflight, VIO_QF_INFLIGHT);
VIO_QOS_ATTR(queued, VIO_QF_QUEUED);
VIO_QOS_ATTR(classes, VIO_QF_CLASSES);
VIO_QOS_ATTR(rules, VIO_QF_RULES);
VIO_QOS_ATTR(tenants, VIO_QF_TENANTS);

static struct kobj_attribute vio_attr_qos_state =
	__ATTR(state, 0444, qos_state_show, NULL);

static struct attribute *vio_qos_attrs[] = {
	&vio_attr_qos_state.attr,
	&vio_attr_qos_capacity_iops.attr.attr,
	&vio_attr_qos_capacity_bps.attr.attr,
	&vio_attr_qos_reserved_iops.attr.attr,
	&vio_attr_qos_reserved_bps.attr.attr,
	&vio_attr_qos_depth.attr.attr,
	&vio_attr_qos_inflight.attr.attr,
	&vio_attr_qos_queued.attr.attr,
	&vio_attr_qos_classes.attr.attr,
	&vio_attr_qos_rules.attr.attr,
	&vio_attr_qos_tenants.attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vio_qos);

static const struct kobj_type vio_qos_ktype = {
	.release	= vio_kobj_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= vio_qos_groups,
};

/* vio/classes/<name>/ */

/* A class's or a tenant's directory: both show struct vio_qstats. */
struct vio_qs_kobj {
	struct kobject kobj;
	struct vio_qstats __percpu *stats;
	struct vio_class *c;		/* class directories */
	struct vio_tenant *t;		/* tenant directories */
};

static struct vio_qs_kobj *to_qs(struct kobject *kobj)
{
	return container_of(kobj, struct vio_qs_kobj, kobj);
}

static struct vio_class *to_class(struct kobject *kobj)
{
	return to_qs(kobj)->c;
}

static void vio_qs_kobj_release(struct kobject *kobj)
{
	kfree(to_qs(kobj));
}

static ssize_t params_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	int n = vio_qos_format(&to_class(kobj)->qc.p, buf, PAGE_SIZE - 1);

	return n + sysfs_emit_at(buf, n, "\n");
}

static ssize_t queued_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_class(kobj)->nr_queued));
}

static ssize_t lat_hist_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	struct vio_qstats s;
	unsigned int k;
	int n = 0;

	vio_qstats_read(to_qs(kobj)->stats, &s);
	for (k = 0; k < VIO_LAT_BUCKETS; k++)
		n += sysfs_emit_at(buf, n, "%s%llu", k ? " " : "", s.lat_hist[k]);
	return n + sysfs_emit_at(buf, n, "\n");
}

/* Class counters: each attribute knows its field and how to scale it. */
struct vio_qstat_attr {
	struct kobj_attribute attr;
	size_t offset;		/* of the u64 in struct vio_qstats */
	int kind;		/* 0: as is, 1: ns as us, 2: average latency in us */
};

static ssize_t qstat_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct vio_qstat_attr *qa = container_of(attr, struct vio_qstat_attr, attr);
	struct vio_qstats s;
	u64 v;

	vio_qstats_read(to_qs(kobj)->stats, &s);
	v = *(u64 *)((char *)&s + qa->offset);
	if (qa->kind == 1)
		v = div_u64(v, NSEC_PER_USEC);
	else if (qa->kind == 2)
		v = s.completed ? div64_u64(s.lat_ns, s.completed * NSEC_PER_USEC) : 0;
	return sysfs_emit(buf, "%llu\n", v);
}

#define VIO_QSTAT_ATTR(_name, _field, _kind)				\
	static struct vio_qstat_attr vio_qattr_##_name = {		\
		.attr = __ATTR(_name, 0444, qstat_show, NULL),		\
		.offset = offsetof(struct vio_qstats, _field),		\
		.kind = _kind,						\
	}

VIO_QSTAT_ATTR(reads, reads, 0);
VIO_QSTAT_ATTR(writes, writes, 0);
VIO_QSTAT_ATTR(read_bytes, read_bytes, 0);
VIO_QSTAT_ATTR(write_bytes, write_bytes, 0);
VIO_QSTAT_ATTR(throttled, throttled, 0);
VIO_QSTAT_ATTR(throttled_us, throttled_ns, 1);
VIO_QSTAT_ATTR(completed, completed, 0);
VIO_QSTAT_ATTR(lat_avg_us, lat_ns, 2);
VIO_QSTAT_ATTR(lat_missed, lat_missed, 0);
VIO_QSTAT_ATTR(res_met, res_met, 0);
VIO_QSTAT_ATTR(res_missed, res_missed, 0);

static struct kobj_attribute vio_attr_params = __ATTR_RO(params);
static struct kobj_attribute vio_attr_queued = __ATTR_RO(queued);
static struct kobj_attribute vio_attr_lat_hist = __ATTR_RO(lat_hist);

static struct attribute *vio_class_attrs[] = {
	&vio_attr_params.attr,
	&vio_attr_queued.attr,
	&vio_qattr_reads.attr.attr,
	&vio_qattr_writes.attr.attr,
	&vio_qattr_read_bytes.attr.attr,
	&vio_qattr_write_bytes.attr.attr,
	&vio_qattr_throttled.attr.attr,
	&vio_qattr_throttled_us.attr.attr,
	&vio_qattr_completed.attr.attr,
	&vio_qattr_lat_avg_us.attr.attr,
	&vio_qattr_lat_missed.attr.attr,
	&vio_qattr_res_met.attr.attr,
	&vio_qattr_res_missed.attr.attr,
	&vio_attr_lat_hist.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vio_class);

static const struct kobj_type vio_class_ktype = {
	.release	= vio_qs_kobj_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= vio_class_groups,
};

/**
 * vio_sysfs_class_add() - a directory for a class, if the tree is live
 * @pol: the class's policy, locked
 * @c: the class
 *
 * Failure only costs the directory; the class works without it.
 */
void vio_sysfs_class_add(struct vio_policy *pol, struct vio_class *c)
{
	struct vio_qs_kobj *qk;

	lockdep_assert_held(&pol->lock);
	if (!pol->classes_kobj || c->kobj)
		return;
	qk = kzalloc(sizeof(*qk), GFP_KERNEL);
	if (!qk)
		return;
	qk->c = c;
	qk->stats = c->stats;
	if (kobject_init_and_add(&qk->kobj, &vio_class_ktype, pol->classes_kobj,
				 "%s", c->name)) {
		kobject_put(&qk->kobj);
		return;
	}
	c->kobj = &qk->kobj;
}

void vio_sysfs_class_remove(struct vio_policy *pol, struct vio_class *c)
{
	lockdep_assert_held(&pol->lock);
	vio_kobj_remove(&c->kobj);
}

/* vio/tenants/<id>/ (the root tenant: vio/tenants/root/) */

static struct vio_tenant *to_tenant(struct kobject *kobj)
{
	return to_qs(kobj)->t;
}

/* Root only: a tenant's path names other tenants' cgroups. */
static ssize_t path_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	/* Escaped as in status lines; 4 bytes per byte fit in a page. */
	size_t len = vio_escape_path(to_tenant(kobj)->path, buf, PAGE_SIZE - 1);

	buf[len++] = '\n';
	return len;
}

static ssize_t vm_show(struct kobject *kobj, struct kobj_attribute *attr,
		       char *buf)
{
	return sysfs_emit(buf, "%s\n", to_tenant(kobj)->vm);
}

static ssize_t class_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct vio_tenant *t = to_tenant(kobj);
	ssize_t n;

	rcu_read_lock();
	n = sysfs_emit(buf, "%s\n", vio_tenant_class(t->pol, t)->name);
	rcu_read_unlock();
	return n;
}

static ssize_t tenant_queued_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_tenant(kobj)->nr_queued));
}

static struct kobj_attribute vio_attr_path = __ATTR(path, 0400, path_show, NULL);
static struct kobj_attribute vio_attr_vm = __ATTR_RO(vm);
static struct kobj_attribute vio_attr_class = __ATTR_RO(class);
static struct kobj_attribute vio_attr_tenant_queued =
	__ATTR(queued, 0444, tenant_queued_show, NULL);

static struct attribute *vio_tenant_attrs[] = {
	&vio_attr_path.attr,
	&vio_attr_vm.attr,
	&vio_attr_class.attr,
	&vio_attr_tenant_queued.attr,
	&vio_qattr_reads.attr.attr,
	&vio_qattr_writes.attr.attr,
	&vio_qattr_read_bytes.attr.attr,
	&vio_qattr_write_bytes.attr.attr,
	&vio_qattr_throttled.attr.attr,
	&vio_qattr_throttled_us.attr.attr,
	&vio_qattr_completed.attr.attr,
	&vio_qattr_lat_avg_us.attr.attr,
	&vio_qattr_lat_missed.attr.attr,
	&vio_qattr_res_met.attr.attr,
	&vio_qattr_res_missed.attr.attr,
	&vio_attr_lat_hist.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vio_tenant);

static const struct kobj_type vio_tenant_ktype = {
	.release	= vio_qs_kobj_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= vio_tenant_groups,
};

static void vio_sysfs_tenant_add(struct vio_policy *pol, struct vio_tenant *t)
{
	struct vio_qs_kobj *qk;
	int r;

	t->kobj_tried = true;
	qk = kzalloc(sizeof(*qk), GFP_KERNEL);
	if (!qk)
		return;
	qk->t = t;
	qk->stats = t->stats;
	if (t == pol->root)
		r = kobject_init_and_add(&qk->kobj, &vio_tenant_ktype,
					 pol->tenants_kobj, "root");
	else
		r = kobject_init_and_add(&qk->kobj, &vio_tenant_ktype,
					 pol->tenants_kobj, "%llu", t->id);
	if (r) {
		kobject_put(&qk->kobj);
		return;
	}
	t->kobj = &qk->kobj;
	list_add(&t->dir_node, &pol->tenant_dirs);
}

/**
 * vio_sysfs_tenants_sync() - directories for tenants that have none yet
 * @pol: the policy, locked
 *
 * Tenants appear in the map path, where no directory can be made; a work
 * item calls this soon after. Expired tenants lose theirs in
 * vio_sysfs_tenant_remove().
 */
void vio_sysfs_tenants_sync(struct vio_policy *pol)
{
	struct vio_tenant *batch[16], *t;
	struct rhashtable_iter iter;
	unsigned int n, i;

	lockdep_assert_held(&pol->lock);
	if (!pol->tenants_kobj)
		return;
	if (!pol->root->kobj_tried)
		vio_sysfs_tenant_add(pol, pol->root);
	do {
		n = 0;
		rhashtable_walk_enter(&pol->tenants, &iter);
		rhashtable_walk_start(&iter);
		while (n < ARRAY_SIZE(batch) && (t = rhashtable_walk_next(&iter))) {
			if (IS_ERR(t) || t->kobj_tried || t->gone)
				continue;
			if (percpu_ref_tryget(&t->ref))
				batch[n++] = t;
		}
		rhashtable_walk_stop(&iter);
		rhashtable_walk_exit(&iter);
		for (i = 0; i < n; i++) {
			vio_sysfs_tenant_add(pol, batch[i]);
			percpu_ref_put(&batch[i]->ref);
		}
	} while (n == ARRAY_SIZE(batch));
}

void vio_sysfs_tenant_remove(struct vio_policy *pol, struct vio_tenant *t)
{
	lockdep_assert_held(&pol->lock);
	if (!t->kobj)
		return;
	list_del(&t->dir_node);
	vio_kobj_remove(&t->kobj);
	t->kobj_tried = false;
}

/* vio/fabric/ */

static ssize_t fabric_state_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  READ_ONCE(to_vio_kobj(kobj)->vc->fab->on) ? "on" : "off");
}

static ssize_t fabric_mode_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  READ_ONCE(to_vio_kobj(kobj)->vc->fab->host_mode) ?
			  "host" : "multicast");
}

static struct kobj_attribute vio_attr_fabric_state =
	__ATTR(state, 0444, fabric_state_show, NULL);
static struct kobj_attribute vio_attr_fabric_mode =
	__ATTR(mode, 0444, fabric_mode_show, NULL);

static struct attribute *vio_fabric_attrs[] = {
	&vio_attr_fabric_state.attr,
	&vio_attr_fabric_mode.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vio_fabric);

static const struct kobj_type vio_fabric_ktype = {
	.release	= vio_kobj_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= vio_fabric_groups,
};

/* vio/fabric/links/<name>/: vk->array is the port, nr_ports the upstream */

static struct vio_link *to_link(struct kobject *kobj)
{
	struct vio_kobj *vk = to_vio_kobj(kobj);
	struct vio_fabric *f = vk->vc->fab;

	return vk->array < f->nr_ports ? &f->ports[vk->array] : &f->up;
}

static ssize_t params_link_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	struct vio_kobj *vk = to_vio_kobj(kobj);
	struct vio_link_params p;
	char spec[96];

	vio_link_get(to_link(kobj), &p);
	vio_link_format(&p, vk->array < vk->vc->fab->nr_ports, spec,
			sizeof(spec));
	return sysfs_emit(buf, "%s\n", spec);
}

enum vio_link_field {
	VIO_LF_MODEL_BPS, VIO_LF_REQUESTS, VIO_LF_PAYLOAD, VIO_LF_WIRE,
	VIO_LF_TLPS, VIO_LF_STALLS, VIO_LF_BUSY_DOWN, VIO_LF_BUSY_UP,
	VIO_LF_QUEUE, VIO_LF_INFLIGHT, VIO_LF_MAX_INFLIGHT, VIO_LF_WAITING,
};

struct vio_link_attr {
	struct kobj_attribute attr;
	enum vio_link_field field;
};

static ssize_t link_field_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	enum vio_link_field f = container_of(attr, struct vio_link_attr, attr)->field;
	struct vio_link *l = to_link(kobj);
	struct vio_link_params p;
	struct vio_link_stats s;
	u64 v;

	vio_link_read_stats(l, &s);
	switch (f) {
	case VIO_LF_MODEL_BPS:
		vio_link_get(l, &p);
		v = vio_link_bytes_per_sec(&p);
		break;
	case VIO_LF_REQUESTS:
		v = s.requests;
		break;
	case VIO_LF_PAYLOAD:
		v = s.payload_bytes;
		break;
	case VIO_LF_WIRE:
		v = s.wire_bytes;
		break;
	case VIO_LF_TLPS:
		v = s.tlps;
		break;
	case VIO_LF_STALLS:
		v = s.credit_stalls;
		break;
	case VIO_LF_BUSY_DOWN:
		v = div_u64(s.busy_ns[VIO_LINK_DOWN], NSEC_PER_USEC);
		break;
	case VIO_LF_BUSY_UP:
		v = div_u64(s.busy_ns[VIO_LINK_UP], NSEC_PER_USEC);
		break;
	case VIO_LF_QUEUE:
		v = div_u64(s.queue_ns, NSEC_PER_USEC);
		break;
	case VIO_LF_INFLIGHT:
		v = atomic_read(&l->inflight);
		break;
	case VIO_LF_WAITING:
		v = READ_ONCE(l->nr_waiting);
		break;
	default:
		v = atomic_read(&l->max_inflight);
		break;
	}
	return sysfs_emit(buf, "%llu\n", v);
}

#define VIO_LINK_ATTR(_name, _field)					\
	static struct vio_link_attr vio_attr_link_##_name = {		\
		.attr = __ATTR(_name, 0444, link_field_show, NULL),	\
		.field = _field,					\
	}

VIO_LINK_ATTR(model_bps, VIO_LF_MODEL_BPS);
VIO_LINK_ATTR(requests, VIO_LF_REQUESTS);
VIO_LINK_ATTR(payload_bytes, VIO_LF_PAYLOAD);
VIO_LINK_ATTR(wire_bytes, VIO_LF_WIRE);
VIO_LINK_ATTR(tlps, VIO_LF_TLPS);
VIO_LINK_ATTR(credit_stalls, VIO_LF_STALLS);
VIO_LINK_ATTR(busy_down_us, VIO_LF_BUSY_DOWN);
VIO_LINK_ATTR(busy_up_us, VIO_LF_BUSY_UP);
VIO_LINK_ATTR(queue_us, VIO_LF_QUEUE);
VIO_LINK_ATTR(inflight, VIO_LF_INFLIGHT);
VIO_LINK_ATTR(max_inflight, VIO_LF_MAX_INFLIGHT);
VIO_LINK_ATTR(waiting, VIO_LF_WAITING);

static struct kobj_attribute vio_attr_link_params =
	__ATTR(params, 0444, params_link_show, NULL);

static struct attribute *vio_link_attrs[] = {
	&vio_attr_link_params.attr,
	&vio_attr_link_model_bps.attr.attr,
	&vio_attr_link_requests.attr.attr,
	&vio_attr_link_payload_bytes.attr.attr,
	&vio_attr_link_wire_bytes.attr.attr,
	&vio_attr_link_tlps.attr.attr,
	&vio_attr_link_credit_stalls.attr.attr,
	&vio_attr_link_busy_down_us.attr.attr,
	&vio_attr_link_busy_up_us.attr.attr,
	&vio_attr_link_queue_us.attr.attr,
	&vio_attr_link_inflight.attr.attr,
	&vio_attr_link_max_inflight.attr.attr,
	&vio_attr_link_waiting.attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vio_link);

static const struct kobj_type vio_link_ktype = {
	.release	= vio_kobj_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= vio_link_groups,
};

static struct kobject *vio_kobj_add(struct vio_c *vc, unsigned int array,
				    const struct kobj_type *ktype,
				    struct kobject *parent, const char *fmt,
				    unsigned int arg)
{
	struct vio_kobj *vk = kzalloc(sizeof(*vk), GFP_KERNEL);

	if (!vk)
		return NULL;
	vk->vc = vc;
	vk->array = array;
	if (kobject_init_and_add(&vk->kobj, ktype, parent, fmt, arg)) {
		kobject_put(&vk->kobj);
		return NULL;
	}
	return &vk->kobj;
}

/**
 * vio_sysfs_register() - create the volume's tree under its dm device
 * @vc: the volume, constructed and about to go live
 *
 * Return: 0 or -ENOMEM; on failure nothing is left behind.
 */
int vio_sysfs_register(struct vio_c *vc)
{
	struct gendisk *disk = dm_disk(dm_table_get_md(vc->ti->table));
	struct vio_fabric *f = vc->fab;
	unsigned int i;

	vc->kobj = vio_kobj_add(vc, 0, &vio_volume_ktype,
				&disk_to_dev(disk)->kobj, "vio", 0);
	if (!vc->kobj)
		goto fail;
	vc->arrays_kobj = kobject_create_and_add("arrays", vc->kobj);
	if (!vc->arrays_kobj)
		goto fail;
	for (i = 0; i < vc->nr_arrays; i++) {
		vc->arrays[i].kobj = vio_kobj_add(vc, i, &vio_array_ktype,
						  vc->arrays_kobj, "%u", i);
		if (!vc->arrays[i].kobj)
			goto fail;
	}

	vc->qos_kobj = vio_kobj_add(vc, 0, &vio_qos_ktype, vc->kobj, "qos", 0);
	if (!vc->qos_kobj)
		goto fail;
	f->kobj = vio_kobj_add(vc, 0, &vio_fabric_ktype, vc->kobj, "fabric", 0);
	if (!f->kobj)
		goto fail;
	f->links_kobj = kobject_create_and_add("links", f->kobj);
	if (!f->links_kobj)
		goto fail;
	f->up.kobj = vio_kobj_add(vc, f->nr_ports, &vio_link_ktype,
				  f->links_kobj, "up", 0);
	if (!f->up.kobj)
		goto fail;
	for (i = 0; i < f->nr_ports; i++) {
		f->ports[i].kobj = vio_kobj_add(vc, i, &vio_link_ktype,
						f->links_kobj, "%u", i);
		if (!f->ports[i].kobj)
			goto fail;
	}

	mutex_lock(&vc->pol->lock);
	vc->pol->classes_kobj = kobject_create_and_add("classes", vc->kobj);
	for (i = 0; vc->pol->classes_kobj && i < VIO_MAX_CLASSES; i++)
		if (vc->pol->classes[i])
			vio_sysfs_class_add(vc->pol, vc->pol->classes[i]);
	vc->pol->tenants_kobj = kobject_create_and_add("tenants", vc->kobj);
	vio_sysfs_tenants_sync(vc->pol);
	mutex_unlock(&vc->pol->lock);
	if (!vc->pol->classes_kobj || !vc->pol->tenants_kobj)
		goto fail;
	return 0;

fail:
	vio_sysfs_unregister(vc);
	return -ENOMEM;
}

static void vio_kobj_remove(struct kobject **kobj)
{
	if (!*kobj)
		return;
	kobject_del(*kobj);
	kobject_put(*kobj);
	*kobj = NULL;
}

/* Remove whatever part of the tree exists. Safe to call more than once. */
void vio_sysfs_unregister(struct vio_c *vc)
{
	unsigned int i;

	/* Only the live table's tree holds the class directories. */
	if (vc->kobj && vc->pol) {
		struct vio_policy *pol = vc->pol;
		struct vio_tenant *t, *tmp;

		mutex_lock(&pol->lock);
		for (i = 0; i < VIO_MAX_CLASSES; i++)
			if (pol->classes[i])
				vio_sysfs_class_remove(pol, pol->classes[i]);
		vio_kobj_remove(&pol->classes_kobj);
		list_for_each_entry_safe(t, tmp, &pol->tenant_dirs, dir_node)
			vio_sysfs_tenant_remove(pol, t);
		vio_kobj_remove(&pol->tenants_kobj);
		mutex_unlock(&pol->lock);
	}

	if (vc->fab) {
		for (i = 0; i < vc->fab->nr_ports; i++)
			vio_kobj_remove(&vc->fab->ports[i].kobj);
		vio_kobj_remove(&vc->fab->up.kobj);
		vio_kobj_remove(&vc->fab->links_kobj);
		vio_kobj_remove(&vc->fab->kobj);
	}
	vio_kobj_remove(&vc->qos_kobj);
	for (i = 0; i < vc->nr_arrays; i++)
		vio_kobj_remove(&vc->arrays[i].kobj);
	vio_kobj_remove(&vc->arrays_kobj);
	vio_kobj_remove(&vc->kobj);
}
