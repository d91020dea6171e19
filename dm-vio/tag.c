// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vio: deriving a VM's name from its cgroup path.
 *
 * libvirt and systemd-machined put each guest in a scope unit under
 * machine.slice, named after the machine and escaped the systemd way
 * (systemd.unit(5): "-" and other bytes become "\xNN"):
 *
 *   machine.slice/machine-qemu\x2d3\x2ddb1.scope            libvirt QEMU
 *   machine.slice/machine-qemu\x2d3\x2ddb1.scope/libvirt/vcpu0
 *   machine.slice/machine-lxc\x2d812\x2dweb.scope            libvirt LXC
 *   machine.slice/machine-db1.scope                          machined
 *
 * The name is what stays the same when the guest restarts or moves to
 * another host: libvirt's "<driver>-<id>-" prefix (the id changes with
 * every start) is dropped, so all of the above but the last two yield
 * "db1", the LXC one "web".
 */
#include <linux/ctype.h>
#include <linux/errno.h>
#include <linux/glob.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/string_helpers.h>

#include "compat.h"
#include "tag.h"

#define MACHINE_PREFIX	"machine-"
#define SCOPE_SUFFIX	".scope"

/*
 * Undo systemd's escaping of @len bytes at @src into @dst (@size bytes,
 * NUL-terminated). Only printable ASCII other than the space may result:
 * a VM name is printed as one word in status lines and sysfs, and
 * systemd-machined and libvirt never make another (machine names are
 * hostname-like). Return: the unescaped length, -EINVAL for a broken
 * escape or any other byte, -ENAMETOOLONG when it does not fit.
 */
static int vio_unescape(const char *src, size_t len, char *dst, size_t size)
{
	size_t i = 0, n = 0;

	while (i < len) {
		char c = src[i];

		if (c == '\\') {
			int hi, lo;

			if (len - i < 4 || src[i + 1] != 'x')
				return -EINVAL;
			hi = hex_to_bin(src[i + 2]);
			lo = hex_to_bin(src[i + 3]);
			if (hi < 0 || lo < 0 || (hi | lo) == 0)
				return -EINVAL;
			c = (char)(hi << 4 | lo);
			i += 4;
		} else {
			i++;
		}
		if (!vio_tag_char_ok(c))
			return -EINVAL;
		if (n + 1 >= size)
			return -ENAMETOOLONG;
		dst[n++] = c;
	}
	dst[n] = '\0';
	return n;
}

/**
 * vio_escape_path() - a cgroup path as one word of a status line
 * @path: the path, NUL-terminated
 * @dst: result buffer
 * @size: its size, at least 1
 *
 * Escapes the space and every byte that is not printable ASCII as \ooo
 * (octal), as /proc/self/mountinfo does, so that a path with spaces,
 * newlines or "key=" text can neither split a line nor add a field to it.
 * The backslash is left alone: systemd's \xNN escapes then read as they
 * are in cgroupfs and in rule patterns; only a name that holds a
 * backslash followed by three octal digits reads ambiguously. Truncated
 * to @size - 1 bytes when it does not fit.
 *
 * Return: the length written, not counting the NUL.
 */
size_t vio_escape_path(const char *path, char *dst, size_t size)
{
	int n = string_escape_str(path, dst, size - 1,
				  ESCAPE_OCTAL | ESCAPE_NAP | ESCAPE_APPEND,
				  " ");
	size_t len = min_t(size_t, n, size - 1);

	dst[len] = '\0';
	return len;
}
EXPORT_SYMBOL_IF_KUNIT(vio_escape_path);

/* Drop libvirt's "<driver>-<id>-" prefix: qemu or lxc, decimal id. */
static const char *vio_strip_libvirt_prefix(const char *name)
{
	static const char * const drivers[] = { "qemu-", "lxc-" };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(drivers); i++) {
		const char *p = name + strlen(drivers[i]);

		if (strncmp(name, drivers[i], strlen(drivers[i])) || !isdigit(*p))
			continue;
		while (isdigit(*p))
			p++;
		if (*p == '-' && p[1])
			return p + 1;
	}
	return name;
}

/* Does the path component [@p, @p + @len) end in @suffix? */
static bool vio_ends_with(const char *p, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !strncmp(p + len - n, suffix, n);
}

/**
 * vio_tag_vm_name() - the VM name in a cgroup path, if it has one
 * @cgroup_path: a cgroup v2 path, with or without a leading "/"
 * @name: result buffer
 * @size: its size; names longer than @size - 1 are refused
 *
 * A VM is the first "machine-<escaped name>.scope" component of a path
 * that starts at "machine.slice" and has only slices before that scope
 * ("machine.slice/[<partition>.slice/...]machine-qemu\x2d3\x2ddb1.scope/
 * ..."): where systemd-machined and libvirt put machines, and where only
 * root makes cgroups. A scope further down, or under another slice, may
 * be made by whoever the cgroup tree is delegated to (a user's service
 * manager, a container, the VM's own qemu) and is no VM: a tenant cannot
 * claim a VM's class by naming a cgroup after it.
 *
 * Return: 0 with @name set; -ENOENT when the path is not a machine's;
 * -EINVAL for a scope name that is not validly escaped or does not
 * unescape to printable ASCII; -ENAMETOOLONG when the name does not fit.
 */
int vio_tag_vm_name(const char *cgroup_path, char *name, size_t size)
{
	static const char root_slice[] = "machine.slice";
	const char *p = cgroup_path + (*cgroup_path == '/');
	const char *found = NULL;
	size_t found_len = 0;
	bool first = true;
	char *buf;
	int r;

	while (*p) {
		const char *end = strchrnul(p, '/');
		size_t len = end - p;

		if (first) {
			if (len != strlen(root_slice) || strncmp(p, root_slice, len))
				return -ENOENT;
			first = false;
		} else if (len > strlen(MACHINE_PREFIX) + strlen(SCOPE_SUFFIX) &&
			   !strncmp(p, MACHINE_PREFIX, strlen(MACHINE_PREFIX)) &&
			   vio_ends_with(p, len, SCOPE_SUFFIX)) {
			found = p + strlen(MACHINE_PREFIX);
			found_len = len - strlen(MACHINE_PREFIX) - strlen(SCOPE_SUFFIX);
			break;
		} else if (!vio_ends_with(p, len, ".slice")) {
			return -ENOENT;
		}
		p = *end ? end + 1 : end;
	}
	if (!found)
		return -ENOENT;

	/* Unescape in place in @name, then drop the libvirt prefix. */
	r = vio_unescape(found, found_len, name, size);
	if (r < 0)
		return r;
	buf = name;
	p = vio_strip_libvirt_prefix(buf);
	if (p != buf)
		memmove(buf, p, strlen(p) + 1);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vio_tag_vm_name);

static const char * const vio_match_keys[] = {
	[VIO_MATCH_VM] = "vm",
	[VIO_MATCH_CGROUP] = "cgroup",
};

/**
 * vio_match_parse() - read the tenant pattern of a rule
 * @word: "vm=<glob>" or "cgroup=<glob>"
 * @m: result
 * @err: the reason, on error
 *
 * Globs are glob_match()'s: "*", "?" and "[...]", in printable ASCII
 * without spaces (what VM names are made of; a cgroup path with other
 * bytes is matched by "?" or "*" there). A cgroup pattern is
 * matched against the whole path from the cgroup root ("/machine.slice/
 * ..."), a VM pattern against the unescaped VM name.
 */
int vio_match_parse(const char *word, struct vio_match_spec *m,
		    struct vio_err *err)
{
	const char *eq = strchr(word, '=');
	size_t klen = eq ? eq - word : 0, plen;
	unsigned int k, i;

	for (k = 0; k < ARRAY_SIZE(vio_match_keys); k++)
		if (eq && strlen(vio_match_keys[k]) == klen &&
		    !strncmp(word, vio_match_keys[k], klen))
			break;
	if (k == ARRAY_SIZE(vio_match_keys))
		return vio_err(err, "Tenant pattern '%.40s' must be vm=<glob> or cgroup=<glob>",
			       word);
	plen = strlen(eq + 1);
	if (!plen)
		return vio_err(err, "Tenant pattern '%s' is empty", word);
	if (plen >= VIO_PATTERN_LEN)
		return vio_err(err, "Tenant pattern '%.40s...' is longer than %u bytes",
			       word, VIO_PATTERN_LEN - 1);
	for (i = 0; i < plen; i++)
		if (!vio_tag_char_ok(eq[1 + i]))
			return vio_err(err, "Tenant pattern '%.40s' is not printable ASCII",
				       word);
	m->kind = k;
	memcpy(m->pattern, eq + 1, plen + 1);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vio_match_parse);

int vio_match_format(const struct vio_match_spec *m, char *buf, size_t size)
{
	return scnprintf(buf, size, "%s=%s", vio_match_keys[m->kind], m->pattern);
}
EXPORT_SYMBOL_IF_KUNIT(vio_match_format);

/**
 * vio_match_tenant() - does a rule's pattern match a tenant?
 * @m: the pattern
 * @path: the tenant's cgroup path
 * @vm: the tenant's VM name, "" if it has none
 */
bool vio_match_tenant(const struct vio_match_spec *m, const char *path,
		      const char *vm)
{
	if (m->kind == VIO_MATCH_VM)
		return vm[0] && glob_match(m->pattern, vm);
	return glob_match(m->pattern, path);
}
EXPORT_SYMBOL_IF_KUNIT(vio_match_tenant);
