# genre: music genre classification end to end, in C.
#
#   make run     the main job (synthetic corpus unless DATA=path/to/genres_original;
#                PROTOCOL=fault-filtered for GTZAN's published split)
#   make test    build and run the whole test suite (SAN=1: ASan + UBSan build)
#   make bench   print speed and memory figures
#   make deps    install the build's missing Debian packages (apt-get as root, else print the
#                command): the libraries and Open MPI. make test-deps (run by make test): Chromium,
#                npm and playwright-core, Slurm and munge, numpy: each test that needs one skips without it
#   make fuzz FUZZ_SECONDS=N   run each libFuzzer target N seconds (clang; findings kept in tests/fuzz)
#   make valgrind         the test suite's binaries under valgrind memcheck

SHELL := /bin/bash
.DEFAULT_GOAL := all

# --- dependencies ------------------------------------------------------------
DEB_PACKAGES := pkg-config libaubio-dev libfftw3-dev libgsl-dev libsndfile1-dev libcsv-dev \
                libsoxr-dev libopenblas-dev libopenmpi-dev openmpi-bin
PC_MODULES := aubio fftw3 gsl sndfile soxr openblas ompi-c

# --- build flags ---------------------------------------------------------------
CC ?= cc
OPT ?= -O3
BUILD := build
ifeq ($(SAN),1)
  BUILD := build/san
  OPT := -O2 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  SAN_LDFLAGS := -fsanitize=address,undefined
endif

PC_CFLAGS = $(shell pkg-config --cflags $(PC_MODULES) 2>/dev/null)
# GSL's CBLAS API, linked against OpenBLAS instead of libgslcblas
PC_LIBS = $(filter-out -lgslcblas,$(shell pkg-config --libs $(PC_MODULES) 2>/dev/null))

CFLAGS ?= $(OPT)
# no -ffast-math: results must not depend on reassociation. -ffp-contract=off keeps
# every multi-versioned path (see features/dsp/simd.h) bit-identical.
CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-psabi -g -pthread -fno-math-errno -fno-trapping-math -ffp-contract=off $(INCLUDES) \
          $(PC_CFLAGS) -MMD -MP
LDLIBS += $(PC_LIBS) -lcsv -lm -pthread
LDFLAGS += $(SAN_LDFLAGS)

# Sources and include directories are found by folder (the rooms of README's
# Layout): a file moved or added between rooms needs no edit here.
ROOMS := features models experiments data
src_in = $(shell find $(1) -name '*.c' | sort)
FEATURES_SRC := $(call src_in,features)
MODELS_SRC := $(call src_in,models)
EXPERIMENTS_LIB_SRC := $(filter-out experiments/commands/genre.c,$(call src_in,experiments))
DATA_SRC := $(call src_in,data)
LIB_SRC := $(FEATURES_SRC) $(MODELS_SRC) $(EXPERIMENTS_LIB_SRC) $(DATA_SRC)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/experiments/report/report_html_page.o
INCLUDES := $(addprefix -I,$(sort $(dir $(shell find $(ROOMS) -name '*.h'))))
LIB := $(BUILD)/libgenre.a

TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%) $(BUILD)/tests/test_nn64
# checks written as scripts (the same summary line)
TEST_SCRIPTS := $(wildcard tests/test_*.sh)
# the network core again in float64, for the reference and gradient checks
NN64_SRC := $(MODELS_SRC)
NN64_OBJ := $(NN64_SRC:%.c=$(BUILD)/nn64/%.o)
# the fuzz targets, replayed by test_fuzz over their kept corpora
FUZZ_TARGETS := audio table npy model cli
FUZZ_REPLAY_OBJ := $(patsubst %,$(BUILD)/fuzz-replay/tests/fuzz/fuzz_%.o,$(FUZZ_TARGETS) common)
# programs the tests launch under mpirun
TEST_HELPERS := $(BUILD)/tests/mpi_step $(BUILD)/tests/mel_corpus $(BUILD)/tests/feature_table
BENCH_SRC := $(wildcard tests/bench_*.c)
BENCH_BIN := $(BENCH_SRC:tests/%.c=$(BUILD)/tests/%)

SHARED ?= ../shared
# make bench's large synthetic spectrogram corpus, in GB (written and removed by the bench)
BENCH_GB ?= 20
DATA ?=

GENRE := bin/genre
ifeq ($(SAN),1)
  GENRE := $(BUILD)/genre
endif

.PHONY: all deps test-deps browser-deps cluster-deps python-deps report-screenshots run test bench clean fuzz fuzz-deps fuzz-seeds valgrind
.SECONDARY:

all: deps $(GENRE)

# apt-get as root (after an update), otherwise the command to run:
# $(call apt,PACKAGES,WHAT FOR,ON FAILURE) -- ON FAILURE is `exit 1` for what
# the build needs, a note for a test's extras (whose tests then skip).
define apt
if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
  echo "installing: $(1) ($(2))"; \
  { DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null 2>&1; } || { echo "$(1) did not install"; $(3); }; \
else echo "run:  sudo apt-get install -y $(1)   ($(2))"; $(3); fi
endef

# The build's libraries (what make, make run and make bench need), checked
# with pkg-config (libcsv ships no .pc file: its header).
deps:
	@missing=""; \
	command -v pkg-config >/dev/null || missing="pkg-config"; \
	if command -v pkg-config >/dev/null; then \
	  for m in $(PC_MODULES); do pkg-config --exists $$m || missing="$$missing $$m"; done; \
	fi; \
	[ -f /usr/include/csv.h ] || missing="$$missing libcsv"; \
	command -v mpirun >/dev/null || missing="$$missing mpirun"; \
	if [ -n "$$missing" ]; then \
	  echo "missing: $$missing"; \
	  $(call apt,$(DEB_PACKAGES),the build's libraries,exit 1); \
	  pkg-config --exists $(PC_MODULES) || { echo "pkg-config still cannot find: $(PC_MODULES)"; exit 1; }; \
	  [ -f /usr/include/csv.h ] || { echo "libcsv-dev did not install csv.h"; exit 1; }; \
	fi

# What only the tests use, one after another (apt takes one lock): without
# any of it, the tests that need it skip with a message.
test-deps: deps
	@$(MAKE) --no-print-directory browser-deps cluster-deps python-deps

# report.html's browser tests: Debian's Chromium and playwright-core (from npm,
# no browser download) in tests/html/node_modules.
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then $(call apt,chromium,report.html's browser tests,echo "test_html will skip"); fi; \
	if ! command -v npm >/dev/null; then $(call apt,npm,playwright-core for the browser tests,echo "test_html will skip"); fi; \
	if [ ! -f tests/html/node_modules/playwright-core/package.json ] && command -v npm >/dev/null; then \
	  (cd tests/html && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || echo "npm ci failed in tests/html: test_html will skip"; \
	fi

# test_slurm's one-node cluster: Debian's Slurm and munge (the daemons are
# started by the test alone, from its own configuration).
cluster-deps:
	@if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then \
	  $(call apt,slurm-wlm munge,the Slurm test's local cluster,echo "test_slurm will skip"); \
	fi

# An independent reader in the tests (np.load of float16 spectrograms and of
# shortened names): Debian's numpy for /usr/bin/python3.
python-deps:
	@if ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then \
	  $(call apt,python3-numpy,the tests' independent .npy reader,echo "the np.load checks will skip"); \
	fi

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# report.html's page, as a C string (sed: no tool beyond POSIX)
$(BUILD)/experiments/report/report_html_page.c: experiments/report/report_html.in
	@mkdir -p $(dir $@)
	@{ echo 'const char report_html_template[] ='; \
	   sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; echo ';'; } > $@

$(BUILD)/experiments/report/report_html_page.o: $(BUILD)/experiments/report/report_html_page.c
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(GENRE): $(BUILD)/experiments/commands/genre.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/tests/check.o $(LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/nn64/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DNN_DOUBLE -c $< -o $@

$(BUILD)/tests/test_nn64: $(BUILD)/nn64/tests/test_nn.o $(NN64_OBJ) $(BUILD)/tests/check.o $(LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/fuzz-replay/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DFUZZ_REPLAY -c $< -o $@

$(BUILD)/tests/test_fuzz: $(BUILD)/tests/test_fuzz.o $(FUZZ_REPLAY_OBJ) $(BUILD)/tests/check.o $(LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/fuzz_seeds: $(BUILD)/fuzz-replay/tests/fuzz/seeds.o $(BUILD)/fuzz-replay/tests/fuzz/fuzz_common.o $(LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Runs every test binary; the last line adds their "N passed, N failed" up.
# A binary that crashes or prints no summary counts as one failure.
test: deps test-deps $(GENRE) $(TEST_BIN) $(TEST_HELPERS)
	@pass=0; fail=0; \
	for t in $(TEST_BIN) $(TEST_SCRIPTS); do \
	  echo "== $$t"; start=$$(date +%s); \
	  out=$$(GENRE_BIN=$(GENRE) GENRE_SHARED=$${GENRE_SHARED:-../shared} \
	         LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp $$t 2>&1); rc=$$?; \
	  echo "$$out" | grep -v '^# '; echo "   ($$(( $$(date +%s) - start )) s)"; \
	  last=$$(echo "$$out" | tail -n 1); \
	  if [[ "$$last" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$$ ]]; then \
	    pass=$$((pass + BASH_REMATCH[1])); fail=$$((fail + BASH_REMATCH[2])); \
	    if [ $$rc -ne 0 ] && [ "$${BASH_REMATCH[2]}" = 0 ]; then fail=$$((fail + 1)); echo "FAIL $$t exited $$rc"; fi; \
	  else fail=$$((fail + 1)); echo "FAIL $$t exited $$rc without a summary"; fi; \
	done; \
	echo "$$pass passed, $$fail failed"; [ $$fail -eq 0 ]

# The main job: the synthetic corpus (or DATA=path/to/genres_original), its
# features and log-mels, then ANN vs CNN vs ensemble on the same folds, with
# the report in results/latest.
RUN_TRACKS ?= 20
RUN_SECONDS ?= 15
RUN_FOLDS ?= 5
RUN_ARGS ?= $(if $(DATA),,--cnn-epochs 16)
# PROTOCOL=fault-filtered: GTZAN's published split (data/splits/); or grouped-kfold (default), random-split
PROTOCOL ?=
RUN_PROTOCOL = $(if $(filter fault-filtered,$(PROTOCOL)),--protocol split:data/splits/gtzan_fault_filtered,$(if $(PROTOCOL),--protocol $(PROTOCOL)))
run: deps $(GENRE)
	@set -e; \
	if [ -n "$(DATA)" ]; then src="$(DATA)"; else \
	  src=data/synthetic/genres_original; \
	  $(GENRE) synth -o data/synthetic -n $(RUN_TRACKS) -s $(RUN_SECONDS); \
	fi; \
	$(GENRE) extract -o results/features "$$src" || [ $$? = 2 ]; \
	$(GENRE) experiment --data results/features -o results/latest --folds $(RUN_FOLDS) $(RUN_PROTOCOL) $(RUN_ARGS)

# README's pictures of report.html, by the browser tests' driver: the latest
# make run's report at desktop and phone widths (results/report-*.png)
report-screenshots: browser-deps
	node tests/html/check_report.js results/latest results/report

# Figures, not tests (tests/bench.sh): extraction, training, prediction,
# clusters and corpora larger than memory, with speed and peak RSS.
bench: deps $(GENRE) $(BENCH_BIN) $(TEST_HELPERS)
	@GENRE=$(GENRE) BUILD=$(BUILD) SHARED=$(SHARED) BENCH_GB=$(BENCH_GB) tests/bench.sh

# --- fuzzing (libFuzzer: Debian's clang and libclang-rt-dev) ---------------------
# make fuzz FUZZ_SECONDS=N runs every target N seconds, two at a time, each from its
# kept corpus (tests/fuzz/corpus/<target>); inputs that add coverage are merged
# back into it, and every finding is copied to tests/fuzz/regressions/<target>,
# which make test replays from then on.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_BUILD ?= build/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN) -std=c11 -D_GNU_SOURCE -pthread \
              -Wall -Wextra -Wno-unknown-warning-option -Wno-psabi -fno-math-errno -fno-trapping-math -ffp-contract=off \
              $(INCLUDES) $(PC_CFLAGS)
# signal processing and network kernels: sanitized and optimised, but without
# coverage feedback (it slows their loops tenfold and guides nothing)
FUZZ_NOCOV_SRC := features/analysis.c $(call src_in,features/dsp) $(filter-out models/nn/net.c models/nn/dist.c,$(call src_in,models/nn))
FUZZ_LIB_OBJ := $(patsubst %.c,$(FUZZ_BUILD)/%.o,$(filter-out $(FUZZ_NOCOV_SRC),$(LIB_SRC))) \
                $(FUZZ_NOCOV_SRC:%.c=$(FUZZ_BUILD)/nocov/%.o) $(FUZZ_BUILD)/tests/fuzz/fuzz_common.o \
                $(BUILD)/experiments/report/report_html_page.c
FUZZ_BIN := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_MAX_LEN_audio := 16384
FUZZ_MAX_LEN_table := 4096
FUZZ_MAX_LEN_npy := 70000
FUZZ_MAX_LEN_model := 16384
FUZZ_MAX_LEN_cli := 1024
FUZZ_DEB := clang libclang-rt-dev

fuzz-deps:
	@if ! command -v $(FUZZ_CC) >/dev/null || \
	    ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d && n; }' | \
	      $(FUZZ_CC) -fsanitize=fuzzer -x c - -o /dev/null 2>/dev/null; then \
	  echo "missing: clang with libFuzzer"; \
	  $(call apt,$(FUZZ_DEB),the fuzz targets,exit 1); \
	fi

$(FUZZ_BUILD)/nocov/%.o: %.c
	@mkdir -p $(dir $@)
	@$(FUZZ_CC) $(filter-out -O1 -fsanitize=fuzzer-no-link,$(FUZZ_CFLAGS)) -O2 -c $< -o $@

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	@echo "  link $@"; $(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) $^ $(LDLIBS) -o $@

fuzz: deps fuzz-deps
	@$(MAKE) --no-print-directory $(FUZZ_BIN)
	@set -e; mkdir -p $(FUZZ_BUILD)/log; \
	echo "fuzzing $(FUZZ_TARGETS): $(FUZZ_SECONDS) s each, two at a time (logs in $(FUZZ_BUILD)/log)"; \
	export LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp; \
	printf '%s\n' $(FUZZ_TARGETS) | xargs -P 2 -I{} bash -c ' \
	  t={}; rm -rf $(FUZZ_BUILD)/findings/$$t; mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/findings/$$t; \
	  case $$t in audio) m=$(FUZZ_MAX_LEN_audio);; table) m=$(FUZZ_MAX_LEN_table);; npy) m=$(FUZZ_MAX_LEN_npy);; \
	    model) m=$(FUZZ_MAX_LEN_model);; *) m=$(FUZZ_MAX_LEN_cli);; esac; \
	  $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=$$m -timeout=20 -rss_limit_mb=4096 \
	    -print_final_stats=1 -close_fd_mask=1 -artifact_prefix=$(FUZZ_BUILD)/findings/$$t/ \
	    $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t > $(FUZZ_BUILD)/log/$$t.log 2>&1 || true; \
	  $(FUZZ_BUILD)/fuzz_$$t -merge=1 -max_len=$$m -timeout=20 -rss_limit_mb=4096 -close_fd_mask=1 \
	    tests/fuzz/corpus/$$t $(FUZZ_BUILD)/corpus/$$t >> $(FUZZ_BUILD)/log/$$t.log 2>&1 || true; \
	  runs=$$(grep -o "stat::number_of_executed_units: *[0-9]*" $(FUZZ_BUILD)/log/$$t.log | tail -1 | grep -o "[0-9]*$$"); \
	  found=$$(ls $(FUZZ_BUILD)/findings/$$t | wc -l); \
	  if [ $$found -gt 0 ]; then mkdir -p tests/fuzz/regressions/$$t; cp $(FUZZ_BUILD)/findings/$$t/* tests/fuzz/regressions/$$t/; fi; \
	  echo "  $$t: $${runs:-?} runs, corpus $$(ls tests/fuzz/corpus/$$t | wc -l) files, $$found findings"'; \
	if ls tests/fuzz/regressions/*/* >/dev/null 2>&1; then echo "past and new findings: tests/fuzz/regressions (replayed by make test)"; fi

# Rewrites the hand-made starting inputs of the corpora (tests/fuzz/seeds.c).
fuzz-seeds: $(BUILD)/tests/fuzz_seeds
	$(BUILD)/tests/fuzz_seeds tests/fuzz/corpus

# memcheck over the suite's unit-test binaries, two at a time, longest first
# (test_extract, test_experiment, test_robust and test_cnn mostly run bin/genre,
# which is followed too). Each binary's output: build/valgrind/<name>.log.
# GENRE_MEMCHECK=1 shrinks the CNN tests' corpora, folds and epochs, and
# OpenBLAS runs its SSE3 kernels (memcheck emulates FMA instructions one call
# at a time, which made a CNN epoch ~500x slower); how well the models learn is
# make test's job.
VALGRIND := valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
            --show-leak-kinds=definite --track-origins=no --quiet \
            --suppressions=$(CURDIR)/tests/fuzz/valgrind.supp
# the longest first, then every other test binary, but those that launch
# mpirun or Slurm (their daemons are not ours to trace) and test_stream (its
# memory cgroups bound the very allocations memcheck inflates)
VALGRIND_FIRST := test_parity test_robust test_predict test_long test_ann test_cnn test_experiment
VALGRIND_SKIP := test_mpi test_slurm test_stream
VALGRIND_ORDER := $(VALGRIND_FIRST) \
                  $(filter-out $(VALGRIND_FIRST) $(VALGRIND_SKIP),$(notdir $(TEST_BIN)))
valgrind: deps $(GENRE) $(TEST_BIN)
	@command -v valgrind >/dev/null || { echo "run:  sudo apt-get install -y valgrind"; exit 1; }
	@mkdir -p $(BUILD)/valgrind; rm -f $(BUILD)/valgrind/*.log; \
	echo "memcheck on $(words $(VALGRIND_ORDER)) test binaries and every bin/genre they run, two at a time"; \
	printf '%s\n' $(VALGRIND_ORDER) | xargs -P 2 -I{} bash -c ' \
	  t=$(BUILD)/tests/{}; log=$(BUILD)/valgrind/{}.log; start=$$(date +%s); \
	  GENRE_MEMCHECK=1 OPENBLAS_CORETYPE=Prescott GENRE_BIN="$(VALGRIND) --log-file=$(CURDIR)/$(BUILD)/valgrind/genre.%p.log $(GENRE)" GENRE_SHARED=$${GENRE_SHARED:-../shared} $(VALGRIND) $$t > $$log 2>&1; \
	  echo "exit $$?" >> $$log; \
	  echo "== valgrind {}: $$(tail -n 2 $$log | head -n 1) ($$(( $$(date +%s) - start )) s)"'; \
	fail=0; for t in $(VALGRIND_ORDER); do log=$(BUILD)/valgrind/$$t.log; \
	  if [ "$$(tail -n 1 $$log)" != "exit 0" ] || grep -q "==[0-9]*==" $$log; then \
	    fail=1; echo "== $$t:"; grep -v "^# " $$log | tail -n 40; fi; \
	done; for l in $(BUILD)/valgrind/genre.*.log; do \
	  if [ -s $$l ]; then fail=1; echo "== bin/genre ($$l):"; head -n 40 $$l; fi; \
	done; [ $$fail -eq 0 ] && echo "valgrind: no errors ($$(ls $(BUILD)/valgrind/genre.*.log | wc -l) runs of bin/genre)" || { echo "valgrind: errors above"; exit 1; }

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
