/*
 * dynsym.c — is a symbol defined by an object loaded now (dynsym.h says why not dlsym).
 *
 * Each object's dynamic section names its symbol table, string table and hash table; the hash
 * table's chain for the name holds every symbol of that name. The answer leans to "yes": any
 * defined symbol of the name counts, whatever its version or binding, so a "no" here is a
 * "no" from dlsym too; a rare "yes" that dlsym then refuses costs only what it cost before.
 */
#include "dynsym.h"

#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <string.h>

struct query {
	const char *name;
	uint32_t gnu, sysv; /* the name's two hashes */
	int found;          /* 1 defined somewhere, -1 an object could not be asked */
	void *address;      /* where, when found */
	int for_address;    /* dynsym_address: an object that cannot be asked is passed over */
};

static int defines(const ElfW(Sym) *s, const char *strtab, const char *name)
{
	return s->st_shndx != SHN_UNDEF && !strcmp(strtab + s->st_name, name);
}

/* The symbol named q->name in sym, found through one kind of hash table, or NULL. */
typedef const ElfW(Sym) *lookup_fn(const uint32_t *h, const ElfW(Sym) *sym, const char *strtab,
				   const struct query *q);

/* DT_GNU_HASH: a Bloom filter, then one bucket's chain of hashes (low bit: the chain's end). */
static const ElfW(Sym) *gnu_lookup(const uint32_t *h, const ElfW(Sym) *sym, const char *strtab,
				   const struct query *q)
{
	enum { BITS = sizeof(ElfW(Addr)) * 8 };
	uint32_t nbuckets = h[0], symoffset = h[1], nbloom = h[2], shift = h[3];
	if (!nbuckets || !nbloom)
		return NULL;
	const ElfW(Addr) *bloom = (const ElfW(Addr) *)(h + 4);
	ElfW(Addr) word = bloom[(q->gnu / BITS) % nbloom];
	ElfW(Addr) mask = ((ElfW(Addr))1 << (q->gnu % BITS)) | ((ElfW(Addr))1 << ((q->gnu >> shift) % BITS));
	if ((word & mask) != mask)
		return NULL;
	const uint32_t *buckets = (const uint32_t *)(bloom + nbloom);
	const uint32_t *chain = buckets + nbuckets;
	uint32_t i = buckets[q->gnu % nbuckets];
	if (i < symoffset)
		return NULL;
	for (;; i++) {
		uint32_t hc = chain[i - symoffset];
		if ((hc | 1) == (q->gnu | 1) && defines(&sym[i], strtab, q->name))
			return &sym[i];
		if (hc & 1)
			return NULL;
	}
}

/* DT_HASH (objects linked with --hash-style=sysv): nbucket, nchain, buckets, chains. */
static const ElfW(Sym) *sysv_lookup(const uint32_t *h, const ElfW(Sym) *sym, const char *strtab,
				    const struct query *q)
{
	uint32_t nbucket = h[0], nchain = h[1];
	if (!nbucket)
		return NULL;
	const uint32_t *chain = h + 2 + nbucket;
	for (uint32_t i = h[2 + q->sysv % nbucket], n = 0; i && i < nchain && n < nchain; i = chain[i], n++)
		if (defines(&sym[i], strtab, q->name))
			return &sym[i];
	return NULL;
}

void dyn_tables_of(const ElfW(Dyn) *dyn, size_t nd, uintptr_t lo, uintptr_t bias,
		   struct dyn_tables *t)
{
	*t = (struct dyn_tables){0};
	for (; nd-- && dyn->d_tag != DT_NULL; dyn++) {
		uintptr_t v = dyn->d_un.d_ptr, at = v < lo ? v + bias : v;
		switch (dyn->d_tag) {
		case DT_SYMTAB: t->symtab = at; break;
		case DT_STRTAB: t->strtab = at; break;
		case DT_GNU_HASH: t->gnu_hash = at; break;
		case DT_HASH: t->sysv_hash = at; break;
		case DT_STRSZ: t->strsz = v; break;
		case DT_SYMENT: t->syment = v; break;
		}
	}
}

static int ask_object(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	struct query *q = data;
	const ElfW(Dyn) *dyn = NULL;
	uintptr_t lo = UINTPTR_MAX;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr);
		if (ph->p_type == PT_LOAD && info->dlpi_addr + ph->p_vaddr < lo)
			lo = info->dlpi_addr + ph->p_vaddr;
	}
	if (!dyn)
		return 0; /* a static object defines nothing for dlsym either */
	struct dyn_tables t;
	dyn_tables_of(dyn, SIZE_MAX, lo, info->dlpi_addr, &t);
	if (!t.symtab || !t.strtab)
		return 0;
	lookup_fn *lookup = t.gnu_hash ? gnu_lookup : t.sysv_hash ? sysv_lookup : NULL;
	if (!lookup && q->for_address)
		return 0; /* the address is wanted: the next object may have it */
	if (!lookup) {
		q->found = -1;
		return 1; /* stop: whether it is defined cannot be told */
	}
	const ElfW(Sym) *s = lookup((const uint32_t *)(t.gnu_hash ? t.gnu_hash : t.sysv_hash),
				    (const ElfW(Sym) *)t.symtab, (const char *)t.strtab, q);
	if (!s)
		return 0;
	q->found = 1;
	/* An indirect function's value is its resolver, not the function: no address for it. */
	if (ELF64_ST_TYPE(s->st_info) != STT_GNU_IFUNC)
		q->address = (void *)(info->dlpi_addr + s->st_value);
	return 1; /* stop at the first object that defines it, as the loader's search would */
}

static void ask(struct query *q)
{
	q->gnu = 5381;
	for (const unsigned char *c = (const unsigned char *)q->name; *c; c++) {
		q->gnu = q->gnu * 33 + *c;
		q->sysv = (q->sysv << 4) + *c;
		q->sysv = (q->sysv ^ ((q->sysv & 0xf0000000u) >> 24)) & 0x0fffffffu;
	}
	dl_iterate_phdr(ask_object, q);
}

int dynsym_defined(const char *name)
{
	struct query q = {.name = name};
	ask(&q);
	return q.found;
}

void *dynsym_address(const char *name)
{
	struct query q = {.name = name, .for_address = 1};
	ask(&q);
	return q.found == 1 ? q.address : NULL;
}
