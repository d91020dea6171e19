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

/* Longest VM name kept, including the terminating NUL. */
#define VIO_VM_NAME_LEN	64

int vio_tag_vm_name(const char *cgroup_path, char *name, size_t size);

#endif /* DM_VIO_TAG_H */
