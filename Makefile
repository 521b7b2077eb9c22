# fnshield — build, test, demo.
#
#   make deps    install what is missing (apt-get), unpack cJSON's and libunwind's Debian sources
#   make         build/libfnshield.so, build/fnshield and build/fnshield-exec (installs nothing:
#                when something is missing it says "run make deps")
#   make test    unit tests (Criterion) and integration tests (real python3, node, java)
#   make demo    a small Python function under the shim, in alert then block mode
# test, demo, bench and layer run `make deps` first, so they work on a fresh machine.
#
# cJSON is compiled into the library from Debian's source package instead of linked against
# libcjson.so.1: the preload library must load where only glibc exists (Lambda layers), and a
# shared libcjson in the process would put cJSON_* into the global symbol scope, where it can
# collide with a function's own copy. Compiled in with hidden visibility, it is invisible.

CC       ?= gcc
BUILD    ?= build
CFLAGS   ?= -O2 -g
WERROR   ?= -Werror
CJSON_DIR := $(BUILD)/third_party/cjson
# What the code needs, whatever CFLAGS the caller passes; -MMD -MP: each object's header
# dependencies, in build/obj/**/*.d.
BASE_CFLAGS = $(CFLAGS) -std=gnu11 -Wall -Wextra $(WERROR) -fPIC -fvisibility=hidden \
              -D_GNU_SOURCE -fno-strict-aliasing -MMD -MP
# What each part may include, so the layering is the build's to enforce: policy/ is a pure
# library (nothing of facts/, log/ or shim/); facts/ gathers a call's facts for policy's
# decision; log/ writes lines from what it is given (policy's names); the CLI and the exec
# wrapper know nothing of the shim.
INC_policy   = -Ipolicy -I$(CJSON_DIR)
INC_facts    = -Ifacts -Ipolicy
INC_log      = -Ilog -Ipolicy
INC_shim     = -Ishim -Ifacts -Ilog -Ipolicy -isystem $(JNI_INCLUDE) -isystem $(JNI_INCLUDE)/linux
INC_cli      = -Icli -Ifacts -Ilog -Ipolicy -I$(CJSON_DIR)
INC_wrappers = -Ilog -Ipolicy
INC_tests    = -Ipolicy -Ifacts -Ishim -Ilog -Itools -I$(BUILD) -I$(CJSON_DIR)
# $* is the object's stem (shim/check): its first directory picks the include flags.
ALL_CFLAGS = $(BASE_CFLAGS) $(INC_$(firstword $(subst /, ,$*)))
LDFLAGS  ?=
# jni.h and jvmti.h for shim/origin_java.c: the JDK's (make deps installs one). They describe
# an interface that is the same on every architecture and in every JDK from 11 to 25.
JNI_INCLUDE ?= $(patsubst %/jni.h,%,$(firstword $(wildcard /usr/lib/jvm/*/include/jni.h)))

DEB_PACKAGES := gcc make libcjson-dev libseccomp-dev libunwind-dev libcriterion-dev libxxhash-dev clang \
                dpkg-dev python3 python3-pytest strace busybox-static nodejs \
                openjdk-17-jdk-headless ruby binutils golang-go

POLICY_SRC := $(wildcard policy/*.c)
LOG_SRC    := $(wildcard log/*.c)
FACTS_SRC  := $(wildcard facts/*.c)
SHIM_SRC   := $(wildcard shim/*.c)
CLI_SRC    := $(wildcard cli/*.c)
UNIT_SRC   := $(wildcard tests/unit/*.c)

POLICY_OBJ := $(POLICY_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/cJSON.o
LOG_OBJ    := $(LOG_SRC:%.c=$(BUILD)/obj/%.o)
FACTS_OBJ  := $(FACTS_SRC:%.c=$(BUILD)/obj/%.o)
SHIM_OBJ   := $(SHIM_SRC:%.c=$(BUILD)/obj/%.o) $(FACTS_OBJ)
CLI_OBJ    := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_OBJ   := $(UNIT_SRC:%.c=$(BUILD)/obj/%.o)

.PHONY: all deps test unit integration demo bench clean lint fuzz

all: $(BUILD)/libfnshield.so $(BUILD)/fnshield $(BUILD)/fnshield-exec

# ---- dependencies ------------------------------------------------------------------------
# `make deps` installs what is missing (only that: a second run does not touch apt) and
# unpacks the sources compiled in (cJSON; libunwind, built here for this machine). The goals
# that run things (test, demo, bench, layer…) do it first; plain `make` never does: it checks
# that what it needs is there, and says "run make deps" when it is not.
DEPS_GOALS := deps test unit integration demo bench fuzz layer layer-x86_64 layer-arm64 layer-test matrix arm64-kernel-test

deps:
	sh tools/deps.sh $(CJSON_DIR) $(DEB_PACKAGES)
	CC="$(CC)" sh tools/build-libunwind.sh $(UNWIND_DIR) $(UNWIND_HOST)

# What building needs, checked (nothing installed) when the goal is a plain build.
$(BUILD)/.build-deps-ok: Makefile
	@missing=""; \
	[ -f $(CJSON_DIR)/cJSON.c ] || missing="$$missing cJSON's source ($(CJSON_DIR))"; \
	[ -f $(UNWIND_A) ] || [ -f build/third_party/libunwind-src/configure ] || \
	  missing="$$missing libunwind's source (build/third_party/libunwind-src)"; \
	echo '#include <seccomp.h>' | $(HOSTCC) -E -x c - >/dev/null 2>&1 || missing="$$missing libseccomp-dev"; \
	command -v $(CC) >/dev/null 2>&1 || missing="$$missing $(CC)"; \
	[ -f "$(JNI_INCLUDE)/jvmti.h" ] || missing="$$missing a JDK's jni.h and jvmti.h (openjdk-17-jdk-headless)"; \
	echo '#include <xxhash.h>' | $(HOSTCC) -E -x c - >/dev/null 2>&1 || missing="$$missing libxxhash-dev"; \
	if [ -n "$$missing" ]; then \
	  echo "fnshield: missing:$$missing — run make deps" >&2; exit 1; \
	fi
	@mkdir -p $(BUILD) && touch $@

BUILD_DEPS := $(if $(filter $(DEPS_GOALS),$(MAKECMDGOALS)),deps,$(BUILD)/.build-deps-ok)

$(CJSON_DIR)/cJSON.c: | $(BUILD_DEPS)
	@echo "fnshield: $@ is missing: run make deps" >&2; exit 1

# ---- objects -----------------------------------------------------------------------------
# An object without its .d (built before there were any) is rebuilt once to get one.
$(BUILD)/obj/%.o: %.c $(BUILD)/obj/%.d | $(BUILD_DEPS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/obj/%.d: ;
.PRECIOUS: $(BUILD)/obj/%.d
-include $(wildcard $(BUILD)/obj/*/*.d $(BUILD)/obj/*/*/*.d)

# cJSON: Debian's source, hidden, no warnings of ours imposed on it.
$(BUILD)/obj/cJSON.o: $(CJSON_DIR)/cJSON.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g -fPIC -fvisibility=hidden -w -c $< -o $@

$(BUILD)/libpolicy.a: $(POLICY_OBJ)
	ar rcs $@ $^

# The line writer: formats log lines from what its caller tells it (log/logline.h).
$(BUILD)/liblog.a: $(LOG_OBJ)
	ar rcs $@ $^

# ---- the preload library -----------------------------------------------------------------
# The export list is generated from shim/hooks.def, the one table of interposed functions.
$(BUILD)/exports.map: shim/hooks.def tools/exports.sh
	@mkdir -p $(BUILD)
	sh tools/exports.sh shim/hooks.def > $@

$(BUILD)/libfnshield.so: $(SHIM_OBJ) $(BUILD)/liblog.a $(BUILD)/libpolicy.a $(BUILD)/exports.map
	$(CC) -shared -o $@ $(SHIM_OBJ) $(BUILD)/liblog.a $(BUILD)/libpolicy.a \
	  -Wl,--version-script=$(BUILD)/exports.map -Wl,--exclude-libs,ALL \
	  -Wl,-z,now -Wl,-z,relro -Wl,-z,nodelete -Wl,--no-undefined $(LDFLAGS)

# The seccomp backstop's BPF programs (shim/backstop.h), generated here instead of built by
# libseccomp at every cold start (issue #5). The generator runs on the build machine, so it is
# compiled with the host's compiler and libseccomp even when CC is a cross compiler; it is
# told the target's architecture, which CC names. libseccomp is a build dependency only.
HOSTCC        ?= gcc
BACKSTOP_ARCH := $(firstword $(subst -, ,$(shell $(CC) -dumpmachine 2>/dev/null)))
GEN_SECCOMP   := tools/gen-seccomp.c tools/backstop-rules.c

$(BUILD)/gen-seccomp: $(GEN_SECCOMP) tools/backstop-rules.h shim/backstop.h | $(BUILD_DEPS)
	$(HOSTCC) -O2 -std=gnu11 -Wall -Wextra $(WERROR) -D_GNU_SOURCE -Ishim -Itools \
	  -o $@ $(GEN_SECCOMP) -lseccomp

# Written whole or not at all: a failed run leaves no header behind to compile against.
$(BUILD)/seccomp_programs.h: $(BUILD)/gen-seccomp
	$(BUILD)/gen-seccomp $(BACKSTOP_ARCH) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/shim/syscall_filter.o: $(BUILD)/seccomp_programs.h
$(BUILD)/obj/shim/syscall_filter.o: ALL_CFLAGS += -I$(BUILD)

# The CLI: policy/, facts/ (explain gathers a call's facts as the library does) and log/; no
# shim. It writes its errors with the library's line writer, so they read the same.
$(BUILD)/fnshield: $(CLI_OBJ) $(FACTS_OBJ) $(BUILD)/liblog.a $(BUILD)/libpolicy.a
	$(CC) -o $@ $(CLI_OBJ) $(FACTS_OBJ) $(BUILD)/liblog.a $(BUILD)/libpolicy.a $(LDFLAGS)

# The exec wrapper (AWS_LAMBDA_EXEC_WRAPPER): libc and the line writer (with the policy's
# names it uses; from the archives only the members it needs), linked statically — no dynamic
# loader to run before the runtime's own (issue #5). The objects are position-independent,
# which a static executable takes as well. wrappers/fnshield-exec, the path SPEC.md names, is
# a link to this file.
$(BUILD)/fnshield-exec: $(BUILD)/obj/wrappers/fnshield-exec.o $(BUILD)/liblog.a $(BUILD)/libpolicy.a Makefile
	$(CC) $(CFLAGS) -static -o $@ $(BUILD)/obj/wrappers/fnshield-exec.o $(BUILD)/liblog.a \
	  $(BUILD)/libpolicy.a

# ---- tests -------------------------------------------------------------------------------
# Unit tests: policy/ and log/ whole, and the shim's pieces that make sense outside a process
# (tests/unit/shim_stubs.c stands in for init.c's state).
UNIT_SHIM_OBJ := $(addprefix $(BUILD)/obj/shim/,dynsym.o exe.o supervisor.o report.o logfd.o treefd.o policy_share.o dnstable.o envprop.o lambda.o repeat.o watch.o origin.o origin_python.o origin_node.o origin_java.o) $(FACTS_OBJ)

# The tests' own objects: default visibility (they look frames up by name), and built after
# the generated header that test_backstop_programs.c includes.
$(UNIT_OBJ): BASE_CFLAGS += -fvisibility=default
$(UNIT_OBJ): $(BUILD)/seccomp_programs.h

# test_backstop_programs.c rebuilds every program with libseccomp and compares.
$(BUILD)/unit-tests: $(UNIT_OBJ) $(UNIT_SHIM_OBJ) $(BUILD)/liblog.a $(BUILD)/libpolicy.a \
		     $(BUILD)/obj/tools/backstop-rules.o
	$(CC) -o $@ $(UNIT_OBJ) $(BUILD)/obj/tools/backstop-rules.o $(UNIT_SHIM_OBJ) \
	  $(BUILD)/liblog.a $(BUILD)/libpolicy.a -lcriterion -lseccomp -ldl $(LDFLAGS)

INC_tools = -Itools -Ishim

unit: deps all $(BUILD)/unit-tests
	$(BUILD)/unit-tests --jobs 2

integration: deps all
	/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration tests/lambda tests/cli

# Units, the library's promises, the layer archives, then the runtimes; pytest's summary is
# the run's closing line.
test: deps all $(BUILD)/unit-tests
	$(BUILD)/unit-tests --jobs 2
	$(MAKE) fuzz FUZZ_SECONDS=20
	sh tests/check-library.sh $(BUILD)/libfnshield.so
	$(MAKE) layer-test
	/usr/bin/python3 tests/bypass/run.py
	/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration tests/lambda tests/cli

demo: deps all
	sh tests/demo/run.sh

# Fuzzing (libFuzzer, AddressSanitizer, UBSan): the JSON policy compiler and the compiled-policy
# loader, each for FUZZ_SECONDS, seeded with tests/fuzz/corpus and with compiled policies
# (tests/fuzz/large.json: 600 patterns, for a table of every layout but the comb).
# Any crash, leak or sanitizer report fails the goal; the input that caused it is left in
# build/fuzz/.
FUZZ_SECONDS ?= 120
FUZZ_CC ?= clang
FUZZ_FLAGS = -std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
             -fno-sanitize-recover=undefined -Ipolicy -I$(CJSON_DIR)
FUZZ_POLICY_SRC = $(POLICY_SRC) $(CJSON_DIR)/cJSON.c
$(BUILD)/fuzz/%: tests/fuzz/%.c $(POLICY_SRC) | $(BUILD_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_POLICY_SRC)
fuzz: deps $(BUILD)/fuzz/fuzz_policy $(BUILD)/fuzz/fuzz_image $(BUILD)/fnshield
	@mkdir -p $(BUILD)/fuzz/image-corpus $(BUILD)/fuzz/policy-corpus
	for f in policy/examples/*.json tests/fuzz/corpus/* tests/fuzz/large.json; do \
	  $(BUILD)/fnshield compile $$f -o $(BUILD)/fuzz/image-corpus/$$(basename $$f).fnsp >/dev/null 2>&1 || true; \
	done
	cd $(BUILD)/fuzz && ./fuzz_policy -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	  -dict=$(CURDIR)/tests/fuzz/policy.dict -print_final_stats=1 policy-corpus \
	  $(CURDIR)/tests/fuzz/corpus > policy.log 2>&1 || { tail -60 policy.log; exit 1; }
	@grep -E '^stat::number_of_executed_units' $(BUILD)/fuzz/policy.log | sed 's/^/fuzz_policy: /'
	cd $(BUILD)/fuzz && ./fuzz_image -max_total_time=$(FUZZ_SECONDS) -max_len=400000 \
	  -print_final_stats=1 image-corpus > image.log 2>&1 || { tail -60 image.log; exit 1; }
	@grep -E '^stat::number_of_executed_units' $(BUILD)/fuzz/image.log | sed 's/^/fuzz_image: /'

# Benchmarks (issue #5): microbenchmarks in C, cold start and workloads, the alternatives
# (seccomp-bpf, CPython audit hooks, Node.js permissions); results, charts and the README table
# in bench/results/. gnuplot draws the charts. bench/run.py --quick is the short version.
bench: deps all
	sh tools/deps.sh $(CJSON_DIR) gnuplot-nox valgrind binutils libseccomp-dev nodejs openjdk-17-jdk-headless
	BUILD=$(BUILD) /usr/bin/python3 bench/run.py
	BUILD=$(BUILD) /usr/bin/python3 bench/backtrace.py
	BUILD=$(BUILD) /usr/bin/python3 bench/origin.py
	BUILD=$(BUILD) /usr/bin/python3 bench/policyload.py
	BUILD=$(BUILD) /usr/bin/python3 bench/supervisor.py

lint:
	cppcheck --quiet --enable=warning,performance,portability --error-exitcode=1 \
	  -Ipolicy -Ifacts -Ishim -Ilog --suppress=missingIncludeSystem policy facts log shim cli

clean:
	rm -rf $(BUILD)/obj $(BUILD)/*.so $(BUILD)/*.a $(BUILD)/fnshield $(BUILD)/fnshield-exec $(BUILD)/unit-tests \
	  $(BUILD)/exports.map $(BUILD)/gen-seccomp $(BUILD)/seccomp_programs.h $(BUILD)/.build-deps-ok

# ---- Lambda layer (issue #3) -------------------------------------------------------------
#   make layer          build/fnshield-layer-x86_64.zip and build/fnshield-layer-arm64.zip
#   make layer-x86_64   one architecture (layer-arm64: cross-compiled into build/arm64/)
#   make layer-test     unpack each archive and run it (x86_64: the wrapper with python3;
#                       arm64: under qemu-user) — layer/test-layer.sh
# Building, the glibc checks and staging are in layer/build.sh.
#
# Amazon Linux 2 has glibc 2.26. There, dlvsym and dladdr live in libdl.so.2: the library binds
# their old symbol versions weakly and loads libdl.so.2 itself where the program did not
# (shim/real.c), so it lists no libdl.so.2 (a stub since glibc 2.34, whose loading cost every
# process ~90 µs). The CLI is linked statically: any dynamic executable linked against
# glibc >= 2.34 needs __libc_start_main@GLIBC_2.34 (from crt1.o), which Amazon Linux 2 lacks.
$(BUILD)/fnshield: LDFLAGS += -static
# Link flags live here: relink when the Makefile changes (a link takes a second).
$(BUILD)/libfnshield.so $(BUILD)/fnshield: Makefile

.PHONY: layer layer-x86_64 layer-arm64 layer-test layer-clean matrix matrix-claims arm64-kernel-test

# One after the other: both may install packages, and apt allows one at a time.
layer: deps
	MAKE="$(MAKE)" sh layer/build.sh x86_64
	MAKE="$(MAKE)" sh layer/build.sh arm64

layer-x86_64 layer-arm64: deps
	MAKE="$(MAKE)" sh layer/build.sh $(@:layer-%=%)

layer-test: layer
	sh layer/test-layer.sh build/fnshield-layer-x86_64.zip build/fnshield-layer-arm64.zip

clean: layer-clean
layer-clean:
	rm -rf build/arm64 build/fnshield-layer-*.zip

# ---- native backtraces: libunwind (issue #6) ---------------------------------------------
# Violation lines carry the native call stack when the policy says "log": {"backtrace": true}
# (shim/backtrace.c). libunwind is compiled in like cJSON, from Debian's source package:
# Debian's libunwind.a is not PIC, and libunwind.so.8 would put unw_*/_U* into the process's
# global scope (Amazon Linux 2 has no libunwind at all). tools/build-libunwind.sh builds a PIC
# archive with hidden symbols, local unwinding only, renames its few risky libc references to
# stubs in shim/backtrace.c, and caches it per architecture in build/third_party/libunwind-ARCH
# (x86_64, arm64: the arm64 layer cross-compiles it with --host=aarch64-linux-gnu). Delete
# that directory to rebuild it. --exclude-libs,ALL (above) keeps it out of the dynamic symbol
# table; tests/check-library.sh checks. The line writer (log/) takes the stack through a
# callback (shim/report.c): the CLI and the exec wrapper do not link libunwind.
UNWIND_TRIPLET := $(shell $(CC) -dumpmachine 2>/dev/null)
UNWIND_ARCH    := $(if $(findstring aarch64,$(UNWIND_TRIPLET)),arm64,x86_64)
UNWIND_NATIVE  := $(shell uname -m | sed 's/aarch64/arm64/')
UNWIND_HOST    := $(if $(filter $(UNWIND_ARCH),$(UNWIND_NATIVE)),,$(UNWIND_TRIPLET))
UNWIND_DIR     ?= build/third_party/libunwind-$(UNWIND_ARCH)
UNWIND_A       := $(UNWIND_DIR)/lib/libunwind.a

# From the unpacked source (make deps unpacks it; no apt here).
$(UNWIND_A): | $(BUILD_DEPS)
	CC="$(CC)" sh tools/build-libunwind.sh $(UNWIND_DIR) $(UNWIND_HOST)

$(BUILD)/obj/shim/backtrace.o: ALL_CFLAGS += -I$(UNWIND_DIR)/include
$(BUILD)/obj/shim/backtrace.o: $(UNWIND_A)
$(BUILD)/libfnshield.so: $(UNWIND_A)
$(BUILD)/libfnshield.so: LDFLAGS += $(UNWIND_A)
UNIT_SHIM_OBJ += $(BUILD)/obj/shim/backtrace.o $(UNWIND_A)
$(BUILD)/unit-tests: $(BUILD)/obj/shim/backtrace.o $(UNWIND_A)
# The tests look frames up by name: their functions must be in the dynamic symbol table.
$(BUILD)/unit-tests: LDFLAGS += -rdynamic

# ---- the runtime matrix (issue #11) ------------------------------------------------------
#   make matrix         every runtime version the layer claims (Python 3.9–3.14, Node.js 18–24
#                       with Debian's and the official builds, Java 11–25, Ruby 3.3/3.4), each
#                       in a Debian chroot (glibc 2.31–2.43) under each layer as built: x86_64
#                       with the backstop on and off, arm64 under qemu-user (backstop off: the
#                       arm64 backstop is arm64-kernel-test's). A table runtime × check
#                       (tests/matrix/matrix.py). Chroots are cached in
#                       /var/cache/fnshield-matrix, built when missing.
#   make matrix-claims  the README's "Supported runtimes" table and template.yaml's
#                       CompatibleRuntimes rewritten from the last runs (tests/matrix/claims.py)
MATRIX_PACKAGES := debootstrap qemu-user-static curl openssl ca-certificates openjdk-17-jdk-headless

matrix: deps layer
	sh tools/deps.sh $(CJSON_DIR) $(MATRIX_PACKAGES)
	BUILD=$(BUILD) /usr/bin/python3 tests/matrix/matrix.py

matrix-claims:
	BUILD=$(BUILD) /usr/bin/python3 tests/matrix/claims.py --write

# The arm64 layer on a real arm64 kernel: Debian's, booted under qemu-system-aarch64 with a
# Debian arm64 root (made once with debootstrap under qemu-user, cached beside the chroots):
# python3 and node through the matrix's checks, and the backstop's BPF programs answering raw
# system calls, which qemu-user cannot run (tests/arm64/run.py).
ARM64_PACKAGES := debootstrap qemu-system-arm qemu-user-static cpio xz-utils curl \
                  gcc-aarch64-linux-gnu libc6-dev-arm64-cross

arm64-kernel-test: deps layer-arm64
	sh tools/deps.sh $(CJSON_DIR) $(ARM64_PACKAGES)
	BUILD=$(BUILD) /usr/bin/python3 tests/arm64/run.py
