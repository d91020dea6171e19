/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vio: tenant tags, the identity a bio carries into classification.
 *
 * This part is pure string work on cgroup paths, done once per cgroup and
 * cached by the caller, never per bio.
 */
#ifndef DM_VIO_TAG_H
#define DM_VIO_TAG_H

#include <linux/types.h>

#include "table.h"

/* Longest VM name kept, including the terminating NUL. */
#define VIO_VM_NAME_LEN	64

/* Longest rule pattern, including the terminating NUL. */
#define VIO_PATTERN_LEN	(DM_VIO_PATTERN_MAX + 1)

enum vio_match {
	VIO_MATCH_VM,		/* vm=<glob>: the VM name of the tenant */
	VIO_MATCH_CGROUP,	/* cgroup=<glob>: the tenant's cgroup path */
};

/* What a rule matches on; the class it leads to is the caller's. */
struct vio_match_spec {
	enum vio_match kind;
	char pattern[VIO_PATTERN_LEN];
};

/* A byte a VM name or a static tag may hold: printable ASCII, no space. */
static inline bool vio_tag_char_ok(char c)
{
	return c > ' ' && c < 0x7f;
}

int vio_tag_vm_name(const char *cgroup_path, char *name, size_t size);
int vio_match_parse(const char *word, struct vio_match_spec *m,
		    struct vio_err *err);
int vio_match_format(const struct vio_match_spec *m, char *buf, size_t size);
size_t vio_escape_path(const char *path, char *dst, size_t size);
bool vio_match_tenant(const struct vio_match_spec *m, const char *path,
		      const char *vm);

#endif /* DM_VIO_TAG_H */
