/*
 * watch.c — g_watch, the word every hook's fast path reads (see state.h).
 */
#include "state.h"
#include "supervisor.h"

atomic_uint g_watch = ~0u;

static unsigned watch_for_phase(int phase)
{
	unsigned restricted = ~g_shim.unrestricted[phase == PHASE_INIT] & ((1u << FS_NCATEGORIES) - 1);
	return restricted | (g_shim.have_runtime_api ? WATCH_RUNTIME_API : 0);
}

/* Recompute g_watch until it was computed from the phase still in force (a phase change can
 * race with the end of initialisation). */
void shim_publish_watch(void)
{
	for (;;) {
		int phase = atomic_load(&g_phase);
		atomic_store(&g_watch, watch_for_phase(phase));
		if (atomic_load(&g_phase) == phase)
			return;
	}
}

/* Store the phase, then look at g_ready; initialisation stores g_ready, then reads the phase
 * (shim_publish_watch). Both sequentially consistent: at least one side sees the other's store,
 * so g_watch always ends up computed from the phase in force. */
void shim_set_phase(enum shim_phase p)
{
	atomic_store(&g_phase, (int)p);
	supervisor_set_phase((int)p);
	if (atomic_load(&g_ready))
		shim_publish_watch();
}
