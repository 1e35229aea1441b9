# Vigil — one Makefile.  `make` builds the programs into build/.
#   make            build/vigild build/vigil-agent build/vigil-sim build/vigilctl
#   make check      install missing packages, build, run unit + system tests (release and
#                   sanitizer builds), then every fuzz target briefly (scripts/fuzz-smoke.sh)
#   make demo       install missing packages, build, run the 100-agent restart demo
#   make SANITIZE=address,undefined   sanitizer build (into build-san/)
#   make fuzz       libFuzzer targets (clang) into build-fuzz/
#   make bench-tools  the dispatch-benchmark baselines into $(B)/bench/ (bench/README.md)
#   make bench      the quick benchmark set with its baselines (bench/RESULTS.md);
#                   make bench FULL=1 adds 50,000 agents

CC      ?= cc
PKGS     = libevent libevent_openssl openssl sqlite3 libpq jansson libjwt zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
          -Wpointer-arith -Wcast-qual -Wformat=2 -Werror
CFLAGS ?= -O2 -g
# -pthread: vigild checks API passwords on a small pool of threads (api_verify.c)
ALL_CFLAGS = $(CFLAGS) -std=gnu11 $(WARN) -D_GNU_SOURCE -pthread -Isrc $(PKG_CFLAGS)
LDLIBS += $(PKG_LIBS) -lm -pthread

ifdef SANITIZE
B       ?= build-san
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
else
B       ?= build
endif

LIB_SRC   := $(wildcard src/lib/*.c) $(wildcard src/proto/*.c)
NODE_SRC  := $(filter-out src/node/main.c,$(wildcard src/node/*.c src/node/*/*.c))
# the web console's files (www/), embedded with .incbin (src/node/api/console_assets.S)
NODE_ASM  := src/node/api/console_assets.S
AGENT_SRC := $(filter-out src/agent/main.c,$(wildcard src/agent/*.c))
SIM_SRC   := $(wildcard src/sim/*.c)
CTL_SRC   := $(filter-out src/ctl/main.c,$(wildcard src/ctl/*.c))
TEST_SRC  := $(wildcard tests/unit/test_*.c)

LIB_OBJ   := $(LIB_SRC:%.c=$(B)/obj/%.o)
NODE_OBJ  := $(NODE_SRC:%.c=$(B)/obj/%.o) $(NODE_ASM:%.S=$(B)/obj/%.o)
AGENT_OBJ := $(AGENT_SRC:%.c=$(B)/obj/%.o)
SIM_OBJ   := $(SIM_SRC:%.c=$(B)/obj/%.o)
CTL_OBJ   := $(CTL_SRC:%.c=$(B)/obj/%.o)
TESTS     := $(TEST_SRC:tests/unit/%.c=$(B)/tests/%)

PROGS := $(B)/vigild $(B)/vigild-test $(B)/vigil-agent $(B)/vigil-sim
PROGS += $(B)/vigilctl

.PHONY: all deps check unit system demo fuzz clean format tests bench-tools bench
all: $(PROGS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# .incbin is not seen by -MMD: the files it embeds are named here
$(B)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@
$(B)/obj/src/node/api/console_assets.o: $(wildcard www/*)

$(B)/libvigil.a: $(LIB_OBJ)
	@rm -f $@; ar rcs $@ $^
$(B)/libvigilnode.a: $(NODE_OBJ)
	@rm -f $@; ar rcs $@ $^
$(B)/libvigilagent.a: $(AGENT_OBJ)
	@rm -f $@; ar rcs $@ $^
$(B)/libvigilctl.a: $(CTL_OBJ)
	@rm -f $@; ar rcs $@ $^

$(B)/vigild: $(B)/obj/src/node/main.o $(B)/libvigilnode.a $(B)/libvigil.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# vigild-test: vigild with the system tests' fault injection (--test-faults).  The
# files that hold it are compiled again with VIGIL_TEST_FAULTS and linked ahead of
# the archive, whose members for them are then not pulled in.  vigild has none of it.
FAULT_SRC := src/node/cluster/cluster.c src/node/cluster/cluster_faults.c src/node/core/config.c \
	src/node/jobs/jobrun.c
FAULT_OBJ := $(FAULT_SRC:%.c=$(B)/obj-faults/%.o)
$(B)/obj-faults/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DVIGIL_TEST_FAULTS -MMD -MP -c $< -o $@
$(B)/vigild-test: $(B)/obj/src/node/main.o $(FAULT_OBJ) $(B)/libvigilnode.a $(B)/libvigil.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/vigil-agent: $(B)/obj/src/agent/main.o $(B)/libvigilagent.a $(B)/libvigil.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# the simulator shares the agent's connection, enrollment and key code
$(B)/vigil-sim: $(SIM_OBJ) $(B)/libvigilagent.a $(B)/libvigil.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# the API client; its pure parts (src/ctl) are also linked into the unit tests
$(B)/vigilctl: $(B)/obj/src/ctl/main.o $(B)/libvigilctl.a $(B)/libvigil.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests link every library so a test may exercise any module.
$(B)/tests/%: $(B)/obj/tests/unit/%.o $(B)/libvigilnode.a $(B)/libvigilagent.a $(B)/libvigilctl.a \
    $(B)/libvigil.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# a cluster peer the system tests use to play a hostile or buggy worker
$(B)/tests/tools/vigil-peer: $(B)/obj/tests/tools/vigil-peer.o $(B)/libvigil.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

tests: $(TESTS) $(B)/tests/tools/vigil-peer

deps:
	@sh scripts/deps.sh

unit: $(TESTS)
	@sh scripts/run-unit.sh $(B)

system: all
	VIGIL_BUILD=$(abspath $(B)) $(PYTEST) tests/system

# make check: the normal build (unit + system tests), then the sanitizer
# build (unit + system tests again: every process runs under ASan/UBSan and
# a sanitizer report fails the test that started it).  Tests marked heavy
# (thousands of agents or long churn: their point is scale, and the smaller
# tests take the same code paths) run in the normal build only, to keep the
# whole check within CI's time; `make SANITIZE=address,undefined system`
# runs every one of them under the sanitizers.
# Two pytest-xdist workers: most of a system test is waiting for processes to reach a
# state, so two at a time take about 60 % of the time of one (each worker has ports of
# its own: tests/system/vigil.py free_port).
PYTEST = /usr/bin/python3 -m pytest -q -p no:cacheprovider --durations=15 -n 2
check: deps
	$(MAKE) -j2 all tests
	sh scripts/run-unit.sh build
	VIGIL_BUILD=$(abspath build) $(PYTEST) tests/system
	$(MAKE) -j2 SANITIZE=address,undefined all tests
	sh scripts/run-unit.sh build-san
	VIGIL_BUILD=$(abspath build-san) $(PYTEST) -m 'not heavy' tests/system
	$(MAKE) -j2 fuzz
	sh scripts/fuzz-smoke.sh

demo: deps
	$(MAKE) all
	/usr/bin/python3 scripts/demo.py --build $(abspath $(B))

# libFuzzer targets: every parser of outside input has one (fuzz/fuzz_*.c).
# The libraries are rebuilt with clang and coverage instrumentation into
# build-fuzz/, and each target links only the archive members it needs.
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=build-fuzz/%)
FUZZ_CFLAGS = -O1 -g -fsanitize=fuzzer-no-link,address,undefined
fuzz: $(FUZZ_BIN)
ifneq ($(B),build-fuzz)
build-fuzz/libvigil.a build-fuzz/libvigilnode.a build-fuzz/libvigilagent.a build-fuzz/libvigilctl.a: FORCE
	$(MAKE) B=build-fuzz CC=clang CFLAGS="$(FUZZ_CFLAGS)" $@
endif
build-fuzz/fuzz_%: fuzz/fuzz_%.c build-fuzz/libvigilnode.a build-fuzz/libvigil.a
	clang -std=gnu11 -g -O1 -D_GNU_SOURCE -Isrc $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined \
	    -o $@ $< build-fuzz/libvigilnode.a build-fuzz/libvigil.a $(LDLIBS)
.PHONY: FORCE
FORCE:

# fuzz targets of the agent's own parsers (fuzz/fuzz_agent_*.c) link the agent archive
build-fuzz/fuzz_agent_%: fuzz/fuzz_agent_%.c build-fuzz/libvigilagent.a build-fuzz/libvigil.a
	clang -std=gnu11 -g -O1 -D_GNU_SOURCE -Isrc $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined \
	    -o $@ $< build-fuzz/libvigilagent.a build-fuzz/libvigil.a $(LDLIBS)

# fuzz targets of vigilctl's parsers (fuzz/fuzz_ctl_*.c) link the client's archive
build-fuzz/fuzz_ctl_%: fuzz/fuzz_ctl_%.c build-fuzz/libvigilctl.a build-fuzz/libvigil.a
	clang -std=gnu11 -g -O1 -D_GNU_SOURCE -Isrc $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined \
	    -o $@ $< build-fuzz/libvigilctl.a build-fuzz/libvigil.a $(LDLIBS)

# Baselines of the command-dispatch benchmark (bench/README.md).  Not part of `all`:
# the mqtt tools need libmosquitto-dev, which `sh scripts/deps.sh bench` installs.
BENCH_LIB = bench/lib/bench.c src/lib/log.c
BENCH_HDR = bench/lib/bench.h src/lib/log.h
BENCH_CFLAGS = $(CFLAGS) -std=gnu11 $(WARN) -D_GNU_SOURCE -Isrc -Ibench/lib
ifdef SANITIZE
BENCH_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
bench-tools: $(B)/bench/floor $(B)/bench/mqtt_clients $(B)/bench/mqtt_pub $(B)/bench/regbench
bench:
	@sh scripts/deps.sh bench
	$(MAKE) all bench-tools
	/usr/bin/python3 bench/run.py --build $(B) $(if $(FULL),--full,)

$(B)/bench/floor: bench/floor/floor.c src/proto/frame.c src/proto/frame.h $(BENCH_LIB) $(BENCH_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(LDFLAGS) -o $@ $(filter %.c,$^)
# the registry's write rate on SQLite and PostgreSQL (bench/registry_write.py)
$(B)/bench/regbench: bench/registry/regbench.c $(B)/libvigilnode.a $(B)/libvigil.a
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/bench/mqtt_%: bench/mqtt/mqtt_%.c $(BENCH_LIB) $(BENCH_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(LDFLAGS) -o $@ $(filter %.c,$^) -lmosquitto

format:
	clang-format -i $$(find src tests fuzz -name '*.[ch]')

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(B) -name '*.d' 2>/dev/null)
