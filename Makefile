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
CPPFLAGS := -D_POSIX_C_SOURCE=200809L -Icommon -Irpc -Iinclude -Itests/support \
            -Iapps -Iworker -Icoordinator -Ilauncher \
            -I$(BUILD)/proto -MMD -MP
CFLAGS   := -std=c11 $(OPT) $(WARN) -fPIC -fno-omit-frame-pointer
# C++ ($(CXX), g++ by default) builds only test apps that check that
# include/mrapp.h works from C++.
CXXFLAGS := -std=c++11 $(OPT) -Wall -Wextra -Werror -fPIC \
            -fno-omit-frame-pointer -fvisibility=hidden
CXX_CPPFLAGS := -Iinclude -MMD -MP
LDFLAGS  :=
ifneq ($(SANITIZE),)
CFLAGS   += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all
CXXFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=$(SANITIZE)
endif

# Evaluated when a recipe runs, after the deps step has installed them.
PKG_CFLAGS = $(shell pkg-config --cflags libprotobuf-c libutf8proc libsodium)
PKG_LIBS   = $(shell pkg-config --libs libprotobuf-c libsodium)
TEST_LIBS  = $(shell pkg-config --libs criterion)

# Every object depends on the flags it was built with: changing SANITIZE or
# OPT rewrites this stamp, so old and new objects are never mixed.
FLAGS_STAMP := $(BUILD)/.flags
FLAGS_NOW   := $(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(CXX) $(CXXFLAGS)
$(shell mkdir -p $(BUILD); \
        [ "$$(cat $(FLAGS_STAMP) 2>/dev/null)" = '$(FLAGS_NOW)' ] || \
        echo '$(FLAGS_NOW)' > $(FLAGS_STAMP))

# ---------------------------------------------------------------- sources
PROTOS     := $(wildcard proto/*.proto)
PROTO_C    := $(PROTOS:proto/%.proto=$(BUILD)/proto/%.pb-c.c)
PROTO_H    := $(PROTO_C:.c=.h)
PROTO_OBJ  := $(PROTO_C:.c=.o)

LIB_SRC    := $(wildcard common/*.c rpc/*.c)
LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/%.o) $(PROTO_OBJ)
LIB        := $(BUILD)/libmr.a

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

# Programs. The worker's data path is a library shared with the tests.
WORKER_LIB_SRC := worker/aggtable.c worker/app.c worker/arena.c \
                  worker/imfile.c worker/lastwords.c worker/mapout.c \
                  worker/maptask.c worker/merge.c worker/reducetask.c \
                  worker/spill.c worker/worker.c
COORD_LIB_SRC  := coordinator/tasks.c coordinator/splits.c coordinator/coord.c \
                  coordinator/coord_join.c coordinator/coord_end.c \
                  coordinator/coord_describe.c \
                  coordinator/jobdir.c coordinator/members.c \
                  coordinator/summary.c coordinator/options.c
CORE_OBJ   := $(patsubst %.c,$(BUILD)/%.o,$(WORKER_LIB_SRC) $(COORD_LIB_SRC))
PROGRAMS   := $(BUILD)/mrcoordinator $(BUILD)/mrworker $(BUILD)/mrsequential \
              $(BUILD)/mrgen $(BUILD)/mrrun
LAUNCHER_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard launcher/*.c))

# App modules: build/apps/NAME.so from apps/NAME.c, each linked with the
# shared word splitter (apps/words.c). Only mr_app_entry is exported.
APP_NAMES  := wc indexer mtiming rtiming jobcount early_exit crash nocrash
APPS       := $(APP_NAMES:%=$(BUILD)/apps/%.so)
APP_SHARED := $(BUILD)/apps/words.o
APP_LIBS    = $(shell pkg-config --libs libutf8proc)

# Modules only the tests load (bad ones among them), from
# tests/support/apps/NAME.c to build/tests/apps/NAME.so.
TEST_APP_NAMES := noentry abi99 bigreduce linelen meancombine faulty
TEST_APPS  := $(TEST_APP_NAMES:%=$(BUILD)/tests/apps/%.so)
# The same from C++: tests/support/apps/NAME.cc, built and linked with g++.
TEST_CXX_APP_NAMES := cxxwc
TEST_CXX_APPS := $(TEST_CXX_APP_NAMES:%=$(BUILD)/tests/apps/%.so)
TEST_CXX_OBJ  := $(TEST_CXX_APP_NAMES:%=$(BUILD)/tests/support/apps/%.o)

.PHONY: all deps apps run test check bench bench-scale bench-rpc fuzz fuzz-seeds clean
.SECONDARY:
all: $(LIB) apps $(PROGRAMS)

apps: $(APPS)

deps:
	@tools/deps.sh

# ---------------------------------------------------------------- rules
$(BUILD)/proto/%.pb-c.c $(BUILD)/proto/%.pb-c.h: proto/%.proto | deps
	@mkdir -p $(@D)
	$(call say,PROTOC,$<)protoc-c --proto_path=proto --c_out=$(BUILD)/proto $<

# Generated code is compiled without our stricter warnings.
$(BUILD)/proto/%.pb-c.o: $(BUILD)/proto/%.pb-c.c $(FLAGS_STAMP)
	$(call say,CC,$<)$(CC) $(CPPFLAGS) -std=c11 $(OPT) -fPIC $(filter -fsanitize%,$(CFLAGS)) \
	    $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.c $(FLAGS_STAMP) | $(PROTO_H) deps
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/apps/%.o: CFLAGS += -fvisibility=hidden
$(BUILD)/tests/support/apps/%.o: CFLAGS += -fvisibility=hidden
# The faulty app dies of SIGSEGV on purpose: built without the sanitizers,
# which would stop it first, so that the worker's own handling is tested.
$(BUILD)/tests/support/apps/faulty.o: CFLAGS := $(filter-out \
    -fsanitize=% -fno-sanitize-recover=%,$(CFLAGS)) -fvisibility=hidden

$(BUILD)/apps/%.so: $(BUILD)/apps/%.o $(APP_SHARED)
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

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(call say,AR,$@)ar rcs $@ $^

$(BUILD)/mrcoordinator: $(BUILD)/coordinator/main.o $(CORE_OBJ) $(LIB)
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS) -ldl

$(BUILD)/mrworker: $(BUILD)/worker/main.o $(CORE_OBJ) $(LIB)
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS) -ldl

$(BUILD)/mrsequential: $(BUILD)/worker/sequential.o \
                       $(BUILD)/worker/combinecheck.o $(CORE_OBJ) $(LIB)
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS) -ldl

$(BUILD)/mrrun: $(LAUNCHER_OBJ) $(CORE_OBJ) $(LIB)
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS) -ldl

$(BUILD)/mrgen: $(BUILD)/tools/mrgen.o $(LIB)
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@

$(UNIT_BIN): $(UNIT_OBJ) $(SUPPORT_OBJ) $(APP_SHARED) $(CORE_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS) $(APP_LIBS) \
	    $(TEST_LIBS) -ldl

$(TEST_PROGS): $(BUILD)/tests/%: $(BUILD)/tests/support/%.o \
               $(BUILD)/worker/app.o $(LIB)
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS) -ldl

$(BENCH_RPC): $(BUILD)/bench/rpc_bench.o $(SUPPORT_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS)

# ---------------------------------------------------------------- fuzzing
# libFuzzer targets, built with clang and ASan+UBSan into build/fuzz/, with
# objects of their own so that they never mix with the gcc ones.
FUZZ_CC      := clang
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_FLAGS   := -std=c11 -g -O1 -fno-omit-frame-pointer \
                -fsanitize=fuzzer-no-link,address,undefined \
                -fno-sanitize-recover=all
FUZZ_WARN    := $(filter-out -Wno-format-truncation,$(WARN))
FUZZ_SRC     := $(wildcard common/*.c rpc/*.c) $(WORKER_LIB_SRC) \
                $(COORD_LIB_SRC)
FUZZ_OBJ     := $(FUZZ_SRC:%.c=$(FUZZ_DIR)/obj/%.o) \
                $(PROTO_C:$(BUILD)/proto/%.c=$(FUZZ_DIR)/obj/proto/%.o)
FUZZ_TARGETS := coordinator auth messages imfile
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_SECONDS ?= 20

$(FUZZ_DIR)/obj/proto/%.o: $(BUILD)/proto/%.c
	@mkdir -p $(@D)
	$(call say,CLANG,$<)$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) $(PKG_CFLAGS) \
	    -c $< -o $@

$(FUZZ_DIR)/obj/%.o: %.c | $(PROTO_H) deps
	@mkdir -p $(@D)
	$(call say,CLANG,$<)$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) $(FUZZ_WARN) \
	    $(PKG_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_OBJ)
	$(call say,LINK,$@)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined $^ \
	    -o $@ $(PKG_LIBS) -ldl

$(FUZZ_DIR)/make_seeds: $(BUILD)/tests/fuzz/make_seeds.o $(CORE_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS) -ldl

# Runs each target for FUZZ_SECONDS from the committed seeds; a crash fails.
fuzz: $(FUZZ_BINS)
	@tools/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Rewrites the committed seed corpus with the project's own encoders.
fuzz-seeds: $(FUZZ_DIR)/make_seeds
	@$(FUZZ_DIR)/make_seeds tests/fuzz/seeds

# ---------------------------------------------------------------- commands
# The main job: mrrun in build/run/ on its generated default input. Pass
# options with ARGS, e.g. make run ARGS="--app indexer --workers 4".
run: all
	@mkdir -p $(BUILD)/run
	@cd $(BUILD)/run && ../mrrun $(ARGS)

test: all $(UNIT_BIN) $(TEST_APPS) $(TEST_CXX_APPS) $(TEST_PROGS)
	@tests/run.sh $(BUILD)

# What CI runs (.ci/run): the tests; the tests again with ASan and UBSan, in
# $(BUILD)/san; each fuzz target for a few seconds; a job under valgrind.
check: test
	@tools/deps.sh check
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/san \
	    SANITIZE=address,undefined test
	@$(MAKE) --no-print-directory FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS) fuzz
	@tests/valgrind-job.sh $(BUILD)

CHECK_FUZZ_SECONDS ?= 5

# Distributed wc and indexer against mrsequential and tr|sort|uniq on a
# ~195 MB corpus; see bench/bench.sh.
bench: all
	@BUILD=$(BUILD) bench/bench.sh

# 200 MB, 1 GB and 2 GB generated inputs: time and worker memory.
bench-scale: all
	@BUILD=$(BUILD) bench/bench-scale.sh

bench-rpc: $(BENCH_RPC)
	@$(BENCH_RPC)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
