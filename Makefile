# Builds everything out of tree into build/. `make run` runs a word count
# across processes, `make test` runs every test, `make bench-rpc` measures
# the RPC layer. SANITIZE=address,undefined rebuilds everything with those
# sanitizers.

BUILD    := build
SANITIZE ?=
V        ?= 0
ifeq ($(V),0)
Q        := @
say       = @printf '  %-7s %s\n' $(1) $(2);
else
Q        :=
say       =
endif
OPT      ?= -O2 -g

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wundef \
            -Wcast-align -Wwrite-strings -Wno-format-truncation
CPPFLAGS := -D_POSIX_C_SOURCE=200809L -MMD -MP
# -pthread: the RPC client's lock, and the worker's heartbeat thread.
CFLAGS   := -std=c11 $(OPT) $(WARN) -fPIC -fno-omit-frame-pointer -pthread
# C++ ($(CXX), g++ by default) builds only test apps that check that
# include/mrapp.h works from C++.
CXXFLAGS := -std=c++11 $(OPT) -Wall -Wextra -Werror -fPIC \
            -fno-omit-frame-pointer -fvisibility=hidden
CXX_CPPFLAGS := -Iinclude -MMD -MP
LDFLAGS  := -pthread
# The task table's walk over every task after every change (MR_FULL_CHECKS,
# coordinator/tasks.c): on in the sanitizer build (make check runs every
# test with it) unless FULL_CHECKS= is given empty; FULL_CHECKS=1 turns it
# on in any build. assert() itself is on in every build: no NDEBUG.
FULL_CHECKS ?= $(if $(SANITIZE),1,)
ifneq ($(FULL_CHECKS),)
CPPFLAGS += -DMR_FULL_CHECKS
endif
ifneq ($(SANITIZE),)
CFLAGS   += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all
CXXFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=$(SANITIZE)
endif

# Evaluated when a recipe runs, after the deps step has installed them.
PKG_CFLAGS = $(shell pkg-config --cflags libprotobuf-c libutf8proc libsodium \
                                         libmicrohttpd zlib libzstd)
PKG_LIBS   = $(shell pkg-config --libs libprotobuf-c libsodium)
# The status page's HTTP server (coordinator/status_http.c): the programs
# that run a coordinator link it.
HTTP_LIBS  = $(shell pkg-config --libs libmicrohttpd)
TEST_LIBS  = $(shell pkg-config --libs criterion)
# What the worker layer links: the dynamic loader (app modules), zlib and
# libzstd (compressed inputs, worker/decompress.c).
WORKER_LIBS = $(shell pkg-config --libs zlib libzstd) -ldl
# Only mrstatus reads JSON (a job's summary), with json-c.
JSON_LIBS  = $(shell pkg-config --libs json-c)

# Every object depends on the flags it was built with: changing SANITIZE or
# OPT rewrites this stamp, so old and new objects are never mixed.
FLAGS_STAMP := $(BUILD)/.flags
FLAGS_NOW   := $(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(CXX) $(CXXFLAGS)
$(shell mkdir -p $(BUILD); \
        [ "$$(cat $(FLAGS_STAMP) 2>/dev/null)" = '$(FLAGS_NOW)' ] || \
        echo '$(FLAGS_NOW)' > $(FLAGS_STAMP))

# ---------------------------------------------------------------- layers
# Each folder is a layer (docs/architecture.md draws them), built into a
# static library of its own and compiled with only its own and its lower
# layers' include paths, so that a lower layer cannot include an upper one.
# Each program links only the layers it uses; tests/job/test-layers.sh
# checks both.
#
#   common <- rpc <- worker, coordinator <- launcher    (proto: the messages
#   include/mrapp.h <- apps helpers; worker              generated from
#                                                        proto/mr.proto)
INC_common      := -Icommon
INC_proto       := -I$(BUILD)/proto
INC_rpc         := $(INC_common) -Irpc
INC_worker      := $(INC_rpc) $(INC_proto) -Iinclude -Iworker
INC_coordinator := $(INC_rpc) $(INC_proto) -Icoordinator
INC_launcher    := $(INC_rpc) $(INC_proto) -Iinclude -Iworker -Icoordinator \
                   -Ilauncher
INC_apps        := -Iinclude -Iapps
INC_tools       := $(INC_common)
# Tests and benchmarks see every layer.
INC_tests       := $(INC_launcher) -Iapps -Itests/support
INC_bench       := $(INC_tests)
# The include path of a source file, by its top folder; generated code
# (under $(BUILD)) sees only the generated headers.
inc_for = $(or $(INC_$(firstword $(subst /, ,$(1)))),$(INC_proto))

# ---------------------------------------------------------------- sources
PROTOS     := $(wildcard proto/*.proto)
PROTO_C    := $(PROTOS:proto/%.proto=$(BUILD)/proto/%.pb-c.c)
PROTO_H    := $(PROTO_C:.c=.h)
# rpctest.proto is the RPC tests' and benchmark's service, in no library.
TEST_PROTO_OBJ := $(BUILD)/proto/rpctest.pb-c.o

# The layer libraries: build/libmr_LAYER.a from LAYER/*.c, less the files
# that hold a program's main; the apps layer is the helpers the lab's apps
# share (apps/NAME.c are the apps themselves); proto is the code of
# mr.proto, shuffle.proto and journal.proto.
MAINS      := coordinator/main.c worker/main.c worker/sequential.c \
              launcher/main.c launcher/mrstatus.c
LAYERS     := common proto rpc worker coordinator launcher apps
layer_src   = $(filter-out $(MAINS),$(wildcard $(1)/*.c))
OBJ_common      := $(patsubst %.c,$(BUILD)/%.o,$(call layer_src,common))
OBJ_proto       := $(BUILD)/proto/mr.pb-c.o $(BUILD)/proto/shuffle.pb-c.o \
                   $(BUILD)/proto/journal.pb-c.o
OBJ_rpc         := $(patsubst %.c,$(BUILD)/%.o,$(call layer_src,rpc))
OBJ_worker      := $(patsubst %.c,$(BUILD)/%.o,$(call layer_src,worker))
OBJ_coordinator := $(patsubst %.c,$(BUILD)/%.o,$(call layer_src,coordinator)) \
                   $(BUILD)/coordinator/status_page_html.o
OBJ_launcher    := $(patsubst %.c,$(BUILD)/%.o,$(call layer_src,launcher))
OBJ_apps        := $(BUILD)/apps/words.o
$(foreach L,$(LAYERS),$(eval LIB_$(L) := $(BUILD)/libmr_$(L).a))
LAYER_LIBS := $(foreach L,$(LAYERS),$(LIB_$(L)))
# libs_for: the libraries of these layers, upper layers first as the
# linker needs them.
libs_for    = $(foreach L,$(1),$(LIB_$(L)))

# Test programs with a main of their own, run by the job suites: build/tests/.
TEST_PROG_NAMES := hostile_peer
TEST_PROGS  := $(TEST_PROG_NAMES:%=$(BUILD)/tests/%)
SUPPORT_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(filter-out \
                 $(TEST_PROG_NAMES:%=tests/support/%.c), \
                 $(wildcard tests/support/*.c)))

UNIT_SRC   := $(wildcard tests/unit/*.c)
UNIT_OBJ   := $(UNIT_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN   := $(BUILD)/tests/unit_tests

BENCH_RPC  := $(BUILD)/bench/rpc_bench
BENCH_TCP  := $(BUILD)/bench/tcp_copy
BENCH_SHUFFLE := $(BUILD)/bench/shuffle_rate
# A real coordinator driven by fake workers (make bench-coord-load).
BENCH_COORD_LOAD := $(BUILD)/bench/coord_load
# The word count as an executable app's mapper and reducer (make bench).
BENCH_EXEC := $(BUILD)/bench/exec_wc_map $(BUILD)/bench/exec_wc_reduce

# Programs, and the layers each links (tests/job/test-layers.sh holds the
# layers each may link).
PROGRAMS   := $(BUILD)/mrcoordinator $(BUILD)/mrworker $(BUILD)/mrsequential \
              $(BUILD)/mrgen $(BUILD)/mrrun $(BUILD)/mrstatus
LINK_mrcoordinator := coordinator proto rpc common
LINK_mrworker      := worker proto rpc common
LINK_mrsequential  := worker common
LINK_mrrun         := launcher coordinator worker proto rpc common
LINK_mrgen         := common
# mrstatus: the launcher's views, the coordinator's status_json().
LINK_mrstatus      := launcher coordinator proto rpc common
# The tests' programs see every layer (of the launcher, the views of
# mrstatus; not its summary, which needs json-c).
LINK_tests         := launcher coordinator worker apps proto rpc common

# App modules: build/apps/NAME.so from apps/NAME.c, each linked with the
# apps helpers (apps/words.c: the word splitter). Only mr_app_entry is
# exported.
APP_NAMES  := wc indexer mtiming rtiming jobcount early_exit crash nocrash
APPS       := $(APP_NAMES:%=$(BUILD)/apps/%.so)
APP_LIBS    = $(shell pkg-config --libs libutf8proc)

# Modules only the tests load (bad ones among them), from
# tests/support/apps/NAME.c to build/tests/apps/NAME.so.
TEST_APP_NAMES := noentry abi99 bigreduce linelen meancombine faulty \
                  slowreduce oddlines linewc
TEST_APPS  := $(TEST_APP_NAMES:%=$(BUILD)/tests/apps/%.so)
# The same from C++: tests/support/apps/NAME.cc, built and linked with g++.
TEST_CXX_APP_NAMES := cxxwc cxxexternc
TEST_CXX_APPS := $(TEST_CXX_APP_NAMES:%=$(BUILD)/tests/apps/%.so)
TEST_CXX_OBJ  := $(TEST_CXX_APP_NAMES:%=$(BUILD)/tests/support/apps/%.o)

.PHONY: all deps apps run test check bench bench-scale bench-rpc bench-net \
        bench-faults bench-coord-load bench-wc-cpu bench-pairs \
        bench-scale-tasks \
        fuzz fuzz-seeds clean install uninstall
.SECONDARY:
all: $(LAYER_LIBS) apps $(PROGRAMS)

apps: $(APPS)

# Debian packages. Plain `make` checks that the programs' are there and
# installs nothing; `make deps` installs what the tests need too (as root;
# else it prints the apt-get line), and so do the steps that run things:
# make run, make test, make check (which adds clang, valgrind, Chromium).
DEPS_STEP := $(if $(filter check,$(MAKECMDGOALS)),check,$(if $(filter \
               deps run test bench%,$(MAKECMDGOALS)),test,build))
DEPS_INSTALL := $(if $(filter deps run test check bench%,$(MAKECMDGOALS)),--install)
deps:
	@tools/deps.sh $(DEPS_INSTALL) $(DEPS_STEP)

# ---------------------------------------------------------------- rules
$(BUILD)/proto/%.pb-c.c $(BUILD)/proto/%.pb-c.h: proto/%.proto | deps
	@mkdir -p $(@D)
	$(call say,PROTOC,$<)protoc-c --proto_path=proto --c_out=$(BUILD)/proto $<

# Generated code is compiled without our stricter warnings. Every header
# first: journal.proto imports mr.proto.
$(BUILD)/proto/%.pb-c.o: $(BUILD)/proto/%.pb-c.c $(FLAGS_STAMP) | $(PROTO_H)
	$(call say,CC,$<)$(CC) $(CPPFLAGS) $(INC_proto) -std=c11 $(OPT) -fPIC $(filter -fsanitize%,$(CFLAGS)) \
	    $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.c $(FLAGS_STAMP) | $(PROTO_H) deps
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(CPPFLAGS) $(call inc_for,$<) $(CFLAGS) \
	    $(PKG_CFLAGS) -c $< -o $@

# The status page, coordinator/status_page.html, embedded as a byte array.
$(BUILD)/coordinator/status_page_html.c: coordinator/status_page.html | deps
	@mkdir -p $(@D)
	$(call say,XXD,$<){ echo '/* Generated from $< by the Makefile. */'; \
	  echo '#include "status_page.h"'; \
	  echo 'const unsigned char status_page_html[] = {'; \
	  xxd -i < $<; \
	  echo '};'; \
	  echo 'const size_t status_page_html_len = sizeof(status_page_html);'; \
	} > $@.tmp && mv $@.tmp $@

$(BUILD)/coordinator/status_page_html.o: $(BUILD)/coordinator/status_page_html.c \
                                         $(FLAGS_STAMP)
	$(call say,CC,$<)$(CC) $(CPPFLAGS) $(INC_coordinator) $(CFLAGS) \
	    -c $< -o $@

$(BUILD)/apps/%.o: CFLAGS += -fvisibility=hidden
$(BUILD)/tests/support/apps/%.o: CFLAGS += -fvisibility=hidden
# The faulty and linewc apps die of SIGSEGV on purpose: built without the sanitizers,
# which would stop it first, so that the worker's own handling is tested.
$(BUILD)/tests/support/apps/faulty.o \
$(BUILD)/tests/support/apps/linewc.o: CFLAGS := $(filter-out \
    -fsanitize=% -fno-sanitize-recover=%,$(CFLAGS)) -fvisibility=hidden

$(BUILD)/apps/%.so: $(BUILD)/apps/%.o $(LIB_apps)
	$(call say,LINK,$@)$(CC) -shared $(LDFLAGS) $^ -o $@ $(APP_LIBS)

$(BUILD)/tests/apps/%.so: $(BUILD)/tests/support/apps/%.o
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CC) -shared $(LDFLAGS) $^ -o $@

$(TEST_CXX_OBJ): $(BUILD)/tests/support/apps/%.o: tests/support/apps/%.cc \
                 $(FLAGS_STAMP) | deps
	@mkdir -p $(@D)
	$(call say,CXX,$<)$(CXX) $(CXX_CPPFLAGS) $(CXXFLAGS) -c $< -o $@

$(TEST_CXX_APPS): $(BUILD)/tests/apps/%.so: $(BUILD)/tests/support/apps/%.o
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CXX) -shared $(LDFLAGS) $^ -o $@

$(foreach L,$(LAYERS),$(eval $(LIB_$(L)): $(OBJ_$(L))))
$(BUILD)/libmr_%.a:
	@rm -f $@
	$(call say,AR,$@)ar rcs $@ $^

$(BUILD)/mrcoordinator: $(BUILD)/coordinator/main.o \
                        $(call libs_for,$(LINK_mrcoordinator))
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS) $(HTTP_LIBS)

$(BUILD)/mrworker: $(BUILD)/worker/main.o $(call libs_for,$(LINK_mrworker))
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS) $(WORKER_LIBS)

$(BUILD)/mrsequential: $(BUILD)/worker/sequential.o \
                       $(call libs_for,$(LINK_mrsequential))
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS) $(WORKER_LIBS)

$(BUILD)/mrrun: $(BUILD)/launcher/main.o $(call libs_for,$(LINK_mrrun))
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS) $(HTTP_LIBS) $(WORKER_LIBS)

$(BUILD)/mrstatus: $(BUILD)/launcher/mrstatus.o \
                   $(call libs_for,$(LINK_mrstatus))
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS) $(JSON_LIBS)

$(BUILD)/mrgen: $(BUILD)/tools/mrgen.o $(call libs_for,$(LINK_mrgen))
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@

$(UNIT_BIN): $(UNIT_OBJ) $(SUPPORT_OBJ) $(TEST_PROTO_OBJ) \
             $(call libs_for,$(LINK_tests))
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS) $(APP_LIBS) \
	    $(TEST_LIBS) $(HTTP_LIBS) $(WORKER_LIBS)

$(TEST_PROGS): $(BUILD)/tests/%: $(BUILD)/tests/support/%.o \
               $(call libs_for,$(LINK_tests))
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS) $(WORKER_LIBS)

$(BENCH_RPC): $(BUILD)/bench/rpc_bench.o $(SUPPORT_OBJ) $(TEST_PROTO_OBJ) \
              $(call libs_for,rpc common)
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS)

# The shuffle alone (a worker's server, a reduce's fetch and merge).
$(BENCH_SHUFFLE): $(BUILD)/bench/shuffle_rate.o $(call libs_for,worker proto rpc common)
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS)

# Fake workers speak the wire protocol themselves: the messages, the
# frame, no worker.
$(BENCH_COORD_LOAD): $(BUILD)/bench/coord_load.o $(call libs_for,proto rpc common)
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS)

# Stand-alone programs that read stdin: nothing of ours linked.
$(BENCH_EXEC): $(BUILD)/bench/%: $(BUILD)/bench/%.o
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@

# A raw TCP copy, nothing of ours linked: bench-net's floor.
$(BENCH_TCP): $(BUILD)/bench/tcp_copy.o
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@

# ---------------------------------------------------------------- fuzzing
# libFuzzer targets, built with clang and ASan+UBSan into build/fuzz/, with
# objects of their own so that they never mix with the gcc ones.
FUZZ_CC      := clang
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_FLAGS   := -std=c11 -g -O1 -fno-omit-frame-pointer -pthread \
                -DMR_FULL_CHECKS \
                -fsanitize=fuzzer-no-link,address,undefined \
                -fno-sanitize-recover=all
FUZZ_WARN    := $(filter-out -Wno-format-truncation,$(WARN))
# The status page's HTTP server is left out: libmicrohttpd parses the
# requests, and no target reaches it.
FUZZ_SRC     := $(filter-out coordinator/status_http.c, \
                  $(foreach L,common rpc worker coordinator,$(call layer_src,$(L))))
FUZZ_OBJ     := $(FUZZ_SRC:%.c=$(FUZZ_DIR)/obj/%.o) \
                $(OBJ_proto:$(BUILD)/proto/%=$(FUZZ_DIR)/obj/proto/%)
FUZZ_TARGETS := coordinator auth messages imfile stream
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_SECONDS ?= 20

$(FUZZ_DIR)/obj/proto/%.o: $(BUILD)/proto/%.c | $(PROTO_H)
	@mkdir -p $(@D)
	$(call say,CLANG,$<)$(FUZZ_CC) $(CPPFLAGS) $(INC_proto) $(FUZZ_FLAGS) \
	    $(PKG_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/obj/%.o: %.c | $(PROTO_H) deps
	@mkdir -p $(@D)
	$(call say,CLANG,$<)$(FUZZ_CC) $(CPPFLAGS) $(call inc_for,$<) \
	    $(FUZZ_FLAGS) $(FUZZ_WARN) $(PKG_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_OBJ)
	$(call say,LINK,$@)$(FUZZ_CC) -pthread -fsanitize=fuzzer,address,undefined $^ \
	    -o $@ $(PKG_LIBS) $(WORKER_LIBS)

$(FUZZ_DIR)/make_seeds: $(BUILD)/tests/fuzz/make_seeds.o \
                        $(call libs_for,$(LINK_tests))
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS) $(WORKER_LIBS)

# Runs each target for FUZZ_SECONDS from the committed seeds; a crash fails.
fuzz: $(FUZZ_BINS)
	@tools/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Rewrites the committed seed corpus with the project's own encoders.
fuzz-seeds: $(FUZZ_DIR)/make_seeds
	@$(FUZZ_DIR)/make_seeds tests/fuzz/seeds

# ---------------------------------------------------------------- commands
# The main job: mrrun with its outputs in build/run/, on the lab's texts
# when they are here (../shared/data/gutenberg, or the directory MR_TEXTS
# names), else on its generated text. Pass options with ARGS, e.g. make run
# ARGS="--app indexer --workers 4", and inputs with INPUT="a.txt b/": both
# as typed from this directory, where mrrun runs.
MR_TEXTS ?= ../shared/data/gutenberg
INPUT    ?= $(wildcard $(MR_TEXTS)/*.txt)
run: all
	@mkdir -p $(BUILD)/run
	@$(BUILD)/mrrun --output $(BUILD)/run $(ARGS) $(INPUT)

test: all $(UNIT_BIN) $(TEST_APPS) $(TEST_CXX_APPS) $(TEST_PROGS)
	@tests/run.sh $(BUILD)

# What CI runs (.ci/run): the tests; the tests again with ASan and UBSan, in
# $(BUILD)/san; each fuzz target for a few seconds; a job under valgrind.
check: test
	@tools/deps.sh --install check
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/san \
	    SANITIZE=address,undefined test
	@$(MAKE) --no-print-directory FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS) fuzz
	@tests/valgrind-job.sh $(BUILD)

CHECK_FUZZ_SECONDS ?= 5

# Distributed wc and indexer against mrsequential and tr|sort|uniq on a
# ~195 MB corpus; see bench/bench.sh.
bench: all $(BENCH_EXEC)
	@BUILD=$(BUILD) bench/bench.sh

# The word count job's total CPU seconds (coordinator + 2 workers) on the
# same corpus, median of 5 runs; see bench/bench-wc-cpu.sh.
bench-wc-cpu: all
	@BUILD=$(BUILD) bench/bench-wc-cpu.sh

# 200 MB, 1 GB and 2 GB generated inputs: time and worker memory.
bench-scale: all
	@BUILD=$(BUILD) bench/bench-scale.sh

bench-rpc: $(BENCH_RPC)
	@$(BENCH_RPC)

# wc and indexer with workers in network namespaces (no shared file system)
# against the same jobs in one shared directory, and a raw TCP copy of the
# shuffle's bytes; needs root. See bench/bench-net.sh.
bench-net: all $(BENCH_TCP) $(BENCH_SHUFFLE)
	@BUILD=$(BUILD) bench/bench-net.sh

# What faults cost: a stopped worker, a slow one, a coordinator killed and
# restarted, against the fault-free job. See bench/bench-faults.sh.
bench-faults: all
	@BUILD=$(BUILD) bench/bench-faults.sh

# The coordinator at 100 and 1,000 connected workers, a job of 20,000 map
# and 2,000 reduce tasks: assignments per second, GetTask round trip,
# peak RSS. See bench/bench-coord-load.sh.
bench-coord-load: all $(BENCH_COORD_LOAD)
	@BUILD=$(BUILD) bench/bench-coord-load.sh

# What a reduce pays per (map, reduce) pair: M x R jobs of cheap maps.
# See bench/bench-pairs.sh.
bench-pairs: all
	@BUILD=$(BUILD) bench/bench-pairs.sh

# The three costs at scale one after the other: bench-pairs, then
# bench-coord-load, then bench-wc-cpu; the last line gathers their figures.
bench-scale-tasks: all $(BENCH_COORD_LOAD)
	@BUILD=$(BUILD) bench/bench-scale-tasks.sh

clean:
	rm -rf $(BUILD)

# ---------------------------------------------------------------- install
# make install [PREFIX=/usr/local] [DESTDIR=staging]: the programs, the
# lab's apps (where the programs look for them by name:
# common/app_name.h), the app header, its pkg-config file (version: the app
# ABI's) and the man pages. make uninstall with the same variables removes
# exactly those, and the apps' directories when they are left empty.
PREFIX  ?= /usr/local
DESTDIR ?=
bindir      := $(PREFIX)/bin
appdir      := $(PREFIX)/lib/mapreduce/apps
includedir  := $(PREFIX)/include
pkgconfigdir := $(PREFIX)/lib/pkgconfig
man1dir     := $(PREFIX)/share/man/man1
man3dir     := $(PREFIX)/share/man/man3
MAN1        := $(wildcard man/*.1)
MAN3        := $(wildcard man/*.3)
ABI_VERSION  = $(shell sed -n 's/^\#define MR_APP_ABI_VERSION //p' \
                 include/mrapp.h)
INSTALLED   := $(PROGRAMS:$(BUILD)/%=$(bindir)/%) \
               $(APPS:$(BUILD)/apps/%=$(appdir)/%) \
               $(includedir)/mrapp.h $(pkgconfigdir)/mrapp.pc \
               $(MAN1:man/%=$(man1dir)/%) $(MAN3:man/%=$(man3dir)/%)

install: all
	$(call say,INSTALL,$(DESTDIR)$(PREFIX))install -d $(DESTDIR)$(bindir) \
	    $(DESTDIR)$(appdir) $(DESTDIR)$(includedir) \
	    $(DESTDIR)$(pkgconfigdir) $(DESTDIR)$(man1dir) $(DESTDIR)$(man3dir)
	$(Q)install -m 755 $(PROGRAMS) $(DESTDIR)$(bindir)
	$(Q)install -m 644 $(APPS) $(DESTDIR)$(appdir)
	$(Q)install -m 644 include/mrapp.h $(DESTDIR)$(includedir)
	$(Q)install -m 644 $(MAN1) $(DESTDIR)$(man1dir)
	$(Q)install -m 644 $(MAN3) $(DESTDIR)$(man3dir)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(ABI_VERSION)|' \
	    include/mrapp.pc.in > $(DESTDIR)$(pkgconfigdir)/mrapp.pc.tmp && \
	    mv $(DESTDIR)$(pkgconfigdir)/mrapp.pc.tmp \
	       $(DESTDIR)$(pkgconfigdir)/mrapp.pc

uninstall:
	$(call say,RM,$(DESTDIR)$(PREFIX))rm -f $(INSTALLED:%=$(DESTDIR)%)
	$(Q)for d in $(appdir) $(dir $(appdir)); do \
	    [ ! -d "$(DESTDIR)$$d" ] || rmdir --ignore-fail-on-non-empty \
	        "$(DESTDIR)$$d"; done

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
