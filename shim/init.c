/*
 * init.c — load time: read the configuration, compile the policy, set up logging and the
 * environment children will get, then let the hooks check.
 *
 * A configuration error stops the process here (SPEC: one "fnshield":"error" line, exit 78):
 * a function must never run silently unprotected because its policy had a typo.
 */
#include "backtrace.h"
#include "config.h"
#include "envprop.h"
#include "exe.h"
#include "lambda.h"
#include "logfd.h"
#include "logline.h"
#include "real.h"
#include "origin.h"
#include "policy_share.h"
#include "repeat.h"
#include "resolve.h"
#include "syscall_filter.h"
#include "state.h"
#include "supervisor.h"
#include "sys.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <errno.h>
#include <unistd.h>

struct shim_state g_shim SHIM_LOAD_STATE;
atomic_int g_phase SHIM_LOAD_STATE = PHASE_NONE;
atomic_int g_ready SHIM_LOAD_STATE;

static atomic_int init_state SHIM_LOAD_STATE; /* 0 not started, 1 running, 2 done */
static atomic_int init_tid SHIM_LOAD_STATE;

/* "127.0.0.1:9001" → the Runtime API endpoint that is always allowed. */
static void parse_runtime_api(const char *v)
{
	if (v && fs_endpoint_parse(v, g_shim.runtime_api_ip, &g_shim.runtime_api_port) == 0)
		g_shim.have_runtime_api = 1;
}

/* A JVM's <java.home>/lib/jspawnhelper, when this process is a JVM launcher. */
static __attribute__((noinline)) void find_jspawnhelper(void)
{
	char home[PATH_MAX];
	snprintf(home, sizeof home, "%s", shim_exe());
	char *slash = strrchr(home, '/');
	if (!slash || strcmp(slash, "/java"))
		return;
	*slash = 0;
	slash = strrchr(home, '/');
	if (!slash || strcmp(slash, "/bin"))
		return;
	strcpy(slash, "/lib/jspawnhelper");
	static char helper[PATH_MAX];
	if (path_canonical(AT_FDCWD, home, 1, helper, sizeof helper, NULL) >= 0)
		g_shim.jspawnhelper = helper;
}

/* dl_iterate_phdr's callback: is this object the JDK's launcher library? (Not dlsym: a name
 * it does not find costs a malloc, for the error it keeps.) */
static int is_libjli(struct dl_phdr_info *info, size_t size, void *unused)
{
	(void)size, (void)unused;
	const char *base = strrchr(info->dlpi_name, '/');
	return base && !strcmp(base + 1, "libjli.so");
}

static const char *this_library(void)
{
	static char path[PATH_MAX];
	Dl_info info;
	if (!fs_dl.addr || !fs_dl.addr((void *)&shim_ensure_ready, &info) || !info.dli_fname)
		return "libfnshield.so";
	if (info.dli_fname[0] == '/') /* as LD_PRELOAD named it; relative: made absolute */
		return info.dli_fname;
	if (!realpath(info.dli_fname, path))
		snprintf(path, sizeof path, "%s", info.dli_fname);
	return path;
}

static __attribute__((noreturn)) void config_error(const struct fs_errors *errs,
						   const char *source)
{
	const struct fs_error *e = &errs->e[0];
	char msg[512];
	if (errs->count > 1)
		snprintf(msg, sizeof msg, "invalid fnshield configuration: %s (and %d more; run "
					  "`fnshield check` to list them)", e->message, errs->count - 1);
	else
		snprintf(msg, sizeof msg, "invalid fnshield configuration: %s", e->message);
	log_error(msg, e->path[0] ? e->path : NULL, e->line, e->column, source);
	_exit(78); /* EX_CONFIG */
}

static void do_init(void)
{
	real_resolve_all();

	const char *fn = getenv("AWS_LAMBDA_FUNCTION_NAME");
	if (fn)
		logline_copy(g_shim.function_name, sizeof g_shim.function_name, fn);

	const char *policy_env = getenv("FNSHIELD_POLICY");
	const char *file_env = getenv("FNSHIELD_POLICY_FILE");
	const char *mode_env = getenv("FNSHIELD_MODE");
	const char *digest_env = getenv("_FNSHIELD_POLICY_SHA256");

	int inherited = logfd_setup(getenv(LOGFD_ENV));
	const char *lambda_env = getenv(LAMBDA_ENV);
	const char *seccomp_env = getenv(SECCOMP_ENV);
	const char *supervisor_env = getenv(SUPERVISOR_ENV);
	const char *shared_env = getenv(POLICY_SHARE_ENV);
	envprop_hide_injected(); /* after the last getenv of our variables above */

	/* The policy: the copy the parent shared (nothing to parse or build), else loaded from
	 * the variables — compiled from JSON, or a compiled file mapped. */
	struct fs_config cfg;
	/* Large, and needed once: not on the stack of whoever loads us (a page of stack that
	 * process never used costs it a page fault). */
	static struct fs_errors errs;
	static char source[PATH_MAX + 8], abs[PATH_MAX];
	int mode_override = fs_config_mode(mode_env, &errs);
	struct fs_policy *shared = mode_override >= -1 ? policy_share_inherit(shared_env, mode_override)
						       : NULL;
	if (shared && fs_config_adopt(shared, policy_env, file_env, mode_env, &cfg) < 0) {
		fs_policy_free(shared);
		shared = NULL;
	}
	if (!shared && fs_config_load(policy_env, file_env, mode_env, digest_env, &cfg, &errs) < 0) {
		fs_config_source_label(policy_env, file_env, source, sizeof source);
		config_error(&errs, source);
	}

	g_shim.policy = cfg.policy;
	g_shim.mode = cfg.mode;
	for (int c = 0; c < FS_NCATEGORIES; c++) {
		g_shim.rules[PHASE_NONE][c] = fs_policy_rules(cfg.policy, c, 0);
		g_shim.rules[PHASE_INIT][c] = fs_policy_rules(cfg.policy, c, 1);
		g_shim.rules[PHASE_INVOKE][c] = g_shim.rules[PHASE_NONE][c];
		for (int in_init = 0; in_init < 2; in_init++)
			if (fs_rules_constant(g_shim.rules[in_init ? PHASE_INIT : PHASE_NONE][c]) == FS_ALLOW)
				g_shim.unrestricted[in_init] |= 1u << c;
	}
	const unsigned all = (1u << FS_NCATEGORIES) - 1;
	policy_share_init(cfg.policy, (g_shim.unrestricted[0] & g_shim.unrestricted[1]) != all);
	unsigned net = (1u << FS_CONNECT) | (1u << FS_LISTEN);
	g_shim.record_names = (g_shim.unrestricted[0] & g_shim.unrestricted[1] & net) != net;
	parse_runtime_api(getenv("AWS_LAMBDA_RUNTIME_API"));
	if (g_shim.have_runtime_api)
		lambda_init(lambda_env);
	/* The JDK's launcher links libjli: its path is wanted now, for its jspawnhelper. Any
	 * other program's path is found at its first line (exe.h). */
	int jvm_launcher = dl_iterate_phdr(is_libjli, NULL);
	if (jvm_launcher)
		find_jspawnhelper();
	origin_setup(cfg.policy, jvm_launcher);

	/* What children get: the same policy, by the same route. A file is passed by absolute
	 * path with its digest, so a child neither misses it after a chdir nor accepts a
	 * rewritten one. No stdio and no malloc here: in a child that never formats or
	 * allocates (`true`), their first use would cost ~0.1 ms each on this kind of machine. */
	const char *policy_var = NULL, *policy_value = NULL;
	if (cfg.source == FS_SOURCE_ENV) {
		policy_var = "FNSHIELD_POLICY=";
		policy_value = policy_env;
	}
	if (cfg.source == FS_SOURCE_FILE) {
		policy_var = "FNSHIELD_POLICY_FILE=";
		policy_value = cfg.file_path[0] == '/' || !realpath(cfg.file_path, abs) ? cfg.file_path
											 : abs;
	}
	envprop_init(this_library(), policy_var, policy_value,
		     cfg.source == FS_SOURCE_FILE ? cfg.digest : NULL,
		     cfg.mode == FS_MODE_BLOCK ? "block" : "alert");

	/* Backtraces on: map the modules now, not at the first violation. */
	if (fs_policy_backtrace(cfg.policy))
		backtrace_prepare();

	/* The supervisor (opt-in), before any other filter: the kernel's check of the opens that
	 * do not come from libc, once per tree; children learn that it is in force. */
	char supervisor_status[96];
	const char *supervisor_setting = getenv("FNSHIELD_SUPERVISOR");
	if (supervisor_start(cfg.policy, envprop_lib_path(), supervisor_setting, supervisor_env,
			     supervisor_status, sizeof supervisor_status))
		envprop_add(SUPERVISOR_ENV "=on");

	/* The system-call backstop, once per tree; children learn that it is in force. */
	char seccomp_status[96];
	const char *seccomp_setting = getenv("FNSHIELD_SECCOMP");
	if (seccomp_install(cfg.policy, g_shim.have_runtime_api, g_shim.jspawnhelper != NULL,
			    seccomp_env, seccomp_setting,
			    seccomp_status, sizeof seccomp_status)) {
		envprop_add(SECCOMP_ENV "=on");
		g_shim.inet_sockets_refused =
			seccomp_refuses_inet_sockets(cfg.policy, g_shim.have_runtime_api);
	}
	else if (seccomp_setting && !strcmp(seccomp_setting, "off"))
		envprop_add("FNSHIELD_SECCOMP=off");

	/* A forked child starts with its parent's counts; only the parent reports them. */
	pthread_atfork(policy_share_publish, NULL, repeat_forget_pending);

	if (!inherited) {
		fs_config_source_name(&cfg, source, sizeof source);
		log_start(source, cfg.digest, cfg.mode, seccomp_status,
			  supervisor_setting ? supervisor_status : NULL);
	}
}

int shim_ensure_ready(void)
{
	int expected = 0;
	if (atomic_compare_exchange_strong(&init_state, &expected, 1)) {
		atomic_store(&init_tid, sys_gettid());
		do_init();
		/* Ready, then g_watch, then the threads waiting below are let go: none of them can
		 * change the phase before g_watch says what the phase's rules restrict. seq_cst,
		 * with shim_set_phase's: one of us two sees the other's store (watch.c). */
		atomic_store(&g_ready, 1);
		shim_publish_watch();
		atomic_store(&init_state, 2);
		return 0;
	}
	if (expected == 2)
		return 0;
	/* Running: on this thread (a hook called from inside initialisation — pass through), or
	 * on another (wait; this happens only at start-up). */
	if (atomic_load(&init_tid) == sys_gettid())
		return -1;
	while (atomic_load(&init_state) != 2)
		sched_yield();
	return 0;
}

/* The library's code and read-only data, mapped in one call before the constructor runs them.
 * Each first touch of a 64 KB window of a file mapping is a page fault (~16 µs on this kind of
 * machine, more than mapping the library's 270 KB at once), and a start touches four or five
 * such windows (issue #13). MADV_POPULATE_READ is Linux 5.14's; before it the call fails and
 * the pages fault in as they are touched, as always. */
__attribute__((constructor(101))) static void map_own_code(void) /* before our other ones */
{
	extern const ElfW(Ehdr) __ehdr_start; /* this object's ELF header (the linker's) */
	const char *base = (const char *)&__ehdr_start;
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)(base + __ehdr_start.e_phoff);
	uintptr_t end = 0;
	for (int i = 0; i < __ehdr_start.e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && !(ph[i].p_flags & PF_W) &&
		    ph[i].p_vaddr + ph[i].p_memsz > end)
			end = ph[i].p_vaddr + ph[i].p_memsz;
	enum { MADV_POPULATE_READ_ = 22 };
	SYS6(SYS_madvise, base, (end + 4095) & ~(uintptr_t)4095, MADV_POPULATE_READ_, 0, 0, 0);
}

__attribute__((constructor)) static void fnshield_constructor(void)
{
	shim_ensure_ready();
}

/* At exit: the repeated violations counted but not yet written. */
__attribute__((destructor)) static void fnshield_destructor(void)
{
	if (atomic_load(&g_ready))
		repeat_flush();
}
