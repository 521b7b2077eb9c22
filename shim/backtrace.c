/*
 * backtrace.c — native call stacks for violation lines, with libunwind (see backtrace.h).
 *
 * The hooks run in any thread, in signal handlers and in vfork children, inside Python, Node.js
 * and JVM processes. What that rules out, and what is done instead:
 *
 * libunwind, compiled in. Debian's libunwind.a is not PIC, and libunwind.so.8 would put
 *   unw_* and _U* symbols into the process's global scope (and Amazon Linux 2 has none). So
 *   tools/build-libunwind.sh builds Debian's source as a PIC static archive with every symbol
 *   hidden, local unwinding only (UNW_LOCAL_ONLY), no .debug_frame/minidebuginfo (those read
 *   files and allocate); --exclude-libs keeps it out of the dynamic symbol table. That script
 *   also renames the archive's references to a few libc functions to fnshield_unw_* (defined
 *   at the end of this file), which is how the points below are enforced at link time.
 *
 * No loader lock. libunwind finds unwind tables with dl_iterate_phdr(), which takes the
 *   loader's lock (and is not async-signal-safe). Its calls go to fnshield_unw_dl_iterate_phdr
 *   instead, which walks this file's own module table: read from /proc/self/maps with raw
 *   system calls (sys.h), each module's ELF and program headers read from its mapping. The
 *   table is read lazily (backtrace_prepare or the first backtrace) and again when a frame
 *   falls outside every known module (a library loaded since), at most every 250 ms. Module,
 *   offset and symbol come from the same table: no dladdr.
 *
 * Symbols without files. Names come from each module's dynamic symbol table (.dynsym, which is
 *   mapped; .symtab is not, and is stripped anyway): the STT_FUNC whose [value, value+size)
 *   holds the address. CPython exports its API from the python3.x executable or libpython, so
 *   interpreter frames are named; static functions are not (module+offset still locates them).
 *   libunwind's own unw_get_proc_name is never called: it opens and maps the ELF file.
 *
 * No malloc. libunwind's local unwinder allocates from its own pools with mmap; the code that
 *   would call malloc (ELF file mapping, remote address spaces) is linked in but unreachable,
 *   and its malloc/free/open/stat references are renamed to stubs that fail.
 *
 * Memory reads are validated without side effects. Unwinding through code without unwind
 *   information (JIT code) follows frame pointers that may be garbage. Stock libunwind checks
 *   such addresses by writing the bytes to a pipe it keeps open in the process — two stray
 *   descriptors which, once an application closes "all other descriptors" and reuses the
 *   numbers, make it read from and write into the application's own files. The pipe is never
 *   created here (pipe2 is a failing stub), and the local address space's access_mem is
 *   replaced: every word libunwind reads through it is first checked with
 *   rt_sigprocmask(<invalid how>, addr, NULL), which copies 8 bytes from addr and fails with
 *   EFAULT if they are unreadable, or with EINVAL — changing nothing — if they are readable.
 *   Pages found readable are remembered for the rest of the capture. (On x86_64 libunwind reads
 *   every stack word through access_mem; on aarch64 it reads CFI-described stack slots
 *   directly, as glibc's and libgcc's unwinders do.)
 *
 * One unwinder at a time, signals blocked. libunwind keeps global state (a cache of register
 *   states, object pools) behind pthread mutexes and blocks signals around each use. Here all
 *   of it runs under one lock of this file (owner = thread id, so a re-entry on the same
 *   thread fails instead of deadlocking) with every asynchronous signal blocked (raw
 *   rt_sigprocmask) for the whole capture: a handler cannot interrupt a capture, so libunwind's
 *   own per-lock sigprocmask calls are redundant and stubbed out. A thread that cannot get the
 *   lock within 50 ms writes the line without a backtrace rather than wait longer. Synchronous
 *   fault signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) stay unblocked, so that a fault
 *   reaches the runtime's own handler (the JVM's error report) instead of a silent kill.
 *   fork(): pthread_atfork handlers take the lock around fork, so a child never inherits it (or
 *   libunwind's mutexes) held by a thread that does not exist in the child. A vfork child
 *   shares the parent's memory, takes the lock like any thread (its id is its own) and
 *   releases it before it can exec; only a vfork child killed mid-capture would leave the lock
 *   taken, and then later captures give up after 50 ms each.
 *   The capture's scratch state (context, cursor, /proc/self/maps buffer) is static, which
 *   the lock makes safe and which keeps the stack cost small (aarch64's unw_context_t alone is
 *   4.5 KB, and a hook may be running on a small signal stack).
 *
 * Cost (x86_64, 2-core VM): a warm capture of 13-16 frames with symbols takes about 8-12 us
 * (tests/unit/test_backtrace.c prints it): 7 system calls (signal mask twice, gettid, a few
 * probes) and libunwind's steps; symbols come from a 512-entry cache by address. A violation
 * line costs about 9 us more in CPython and 20-30 us more in Node.js (deeper, JIT frames).
 * The first capture in a process also reads /proc/self/maps and scans .dynsym of the modules
 * on the stack: about 0.3 ms in CPython, 1.3 ms in Node.js (75000 exported symbols);
 * backtrace_prepare() moves the first part to start-up.
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "backtrace.h"
#include "dynsym.h"
#include "sys.h"

#include <elf.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define MAX_MODULES 1024
#define NAME_MAX_ 64          /* module base name, NUL included */
#define SYMBOL_MAX 80         /* bytes of a symbol name in a frame */
#define MAX_STEPS 128         /* frames walked at most, skipped ones included */
#define MAX_DEPTH 64          /* frames recorded at most */
#define LOCK_TIMEOUT_NS 50000000LL
#define REFRESH_INTERVAL_NS 250000000LL
#define PAGE 4096u            /* validation granule: never larger than the real page size */
#define VCACHE 32

#if defined(__x86_64__)
#define ELF_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define ELF_MACHINE EM_AARCH64
#else
#error "fnshield: backtraces are implemented for x86_64 and aarch64"
#endif

/* ---- the module table ---------------------------------------------------------------------- */

struct module {
	uintptr_t lo, hi;            /* [lo, hi): its PT_LOAD segments, relocated */
	uintptr_t bias;              /* load address - ELF virtual address */
	const ElfW(Phdr) *phdr;
	unsigned phnum;
	int has_eh;                  /* PT_GNU_EH_FRAME: libunwind can unwind through it */
	char name[NAME_MAX_];
	/* .dynsym, found on first use: 0 not yet looked at, 1 usable, -1 none */
	int sym_state;
	const ElfW(Sym) *sym;
	uint32_t nsym;
	const char *str;
	size_t strsz;
};

static struct module mods[MAX_MODULES];
static int nmods;
static int own_module = -1;          /* the module holding this code */
static long long refreshed_ns;       /* when the table was last read (0: never) */
static int read_at_load;             /* ... and that was by backtrace_prepare */

/* Symbols found, by address: a violation tends to come from the same few call sites again,
 * and a pass over a large .dynsym (libc: 3000 entries, libnode: tens of thousands) is the
 * dominant cost of a first capture. Entries of an older module table do not count. */
#define SYMCACHE 512
static struct {
	uintptr_t at;
	const ElfW(Sym) *sym;
	unsigned gen;
} symcache[SYMCACHE];
static unsigned table_gen;

/* Scratch state of the one capture in progress (the lock makes static storage safe). */
static unw_context_t uc;
static unw_cursor_t cursor;
static char maps_buf[4096];
static char maps_line[PATH_MAX + 128];
static uintptr_t vcache[VCACHE];
static unsigned vcache_n;

static atomic_int lock_owner;        /* thread id of the capturing thread, 0 when free */
static int unwinder_ready;           /* under the lock: 1 set up, -1 failed */
static int fork_held;

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- memory validation --------------------------------------------------------------------- */

static int cached(uintptr_t page)
{
	for (unsigned i = 0; i < vcache_n && i < VCACHE; i++)
		if (vcache[i] == page)
			return 1;
	return 0;
}

static void remember(uintptr_t page)
{
	if (!cached(page))
		vcache[vcache_n++ % VCACHE] = page;
}

static int readable8(uintptr_t addr)
{
	uintptr_t p0 = addr & ~(uintptr_t)(PAGE - 1), p1 = (addr + 7) & ~(uintptr_t)(PAGE - 1);
	if (addr >= PAGE && cached(p0) && cached(p1))
		return 1;
	if (!sys_readable8(addr))
		return 0;
	remember(p0);
	remember(p1);
	return 1;
}

/* The local address space's memory accessor, replacing libunwind's (see the header). */
static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
	(void)as;
	(void)arg;
	if (write || !readable8(addr))
		return -UNW_EINVAL;
	memcpy(val, (const void *)addr, sizeof *val);
	return 0;
}

/* ---- reading /proc/self/maps ----------------------------------------------------------------- */

static const char *parse_hex(const char *p, uintptr_t *v)
{
	uintptr_t x = 0;
	int n = 0;
	for (;; p++, n++) {
		unsigned c = (unsigned char)*p, d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			break;
		x = x << 4 | d;
	}
	*v = x;
	return n ? p : NULL;
}

static const char *skip_field(const char *p)
{
	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		p++;
	return p;
}

/* Is [addr, addr+len) inside one readable PT_LOAD of m (file-backed part)? */
static int in_load(const struct module *m, uintptr_t addr, size_t len)
{
	for (unsigned i = 0; i < m->phnum; i++) {
		const ElfW(Phdr) *ph = &m->phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_R))
			continue;
		uintptr_t s = m->bias + ph->p_vaddr, e = s + ph->p_filesz;
		if (addr >= s && addr <= e && len <= e - addr)
			return 1;
	}
	return 0;
}

/* A mapping of file offset 0: is it the start of a loaded ELF object? Fills *m if so. */
static int elf_module(uintptr_t start, uintptr_t end, struct module *m)
{
	if (end - start < sizeof(ElfW(Ehdr)) || !sys_readable8(start) ||
	    !sys_readable8(start + sizeof(ElfW(Ehdr)) - 8))
		return 0;
	const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)start;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    (eh->e_type != ET_DYN && eh->e_type != ET_EXEC) || eh->e_machine != ELF_MACHINE ||
	    eh->e_phentsize != sizeof(ElfW(Phdr)) || eh->e_phnum == 0 || eh->e_phnum > 64)
		return 0;
	size_t phsize = (size_t)eh->e_phnum * sizeof(ElfW(Phdr));
	if (eh->e_phoff > end - start || phsize > end - start - eh->e_phoff ||
	    !sys_readable8(start + eh->e_phoff) || !sys_readable8(start + eh->e_phoff + phsize - 8))
		return 0;
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)(start + eh->e_phoff);
	uintptr_t vlo = UINTPTR_MAX, vhi = 0, bias = 0;
	int have_first = 0, has_eh = 0;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_GNU_EH_FRAME)
			has_eh = 1;
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_offset == 0 && !have_first) {
			bias = start - ph[i].p_vaddr;
			have_first = 1;
		}
		if (ph[i].p_vaddr < vlo)
			vlo = ph[i].p_vaddr;
		if (ph[i].p_vaddr + ph[i].p_memsz > vhi)
			vhi = ph[i].p_vaddr + ph[i].p_memsz;
	}
	if (!have_first || vlo >= vhi)
		return 0;
	memset(m, 0, sizeof *m);
	m->bias = bias;
	m->lo = (bias + vlo) & ~(uintptr_t)(PAGE - 1);
	m->hi = bias + vhi;
	m->phdr = ph;
	m->phnum = eh->e_phnum;
	m->has_eh = has_eh;
	return 1;
}

static void set_name(struct module *m, const char *path, size_t len)
{
	static const char deleted[] = " (deleted)";
	if (len > sizeof deleted - 1 && !memcmp(path + len - (sizeof deleted - 1), deleted, sizeof deleted - 1))
		len -= sizeof deleted - 1;
	size_t b = len;
	while (b > 0 && path[b - 1] != '/')
		b--;
	size_t n = len - b;
	if (n > NAME_MAX_ - 1)
		n = NAME_MAX_ - 1;
	memcpy(m->name, path + b, n);
	m->name[n] = 0;
}

/* State carried from one maps line to the next: the module whose header mapping was seen and
 * which is kept once an executable mapping of the same file inside its range shows that it
 * really was loaded (and not just mapped as data, which a header alone cannot tell). */
struct scan {
	int pending;           /* mods[nmods] is filled, not yet confirmed */
	unsigned long dev_ino[2];
};

static void add_pending(struct scan *s)
{
	if (!s->pending)
		return;
	s->pending = 0;
	if (nmods >= MAX_MODULES)
		return;
	/* Maps come in address order and a module starts at its header mapping, so appending
	 * keeps the table sorted; an insertion step covers any exception. */
	struct module m = mods[nmods];
	int i = nmods++;
	while (i > 0 && mods[i - 1].lo > m.lo) {
		mods[i] = mods[i - 1];
		i--;
	}
	mods[i] = m;
}

static void maps_line_done(struct scan *s, const char *line)
{
	uintptr_t start, end, off, major, minor;
	const char *p = parse_hex(line, &start);
	if (!p || *p != '-' || !(p = parse_hex(p + 1, &end)) || *p != ' ')
		return;
	const char *perms = p + 1;
	if (strlen(perms) < 5)
		return;
	p = skip_field(perms);
	if (!(p = parse_hex(p, &off)))
		return;
	p = skip_field(p);
	if (!(p = parse_hex(p, &major)) || *p != ':' || !(p = parse_hex(p + 1, &minor)))
		return;
	p = skip_field(p);
	unsigned long ino = 0;
	while (*p >= '0' && *p <= '9')
		ino = ino * 10 + (unsigned long)(*p++ - '0');
	while (*p == ' ')
		p++;
	const char *path = p;
	size_t plen = strlen(path);
	unsigned long dev = (unsigned long)(major << 20 | minor);
	int exec = perms[2] == 'x';

	if (s->pending && dev == s->dev_ino[0] && ino == s->dev_ino[1] && exec &&
	    start >= mods[nmods].lo && start < mods[nmods].hi) {
		add_pending(s);
		return;
	}
	if (off != 0 || perms[0] != 'r' || !plen)
		return;
	int vdso = !strcmp(path, "[vdso]");
	if (path[0] != '/' && !vdso)
		return;
	if (nmods >= MAX_MODULES)
		return;
	struct module *m = &mods[nmods];
	s->pending = 0; /* a header mapping without an executable one is dropped */
	if (!elf_module(start, end, m))
		return;
	set_name(m, path, plen);
	s->pending = 1;
	s->dev_ino[0] = dev;
	s->dev_ino[1] = ino;
	if (exec || vdso)
		add_pending(s);
}

static void refresh_modules(void)
{
	nmods = 0;
	own_module = -1;
	refreshed_ns = now_ns();
	table_gen++;
	int fd = sys_openat(AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return;
	struct scan s = {0};
	size_t ll = 0;
	int overlong = 0;
	for (;;) {
		ssize_t n = sys_read(fd, maps_buf, sizeof maps_buf);
		if (n == -EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			char c = maps_buf[i];
			if (c == '\n') {
				maps_line[ll] = 0;
				if (!overlong)
					maps_line_done(&s, maps_line);
				ll = 0;
				overlong = 0;
			} else if (ll < sizeof maps_line - 1) {
				maps_line[ll++] = c;
			} else {
				overlong = 1;
			}
		}
	}
	sys_close(fd);
	s.pending = 0;
	uintptr_t self = (uintptr_t)&refresh_modules;
	for (int i = 0; i < nmods; i++)
		if (self >= mods[i].lo && self < mods[i].hi)
			own_module = i;
}

static int module_of(uintptr_t addr)
{
	int lo = 0, hi = nmods - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (addr < mods[mid].lo)
			hi = mid - 1;
		else if (addr >= mods[mid].hi)
			lo = mid + 1;
		else
			return mid;
	}
	return -1;
}

/* libunwind's dl_iterate_phdr (renamed by tools/build-libunwind.sh): the module table instead
 * of the loader's list. The module holding the address libunwind looks for comes first: its
 * callback data starts with that address (struct dwarf_callback_data in libunwind 1.6); if a
 * later version changed that, the order is all that would change. */
int fnshield_unw_dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *data);
int fnshield_unw_dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *data)
{
	int first = data ? module_of((uintptr_t) * (const unw_word_t *)data) : -1;
	for (int k = -1; k < nmods; k++) {
		int i = k < 0 ? first : k;
		if (i < 0 || (k >= 0 && i == first) || !mods[i].has_eh)
			continue;
		struct dl_phdr_info info;
		memset(&info, 0, sizeof info);
		info.dlpi_addr = mods[i].bias;
		info.dlpi_name = mods[i].name;
		info.dlpi_phdr = mods[i].phdr;
		info.dlpi_phnum = (ElfW(Half))mods[i].phnum;
		int r = cb(&info, offsetof(struct dl_phdr_info, dlpi_adds), data);
		if (r)
			return r;
	}
	return 0;
}

/* ---- symbols --------------------------------------------------------------------------------- */

static uint32_t gnu_hash_count(const struct module *m, uintptr_t gh)
{
	if (!in_load(m, gh, 16))
		return 0;
	const uint32_t *h = (const uint32_t *)gh;
	uint32_t nbuckets = h[0], symoffset = h[1], bloom = h[2];
	uintptr_t buckets = gh + 16 + (uintptr_t)bloom * sizeof(ElfW(Addr));
	if (nbuckets == 0 || nbuckets > (1u << 24) || bloom > (1u << 24) ||
	    !in_load(m, buckets, (size_t)nbuckets * 4))
		return 0;
	const uint32_t *b = (const uint32_t *)buckets;
	uint32_t max = 0;
	for (uint32_t i = 0; i < nbuckets; i++)
		if (b[i] > max)
			max = b[i];
	if (max < symoffset)
		return symoffset;
	uintptr_t chain = buckets + (uintptr_t)nbuckets * 4;
	for (uint32_t guard = 0; guard < (1u << 24); guard++, max++) {
		uintptr_t at = chain + (uintptr_t)(max - symoffset) * 4;
		if (!in_load(m, at, 4))
			return 0;
		if (*(const uint32_t *)at & 1)
			return max + 1;
	}
	return 0;
}

static void find_symbols(struct module *m)
{
	m->sym_state = -1;
	const ElfW(Phdr) *dynph = NULL;
	for (unsigned i = 0; i < m->phnum; i++)
		if (m->phdr[i].p_type == PT_DYNAMIC)
			dynph = &m->phdr[i];
	if (!dynph)
		return;
	uintptr_t d = m->bias + dynph->p_vaddr;
	size_t nd = dynph->p_filesz / sizeof(ElfW(Dyn));
	if (!in_load(m, d, nd * sizeof(ElfW(Dyn))))
		return;
	struct dyn_tables t;
	dyn_tables_of((const ElfW(Dyn) *)d, nd, m->lo, m->bias, &t);
	if (!t.symtab || !t.strtab || !t.strsz || (t.syment && t.syment != sizeof(ElfW(Sym))) ||
	    !in_load(m, t.strtab, t.strsz))
		return;
	uint32_t n = 0;
	if (t.gnu_hash)
		n = gnu_hash_count(m, t.gnu_hash);
	if (!n && t.sysv_hash && in_load(m, t.sysv_hash, 8))
		n = ((const uint32_t *)t.sysv_hash)[1];
	if (!n || !in_load(m, t.symtab, (size_t)n * sizeof(ElfW(Sym))))
		return;
	m->sym = (const ElfW(Sym) *)t.symtab;
	m->nsym = n;
	m->str = (const char *)t.strtab;
	m->strsz = t.strsz;
	m->sym_state = 1;
}

/* ---- capture --------------------------------------------------------------------------------- */

struct frame {
	uintptr_t pc;        /* as unwound */
	uintptr_t at;        /* where to look it up: the call instruction for a return address */
	int mod;             /* index in mods, -1 outside every module */
	const ElfW(Sym) *sym;
};

/* Walk the stack from here. Returns the number of frames recorded; *missed is set when one lies
 * outside every known module. */
static __attribute__((noinline)) int capture(struct frame *f, int max, unsigned flags, int *missed)
{
	*missed = 0;
	if (unw_getcontext(&uc) != 0 || unw_init_local(&cursor, &uc) < 0)
		return 0;
	int n = 0, skipping = (flags & BT_SKIP_OWN) != 0, exact = 1;
	for (int steps = 0; steps < MAX_STEPS && n < max; steps++) {
		unw_word_t ip;
		if (unw_get_reg(&cursor, UNW_REG_IP, &ip) < 0 || ip < PAGE)
			break;
		int sig = unw_is_signal_frame(&cursor) > 0;
		uintptr_t at = exact ? ip : ip - 1;
		int m = module_of(at);
		if (skipping && m >= 0 && m == own_module) {
			/* fnshield's own frame */
		} else {
			skipping = 0;
			f[n].pc = ip;
			f[n].at = at;
			f[n].mod = m;
			f[n].sym = NULL;
			if (m < 0)
				*missed = 1;
			n++;
		}
		/* After a signal frame comes the interrupted instruction itself, not a return
		 * address. */
		exact = sig;
		if (unw_step(&cursor) <= 0)
			break;
	}
	return n;
}

static unsigned symslot(uintptr_t at)
{
	return (unsigned)((at >> 2) ^ (at >> 13)) & (SYMCACHE - 1);
}

/* Name the frames: from the cache, else one pass over each involved module's .dynsym for all
 * of its frames at once. */
static void symbolize(struct frame *f, int n)
{
	char need[MAX_DEPTH];
	for (int i = 0; i < n; i++) {
		f[i].sym = NULL;
		need[i] = f[i].mod >= 0;
		unsigned k = symslot(f[i].at);
		if (need[i] && symcache[k].gen == table_gen && symcache[k].at == f[i].at) {
			f[i].sym = symcache[k].sym;
			need[i] = 0;
		}
	}
	for (int i = 0; i < n; i++) {
		if (need[i] != 1)
			continue;
		int mi = f[i].mod;
		struct module *m = &mods[mi];
		if (m->sym_state == 0)
			find_symbols(m);
		/* The frames' span in this module: most symbols are rejected on their address alone
		 * (node's .dynsym has 75000 entries). */
		uintptr_t minat = UINTPTR_MAX, maxat = 0;
		for (int j = i; j < n; j++)
			if (need[j] == 1 && f[j].mod == mi) {
				minat = f[j].at < minat ? f[j].at : minat;
				maxat = f[j].at > maxat ? f[j].at : maxat;
			}
		const ElfW(Sym) *s = m->sym, *end = m->sym_state == 1 ? m->sym + m->nsym : m->sym;
		for (; s < end; s++) {
			uintptr_t lo = m->bias + s->st_value;
			if (!s->st_value || lo > maxat)
				continue;
			uintptr_t hi = lo + (s->st_size ? s->st_size : 1);
			if (hi <= minat || ELF64_ST_TYPE(s->st_info) != STT_FUNC ||
			    s->st_shndx == SHN_UNDEF || s->st_name >= m->strsz)
				continue;
			for (int j = i; j < n; j++)
				if (need[j] == 1 && f[j].mod == mi && f[j].at >= lo && f[j].at < hi &&
				    (!f[j].sym || s->st_value > f[j].sym->st_value))
					f[j].sym = s;
		}
		for (int j = i; j < n; j++) {
			if (need[j] != 1 || f[j].mod != mi)
				continue;
			need[j] = 2; /* looked up */
			unsigned k = symslot(f[j].at);
			symcache[k].at = f[j].at;
			symcache[k].sym = f[j].sym;
			symcache[k].gen = table_gen;
		}
	}
}

static char *put_hex(char *p, uintptr_t v)
{
	char d[16];
	int n = 0;
	do {
		d[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	*p++ = '0';
	*p++ = 'x';
	while (n)
		*p++ = d[--n];
	return p;
}

/* "module+0xOFFSET symbol" into buf (at least NAME_MAX_ + SYMBOL_MAX + 24 bytes). */
static size_t frame_text(const struct frame *f, char *buf)
{
	char *p = buf;
	if (f->mod < 0)
		return (size_t)(put_hex(p, f->pc) - buf);
	const struct module *m = &mods[f->mod];
	size_t nl = strlen(m->name);
	memcpy(p, m->name, nl);
	p += nl;
	*p++ = '+';
	p = put_hex(p, f->pc - m->bias);
	if (f->sym) {
		const char *name = m->str + f->sym->st_name;
		size_t max = m->strsz - f->sym->st_name, k = 0;
		*p++ = ' ';
		while (k < max && k < SYMBOL_MAX && name[k])
			*p++ = name[k++];
		if (k == SYMBOL_MAX && k < max && name[k]) {
			memcpy(p - 3, "...", 3);
		}
	}
	return (size_t)(p - buf);
}

/* ---- the lock -------------------------------------------------------------------------------- */

static int lock_take(int tid, long long timeout_ns)
{
	long long deadline = 0;
	for (unsigned i = 0;; i++) {
		int expected = 0;
		if (atomic_compare_exchange_weak_explicit(&lock_owner, &expected, tid,
							  memory_order_acquire, memory_order_relaxed))
			return 0;
		if (expected == tid)
			return -1; /* this very thread: a fault handler inside a capture */
		if (i < 64)
			continue;
		if (!deadline)
			deadline = now_ns() + timeout_ns;
		else if (now_ns() > deadline)
			return -1;
		SYS6(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
	}
}

static void lock_drop(void)
{
	atomic_store_explicit(&lock_owner, 0, memory_order_release);
}

static void prefork(void) { fork_held = lock_take(sys_gettid(), 1000000000LL) == 0; }
static void postfork_parent(void)
{
	if (fork_held)
		lock_drop();
}
static void postfork_child(void) { atomic_store(&lock_owner, 0); }

__attribute__((constructor)) static void backtrace_atfork(void)
{
	pthread_atfork(prefork, postfork_parent, postfork_child);
}

/* Block every asynchronous signal; the synchronous fault signals stay deliverable. */
static void block_signals(uint64_t *old)
{
	uint64_t all = ~0ULL;
	const int sync[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
	for (size_t i = 0; i < sizeof sync / sizeof sync[0]; i++)
		all &= ~(1ULL << (sync[i] - 1));
	SYS6(SYS_rt_sigprocmask, SIG_BLOCK, &all, old, 8, 0, 0);
}

static void restore_signals(const uint64_t *old)
{
	SYS6(SYS_rt_sigprocmask, SIG_SETMASK, old, 0, 8, 0, 0);
}

/* Under the lock. */
static int setup(void)
{
	if (unwinder_ready)
		return unwinder_ready > 0 ? 0 : -1;
	unw_accessors_t *acc = unw_get_accessors(unw_local_addr_space);
	if (!acc) {
		unwinder_ready = -1;
		return -1;
	}
	acc->access_mem = access_mem;
	unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_GLOBAL);
	unwinder_ready = 1;
	return 0;
}

/* Lock, signals, errno: what surrounds every use of the unwinder. */
struct guard {
	uint64_t mask;
	int saved_errno;
};

static int enter(struct guard *g)
{
	g->saved_errno = errno;
	block_signals(&g->mask);
	if (lock_take(sys_gettid(), LOCK_TIMEOUT_NS) == 0) {
		if (setup() == 0)
			return 0;
		lock_drop();
	}
	restore_signals(&g->mask);
	errno = g->saved_errno;
	return -1;
}

static void leave(struct guard *g)
{
	lock_drop();
	restore_signals(&g->mask);
	errno = g->saved_errno;
}

void backtrace_prepare(void)
{
	struct guard g;
	if (enter(&g))
		return;
	if (!refreshed_ns)
		refresh_modules();
	/* Read at load, before the program loaded its libraries: the first capture that misses a
	 * module reads the table again whatever the interval. */
	read_at_load = 1;
	leave(&g);
}

/* ---- output ---------------------------------------------------------------------------------- */

static int write_frames(struct jsonw *w, const char *key, size_t budget, const struct frame *f, int n)
{
	static const char mark[] = "\"" JSONW_TRUNCATED_MARK "\"";
	size_t room = jw_room(w, 0);
	if (budget > room)
		budget = room;
	/* "key":[ with its comma, and the closing bracket. */
	size_t head = (w->need_comma ? 1 : 0) + (key ? strlen(key) + 3 : 0) + 1;
	size_t used = head + 1;
	int written = 0;
	char text[NAME_MAX_ + SYMBOL_MAX + 32], esc[2 * sizeof text];
	for (int i = 0; i < n; i++) {
		size_t tl = frame_text(&f[i], text), el;
		if (jw_escape(text, tl, esc, sizeof esc, &el) < tl)
			break;
		size_t need = el + 2 + (written ? 1 : 0);
		/* Keep room for the marker unless this is the last frame. */
		size_t after = i + 1 < n ? sizeof mark - 1 + 1 : 0;
		if (used + need + after > budget) {
			if (written && used + sizeof mark - 1 + 1 <= budget) {
				w->buf[w->len++] = ',';
				memcpy(w->buf + w->len, mark, sizeof mark - 1);
				w->len += sizeof mark - 1;
				w->truncated = 1;
			}
			break;
		}
		if (!written)
			jw_array_open(w, key);
		if (written)
			w->buf[w->len++] = ',';
		w->buf[w->len++] = '"';
		memcpy(w->buf + w->len, esc, el);
		w->len += el;
		w->buf[w->len++] = '"';
		used += need;
		written++;
	}
	if (written)
		jw_array_close(w);
	return written;
}

int backtrace_jw(struct jsonw *w, const char *key, size_t budget, int max_frames, unsigned flags)
{
	if (max_frames <= 0)
		return 0;
	if (max_frames > MAX_DEPTH)
		max_frames = MAX_DEPTH;
	struct guard g;
	if (enter(&g))
		return 0;
	vcache_n = 0;
	struct frame f[MAX_DEPTH];
	int missed;
	if (!refreshed_ns)
		refresh_modules();
	int n = capture(f, max_frames, flags, &missed);
	if (missed && (read_at_load || now_ns() - refreshed_ns >= REFRESH_INTERVAL_NS)) {
		read_at_load = 0;
		/* A library loaded since the table was read: read it again, forget what libunwind
		 * cached about the old one, and walk again. */
		refresh_modules();
		unw_flush_cache(unw_local_addr_space, 0, 0);
		n = capture(f, max_frames, flags, &missed);
	}
	symbolize(f, n);
	int written = write_frames(w, key, budget, f, n);
	leave(&g);
	return written;
}

size_t backtrace_json(char *out, size_t cap)
{
	if (cap < 3)
		return 0;
	struct jsonw w;
	jw_init(&w, out, cap - 1);
	if (!backtrace_jw(&w, NULL, cap - 1, BACKTRACE_DEPTH, BT_SKIP_OWN)) {
		memcpy(out, "[]", 3);
		return 2;
	}
	out[w.len] = 0;
	return w.len;
}

/* ---- what libunwind's libc references were renamed to (tools/build-libunwind.sh) ------------- */

#define STUB_FAIL(ret, name, params, err, val)  \
	ret fnshield_unw_##name params;         \
	ret fnshield_unw_##name params          \
	{                                       \
		errno = err;                    \
		return val;                     \
	}

/* Signals are blocked around the whole capture (enter()). */
int fnshield_unw_sigprocmask(int how, const sigset_t *set, sigset_t *old);
int fnshield_unw_sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	(void)how;
	(void)set;
	if (old)
		memset(old, 0, sizeof *old);
	return 0;
}

STUB_FAIL(int, pipe2, (int fds[2], int flags), ENOSYS, ((void)fds, (void)flags, -1))
STUB_FAIL(int, pipe, (int fds[2]), ENOSYS, ((void)fds, -1))
STUB_FAIL(long, syscall, (long nr, ...), ENOSYS, ((void)nr, -1))
STUB_FAIL(ssize_t, read, (int fd, void *b, size_t n), EBADF, ((void)fd, (void)b, (void)n, -1))
STUB_FAIL(ssize_t, write, (int fd, const void *b, size_t n), EBADF, ((void)fd, (void)b, (void)n, -1))
STUB_FAIL(int, close, (int fd), EBADF, ((void)fd, -1))
STUB_FAIL(int, open, (const char *path, int flags, ...), ENOENT, ((void)path, (void)flags, -1))
STUB_FAIL(int, fstat, (int fd, struct stat *st), ENOSYS, ((void)fd, (void)st, -1))
STUB_FAIL(int, stat, (const char *path, struct stat *st), ENOSYS, ((void)path, (void)st, -1))
STUB_FAIL(void *, malloc, (size_t n), ENOMEM, ((void)n, (void *)0))

void fnshield_unw_free(void *p);
void fnshield_unw_free(void *p) { (void)p; }
