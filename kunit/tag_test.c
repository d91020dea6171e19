// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for dm-vio's VM name derivation from cgroup paths: the scope
 * names libvirt and systemd-machined use, their escaping, and everything
 * that must not be taken for a VM; and for the tenant patterns of rules,
 * parsed and matched against tenants.
 */
#include <kunit/test.h>
#include <linux/ctype.h>
#include <linux/string.h>

#include "compat.h"
#include "vio_test.h"
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
	/* libvirt partitions: slices under machine.slice. */
	{ "/machine.slice/machine-prod.slice/machine-qemu\\x2d3\\x2ddb1.scope", 0, "db1" },
	{ "machine.slice/a.slice/b.slice/machine-db2.scope/libvirt", 0, "db2" },
	/*
	 * Only machined's scopes count: the first machine scope, under
	 * machine.slice and slices. Cgroups below it, or anywhere else, may
	 * be made by whoever has the tree delegated, and name no VM.
	 */
	{ "machine.slice/machine-outer.scope/machine-inner.scope", 0, "outer" },
	{ "user.slice/user-1000.slice/user@1000.service/machine-qemu\\x2d1\\x2dvm1.scope",
	  -ENOENT },
	{ "/machine-vm1.scope", -ENOENT },
	{ "/x/machine.slice/machine-vm1.scope", -ENOENT },
	{ "machine.slice/evil/machine-vm1.scope", -ENOENT },
	{ "machine.slice/evil.service/machine-vm1.scope", -ENOENT },
	{ "machine.slicex/machine-vm1.scope", -ENOENT },
	{ "system.slice/machine.slice/machine-vm1.scope", -ENOENT },
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
	/*
	 * A name must be printable ASCII without spaces (machined's and
	 * libvirt's always are): one that is not is no VM's name.
	 */
	{ "machine.slice/machine-a\\x20b.scope", -EINVAL },
	{ "machine.slice/machine-a b.scope", -EINVAL },
	{ "machine.slice/machine-a\\x0ab.scope", -EINVAL },
	{ "machine.slice/machine-a\\x09b.scope", -EINVAL },
	{ "machine.slice/machine-a\\x7f.scope", -EINVAL },
	{ "machine.slice/machine-caf\\xc3\\xa9.scope", -EINVAL },
	{ "machine.slice/machine-qemu\\x2d1\\x2dx\\x0apath=evil.scope", -EINVAL },
	{ "machine.slice/machine-a\\x3db\\x5cc.scope", 0, "a=b\\c" },
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

struct escape_case {
	const char *path;
	const char *escaped;
};

static const struct escape_case escape_cases[] = {
	{ "/", "/" },
	{ "/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope",
	  "/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope" },
	{ "/a b/c", "/a\\040b/c" },
	{ "/a\nb", "/a\\012b" },
	{ "/a\tb\x7f", "/a\\011b\\177" },
	{ "/x path=/y", "/x\\040path=/y" },
	{ "/caf\xc3\xa9", "/caf\\303\\251" },
	{ "/a=b:c~d", "/a=b:c~d" },
};

static void escape_case_desc(const struct escape_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s", c->escaped);
}

KUNIT_ARRAY_PARAM(escape, escape_cases, escape_case_desc);

/* Paths as one word: what must not split a status line is escaped. */
static void vio_escape_path_test(struct kunit *test)
{
	const struct escape_case *c = test->param_value;
	char buf[64];

	KUNIT_EXPECT_EQ(test, vio_escape_path(c->path, buf, sizeof(buf)),
			strlen(c->escaped));
	KUNIT_EXPECT_STREQ(test, buf, c->escaped);
}

/* A short buffer gets a NUL-terminated prefix of the escaped path. */
static void vio_escape_path_truncated_test(struct kunit *test)
{
	char buf[8];

	memset(buf, 'X', sizeof(buf));
	KUNIT_EXPECT_EQ(test, vio_escape_path("/a b c", buf, 6), 5);
	KUNIT_EXPECT_STREQ(test, buf, "/a\\04");
	KUNIT_EXPECT_EQ(test, buf[6], 'X');
	KUNIT_EXPECT_EQ(test, vio_escape_path("/abc", buf, 1), 0);
	KUNIT_EXPECT_STREQ(test, buf, "");
}

struct match_parse_case {
	const char *word;
	const char *error;	/* expected message prefix; NULL: valid */
	enum vio_match kind;	/* for valid words: */
	const char *pattern;
};

static const struct match_parse_case match_parse_cases[] = {
	{ "vm=vm1", NULL, VIO_MATCH_VM, "vm1" },
	{ "vm=*", NULL, VIO_MATCH_VM, "*" },
	{ "vm=web-[0-9]?", NULL, VIO_MATCH_VM, "web-[0-9]?" },
	{ "vm=a=b", NULL, VIO_MATCH_VM, "a=b" },
	{ "cgroup=/machine.slice/*", NULL, VIO_MATCH_CGROUP, "/machine.slice/*" },
	{ "cgroup=/", NULL, VIO_MATCH_CGROUP, "/" },
	{ "cgroup=/machine.slice/machine-qemu\\\\x2d1\\\\x2dvm1.scope", NULL, VIO_MATCH_CGROUP,
	  "/machine.slice/machine-qemu\\\\x2d1\\\\x2dvm1.scope" },

	{ "vm", "Tenant pattern 'vm' must be vm=<glob> or cgroup=<glob>" },
	{ "vm1", "Tenant pattern 'vm1' must be vm=<glob> or cgroup=<glob>" },
	{ "", "Tenant pattern '' must be vm=<glob> or cgroup=<glob>" },
	{ "=vm1", "Tenant pattern '=vm1' must be vm=<glob> or cgroup=<glob>" },
	{ "host=a", "Tenant pattern 'host=a' must be vm=<glob> or cgroup=<glob>" },
	{ "VM=a", "Tenant pattern 'VM=a' must be vm=<glob> or cgroup=<glob>" },
	{ "vmx=a", "Tenant pattern 'vmx=a' must be vm=<glob> or cgroup=<glob>" },
	{ "cgroups=/a", "Tenant pattern 'cgroups=/a' must be vm=<glob> or cgroup=<glob>" },
	{ "vm=", "Tenant pattern 'vm=' is empty" },
	{ "cgroup=", "Tenant pattern 'cgroup=' is empty" },
	{ "vm=a b", "Tenant pattern 'vm=a b' is not printable ASCII" },
	{ "vm=a\tb", "Tenant pattern 'vm=a\tb' is not printable ASCII" },
	{ "cgroup=/a\n", "Tenant pattern 'cgroup=/a\n' is not printable ASCII" },
	{ "vm=\x7f", "Tenant pattern 'vm=\x7f' is not printable ASCII" },
	{ "vm=caf\xc3\xa9", "Tenant pattern 'vm=caf\xc3\xa9' is not printable ASCII" },
	{ "cgroup=/\xe2\x82\xac", "Tenant pattern 'cgroup=/\xe2\x82\xac' is not printable ASCII" },
};

/* The description is a line of the test log: no control bytes in it. */
static void match_parse_case_desc(const struct match_parse_case *c, char *desc)
{
	char *p;

	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "\"%s\"", c->word);
	for (p = desc; *p; p++)
		if (!isprint(*p))
			*p = '?';
}

KUNIT_ARRAY_PARAM(match_parse, match_parse_cases, match_parse_case_desc);

/* Valid words parse and print back as written; the rest give the reason. */
static void vio_match_parse_test(struct kunit *test)
{
	const struct match_parse_case *c = test->param_value;
	struct vio_match_spec *m;
	struct vio_err err = {};
	char buf[VIO_PATTERN_LEN + 8];
	int r;

	m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	r = vio_match_parse(c->word, m, &err);
	vio_expect_result(test, r, &err, c->error);
	if (c->error)
		return;
	KUNIT_EXPECT_EQ(test, m->kind, c->kind);
	KUNIT_EXPECT_STREQ(test, m->pattern, c->pattern);
	KUNIT_EXPECT_EQ(test, vio_match_format(m, buf, sizeof(buf)), (int)strlen(c->word));
	KUNIT_EXPECT_STREQ(test, buf, c->word);
}

/* Patterns of up to VIO_PATTERN_LEN - 1 bytes; the message quotes 40. */
static void vio_match_parse_long_test(struct kunit *test)
{
	size_t len = strlen("cgroup=") + VIO_PATTERN_LEN;
	struct vio_match_spec *m;
	struct vio_err err = {};
	char *word;

	m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	word = kunit_kzalloc(test, len + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_NOT_NULL(test, word);
	strscpy(word, "cgroup=", len + 1);
	memset(word + strlen("cgroup="), 'a', VIO_PATTERN_LEN);

	/* VIO_PATTERN_LEN bytes: one too many. */
	KUNIT_EXPECT_EQ(test, vio_match_parse(word, m, &err), -EINVAL);
	KUNIT_EXPECT_STREQ(test, err.msg,
			   "Tenant pattern 'cgroup=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' is longer than 255 bytes");

	/* VIO_PATTERN_LEN - 1 bytes fit. */
	word[len - 1] = '\0';
	KUNIT_ASSERT_EQ(test, vio_match_parse(word, m, &err), 0);
	KUNIT_EXPECT_EQ(test, strlen(m->pattern), VIO_PATTERN_LEN - 1);
	KUNIT_EXPECT_EQ(test, m->kind, VIO_MATCH_CGROUP);
}

/*
 * libvirt's scope of VM vm1, as cgroupfs shows it: the "\x2d" escapes are
 * literal backslashes in the path.
 */
#define VM1_SCOPE	"/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope"
#define DB1_VCPU	"/machine.slice/machine-qemu\\x2d3\\x2ddb1.scope/libvirt/vcpu0"
#define HOST_SESSION	"/user.slice/user-1000.slice/session-2.scope"

struct tenant_case {
	const char *path;	/* the tenant's cgroup path */
	const char *word;	/* the rule's pattern */
	bool match;
};

static const struct tenant_case tenant_cases[] = {
	{ VM1_SCOPE, "vm=vm1", true },
	{ VM1_SCOPE, "vm=vm*", true },
	{ VM1_SCOPE, "vm=*", true },
	{ VM1_SCOPE, "vm=vm?", true },
	{ VM1_SCOPE, "vm=vm[0-9]", true },
	{ VM1_SCOPE, "vm=*1", true },
	{ VM1_SCOPE, "vm=vm2", false },
	{ VM1_SCOPE, "vm=vm", false },
	{ VM1_SCOPE, "vm=vm1?", false },
	{ VM1_SCOPE, "vm=VM1", false },
	{ VM1_SCOPE, "vm=qemu-1-vm1", false },
	{ VM1_SCOPE, "vm=vm[!1]", false },
	{ VM1_SCOPE, "cgroup=/machine.slice/*", true },
	{ VM1_SCOPE, "cgroup=*", true },
	{ VM1_SCOPE, "cgroup=/machine.slice/machine-qemu*vm1.scope", true },
	/* A glob escapes with "\", so a literal backslash is "\\". */
	{ VM1_SCOPE, "cgroup=/machine.slice/machine-qemu\\\\x2d1\\\\x2dvm1.scope", true },
	{ VM1_SCOPE, "cgroup=/machine.slice", false },
	{ VM1_SCOPE, "cgroup=/user.slice/*", false },
	{ VM1_SCOPE, "cgroup=machine.slice/*", false },
	/* A VM's threads are in cgroups below its scope. */
	{ DB1_VCPU, "vm=db1", true },
	{ DB1_VCPU, "vm=vm*", false },
	{ DB1_VCPU, "cgroup=/machine.slice/*", true },
	{ DB1_VCPU, "cgroup=*/vcpu?", true },
	/* A tenant without a VM name never matches a vm= rule. */
	{ HOST_SESSION, "vm=*", false },
	{ HOST_SESSION, "vm=?*", false },
	{ HOST_SESSION, "vm=session-2", false },
	{ HOST_SESSION, "cgroup=/user.slice/*", true },
	{ HOST_SESSION, "cgroup=*", true },
	{ "/", "vm=*", false },
	{ "/", "cgroup=/", true },
	{ "/", "cgroup=/?*", false },
};

static void tenant_case_desc(const struct tenant_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s %s", c->word, c->path);
}

KUNIT_ARRAY_PARAM(tenant, tenant_cases, tenant_case_desc);

static void vio_match_tenant_test(struct kunit *test)
{
	const struct tenant_case *c = test->param_value;
	struct vio_match_spec *m;
	struct vio_err err = {};
	char vm[VIO_VM_NAME_LEN];
	int r;

	m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_EQ_MSG(test, vio_match_parse(c->word, m, &err), 0, "%s", err.msg);
	r = vio_tag_vm_name(c->path, vm, sizeof(vm));
	if (r == -ENOENT)
		vm[0] = '\0';
	else
		KUNIT_ASSERT_EQ(test, r, 0);
	KUNIT_EXPECT_EQ(test, vio_match_tenant(m, c->path, vm), c->match);
}

/* The escaped scope above is the tenant "vm1". */
static void vio_match_tenant_vm_name_test(struct kunit *test)
{
	char vm[VIO_VM_NAME_LEN];

	KUNIT_ASSERT_EQ(test, vio_tag_vm_name(VM1_SCOPE, vm, sizeof(vm)), 0);
	KUNIT_EXPECT_STREQ(test, vm, "vm1");
	KUNIT_ASSERT_EQ(test, vio_tag_vm_name(DB1_VCPU, vm, sizeof(vm)), 0);
	KUNIT_EXPECT_STREQ(test, vm, "db1");
	KUNIT_EXPECT_EQ(test, vio_tag_vm_name(HOST_SESSION, vm, sizeof(vm)), -ENOENT);
}

static struct kunit_case vio_tag_test_cases[] = {
	KUNIT_CASE_PARAM(vio_tag_vm_name_test, vm_gen_params),
	KUNIT_CASE(vio_tag_vm_name_small_buffer_test),
	KUNIT_CASE_PARAM(vio_escape_path_test, escape_gen_params),
	KUNIT_CASE(vio_escape_path_truncated_test),
	KUNIT_CASE_PARAM(vio_match_parse_test, match_parse_gen_params),
	KUNIT_CASE(vio_match_parse_long_test),
	KUNIT_CASE(vio_match_tenant_vm_name_test),
	KUNIT_CASE_PARAM(vio_match_tenant_test, tenant_gen_params),
	{}
};

static struct kunit_suite vio_tag_test_suite = {
	.name = "dm_vio_tag",
	.test_cases = vio_tag_test_cases,
};

kunit_test_suite(vio_tag_test_suite);
