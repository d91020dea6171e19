// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vio: a volume's policy: the registry that carries it across table
 * reloads, its classes and rules, its tenants, and the message verbs that
 * configure it. See policy.h for the objects and their locking.
 *
 * Message grammar ("dmsetup message <volume> 0 <verb> ..."):
 *
 *   class create <name> [<key>=<value>]...   a new class (qos.c keys)
 *   class set <name> <key>=<value>...        change some parameters
 *   class delete <name>                      unused by any rule
 *   class list                               one "<name> <params>" per line
 *   class stats                              counters, one class per line
 *   rule add <vm=glob|cgroup=glob> <class>   append: matched last
 *   rule insert <index> <pattern> <class>    0 is matched first
 *   rule delete <pattern>
 *   rule list                                "<index> <pattern> <class>"
 *   tenant list                              tenants and their counters
 *   capacity [iops=<n>] [bps=<bytes>]        what the volume can deliver
 *   depth <n>                                I/Os in flight under QoS
 *   qos                                      a summary line
 *
 * A message either does all it says or, with -EINVAL and one log line
 * naming the device and the reason, nothing.
 */
#include <linux/cgroup.h>
#include <linux/blk-cgroup.h>
#include <linux/ctype.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>

#include "compat.h"
#include "policy.h"
#include "vio.h"
#include "vio_trace.h"

/* Tenants with no I/O for this long are forgotten (and re-created later). */
#define VIO_TENANT_IDLE		(10 * 60 * HZ)
#define VIO_TENANT_SCAN		(60 * HZ)
/* Longest cgroup path kept for a tenant. */
#define VIO_PATH_MAX		1024

static LIST_HEAD(vio_policies);
static DEFINE_MUTEX(vio_policies_lock);

static const struct rhashtable_params vio_tenant_params = {
	.key_len	= sizeof(u64),
	.key_offset	= offsetof(struct vio_tenant, id),
	.head_offset	= offsetof(struct vio_tenant, node),
	.automatic_shrinking = true,
};

void vio_qstats_read(struct vio_qstats __percpu *pcpu, struct vio_qstats *sum)
{
	const unsigned int n = sizeof(*sum) / sizeof(u64);
	int cpu;
	unsigned int k;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const u64 *src = (const u64 *)per_cpu_ptr(pcpu, cpu);
		u64 *dst = (u64 *)sum;

		for (k = 0; k < n; k++)
			dst[k] += READ_ONCE(src[k]);
	}
	/* Every completion lands in exactly one bucket. */
	for (k = 0; k < VIO_LAT_BUCKETS; k++)
		sum->completed += sum->lat_hist[k];
}

/* ---- classes ---- */

static void vio_class_free_rcu(struct rcu_head *rcu)
{
	struct vio_class *c = container_of(rcu, struct vio_class, rcu);

	percpu_ref_exit(&c->ref);
	free_percpu(c->stats);
	kfree(c);
}

static void vio_class_release(struct percpu_ref *ref)
{
	struct vio_class *c = container_of(ref, struct vio_class, ref);

	call_rcu(&c->rcu, vio_class_free_rcu);
}

static struct vio_class *vio_class_alloc(struct vio_policy *pol,
					 const char *name,
					 const struct vio_qos_params *p)
{
	struct vio_class *c = kzalloc(sizeof(*c), GFP_KERNEL);

	if (!c)
		return NULL;
	c->stats = alloc_percpu(struct vio_qstats);
	if (!c->stats || percpu_ref_init(&c->ref, vio_class_release, 0, GFP_KERNEL)) {
		free_percpu(c->stats);
		kfree(c);
		return NULL;
	}
	strscpy(c->name, name, sizeof(c->name));
	c->pol = pol;
	spin_lock_init(&c->lock);
	vio_qclass_init(&c->qc, p);
	return c;
}

static struct vio_class *vio_class_find(struct vio_policy *pol,
					const char *name, unsigned int *slot)
{
	unsigned int i;

	for (i = 0; i < VIO_MAX_CLASSES; i++)
		if (pol->classes[i] && !strcmp(pol->classes[i]->name, name)) {
			if (slot)
				*slot = i;
			return pol->classes[i];
		}
	return NULL;
}

static int vio_class_name_check(const char *name, struct vio_err *err)
{
	size_t i, len = strlen(name);

	if (len >= VIO_CLASS_NAME_LEN)
		return vio_err(err, "Class name '%.40s' is longer than %u characters",
			       name, VIO_CLASS_NAME_LEN - 1);
	for (i = 0; i < len; i++)
		if (!isascii(name[i]) ||
		    (!isalnum(name[i]) && !strchr("_.:-", name[i])))
			return vio_err(err,
				       "Class name '%.40s' may only use letters, digits and _.:-",
				       name);
	return 0;
}

/* ---- tenants and classification ---- */

static struct vio_class *vio_classify(struct vio_policy *pol,
				      const char *path, const char *vm)
{
	struct vio_rules *rules = rcu_dereference_check(pol->rules,
							lockdep_is_held(&pol->lock));
	unsigned int i;

	for (i = 0; rules && i < rules->nr; i++)
		if (vio_match_tenant(&rules->rule[i].match, path, vm))
			return rules->rule[i].cls;
	return pol->classes[0];
}

/*
 * Classify a tenant with the current rules. The generation is read first:
 * if the rules change meanwhile, the tenant stays stale and is classified
 * again on its next bio (vio_tenant_class()).
 */
void vio_tenant_classify(struct vio_policy *pol, struct vio_tenant *t)
{
	/* Pairs with the release in vio_reclassify_all(): rules, then gen. */
	unsigned int gen = smp_load_acquire(&pol->gen);
	struct vio_class *c = vio_classify(pol, t->path, t->vm);

	rcu_assign_pointer(t->cls, c);
	WRITE_ONCE(t->gen, gen);
	trace_vio_classify(pol->devt, t->id, t->vm[0] ? t->vm : "-", c->name);
}

static void vio_tenant_free_rcu(struct rcu_head *rcu)
{
	struct vio_tenant *t = container_of(rcu, struct vio_tenant, rcu);

	percpu_ref_exit(&t->ref);
	free_percpu(t->stats);
	kfree(t);
}

static void vio_tenant_release(struct percpu_ref *ref)
{
	struct vio_tenant *t = container_of(ref, struct vio_tenant, ref);

	call_rcu(&t->rcu, vio_tenant_free_rcu);
}

static struct vio_tenant *vio_tenant_alloc(struct vio_policy *pol,
					   const char *path, size_t len,
					   u64 id, gfp_t gfp)
{
	struct vio_tenant *t = kzalloc(struct_size(t, path, len + 1), gfp);

	if (!t)
		return NULL;
	t->stats = alloc_percpu_gfp(struct vio_qstats, gfp);
	if (!t->stats || percpu_ref_init(&t->ref, vio_tenant_release, 0, gfp)) {
		free_percpu(t->stats);
		kfree(t);
		return NULL;
	}
	t->id = id;
	t->pol = pol;
	memcpy(t->path, path, len);
	t->last_used = jiffies;
	bio_list_init(&t->queue);
	vio_qtenant_init(&t->qt);
	if (vio_tag_vm_name(t->path, t->vm, sizeof(t->vm)))
		t->vm[0] = '\0';
	return t;
}

/* A tenant seen for the first time, from the map path: must not sleep. */
static struct vio_tenant *vio_tenant_create(struct vio_policy *pol,
					    struct cgroup *cgrp, u64 id)
{
	const gfp_t gfp = GFP_NOWAIT | __GFP_NOWARN;
	struct vio_tenant *t, *old;
	char *path;
	int len;

	if (atomic_read(&pol->nr_tenants) >= VIO_MAX_TENANTS)
		return NULL;
	path = kmalloc(VIO_PATH_MAX, gfp);
	if (!path)
		return NULL;
	len = cgroup_path(cgrp, path, VIO_PATH_MAX);
	if (len < 0 || len >= VIO_PATH_MAX) {
		kfree(path);
		return NULL;
	}
	t = vio_tenant_alloc(pol, path, len, id, gfp);
	kfree(path);
	if (!t)
		return NULL;
	vio_tenant_classify(pol, t);

	old = rhashtable_lookup_get_insert_fast(&pol->tenants, &t->node,
						vio_tenant_params);
	if (old) {
		/* Another CPU was first (or the table refused): use theirs. */
		percpu_ref_exit(&t->ref);
		free_percpu(t->stats);
		kfree(t);
		return IS_ERR(old) ? NULL : old;
	}
	atomic_inc(&pol->nr_tenants);
	queue_work(system_wq, &pol->sysfs_work);
	return t;
}

static void vio_tenant_sysfs_work(struct work_struct *work)
{
	struct vio_policy *pol = container_of(work, struct vio_policy, sysfs_work);

	mutex_lock(&pol->lock);
	vio_sysfs_tenants_sync(pol);
	mutex_unlock(&pol->lock);
}

/**
 * vio_tenant_lookup - the tenant of a cgroup other than the root
 * @pol: the volume's policy
 * @css: the bio's blkcg css (vio_tenant_of_bio())
 *
 * Called under rcu_read_lock() from the map path. A cgroup seen for the
 * first time gets a tenant; one that cannot (no memory, too many tenants)
 * goes to the root tenant. Does not take a reference.
 */
struct vio_tenant *vio_tenant_lookup(struct vio_policy *pol,
				     struct cgroup_subsys_state *css)
{
	struct vio_tenant *t;
	unsigned long now;
	u64 id;

	if (!css || !css->cgroup || !cgroup_parent(css->cgroup))
		return pol->root;
	id = cgroup_id(css->cgroup);
	t = rhashtable_lookup(&pol->tenants, &id, vio_tenant_params);
	if (unlikely(!t)) {
		t = vio_tenant_create(pol, css->cgroup, id);
		if (!t)
			return pol->root;
	}
	now = jiffies;
	/* Written once per tick at most: the line stays shared between CPUs. */
	if (READ_ONCE(t->last_used) != now)
		WRITE_ONCE(t->last_used, now);
	return t;
}

/* A table's static tag: one tenant for every bio of the volume. */
struct vio_tenant *vio_tenant_static(struct vio_policy *pol, const char *tag)
{
	struct vio_tenant *t = vio_tenant_alloc(pol, "", 0, 0, GFP_KERNEL);

	if (!t)
		return NULL;
	strscpy(t->vm, tag, sizeof(t->vm));
	mutex_lock(&pol->lock);
	vio_tenant_classify(pol, t);
	mutex_unlock(&pol->lock);
	return t;
}

void vio_tenant_put_static(struct vio_tenant *t)
{
	if (t)
		percpu_ref_kill(&t->ref);
}

/* Re-run the rules for every tenant; after any rule or class change. */
static void vio_reclassify_all(struct vio_policy *pol, struct vio_c *vc)
{
	struct rhashtable_iter iter;
	struct vio_tenant *t;

	lockdep_assert_held(&pol->lock);
	/* Release: new rules are visible before the generation that says so. */
	smp_store_release(&pol->gen, pol->gen + 1);
	vio_tenant_classify(pol, pol->root);
	if (vc && vc->tagged)
		vio_tenant_classify(pol, vc->tagged);

	rhashtable_walk_enter(&pol->tenants, &iter);
	rhashtable_walk_start(&iter);
	while ((t = rhashtable_walk_next(&iter))) {
		if (IS_ERR(t))
			continue;	/* -EAGAIN: resized, keep walking */
		vio_tenant_classify(pol, t);
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
}

static void vio_tenant_expire(struct work_struct *work)
{
	struct vio_policy *pol = container_of(to_delayed_work(work),
					      struct vio_policy, expire);
	struct rhashtable_iter iter;
	struct vio_tenant *t, *gone[16];
	unsigned int n = 0, i;

	rhashtable_walk_enter(&pol->tenants, &iter);
	rhashtable_walk_start(&iter);
	while (n < ARRAY_SIZE(gone) && (t = rhashtable_walk_next(&iter))) {
		if (IS_ERR(t))
			continue;
		if (time_before(jiffies, READ_ONCE(t->last_used) + VIO_TENANT_IDLE))
			continue;
		if (!rhashtable_remove_fast(&pol->tenants, &t->node,
					    vio_tenant_params))
			gone[n++] = t;
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);

	/* Lookups that found them before removal finish first. */
	if (n)
		synchronize_rcu();
	mutex_lock(&pol->lock);
	for (i = 0; i < n; i++) {
		gone[i]->gone = true;
		vio_sysfs_tenant_remove(pol, gone[i]);
	}
	mutex_unlock(&pol->lock);
	for (i = 0; i < n; i++) {
		percpu_ref_kill(&gone[i]->ref);
		atomic_dec(&pol->nr_tenants);
	}
	queue_delayed_work(system_wq, &pol->expire,
			   n == ARRAY_SIZE(gone) ? 0 : VIO_TENANT_SCAN);
}

/* ---- the registry ---- */

static void vio_tenant_destroy(void *ptr, void *arg)
{
	struct vio_tenant *t = ptr;

	percpu_ref_kill(&t->ref);
}

static void vio_policy_free(struct vio_policy *pol)
{
	unsigned int i;

	cancel_delayed_work_sync(&pol->expire);
	cancel_work_sync(&pol->sysfs_work);
	vio_qos_exit(pol);
	rhashtable_free_and_destroy(&pol->tenants, vio_tenant_destroy, NULL);
	if (pol->root)
		percpu_ref_kill(&pol->root->ref);
	for (i = 0; i < VIO_MAX_CLASSES; i++)
		if (pol->classes[i])
			percpu_ref_kill(&pol->classes[i]->ref);
	kfree(rcu_dereference_protected(pol->rules, true));
	vio_mirror_carry_free(pol->carry);
	mutex_destroy(&pol->lock);
	kfree(pol);
}

static struct vio_policy *vio_policy_alloc(struct mapped_device *md,
					   const char *name)
{
	struct vio_policy *pol = kzalloc(sizeof(*pol), GFP_KERNEL);
	struct vio_qos_params p;

	if (!pol)
		return NULL;
	pol->md = md;
	pol->devt = disk_devt(dm_disk(md));
	strscpy(pol->name, name, sizeof(pol->name));
	mutex_init(&pol->lock);
	pol->depth = VIO_DEPTH_DEFAULT;
	INIT_DELAYED_WORK(&pol->expire, vio_tenant_expire);
	INIT_WORK(&pol->sysfs_work, vio_tenant_sysfs_work);
	INIT_LIST_HEAD(&pol->tenant_dirs);
	if (rhashtable_init(&pol->tenants, &vio_tenant_params)) {
		mutex_destroy(&pol->lock);
		kfree(pol);
		return NULL;
	}
	vio_qos_params_default(&p);
	pol->classes[0] = vio_class_alloc(pol, VIO_DEFAULT_CLASS, &p);
	pol->root = vio_tenant_alloc(pol, "/", 1, 0, GFP_KERNEL);
	if (!pol->classes[0] || !pol->root || vio_qos_init(pol)) {
		vio_policy_free(pol);
		return NULL;
	}
	mutex_lock(&pol->lock);
	vio_tenant_classify(pol, pol->root);
	mutex_unlock(&pol->lock);
	queue_delayed_work(system_wq, &pol->expire, VIO_TENANT_SCAN);
	return pol;
}

/**
 * vio_policy_get - the policy of the device a table is being built for
 * @ti: the target under construction
 * @err: the reason, on error
 *
 * The first table of a device creates it; later tables (reloads) share it.
 */
struct vio_policy *vio_policy_get(struct dm_target *ti, struct vio_err *err)
{
	struct mapped_device *md = dm_table_get_md(ti->table);
	struct vio_policy *pol;

	mutex_lock(&vio_policies_lock);
	list_for_each_entry(pol, &vio_policies, node)
		if (pol->md == md)
			goto found;
	pol = vio_policy_alloc(md, dm_table_device_name(ti->table));
	if (!pol) {
		mutex_unlock(&vio_policies_lock);
		vio_err(err, "Cannot allocate the volume's policy");
		return NULL;
	}
	list_add(&pol->node, &vio_policies);
found:
	pol->users++;
	mutex_unlock(&vio_policies_lock);
	return pol;
}

void vio_policy_put(struct vio_policy *pol)
{
	bool last;

	mutex_lock(&vio_policies_lock);
	last = !--pol->users;
	if (last)
		list_del(&pol->node);
	mutex_unlock(&vio_policies_lock);
	if (last)
		vio_policy_free(pol);
}

/* ---- configuration messages ---- */

static void vio_policy_update_qos_on(struct vio_policy *pol)
{
	struct vio_qos_params def;
	struct vio_rules *rules = rcu_dereference_protected(pol->rules,
							    lockdep_is_held(&pol->lock));
	bool on = rules && rules->nr;
	unsigned int i;

	vio_qos_params_default(&def);
	for (i = 1; i < VIO_MAX_CLASSES && !on; i++)
		on = pol->classes[i];
	on = on || memcmp(&pol->classes[0]->qc.p, &def, sizeof(def));
	WRITE_ONCE(pol->qos_on, on);
}

/* Would the reservations fit the declared capacity with @c at @p? */
static int vio_admit(struct vio_policy *pol, const struct vio_class *c,
		     const struct vio_qos_params *p, u64 cap_iops, u64 cap_bps,
		     struct vio_err *err)
{
	u64 sum[VIO_NR_RES] = {};
	const u64 cap[VIO_NR_RES] = { cap_iops, cap_bps };
	static const char * const what[VIO_NR_RES] = { "iops", "bps" };
	unsigned int i, k;

	for (i = 0; i < VIO_MAX_CLASSES; i++) {
		const struct vio_class *o = pol->classes[i];

		if (!o || o == c)
			continue;
		for (k = 0; k < VIO_NR_RES; k++)
			sum[k] += o->qc.p.res[k];
	}
	for (k = 0; k < VIO_NR_RES; k++) {
		if (p)
			sum[k] += p->res[k];
		if (sum[k] && !cap[k])
			return vio_err(err,
				       "Reservations need the volume's capacity: send 'capacity %s=<n>' first",
				       what[k]);
		if (sum[k] > cap[k])
			return vio_err(err,
				       "Reservations would total res_%s=%llu, over the capacity %s=%llu",
				       what[k], sum[k], what[k], cap[k]);
	}
	return 0;
}

static int vio_msg_class_create(struct vio_policy *pol, unsigned int argc,
				char **argv, struct vio_err *err)
{
	struct vio_qos_params p;
	struct vio_class *c;
	unsigned int slot;
	int r;

	if (argc < 1)
		return vio_err(err, "Usage: class create <name> [<key>=<value>]...");
	r = vio_class_name_check(argv[0], err);
	if (r)
		return r;
	if (vio_class_find(pol, argv[0], NULL))
		return vio_err(err, "Class %s already exists", argv[0]);
	for (slot = 1; slot < VIO_MAX_CLASSES; slot++)
		if (!pol->classes[slot])
			break;
	if (slot == VIO_MAX_CLASSES)
		return vio_err(err, "A volume has at most %u classes", VIO_MAX_CLASSES);
	vio_qos_params_default(&p);
	r = vio_qos_parse(argc - 1, argv + 1, &p, err);
	if (r)
		return r;
	r = vio_admit(pol, NULL, &p, pol->cap_iops, pol->cap_bps, err);
	if (r)
		return r;
	c = vio_class_alloc(pol, argv[0], &p);
	if (!c)
		return -ENOMEM;
	pol->classes[slot] = c;
	vio_sysfs_class_add(pol, c);
	return 0;
}

static int vio_msg_class_set(struct vio_policy *pol, unsigned int argc,
			     char **argv, struct vio_err *err)
{
	struct vio_qos_params p;
	struct vio_class *c;
	int r;

	if (argc < 2)
		return vio_err(err, "Usage: class set <name> <key>=<value>...");
	c = vio_class_find(pol, argv[0], NULL);
	if (!c)
		return vio_err(err, "No class %.40s", argv[0]);
	p = c->qc.p;
	r = vio_qos_parse(argc - 1, argv + 1, &p, err);
	if (r)
		return r;
	r = vio_admit(pol, c, &p, pol->cap_iops, pol->cap_bps, err);
	if (r)
		return r;
	spin_lock_irq(&pol->sched_lock);
	spin_lock(&c->lock);
	vio_sched_reparam(&pol->sched, &c->qc, &p, ktime_get_ns());
	spin_unlock(&c->lock);
	spin_unlock_irq(&pol->sched_lock);
	/* New limits may let waiting bios go now. */
	queue_work(pol->wq, &pol->dispatch);
	return 0;
}

static int vio_msg_class_delete(struct vio_policy *pol, unsigned int argc,
				char **argv, struct vio_class **gone,
				struct vio_err *err)
{
	struct vio_rules *rules = rcu_dereference_protected(pol->rules,
							    lockdep_is_held(&pol->lock));
	struct vio_class *c;
	unsigned int slot, i;

	if (argc != 1)
		return vio_err(err, "Usage: class delete <name>");
	c = vio_class_find(pol, argv[0], &slot);
	if (!c)
		return vio_err(err, "No class %.40s", argv[0]);
	if (!slot)
		return vio_err(err, "The default class cannot be deleted");
	for (i = 0; rules && i < rules->nr; i++)
		if (rules->rule[i].cls == c)
			return vio_err(err, "Class %s is used by rule %u", c->name, i);
	vio_sysfs_class_remove(pol, c);
	pol->classes[slot] = NULL;
	*gone = c;	/* the caller reclassifies, then drops the class */
	return 0;
}

static unsigned int vio_emit_stats(const struct vio_qstats *s, char *buf,
				   unsigned int size)
{
	u64 lat_avg = s->completed ? div64_u64(s->lat_ns, s->completed) : 0;
	unsigned int n, k;

	n = scnprintf(buf, size,
		      "reads=%llu writes=%llu read_bytes=%llu write_bytes=%llu throttled=%llu throttled_us=%llu completed=%llu lat_avg_us=%llu lat_missed=%llu res_met=%llu res_missed=%llu lat_hist=",
		      s->reads, s->writes, s->read_bytes, s->write_bytes,
		      s->throttled, div_u64(s->throttled_ns, NSEC_PER_USEC),
		      s->completed, div_u64(lat_avg, NSEC_PER_USEC),
		      s->lat_missed, s->res_met, s->res_missed);
	for (k = 0; k < VIO_LAT_BUCKETS; k++)
		n += scnprintf(buf + n, size - n, "%s%llu", k ? "," : "",
			       s->lat_hist[k]);
	return n;
}

#define EMIT(...) (sz += scnprintf(result + sz, maxlen - sz, __VA_ARGS__))

static void vio_msg_class_list(struct vio_policy *pol, bool stats,
			       const char *prefix, char *result,
			       unsigned int maxlen, unsigned int *psz)
{
	unsigned int i, sz = *psz;
	struct vio_qstats s;

	for (i = 0; i < VIO_MAX_CLASSES; i++) {
		struct vio_class *c = pol->classes[i];

		if (!c)
			continue;
		EMIT("%s%s", prefix, c->name);
		if (stats) {
			vio_qstats_read(c->stats, &s);
			EMIT(" queued=%u ", READ_ONCE(c->nr_queued));
			sz += vio_emit_stats(&s, result + sz, maxlen - sz);
		} else if (vio_qos_format(&c->qc.p, NULL, 0)) {
			EMIT(" ");
			sz += vio_qos_format(&c->qc.p, result + sz, maxlen - sz);
		}
		EMIT("\n");
	}
	*psz = sz;
}

static int vio_rules_replace(struct vio_policy *pol, const struct vio_rules *old,
			     int del, int ins, const struct vio_rule *rule)
{
	unsigned int n = (old ? old->nr : 0) + (ins >= 0) - (del >= 0);
	struct vio_rules *nr = kzalloc(struct_size(nr, rule, n), GFP_KERNEL);
	unsigned int i, j = 0;

	if (!nr)
		return -ENOMEM;
	nr->nr = n;
	for (i = 0; old && i <= old->nr; i++) {
		if (ins == (int)i)
			nr->rule[j++] = *rule;
		if (i < old->nr && del != (int)i)
			nr->rule[j++] = old->rule[i];
	}
	if (!old && ins == 0)
		nr->rule[j++] = *rule;
	rcu_assign_pointer(pol->rules, nr);
	kfree_rcu((struct vio_rules *)old, rcu);
	return 0;
}

static int vio_rule_find(const struct vio_rules *rules,
			 const struct vio_match_spec *m)
{
	unsigned int i;

	for (i = 0; rules && i < rules->nr; i++)
		if (rules->rule[i].match.kind == m->kind &&
		    !strcmp(rules->rule[i].match.pattern, m->pattern))
			return i;
	return -1;
}

static int vio_msg_rule(struct vio_policy *pol, unsigned int argc, char **argv,
			char *result, unsigned int maxlen, struct vio_err *err)
{
	struct vio_rules *rules = rcu_dereference_protected(pol->rules,
							    lockdep_is_held(&pol->lock));
	unsigned int nr = rules ? rules->nr : 0, pos, i, sz = 0;
	struct vio_rule rule = {};
	bool insert;
	int r;

	if (argc == 1 && !strcmp(argv[0], "list")) {
		char buf[VIO_PATTERN_LEN + 8];

		for (i = 0; i < nr; i++) {
			vio_match_format(&rules->rule[i].match, buf, sizeof(buf));
			EMIT("%u %s %s\n", i, buf, rules->rule[i].cls->name);
		}
		return 1;
	}
	if (argc == 2 && !strcmp(argv[0], "delete")) {
		r = vio_match_parse(argv[1], &rule.match, err);
		if (r)
			return r;
		i = vio_rule_find(rules, &rule.match);
		if ((int)i < 0)
			return vio_err(err, "No rule %.60s", argv[1]);
		return vio_rules_replace(pol, rules, i, -1, NULL);
	}

	insert = argc == 4 && !strcmp(argv[0], "insert");
	if (!insert && !(argc == 3 && !strcmp(argv[0], "add")))
		return vio_err(err,
			       "Usage: rule add <vm=glob|cgroup=glob> <class> | rule insert <index> <pattern> <class> | rule delete <pattern> | rule list");
	pos = nr;
	if (insert && (kstrtouint(argv[1], 10, &pos) || !isdigit(argv[1][0]) ||
		       pos > nr))
		return vio_err(err, "Rule index '%.20s' is not a number from 0 to %u",
			       argv[1], nr);
	argv += insert;
	r = vio_match_parse(argv[1], &rule.match, err);
	if (r)
		return r;
	rule.cls = vio_class_find(pol, argv[2], NULL);
	if (!rule.cls)
		return vio_err(err, "No class %.40s", argv[2]);
	if (vio_rule_find(rules, &rule.match) >= 0)
		return vio_err(err, "A rule for %.60s already exists", argv[1]);
	if (nr >= VIO_MAX_RULES)
		return vio_err(err, "A volume has at most %u rules", VIO_MAX_RULES);
	return vio_rules_replace(pol, rules, -1, pos, &rule);
}

static void vio_emit_tenant(struct vio_tenant *t, const char *prefix,
			    const char *kind, char *result, unsigned int maxlen,
			    unsigned int *psz)
{
	unsigned int sz = *psz;
	struct vio_class *c = vio_tenant_class(t->pol, t);
	struct vio_qstats s;

	vio_qstats_read(t->stats, &s);
	EMIT("%s%s %llu %s vm=%s ", prefix, kind, t->id, c->name,
	     t->vm[0] ? t->vm : "-");
	sz += vio_emit_stats(&s, result + sz, maxlen - sz);
	EMIT(" queued=%u path=", READ_ONCE(t->nr_queued));
	if (!t->path[0])
		EMIT("-");
	else if (sz < maxlen)
		sz += vio_escape_path(t->path, result + sz, maxlen - sz);
	EMIT("\n");
	*psz = sz;
}

static void vio_msg_tenant_list(struct vio_policy *pol, struct vio_c *vc,
				const char *prefix, char *result,
				unsigned int maxlen, unsigned int *psz)
{
	struct rhashtable_iter iter;
	struct vio_tenant *t;
	unsigned int sz = *psz;

	rcu_read_lock();
	if (vc->tagged)
		vio_emit_tenant(vc->tagged, prefix, "tag", result, maxlen, &sz);
	vio_emit_tenant(pol->root, prefix, "root", result, maxlen, &sz);
	rcu_read_unlock();

	rhashtable_walk_enter(&pol->tenants, &iter);
	rhashtable_walk_start(&iter);
	while ((t = rhashtable_walk_next(&iter)))
		if (!IS_ERR(t))
			vio_emit_tenant(t, prefix, "cgroup", result, maxlen, &sz);
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	*psz = sz;
}

static int vio_msg_capacity(struct vio_policy *pol, unsigned int argc,
			    char **argv, struct vio_err *err)
{
	u64 cap[2] = { pol->cap_iops, pol->cap_bps };
	static const char * const keys[2] = { "iops=", "bps=" };
	unsigned long seen = 0;
	unsigned int i, k;
	int r;

	if (!argc)
		return vio_err(err, "Usage: capacity [iops=<n>] [bps=<bytes>]");
	for (i = 0; i < argc; i++) {
		for (k = 0; k < 2; k++)
			if (!strncmp(argv[i], keys[k], strlen(keys[k])))
				break;
		if (k == 2)
			return vio_err(err, "Unknown capacity parameter '%.40s'", argv[i]);
		if (seen & BIT(k))
			return vio_err(err, "Capacity parameter '%s' given twice", keys[k]);
		seen |= BIT(k);
		if (vio_qos_parse_rate(argv[i] + strlen(keys[k]), k == 1, &cap[k]))
			return vio_err(err, "Capacity '%.40s' is not a valid %s",
				       argv[i], k ? "number of bytes per second" :
				       "number of I/Os per second");
	}
	r = vio_admit(pol, NULL, NULL, cap[0], cap[1], err);
	if (r)
		return r;
	pol->cap_iops = cap[0];
	pol->cap_bps = cap[1];
	return 0;
}

/**
 * vio_policy_summary - the volume's QoS at a glance
 * @pol: the policy, locked
 * @s: filled in
 */
void vio_policy_summary(struct vio_policy *pol, struct vio_qos_summary *s)
{
	struct vio_rules *rules = rcu_dereference_protected(pol->rules,
							    lockdep_is_held(&pol->lock));
	unsigned int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < VIO_MAX_CLASSES; i++) {
		if (!pol->classes[i])
			continue;
		s->classes++;
		s->res_iops += pol->classes[i]->qc.p.res[VIO_RES_IOPS];
		s->res_bps += pol->classes[i]->qc.p.res[VIO_RES_BPS];
	}
	s->on = READ_ONCE(pol->qos_on);
	s->cap_iops = pol->cap_iops;
	s->cap_bps = pol->cap_bps;
	s->depth = pol->depth;
	s->inflight = atomic_read(&pol->inflight);
	s->queued = atomic_read(&pol->queued);
	s->rules = rules ? rules->nr : 0;
	s->tenants = atomic_read(&pol->nr_tenants);
}

static void vio_msg_qos(struct vio_policy *pol, const char *prefix,
			char *result, unsigned int maxlen, unsigned int *psz)
{
	struct vio_qos_summary s;
	unsigned int sz = *psz;

	vio_policy_summary(pol, &s);
	EMIT("%sqos=%s capacity_iops=%llu capacity_bps=%llu ", prefix,
	     s.on ? "on" : "off", s.cap_iops, s.cap_bps);
	EMIT("reserved_iops=%llu reserved_bps=%llu depth=%u inflight=%d queued=%d ",
	     s.res_iops, s.res_bps, s.depth, s.inflight, s.queued);
	EMIT("classes=%u rules=%u tenants=%d\n", s.classes, s.rules, s.tenants);
	*psz = sz;
}

/* The policy's part of the "stats" message: qos, class and tenant lines. */
void vio_policy_stats(struct vio_policy *pol, struct vio_c *vc, char *result,
		      unsigned int maxlen, unsigned int *psz)
{
	mutex_lock(&pol->lock);
	vio_msg_qos(pol, "qos ", result, maxlen, psz);
	vio_msg_class_list(pol, true, "class ", result, maxlen, psz);
	vio_msg_tenant_list(pol, vc, "tenant ", result, maxlen, psz);
	mutex_unlock(&pol->lock);
}

/* The QoS part of the INFO status line (see vio_status()). */
void vio_policy_status(struct vio_policy *pol, char *result,
		       unsigned int maxlen, unsigned int *psz)
{
	unsigned int sz = *psz, i, n = 0;
	struct vio_qstats s;

	mutex_lock(&pol->lock);
	for (i = 0; i < VIO_MAX_CLASSES; i++)
		n += !!pol->classes[i];
	EMIT(" %s %u", READ_ONCE(pol->qos_on) ? "on" : "off", n);
	for (i = 0; i < VIO_MAX_CLASSES; i++) {
		struct vio_class *c = pol->classes[i];

		if (!c)
			continue;
		vio_qstats_read(c->stats, &s);
		EMIT(" %s %llu %llu %u %llu", c->name, s.reads + s.writes,
		     s.read_bytes + s.write_bytes, READ_ONCE(c->nr_queued),
		     s.throttled);
	}
	mutex_unlock(&pol->lock);
	*psz = sz;
}

/**
 * vio_policy_message - run one configuration message
 * @pol: the volume's policy
 * @vc: the live table's context
 * @argc: word count
 * @argv: the words
 * @result: the message result buffer
 * @maxlen: its size
 * @err: the reason, on -EINVAL
 *
 * Return: 1 when @result holds output, 0 when done, -EINVAL (with @err)
 * or another -errno when nothing changed.
 */
int vio_policy_message(struct vio_policy *pol, struct vio_c *vc,
		       unsigned int argc, char **argv, char *result,
		       unsigned int maxlen, struct vio_err *err)
{
	struct vio_class *gone = NULL;
	bool list = false;
	int r = -ENOTTY;

	mutex_lock(&pol->lock);
	if (!strcmp(argv[0], "class") && argc >= 2) {
		const char *v = argv[1];

		if (!strcmp(v, "create")) {
			r = vio_msg_class_create(pol, argc - 2, argv + 2, err);
		} else if (!strcmp(v, "set")) {
			r = vio_msg_class_set(pol, argc - 2, argv + 2, err);
		} else if (!strcmp(v, "delete")) {
			r = vio_msg_class_delete(pol, argc - 2, argv + 2, &gone, err);
		} else if ((!strcmp(v, "list") || !strcmp(v, "stats")) && argc == 2) {
			unsigned int sz = 0;

			vio_msg_class_list(pol, v[0] == 's', "", result, maxlen, &sz);
			list = true;
		} else {
			r = vio_err(err,
				    "Usage: class create|set|delete <name> ... | class list | class stats");
		}
	} else if (!strcmp(argv[0], "class")) {
		r = vio_err(err,
			    "Usage: class create|set|delete <name> ... | class list | class stats");
	} else if (!strcmp(argv[0], "rule")) {
		r = vio_msg_rule(pol, argc - 1, argv + 1, result, maxlen, err);
		list = r == 1;
	} else if (!strcmp(argv[0], "tenant")) {
		if (argc == 2 && !strcmp(argv[1], "list")) {
			unsigned int sz = 0;

			vio_msg_tenant_list(pol, vc, "", result, maxlen, &sz);
			list = true;
		} else {
			r = vio_err(err, "Usage: tenant list");
		}
	} else if (!strcmp(argv[0], "capacity")) {
		r = vio_msg_capacity(pol, argc - 1, argv + 1, err);
	} else if (!strcmp(argv[0], "depth")) {
		unsigned int d;

		if (argc != 2 || !isdigit(argv[1][0]) || kstrtouint(argv[1], 10, &d) ||
		    !d || d > VIO_DEPTH_MAX) {
			r = vio_err(err, "Usage: depth <1-%u>", VIO_DEPTH_MAX);
		} else {
			WRITE_ONCE(pol->depth, d);
			queue_work(pol->wq, &pol->dispatch);
			r = 0;
		}
	} else if (!strcmp(argv[0], "qos")) {
		if (argc == 1) {
			unsigned int sz = 0;

			vio_msg_qos(pol, "", result, maxlen, &sz);
			list = true;
		} else {
			r = vio_err(err, "Usage: qos (no arguments)");
		}
	} else {
		r = vio_err(err, "Unknown message '%.40s'", argv[0]);
	}

	if (list) {
		r = 1;
	} else if (!r) {
		vio_policy_update_qos_on(pol);
		vio_reclassify_all(pol, vc);
	}
	mutex_unlock(&pol->lock);

	if (gone) {
		/* No tenant or rule leads to it now; bios still using it hold it. */
		synchronize_rcu();
		percpu_ref_kill(&gone->ref);
	}
	return r;
}
