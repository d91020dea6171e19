// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for dm-vio's VM name derivation from cgroup paths: the scope
 * names libvirt and systemd-machined use, their escaping, and everything
 * that must not be taken for a VM.
 */
#include <kunit/test.h>
#include <linux/string.h>

#include "compat.h"
#include "tag.h"

struct vm_case {
	const char *path;
	int ret;
	const char *name;	/* when ret == 0 */
};

#define DIGITS10	"1234567890"
#define NAME63		DIGITS10 DIGITS10 DIGITS10 DIGITS10 DIGITS10 DIGITS10 "123"

static const struct vm_case vm_cases[] = {
	/* libvirt QEMU guests: the id changes per start, the name stays. */
	{ "/machine.slice/machine-qemu\\x2d3\\x2ddb1.scope", 0, "db1" },
	{ "machine.slice/machine-qemu\\x2d1\\x2dvm1.scope", 0, "vm1" },
	{ "machine.slice/machine-qemu\\x2d2\\x2dvm1.scope", 0, "vm1" },
	{ "machine.slice/machine-qemu\\x2d3\\x2ddb1.scope/libvirt/vcpu0", 0, "db1" },
	{ "machine.slice/machine-qemu\\x2d3\\x2ddb1.scope/libvirt/emulator", 0, "db1" },
	{ "machine.slice/machine-qemu\\x2d12345\\x2dweb\\x2dfront.scope", 0, "web-front" },
	{ "machine.slice/machine-qemu\\x2d7\\x2da\\x2eb.scope", 0, "a.b" },
	/* libvirt LXC. */
	{ "machine.slice/machine-lxc\\x2d812\\x2dweb.scope", 0, "web" },
	/* systemd-machined without libvirt: the name as it is. */
	{ "machine.slice/machine-db1.scope", 0, "db1" },
	{ "machine.slice/machine-qemu.scope", 0, "qemu" },
	/* "qemu-<id>-" needs a decimal id and a name after it. */
	{ "machine.slice/machine-qemu\\x2dx\\x2dvm.scope", 0, "qemu-x-vm" },
	{ "machine.slice/machine-qemu\\x2d5\\x2d.scope", 0, "qemu-5-" },
	{ "machine.slice/machine-qemu\\x2d5.scope", 0, "qemu-5" },
	/* The innermost machine scope wins. */
	{ "machine.slice/machine-outer.scope/machine-inner.scope", 0, "inner" },
	/* Upper-case hex escapes. */
	{ "machine.slice/machine-qemu\\x2D4\\x2DBig.scope", 0, "Big" },

	/* Not a machine. */
	{ "/", -ENOENT },
	{ "", -ENOENT },
	{ "user.slice/user-1000.slice/session-2.scope", -ENOENT },
	{ "system.slice/libvirtd.service", -ENOENT },
	{ "machine.slice", -ENOENT },
	{ "machine.slice/machine-.scope", -ENOENT },
	{ "machine.slice/machine-db1.service", -ENOENT },
	{ "machine.slice/xmachine-db1.scope", -ENOENT },
	{ "machine.slice/machine-db1.scopex", -ENOENT },

	/* Broken escapes are refused, not guessed at. */
	{ "machine.slice/machine-qemu\\x2.scope", -EINVAL },
	{ "machine.slice/machine-qemu\\x2g1.scope", -EINVAL },
	{ "machine.slice/machine-a\\y41.scope", -EINVAL },
	{ "machine.slice/machine-a\\x00b.scope", -EINVAL },
	{ "machine.slice/machine-a\\.scope", -EINVAL },
	/* 63 bytes fit, 64 do not. */
	{ "machine.slice/machine-" NAME63 ".scope", 0, NAME63 },
	{ "machine.slice/machine-" NAME63 "4.scope", -ENAMETOOLONG },
};

static void vm_case_desc(const struct vm_case *c, char *desc)
{
	strscpy(desc, c->path, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vm, vm_cases, vm_case_desc);

static void vio_tag_vm_name_test(struct kunit *test)
{
	const struct vm_case *c = test->param_value;
	char name[VIO_VM_NAME_LEN];

	memset(name, 'X', sizeof(name));
	KUNIT_ASSERT_EQ(test, vio_tag_vm_name(c->path, name, sizeof(name)), c->ret);
	if (!c->ret)
		KUNIT_EXPECT_STREQ(test, name, c->name);
}

/* A too-small buffer is refused, and nothing past its size is written. */
static void vio_tag_vm_name_small_buffer_test(struct kunit *test)
{
	char name[8];

	memset(name, 'X', sizeof(name));
	KUNIT_EXPECT_EQ(test, vio_tag_vm_name("machine.slice/machine-abcde.scope",
					      name, 5), -ENAMETOOLONG);
	KUNIT_EXPECT_EQ(test, name[5], 'X');
	KUNIT_EXPECT_EQ(test, vio_tag_vm_name("machine.slice/machine-abcd.scope",
					      name, 5), 0);
	KUNIT_EXPECT_STREQ(test, name, "abcd");
	KUNIT_EXPECT_EQ(test, name[5], 'X');
}

static struct kunit_case vio_tag_test_cases[] = {
	KUNIT_CASE_PARAM(vio_tag_vm_name_test, vm_gen_params),
	KUNIT_CASE(vio_tag_vm_name_small_buffer_test),
	{}
};

static struct kunit_suite vio_tag_test_suite = {
	.name = "dm_vio_tag",
	.test_cases = vio_tag_test_cases,
};

kunit_test_suite(vio_tag_test_suite);
