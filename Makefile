# privaudit — build, test, data, demo, benchmarks.
# Objects go to $(BUILD) (default build/), with -MMD -MP dependency files.
# `make help` lists the targets.

CC      ?= cc
BUILD   ?= build
PREFIX  ?= /usr/local
PYTHON  ?= /usr/bin/python3

# ---- libraries (pkg-config; a missing one stops the build naming its Debian package) ----
define need_pc
$(if $(shell pkg-config --exists $(1) && echo yes),,$(error pkg-config cannot find '$(1)': apt-get install $(2)))
endef
$(call need_pc,openblas,libopenblas-dev)
$(call need_pc,gsl,libgsl-dev)
$(call need_pc,sqlite3,libsqlite3-dev)
$(call need_pc,libcjson,libcjson-dev)
$(call need_pc,zlib,zlib1g-dev)
$(call need_pc,liblzma,liblzma-dev)
$(call need_pc,clp,coinor-libclp-dev)
# GLPK and bzip2 ship no .pc file on Debian: check their headers instead.
ifeq ($(wildcard /usr/include/glpk.h),)
$(error glpk.h not found: apt-get install libglpk-dev)
endif
ifeq ($(wildcard /usr/include/bzlib.h),)
$(error bzlib.h not found: apt-get install libbz2-dev)
endif

PC_CFLAGS := $(shell pkg-config --cflags openblas gsl sqlite3 libcjson zlib liblzma clp)
# GSL's CBLAS is replaced by OpenBLAS (which exports the cblas_* symbols).
GSL_LIBS  := $(filter-out -lgslcblas,$(shell pkg-config --libs gsl))
# Clp (COIN-OR LP, the reconstruction attack's solver): its .pc also lists the reference BLAS/LAPACK,
# which OpenBLAS already provides, so only the two libraries are named.
PC_LIBS   := $(shell pkg-config --libs openblas sqlite3 libcjson zlib liblzma) $(GSL_LIBS) -lClp -lCoinUtils \
             -lglpk -lbz2 -lpthread -lm

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wformat=2 \
           -Wno-unused-parameter
OPT     ?= -O2 -march=x86-64-v2 -g
CFLAGS  ?= $(OPT)
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) \
             -I. $(PC_CFLAGS) -MMD -MP
LDFLAGS ?=
ALL_LDFLAGS = $(LDFLAGS) $(EXTRA_LDFLAGS)

# ---- sources: every .c of the library modules; harness/main.c is the program ----
MODULES  := core generators attacks audit harness reports
LIB_SRC  := $(filter-out harness/main.c,$(wildcard $(addsuffix /*.c,$(MODULES))))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libprivaudit.a
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
CRIT_FLAGS := $(shell pkg-config --cflags criterion 2>/dev/null)
CRIT_LIBS  := $(shell pkg-config --libs criterion 2>/dev/null)
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

.PHONY: all help test asan data demo bench clean install check-deps repro-audit figures test-slurm bench-scale repro-tight repro-tight-adult check-violations \
        repro-fmnist repro-digits-images repro-images-digits-mia
.DEFAULT_GOAL := all

## all: build the privaudit program (default)
all: privaudit

privaudit: $(BUILD)/harness/main.o $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(ALL_LDFLAGS) $(PC_LIBS)

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c | $(BUILD)/dirs
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# the conv engine's elementwise loops (group norm, pooling, im2col, narrow GEMMs) need the
# vectoriser's dynamic cost model: -O2's "very cheap" one leaves loops with a remainder scalar
$(BUILD)/core/net.o $(BUILD)/core/netd.o: ALL_CFLAGS += -ftree-vectorize -fvect-cost-model=dynamic

# the version string is rebuilt whenever `git describe` changes
.PHONY: FORCE
$(BUILD)/version.txt: FORCE | $(BUILD)/dirs
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
$(BUILD)/core/version.o: core/version.c $(BUILD)/version.txt | $(BUILD)/dirs
	$(CC) $(ALL_CFLAGS) -DPA_VERSION='"$(VERSION)"' -c $< -o $@

$(BUILD)/dirs:
	@mkdir -p $(addprefix $(BUILD)/,$(MODULES) tests)
	@touch $@

$(BUILD)/tests/%: tests/%.c $(LIB) | $(BUILD)/dirs
	@if [ -z "$(CRIT_LIBS)" ]; then echo "Criterion not found: apt-get install libcriterion-dev" >&2; exit 1; fi
	$(CC) $(ALL_CFLAGS) $(CRIT_FLAGS) -Werror -o $@ $< $(LIB) $(ALL_LDFLAGS) $(PC_LIBS) $(CRIT_LIBS)

## test: build and run every Criterion suite in tests/ (fails on the first failing suite)
test: $(TEST_BIN) privaudit
	@set -e; total=0; for t in $(TEST_BIN); do echo "== $$t"; PRIVAUDIT_BIN=$(CURDIR)/privaudit $$t --jobs 2 $(TEST_ARGS); done

## test-slurm: a one-node SLURM cluster started here runs a config's shards as a job array, merged = single run (root; scripts/install-deps.sh --cluster)
test-slurm: privaudit $(BUILD)/tests/dbdump
	bash scripts/test-slurm.sh $(BUILD)

$(BUILD)/tests/dbdump: tests/dbdump.c tests/dbdump.h | $(BUILD)/dirs
	$(CC) $(ALL_CFLAGS) -Werror -o $@ $< $(ALL_LDFLAGS) $(PC_LIBS)

## asan: rebuild in build-asan/ and run the tests under AddressSanitizer + UBSan
asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" PRIVAUDIT_NAME=privaudit-asan test-asan

.PHONY: test-asan
test-asan: $(TEST_BIN) $(BUILD)/privaudit-asan
	@set -e; for t in $(TEST_BIN); do echo "== $$t"; ASAN_OPTIONS=detect_leaks=1 PRIVAUDIT_BIN=$(CURDIR)/$(BUILD)/privaudit-asan $$t --jobs 2 $(TEST_ARGS); done

$(BUILD)/privaudit-asan: $(BUILD)/harness/main.o $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(ALL_LDFLAGS) $(PC_LIBS)

## data: fetch real data sets from Debian packages (apt-get download + dpkg-deb -x) into build/data
data: privaudit
	bash data/fetch.sh $(BUILD)/data

## test-aer: after `make data`, check that every data frame of r-cran-aer imports to a CSV its drafted schemas accept
AER_DIR ?= $(BUILD)/data/pkgroot/usr/lib/R/site-library/AER/data
.PHONY: test-aer
test-aer: $(BUILD)/tests/test_rda
	@test -d $(AER_DIR) || { echo "test-aer: $(AER_DIR) not found: run make data (or make demo) first" >&2; exit 1; }
	PRIVAUDIT_AER_DIR=$(abspath $(AER_DIR)) $(BUILD)/tests/test_rda --filter 'rda/every_AER*' --verbose

## fuzz: build the libFuzzer harnesses in fuzz/ (clang, ASan+UBSan) and run each FUZZ_SECONDS (60), FUZZ_JOBS (2) at a time
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 2
FUZZ_NAMES := csv schema config rda idx
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
.PHONY: fuzz fuzz-build
fuzz: fuzz-build
	@rm -rf $(FUZZ_BUILD)/seeds && $(FUZZ_BUILD)/fuzz/seeds $(FUZZ_BUILD)/seeds
	@cp configs/*.json $(FUZZ_BUILD)/seeds/config/ && cp data/schemas/*.json $(FUZZ_BUILD)/seeds/schema/
	bash fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_NAMES)

fuzz-build:
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=clang OPT="-O1 -g -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" EXTRA_LDFLAGS="$(FUZZ_SAN)" \
	  $(FUZZ_BUILD)/fuzz/seeds $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz/fuzz_%)

$(BUILD)/fuzz/fuzz_%: fuzz/fuzz_%.c $(LIB) | $(BUILD)/dirs
	@mkdir -p $(BUILD)/fuzz
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB) $(ALL_LDFLAGS) $(PC_LIBS)

$(BUILD)/fuzz/seeds: fuzz/seeds.c | $(BUILD)/dirs
	@mkdir -p $(BUILD)/fuzz
	$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS) $(PC_LIBS)

## demo: fetch HealthInsurance and run configs/quickstart.json, then draw its report (again: resumes build/demo.db)
demo: privaudit
	bash scripts/demo.sh $(BUILD)

## repro-tapas: TAPAS-scale shadow-model audit of MST (eps 10) on the coded Adult at ../shared/data/adult
repro-tapas: privaudit
	rm -f $(BUILD)/tapas.db
	./privaudit run configs/tapas-adult.json --db $(BUILD)/tapas.db --jobs 2
	./privaudit report --db $(BUILD)/tapas.db --out $(BUILD)/tapas-report

## repro-tight: tight black-box audits (fixed game, crafted target, marginal attack) of marginals and mst on HealthInsurance,
##   marginals at eps 1 with 400,000 games and at eps 4 with 800,000 (m = 5,000), 300,000 (m = 20,000) and 600,000 (m = 50,000), and external generators with accounting bugs, one declaring only epsilon, one its rho (~4 h on 2 cores)
repro-tight: privaudit
	@for g in marginals-healthinsurance marginals-m20k-healthinsurance mst-healthinsurance \
	  marginals-eps1-400k-healthinsurance marginals-eps4-800k-healthinsurance marginals-eps4-m20k-300k-healthinsurance marginals-eps4-m50k-600k-healthinsurance \
	  external-mst-eps10-declared-eps1 external-2way-declared-rho; do rm -f $(BUILD)/tight-$$g.db; \
	  nice -n 10 ./privaudit run configs/tight/$$g.json --db $(BUILD)/tight-$$g.db --jobs 2 && \
	  ./privaudit report --db $(BUILD)/tight-$$g.db --out $(BUILD)/tight-$$g-report || exit 1; done

## repro-tight-adult: the same audit on the coded Adult at ../shared/data/adult: marginals, mst, privbayes at eps 1, marginals, mst at 4 (marginals again with 800,000 games), those and privbayes at 10, aim at 10, dpgan at 1 and 10 (~2 h on 2 cores)
repro-tight-adult: privaudit
	@for c in marginals-eps1 mst-eps1 privbayes-eps1 eps4 marginals-eps4-800k eps10 aim-dpgan; do rm -f $(BUILD)/tight-adult-$$c.db; \
	  nice -n 10 ./privaudit run configs/tight/adult-$$c.json --db $(BUILD)/tight-adult-$$c.db --jobs 2 && \
	  ./privaudit report --db $(BUILD)/tight-adult-$$c.db --out $(BUILD)/tight-adult-$$c-report || exit 1; done

## repro-mia: membership inference table on the coded Adult (every attack x generator x eps, isolated and random targets)
repro-mia: privaudit
	@for sel in isolated random; do rm -f $(BUILD)/mia-adult-$$sel.db; \
	  ./privaudit run configs/mia-adult-$$sel.json --db $(BUILD)/mia-adult-$$sel.db --jobs 2 || exit 1; \
	  ./privaudit report --db $(BUILD)/mia-adult-$$sel.db --out $(BUILD)/mia-adult-$$sel || exit 1; done

## repro-gsd-digits: membership games against Private-GSD on the 8x8 digits at eps 1 and 10 (configs/gsd-digits.json)
repro-gsd-digits: privaudit
	rm -f $(BUILD)/gsd-digits.db
	./privaudit run configs/gsd-digits.json --db $(BUILD)/gsd-digits.db --jobs 2
	./privaudit report --db $(BUILD)/gsd-digits.db --out $(BUILD)/gsd-digits-report

## repro-fmnist: dpmerf (private length scale), psg and dpgan (GS-WGAN mode) at eps 10 on Fashion-MNIST, MLP TSTR (scripts/repro-images.sh; ~1 h on 2 cores)
repro-fmnist: privaudit
	scripts/repro-images.sh fmnist $(BUILD)/repro-images

## repro-digits-images: the same three generators on the 8x8 digits (minutes)
repro-digits-images: privaudit
	scripts/repro-images.sh digits $(BUILD)/repro-images

## repro-images-digits-mia: membership games against psg and dpmerf (lengthscale select) on the digits at eps 1 and 10
repro-images-digits-mia: privaudit
	@for g in psg dpmerf; do rm -f $(BUILD)/$$g-digits.db; \
	  ./privaudit run configs/$$g-digits.json --db $(BUILD)/$$g-digits.db --jobs 2 || exit 1; \
	  ./privaudit report --db $(BUILD)/$$g-digits.db --out $(BUILD)/$$g-digits-report || exit 1; done

## repro-recon: linear-reconstruction sweep on the coded Adult at ../shared/data/adult (docs/recon.md)
RECON_GAMES ?= 200
ADULT ?= ../shared/data/adult
repro-recon: privaudit
	@for g in resample marginals mst privbayes; do E=1,10,100; [ $$g = resample ] && E=inf; \
	  ./privaudit recon --data $(ADULT)/adult.csv --schema $(ADULT)/adult-domain.json --generator $$g \
	  --epsilon $$E --n 1000 --m 10,100,1000,10000,100000 --games $(RECON_GAMES) --jobs 2 --seed 2024 \
	  --qi workclass,education-num,marital-status,occupation,relationship,sex --secret 'income>50K' \
	  --db $(BUILD)/recon-adult/$$g.db --out $(BUILD)/recon-adult/$$g || exit 1; done

## figures: the gallery docs/figures.md from real runs (HealthInsurance from make data, the coded Adult at ADULT)
figures: privaudit
	ADULT=$(ADULT) bash scripts/figures.sh $(BUILD)

## repro-audit: the CPS1988 release audit of docs/audit.md (mst, marginals, resample, two noisy copies; needs make data)
repro-audit: privaudit
	bash scripts/audit-cps1988.sh $(BUILD)

BENCH_SRC := $(wildcard bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

$(BUILD)/bench/%: bench/%.c $(LIB) | $(BUILD)/dirs
	@mkdir -p $(BUILD)/bench
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(ALL_LDFLAGS) $(PC_LIBS)

## bench: run the benchmarks in bench/ (each prints ratios against a reference run side by side; needs scripts/install-deps.sh --bench)
bench: privaudit $(BENCH_BIN) $(BUILD)/tests/dbdump
	bash bench/run.sh $(BUILD)

## bench-dpsgd: only the DP-SGD steps (MLP vs numpy/PyTorch and sgemm peak; conv nets vs PyTorch), a few minutes
.PHONY: bench-dpsgd
bench-dpsgd: $(BUILD)/bench/bench_dpsgd $(BUILD)/bench/bench_net
	@echo "== machine: $$(lscpu | sed -n 's/^Model name: *//p'), $$(nproc) cores, load $$(cut -d' ' -f1-3 /proc/loadavg), $$(date -u +%Y-%m-%dT%H:%MZ)"
	$(BUILD)/bench/bench_dpsgd
	$(BUILD)/bench/bench_net
	$(BUILD)/bench/bench_net --model dcgan

## check-violations: planted accounting bugs of marginals, mst and aim flagged in the fixed game, correct generators never (issue 11; ~30 min on 2 cores)
check-violations: privaudit
	bash scripts/check-violations.sh

## bench-scale: --jobs 2 over --jobs 1, 4 shards + merge against --jobs 2, growth with games (coded Adult; minutes)
bench-scale: privaudit $(BUILD)/tests/dbdump
	ADULT=$(ADULT) bash bench/scale.sh $(BUILD)

## install: copy privaudit to $(PREFIX)/bin
install: privaudit
	install -D -m 755 privaudit $(DESTDIR)$(PREFIX)/bin/privaudit

## clean: remove build outputs
clean:
	rm -rf build build-asan build-fuzz privaudit

## help: list the targets
help:
	@grep -hE '^## ' Makefile | sed 's/^## /  /'

-include $(LIB_OBJ:.o=.d) $(BUILD)/harness/main.d $(TEST_BIN:=.d) $(wildcard $(BUILD)/fuzz/*.d)
