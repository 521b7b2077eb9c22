/*
 * origin_java.c — the Java code behind a call: JVMTI's stack of the calling thread.
 *
 * When it is safe, and how that is known:
 *  - A VM exists (JNI_GetCreatedJavaVMs, looked up once libjvm is loaded: the launcher opens
 *    files before it loads the VM) and JVMTI says it is in its live phase (not start-up).
 *  - The calling thread is a Java thread (GetEnv) in native state: a JNI native method of the
 *    JDK (FileInputStream.open0, UnixNativeDispatcher.open0, Net.connect0,
 *    ProcessImpl.forkAndExec) called libc. JNI and JVMTI are legal there and only there;
 *    libjvm's own calls (class loading, the VM's threads) run in VM state, where a JNI call
 *    would switch the thread to native under the VM's feet. The state is read, not asked for:
 *    HotSpot publishes the offsets of JavaThread::_thread_state, _osthread and
 *    OSThread::_thread_id in gHotSpotVMStructs (what the serviceability agent reads), and the
 *    JavaThread of this thread is the one in the VM's thread list whose OS thread id is ours,
 *    found once to learn where JNIEnv sits inside a JavaThread (then checked on every walk:
 *    its OS thread must be this one). Every read is checked
 *    (sys_readable8); a VM without those entries (not HotSpot) gets no fields.
 *  - No pending exception (ExceptionCheck): JNI may not be called with one.
 *  - Nothing is allocated on the Java heap and no Java code runs: GetStackTrace fills a buffer
 *    on this stack; names come from JVMTI (the VM's C heap, given back at once); the package is
 *    Class.getProtectionDomain0 (a native method of the VM) and three field reads
 *    (ProtectionDomain.codesource, CodeSource.location, URL.path) copied into a buffer here.
 *    So a JNI critical region (which forbids allocation that could need a GC) is not entered
 *    into either, and the walk never waits for a collection.
 *  - The names JVMTI gives are in the VM's C heap (malloc), given back at once. The one case
 *    the checks above cannot exclude is a native signal handler that interrupted this very
 *    thread inside malloc and then made a violating call; Java's own signal handlers
 *    (sun.misc.Signal) run on a thread of their own and are safe.
 *  - Not again while walking: a hooked call the VM makes during the walk is checked as usual,
 *    without an origin.
 * A forked or vforked child never walks: origin.c only calls this in the VM's own process.
 * The programs Java starts get the fields taken here before: at the posix_spawn of
 * jspawnhelper (JDK 17+), before the vfork (JDK 11, hook_vfork.c) or the fork (origin.h).
 */
#include "origin.h"
#include "state.h"
#include "real.h"
#include "sys.h"

#include <dlfcn.h>
#include <jni.h>
#include <jvmti.h>
#include <stdint.h>
#include <string.h>

enum { THREAD_IN_NATIVE = 4 }; /* HotSpot's JavaThreadState _thread_in_native */
enum { JAVA_FRAMES = 64 };     /* frames asked of GetStackTrace to find the origin */

static struct {
	jint (*created_vms)(JavaVM **, jsize, jsize *); /* set once the layout below is read */
	int not_hotspot;                                 /* libjvm without that layout */
	JavaVM *vm;
	jvmtiEnv *jvmti;
	/* HotSpot's layout, from gHotSpotVMStructs (0: unknown) */
	long state_off, osthread_off, tid_off;
	uintptr_t *thread_list; /* &ThreadsSMRSupport::_java_thread_list (JDK 14+: an array) */
	long list_length_off, list_threads_off;
	uintptr_t *first_thread; /* &Threads::_thread_list (JDK 11: a list through _next) */
	long next_off;
	long env_off; /* JNIEnv's place inside a JavaThread, found once (0: not yet) */
	/* the package's way: cached IDs (java.lang.Class and the JDK's classes never unload) */
	jmethodID protection_domain; /* Class.getProtectionDomain0, or */
	jfieldID pd_field;            /* Class.protectionDomain */
	int pd_looked_up;
	jfieldID codesource, location, url_path;
} jvm SHIM_LOAD_STATE;

static __thread __attribute__((tls_model("initial-exec"))) int walking;

static int readable_word(uintptr_t addr, uintptr_t *out)
{
	if (!sys_readable8(addr))
		return 0;
	*out = *(const uintptr_t *)addr;
	return 1;
}

/* ---- HotSpot's published layout ------------------------------------------------------------ */

static uint64_t vmstructs_value(const char *name)
{
	const uint64_t *p = fs_real_dlsym(RTLD_DEFAULT, name);
	return p ? *p : 0;
}

/* Read the offsets this file uses from gHotSpotVMStructs: a table of {type, field, static,
 * offset, address} entries whose layout is itself published as gHotSpotVMStructEntry*. */
static int read_vmstructs(void)
{
	char **table = fs_real_dlsym(RTLD_DEFAULT, "gHotSpotVMStructs");
	uint64_t type_at = vmstructs_value("gHotSpotVMStructEntryTypeNameOffset");
	uint64_t field_at = vmstructs_value("gHotSpotVMStructEntryFieldNameOffset");
	uint64_t offset_at = vmstructs_value("gHotSpotVMStructEntryOffsetOffset");
	uint64_t address_at = vmstructs_value("gHotSpotVMStructEntryAddressOffset");
	uint64_t stride = vmstructs_value("gHotSpotVMStructEntryArrayStride");
	if (!table || !*table || !stride)
		return 0;
	for (const char *e = *table;; e += stride) {
		const char *type = *(const char *const *)(e + type_at);
		const char *field = *(const char *const *)(e + field_at);
		if (!type)
			break;
		long offset = (long)*(const uint64_t *)(e + offset_at);
		if (!strcmp(type, "JavaThread") && !strcmp(field, "_thread_state"))
			jvm.state_off = offset;
		else if ((!strcmp(type, "JavaThread") || !strcmp(type, "Thread")) &&
			 !strcmp(field, "_osthread")) /* in Thread in JDK 11 and 25, JavaThread in 17 */
			jvm.osthread_off = offset;
		else if (!strcmp(type, "OSThread") && !strcmp(field, "_thread_id"))
			jvm.tid_off = offset;
		else if (!strcmp(type, "ThreadsSMRSupport") && !strcmp(field, "_java_thread_list"))
			jvm.thread_list = *(uintptr_t *const *)(e + address_at);
		else if (!strcmp(type, "ThreadsList") && !strcmp(field, "_length"))
			jvm.list_length_off = offset;
		else if (!strcmp(type, "ThreadsList") && !strcmp(field, "_threads"))
			jvm.list_threads_off = offset;
		else if (!strcmp(type, "Threads") && !strcmp(field, "_thread_list"))
			jvm.first_thread = *(uintptr_t *const *)(e + address_at);
		else if (!strcmp(type, "JavaThread") && !strcmp(field, "_next"))
			jvm.next_off = offset;
	}
	return jvm.state_off && jvm.osthread_off && jvm.tid_off &&
	       ((jvm.thread_list && jvm.list_threads_off) || (jvm.first_thread && jvm.next_off));
}

static int is_this_thread(uintptr_t thread, int tid)
{
	uintptr_t os;
	return readable_word(thread + (uintptr_t)jvm.osthread_off, &os) &&
	       sys_readable8(os + (uintptr_t)jvm.tid_off) &&
	       *(const int *)(os + (uintptr_t)jvm.tid_off) == tid;
}

static long env_offset_if_this_thread(JNIEnv *env, uintptr_t t, int tid)
{
	long off = (long)((uintptr_t)env - t);
	return off > 0 && off < 8192 && is_this_thread(t, tid) ? off : 0;
}

/* Where JNIEnv lies in a JavaThread: find this thread among the VM's threads by its OS thread
 * id, in the array of the VM's thread list (JDK 14+) or its linked list (JDK 11). */
static long find_env_offset(JNIEnv *env, int tid)
{
	uintptr_t list, t;
	long off = 0;
	if (jvm.thread_list) {
		uintptr_t threads;
		if (!readable_word((uintptr_t)jvm.thread_list, &list) || !sys_readable8(list + 8) ||
		    !readable_word(list + (uintptr_t)jvm.list_threads_off, &threads))
			return 0;
		unsigned length = *(const unsigned *)(list + (uintptr_t)jvm.list_length_off);
		for (unsigned i = 0; i < length && i < 100000 && !off; i++) {
			if (!readable_word(threads + i * sizeof t, &t))
				return 0;
			off = env_offset_if_this_thread(env, t, tid);
		}
		return off;
	}
	if (!readable_word((uintptr_t)jvm.first_thread, &t))
		return 0;
	for (int i = 0; t && i < 100000 && !off; i++) {
		off = env_offset_if_this_thread(env, t, tid);
		if (!readable_word(t + (uintptr_t)jvm.next_off, &t))
			return 0;
	}
	return off;
}

/* The calling thread is a Java thread in native state: JNI and JVMTI may be called. */
static int in_native(JNIEnv *env)
{
	int tid = sys_gettid();
	long off = __atomic_load_n(&jvm.env_off, __ATOMIC_RELAXED);
	if (!off) {
		off = find_env_offset(env, tid);
		if (!off)
			return 0;
		__atomic_store_n(&jvm.env_off, off, __ATOMIC_RELAXED);
	}
	uintptr_t thread = (uintptr_t)env - (uintptr_t)off;
	return is_this_thread(thread, tid) && sys_readable8(thread + (uintptr_t)jvm.state_off) &&
	       *(const int *)(thread + (uintptr_t)jvm.state_off) == THREAD_IN_NATIVE;
}

/* ---- the VM, found once it exists ------------------------------------------------------- */

static JavaVM *the_vm(void)
{
	JavaVM *vm = __atomic_load_n(&jvm.vm, __ATOMIC_ACQUIRE);
	if (vm)
		return vm;
	jint (*created_vms)(JavaVM **, jsize, jsize *) =
		__atomic_load_n(&jvm.created_vms, __ATOMIC_ACQUIRE);
	if (!created_vms) {
		/* Threads may get here together (their first violations at once): each reads the
		 * layout, the same values; created_vms is published after it, so a thread that sees
		 * it sees the layout. */
		if (__atomic_load_n(&jvm.not_hotspot, __ATOMIC_RELAXED))
			return NULL;
		*(void **)&created_vms = fs_real_dlsym(RTLD_DEFAULT, "JNI_GetCreatedJavaVMs");
		if (!created_vms)
			return NULL; /* libjvm is not loaded yet */
		if (!read_vmstructs()) {
			__atomic_store_n(&jvm.not_hotspot, 1, __ATOMIC_RELAXED);
			return NULL;
		}
		__atomic_store_n(&jvm.created_vms, created_vms, __ATOMIC_RELEASE);
	}
	jsize n = 0;
	if (created_vms(&vm, 1, &n) != JNI_OK || n < 1)
		return NULL;
	__atomic_store_n(&jvm.vm, vm, __ATOMIC_RELEASE);
	return vm;
}

/* A JVMTI environment of our own with line numbers and source file names (capabilities every
 * HotSpot grants in the live phase). Two threads may race to make it: one is kept. */
static jvmtiEnv *the_jvmti(JavaVM *vm)
{
	jvmtiEnv *t = __atomic_load_n(&jvm.jvmti, __ATOMIC_ACQUIRE);
	if (t)
		return t;
	if ((*vm)->GetEnv(vm, (void **)&t, JVMTI_VERSION_1_2) != JNI_OK || !t)
		return NULL;
	jvmtiCapabilities caps;
	memset(&caps, 0, sizeof caps);
	caps.can_get_line_numbers = 1;
	caps.can_get_source_file_name = 1;
	(*t)->AddCapabilities(t, &caps); /* without them: no lines, no file names; still frames */
	jvmtiEnv *none = NULL;
	if (!__atomic_compare_exchange_n(&jvm.jvmti, &none, t, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		(*t)->DisposeEnvironment(t);
		t = none;
	}
	return t;
}

/* ---- one frame ---------------------------------------------------------------------------- */

/* The JDK's own classes are the language's library (SPEC "origin"). */
static int library(const char *cls)
{
	static const char *const JDK[] = {"java.", "javax.", "jdk.", "sun."};
	for (size_t i = 0; i < sizeof JDK / sizeof *JDK; i++)
		if (!strncmp(cls, JDK[i], strlen(JDK[i])))
			return 1;
	return 0;
}

static int line_at(jvmtiEnv *t, jmethodID m, jlocation at)
{
	jint n = 0;
	jvmtiLineNumberEntry *table = NULL;
	int line = 0;
	if (at < 0 || (*t)->GetLineNumberTable(t, m, &n, &table) != JVMTI_ERROR_NONE)
		return 0;
	jlocation best = -1;
	for (jint i = 0; i < n; i++)
		if (table[i].start_location <= at && table[i].start_location > best) {
			best = table[i].start_location;
			line = table[i].line_number;
		}
	(*t)->Deallocate(t, (unsigned char *)table);
	return line;
}

/* "Lcom/example/Handler;" → "com.example.Handler" into cls; the package's directory
 * ("com/example/") into dir. */
static void class_names(const char *sig, char *cls, size_t cap, char *dir, size_t dir_cap)
{
	size_t n = strlen(sig);
	if (n >= 2 && sig[0] == 'L' && sig[n - 1] == ';') {
		sig++;
		n -= 2;
	}
	if (n >= cap)
		n = cap - 1;
	size_t slash = 0;
	for (size_t i = 0; i < n; i++) {
		cls[i] = sig[i] == '/' ? '.' : sig[i];
		if (sig[i] == '/')
			slash = i + 1;
	}
	cls[n] = '\0';
	if (slash >= dir_cap)
		slash = 0;
	memcpy(dir, sig, slash);
	dir[slash] = '\0';
}

static void jvmti_free(jvmtiEnv *t, char *p)
{
	if (p)
		(*t)->Deallocate(t, (unsigned char *)p);
}

/* a + b into out (cap bytes, NUL included); returns the length. No snprintf on this path. */
static size_t join(char *out, size_t cap, const char *a, char sep, const char *b)
{
	size_t n = 0;
	for (; *a && n + 1 < cap; a++)
		out[n++] = *a;
	if (sep && n + 1 < cap)
		out[n++] = sep;
	for (; *b && n + 1 < cap; b++)
		out[n++] = *b;
	out[n] = '\0';
	return n;
}

/* Hand one frame to origin_frame: file "com/example/Handler.java" (the class's package
 * directory and its SourceFile; the class's own name without one), function
 * "com.example.Handler.method". Returns origin_frame's answer; the class of the frame that
 * became the origin is kept in *origin_class (a local reference). */
static int frame(struct origin_out *o, jvmtiEnv *t, JNIEnv *env, const jvmtiFrameInfo *f,
		 jclass *origin_class)
{
	jclass k = NULL;
	char *sig = NULL, *name = NULL, *source = NULL;
	if ((*t)->GetMethodDeclaringClass(t, f->method, &k) != JVMTI_ERROR_NONE ||
	    (*t)->GetClassSignature(t, k, &sig, NULL) != JVMTI_ERROR_NONE ||
	    (*t)->GetMethodName(t, f->method, &name, NULL, NULL) != JVMTI_ERROR_NONE) {
		jvmti_free(t, sig);
		return 0;
	}
	char cls[200], dir[200], file[300], function[300];
	class_names(sig, cls, sizeof cls, dir, sizeof dir);
	size_t nf = (*t)->GetSourceFileName(t, k, &source) == JVMTI_ERROR_NONE ?
			    join(file, sizeof file, dir, 0, source) :
			    join(file, sizeof file, dir, 0, cls + strlen(dir)); /* its simple name */
	size_t nfn = join(function, sizeof function, cls, '.', name);
	int had_origin = o->have_origin;
	int stop = origin_frame(o, file, nf, function, nfn, line_at(t, f->method, f->location),
				library(cls));
	if (!had_origin && o->have_origin)
		*origin_class = k;
	else
		(*env)->DeleteLocalRef(env, k);
	jvmti_free(t, sig);
	jvmti_free(t, name);
	jvmti_free(t, source);
	return stop;
}

/* ---- the package: the jar the class came from --------------------------------------------- */

static jobject object_field(JNIEnv *env, jobject obj, jfieldID *id, const char *name,
			    const char *type)
{
	if (!obj)
		return NULL;
	if (!*id) {
		jclass c = (*env)->GetObjectClass(env, obj);
		*id = (*env)->GetFieldID(env, c, name, type);
		if ((*env)->ExceptionCheck(env)) {
			(*env)->ExceptionClear(env);
			*id = NULL;
		}
		if (!*id)
			return NULL;
	}
	return (*env)->GetObjectField(env, obj, *id);
}

/* The class's protection domain: Class.getProtectionDomain0() (a native method of the VM; JDK
 * 11-24) or, where that is gone, the field it became (Class.protectionDomain, JDK 25; hidden
 * from reflection, not from JNI). Then .codesource → .location → .path, and the last path
 * component when it names a jar (a directory of classes — the task root — is no package). */
static int named(jvmtiEnv *t, char *name, const char *want)
{
	int same = name && !strcmp(name, want);
	jvmti_free(t, name);
	return same;
}

/* Which of the two this VM has, looked up once by JVMTI's lists of java.lang.Class's methods and
 * fields (asking JNI for a missing one would throw, that is allocate, an error). */
static void find_protection_domain(jvmtiEnv *t, jclass class_class)
{
	jint n = 0;
	jmethodID *methods = NULL;
	jfieldID *fields = NULL;
	if ((*t)->GetClassMethods(t, class_class, &n, &methods) == JVMTI_ERROR_NONE) {
		for (jint i = 0; i < n && !jvm.protection_domain; i++) {
			char *name = NULL;
			(*t)->GetMethodName(t, methods[i], &name, NULL, NULL);
			if (named(t, name, "getProtectionDomain0"))
				jvm.protection_domain = methods[i];
		}
		jvmti_free(t, (char *)methods);
	}
	if (!jvm.protection_domain &&
	    (*t)->GetClassFields(t, class_class, &n, &fields) == JVMTI_ERROR_NONE) {
		for (jint i = 0; i < n && !jvm.pd_field; i++) {
			char *name = NULL;
			(*t)->GetFieldName(t, class_class, fields[i], &name, NULL, NULL);
			if (named(t, name, "protectionDomain"))
				jvm.pd_field = fields[i];
		}
		jvmti_free(t, (char *)fields);
	}
	__atomic_store_n(&jvm.pd_looked_up, 1, __ATOMIC_RELEASE); /* after what it found */
}

static jobject protection_domain(jvmtiEnv *t, JNIEnv *env, jclass k)
{
	if (!__atomic_load_n(&jvm.pd_looked_up, __ATOMIC_ACQUIRE))
		find_protection_domain(t, (*env)->GetObjectClass(env, k));
	if (jvm.pd_field)
		return (*env)->GetObjectField(env, k, jvm.pd_field);
	if (!jvm.protection_domain)
		return NULL;
	jobject pd = (*env)->CallObjectMethod(env, k, jvm.protection_domain);
	if ((*env)->ExceptionCheck(env)) {
		(*env)->ExceptionClear(env);
		return NULL;
	}
	return pd;
}

static void set_jar_package(struct origin_out *o, jvmtiEnv *t, JNIEnv *env, jclass k)
{
	jobject pd = protection_domain(t, env, k);
	jobject cs = object_field(env, pd, &jvm.codesource, "codesource", "Ljava/security/CodeSource;");
	jobject url = object_field(env, cs, &jvm.location, "location", "Ljava/net/URL;");
	jstring path = object_field(env, url, &jvm.url_path, "path", "Ljava/lang/String;");
	if (!path)
		return;
	char buf[512];
	jsize chars = (*env)->GetStringLength(env, path);
	jsize bytes = (*env)->GetStringUTFLength(env, path);
	if (bytes <= 0 || (size_t)bytes >= sizeof buf)
		return;
	(*env)->GetStringUTFRegion(env, path, 0, chars, buf);
	buf[bytes] = '\0';
	const char *base = strrchr(buf, '/');
	base = base ? base + 1 : buf;
	size_t n = strlen(base);
	if (n > 4 && !strcmp(base + n - 4, ".jar"))
		origin_set_package(o, base, n);
}

/* ---- the walk ----------------------------------------------------------------------------- */

int origin_java_walk(struct origin_out *o)
{
	JavaVM *vm;
	JNIEnv *env = NULL;
	jvmtiEnv *t;
	jvmtiPhase phase;
	if (walking || !(vm = the_vm()) ||
	    (*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_6) != JNI_OK || !in_native(env))
		return 0;
	walking = 1;
	int ok = 0;
	if (!(t = the_jvmti(vm)) || (*t)->GetPhase(t, &phase) != JVMTI_ERROR_NONE ||
	    phase != JVMTI_PHASE_LIVE || (*env)->ExceptionCheck(env) ||
	    (*env)->PushLocalFrame(env, 16) != JNI_OK)
		goto out;
	jvmtiFrameInfo frames[JAVA_FRAMES];
	jint count = 0;
	jclass origin_class = NULL;
	if ((*t)->GetStackTrace(t, NULL, 0, JAVA_FRAMES, frames, &count) == JVMTI_ERROR_NONE) {
		for (jint i = 0; i < count; i++)
			if (frame(o, t, env, &frames[i], &origin_class))
				break;
		if (origin_class)
			set_jar_package(o, t, env, origin_class);
		ok = 1;
	}
	(*env)->PopLocalFrame(env, NULL);
out:
	walking = 0;
	return ok;
}

/* The JVM is loaded by its launcher after this library's constructor has run: here only the
 * process is recognised; the VM is looked for at the first walk (the_vm). */
int origin_java_setup(const char *exe)
{
	const char *base = strrchr(exe, '/');
	return base && !strcmp(base + 1, "java");
}
