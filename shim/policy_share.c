/*
 * policy_share.c — one compiled policy per protected tree (policy_share.h).
 */
#include "policy_share.h"
#include "state.h"
#include "sys.h"
#include "treefd.h"

#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#ifndef SYS_memfd_create
#define SYS_memfd_create 319
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1u
#define MFD_ALLOW_SEALING 2u
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 1
#define F_SEAL_SHRINK 2
#define F_SEAL_GROW 4
#define F_SEAL_WRITE 8
#endif
#define SEALED (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static const void *image SHIM_LOAD_STATE;
static size_t image_len SHIM_LOAD_STATE;
static atomic_int state SHIM_LOAD_STATE; /* 0 not published, 1 publishing, 2 published, 3 cannot */
static char entry[sizeof POLICY_SHARE_ENV + 96] SHIM_LOAD_STATE;
static _Atomic(const char *) env_entry = "";

void policy_share_init(const struct fs_policy *p, int restricts)
{
	if (restricts)
		image = fs_policy_image(p, &image_len);
}

struct fs_policy *policy_share_inherit(const char *value, int mode_override)
{
	struct treefd t;
	if (treefd_parse(value, &t) < 0 || t.pid == sys_getpid())
		return NULL; /* none, or the root exec'd itself: its copy went with that exec */
	int fd = treefd_fetch(&t, O_RDONLY);
	if (fd < 0)
		return NULL;
	struct stat st;
	void *map = MAP_FAILED;
	if (sys_fcntl(fd, F_GET_SEALS, 0) == SEALED && sys_fstat(fd, &st) == 0 && st.st_size > 0)
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	sys_close(fd);
	if (map == MAP_FAILED)
		return NULL;
	/* Trusted: these bytes are the image the root checked, sealed since. The header is
	 * checked all the same, and anything amiss means loading the policy the slow way. */
	static _Alignas(16) unsigned char place[FS_POLICY_PLACE_BYTES] SHIM_LOAD_STATE;
	struct fs_image_options o = { .mode_override = mode_override, .trusted = 1, .owner = 2,
				      .place = place };
	struct fs_policy *p = fs_policy_load_image(map, (size_t)st.st_size, &o, NULL);
	if (!p)
		return NULL;
	/* Passed on as it came: the grandchildren map the root's copy too. */
	treefd_entry(entry, POLICY_SHARE_ENV, &t);
	atomic_store(&env_entry, entry);
	atomic_store(&state, 2);
	return p;
}

/* The copy: a sealed memfd with the image, on a high close-on-exec number. */
static int make_copy(struct treefd *t)
{
	int fd = (int)SYS6(SYS_memfd_create, "fnshield-policy", MFD_CLOEXEC | MFD_ALLOW_SEALING, 0, 0,
			   0, 0);
	if (fd < 0)
		return -1;
	const char *p = image;
	size_t left = image_len;
	while (left) {
		ssize_t n = sys_write(fd, p, left);
		if (n == -EINTR)
			continue;
		if (n <= 0)
			goto fail;
		p += n;
		left -= (size_t)n;
	}
	if (sys_fcntl(fd, F_ADD_SEALS, SEALED) < 0)
		goto fail;
	int high = treefd_high_dup(fd);
	sys_close(fd);
	if (high < 0 || treefd_describe(high, t) < 0) {
		if (high >= 0)
			sys_close(high);
		return -1;
	}
	return 0;
fail:
	sys_close(fd);
	return -1;
}

void policy_share_publish(void)
{
	if (__builtin_expect(atomic_load_explicit(&state, memory_order_acquire) >= 2, 1) || !image)
		return;
	int expected = 0;
	if (!atomic_compare_exchange_strong(&state, &expected, 1))
		return; /* another thread is at it: this child may load the policy itself */
	int saved = errno;
	struct treefd t;
	if (make_copy(&t) == 0) {
		treefd_entry(entry, POLICY_SHARE_ENV, &t);
		atomic_store(&env_entry, entry);
		atomic_store(&state, 2);
	} else {
		atomic_store(&state, 3);
	}
	errno = saved;
}

const char *policy_share_env_entry(void)
{
	return atomic_load(&env_entry);
}
