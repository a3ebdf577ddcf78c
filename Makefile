# Builds everything out of tree into build/. `make` builds, `make test` runs
# every test, `make bench-rpc` measures the RPC layer. SANITIZE=address,undefined
# rebuilds everything with those sanitizers.

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
            -I$(BUILD)/proto -MMD -MP
CFLAGS   := -std=c11 $(OPT) $(WARN) -fPIC -fno-omit-frame-pointer
LDFLAGS  :=
ifneq ($(SANITIZE),)
CFLAGS   += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=$(SANITIZE)
endif

# Evaluated when a recipe runs, after the deps step has installed them.
PKG_CFLAGS = $(shell pkg-config --cflags libprotobuf-c libutf8proc)
PKG_LIBS   = $(shell pkg-config --libs libprotobuf-c)
TEST_LIBS  = $(shell pkg-config --libs criterion)

# Every object depends on the flags it was built with: changing SANITIZE or
# OPT rewrites this stamp, so old and new objects are never mixed.
FLAGS_STAMP := $(BUILD)/.flags
FLAGS_NOW   := $(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS)
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

SUPPORT_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/support/*.c))

UNIT_SRC   := $(wildcard tests/unit/*.c)
UNIT_OBJ   := $(UNIT_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN   := $(BUILD)/tests/unit_tests

BENCH_RPC  := $(BUILD)/bench/rpc_bench

.PHONY: all deps test bench-rpc clean
.SECONDARY:
all: $(LIB)

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

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(call say,AR,$@)ar rcs $@ $^

$(UNIT_BIN): $(UNIT_OBJ) $(SUPPORT_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS) $(TEST_LIBS)

$(BENCH_RPC): $(BUILD)/bench/rpc_bench.o $(SUPPORT_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(call say,LINK,$@)$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS)

# ---------------------------------------------------------------- commands
test: all $(UNIT_BIN)
	@tests/run.sh $(BUILD)

bench-rpc: $(BENCH_RPC)
	@$(BENCH_RPC)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
