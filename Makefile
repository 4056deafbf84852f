# binlogd build. `make` builds bin/binlogd; `make test` installs what is missing and runs
# every test (unit, unit under ASan+UBSan, integration against real MariaDB servers);
# `make demo` shows a live mirror; `make bench` prints the benchmarks; `make bench-compare
# BEFORE=<rev>` prints ingest and fan-out for binlogd built from <rev> next to this tree's.
# Sources are picked up by wildcard: one file per concept, no list to maintain.

.DEFAULT_GOAL := all

CC       ?= cc
PKGS     := libmariadb libevent libevent_pthreads libevent_openssl zlib libssl libcrypto
OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
WARN     := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes -Wvla
BASE     := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -I. $(WARN)
PKGCFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKGLIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

CORE_SRC   := $(wildcard protocol/*.c) $(wildcard storage/*.c) $(wildcard conf/*.c)
SERVER_SRC := $(filter-out server/main.c,$(wildcard server/*.c server/*/*.c))
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_HELP  := $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c))
BENCH_SRC  := $(wildcard tests/bench/*.c)

# Two build flavours share the rules: build/rel (release) and build/san (ASan+UBSan).
define flavour
$(1)/obj/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(BASE) $$(CFLAGS) $(2) $$(PKGCFLAGS) -MMD -MP -c $$< -o $$@
$(1)/libcore.a: $$(patsubst %.c,$(1)/obj/%.o,$$(CORE_SRC) $$(SERVER_SRC))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^
$(1)/unit/%: tests/unit/%.c $$(patsubst %.c,$(1)/obj/%.o,$$(UNIT_HELP)) $(1)/libcore.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(BASE) $$(CFLAGS) $(2) $$(PKGCFLAGS) -MMD -MP $$< $$(patsubst %.c,$(1)/obj/%.o,$$(UNIT_HELP)) $(1)/libcore.a -lcmocka $$(PKGLIBS) -o $$@
endef
$(eval $(call flavour,build/rel,))
$(eval $(call flavour,build/san,$(SAN)))

# libFuzzer harnesses (tests/fuzz/fuzz_*.c; helpers beside them) over the pure layers, built
# with clang in build/fuzz. `make fuzz` runs each for FUZZ_SECONDS from a scratch copy of its
# seed corpus; `make fuzz-short` (part of `make test`) replays tests/fuzz/regress and runs each
# for FUZZ_SHORT_SECONDS; `make fuzz-merge` adds what a run found to the seed corpora.
FUZZ_CC      ?= clang
FUZZ_CFLAGS  ?= -O1 -g
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SECONDS ?= 300
FUZZ_SHORT_SECONDS ?= 30
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_MAIN := $(filter-out $(wildcard tests/fuzz/fuzz_feed*.c),$(FUZZ_SRC))
FUZZ_HELP := $(filter-out $(FUZZ_MAIN),$(FUZZ_SRC))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/bin/%,$(FUZZ_MAIN))
build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(BASE) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) $(PKGCFLAGS) -MMD -MP -c $< -o $@
build/fuzz/libcore.a: $(patsubst %.c,build/fuzz/obj/%.o,$(CORE_SRC) $(FUZZ_HELP))
	rm -f $@ && ar rcs $@ $^
build/fuzz/bin/%: build/fuzz/obj/tests/fuzz/%.o build/fuzz/libcore.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) $^ $(PKGLIBS) -o $@

UNITS_REL := $(patsubst tests/unit/%.c,build/rel/unit/%,$(UNIT_SRC))
UNITS_SAN := $(patsubst tests/unit/%.c,build/san/unit/%,$(UNIT_SRC))

.PHONY: all deps test unit unit-san integration demo bench bench-compare torture clean fixtures check-layers install \
        fuzz fuzz-short fuzz-regress fuzz-merge fuzz-build
all: bin/binlogd $(patsubst tests/bench/%.c,bin/%,$(BENCH_SRC))

bin/binlogd: build/rel/obj/server/main.o build/rel/libcore.a
	@mkdir -p bin
	$(CC) $(BASE) $(CFLAGS) $^ $(PKGLIBS) -o $@

bin/%: tests/bench/%.c build/rel/libcore.a
	@mkdir -p bin
	$(CC) $(BASE) $(CFLAGS) $(PKGCFLAGS) $^ $(PKGLIBS) -o $@

# `make install [PREFIX=/usr/local] [DESTDIR=]`: the daemon in sbin (a service, as mariadbd),
# the systemd unit and its sysusers.d account, a sample configuration generated from the
# option table (binlogd --print-sample-config, so it cannot drift) and the man page. The
# sample never overwrites a configuration: copy it to binlogd.conf.
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
MANDIR     ?= $(PREFIX)/share/man

build/binlogd.conf.sample: bin/binlogd
	bin/binlogd --print-sample-config > $@.tmp && mv $@.tmp $@

install: bin/binlogd build/binlogd.conf.sample conf/binlogd.service.in conf/binlogd.sysusers docs/binlogd.8
	install -D -m 0755 bin/binlogd $(DESTDIR)$(SBINDIR)/binlogd
	install -d $(DESTDIR)$(UNITDIR)
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' conf/binlogd.service.in \
	    > $(DESTDIR)$(UNITDIR)/binlogd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/binlogd.service
	install -D -m 0644 conf/binlogd.sysusers $(DESTDIR)$(SYSUSERSDIR)/binlogd.conf
	install -D -m 0644 build/binlogd.conf.sample $(DESTDIR)$(SYSCONFDIR)/binlogd/binlogd.conf.sample
	install -D -m 0644 docs/binlogd.8 $(DESTDIR)$(MANDIR)/man8/binlogd.8

deps:
	@bash scripts/deps.sh

# Fixture binlogs written by a real MariaDB during this run (unit tests read them).
fixtures: build/fixtures/.done
build/fixtures/.done: tests/make_fixtures.sh tests/integration/harness.sh
	@bash tests/make_fixtures.sh $(CURDIR)/build/fixtures

unit: $(UNITS_REL) fixtures
	@bash tests/run_units.sh build/rel/unit

unit-san: $(UNITS_SAN) fixtures
	@bash tests/run_units.sh build/san/unit

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	@bash tests/fuzz/run.sh regress $(FUZZ_BINS)
	@bash tests/fuzz/run.sh run $(FUZZ_SECONDS) $(FUZZ_BINS)

fuzz-short: $(FUZZ_BINS)
	@bash tests/fuzz/run.sh regress $(FUZZ_BINS)
	@bash tests/fuzz/run.sh run $(FUZZ_SHORT_SECONDS) $(FUZZ_BINS)

fuzz-regress: $(FUZZ_BINS)
	@bash tests/fuzz/run.sh regress $(FUZZ_BINS)

fuzz-merge: $(FUZZ_BINS)
	@bash tests/fuzz/run.sh merge $(FUZZ_BINS)

# The one-way include rule (main -> ops -> replicas -> admin -> upstream -> storage ->
# protocol), and proof that the check catches planted violations.
check-layers:
	@bash scripts/check_layers.sh
	@bash scripts/check_layers.sh --self-test

integration: all
	@bash tests/run_integration.sh

test:
	@bash scripts/deps.sh
	@$(MAKE) --no-print-directory check-layers
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory unit-san
	@$(MAKE) --no-print-directory fuzz-short
	@$(MAKE) --no-print-directory integration

demo:
	@bash scripts/deps.sh
	@$(MAKE) --no-print-directory all
	@bash tests/integration/demo.sh

bench:
	@DEPS_BENCH=1 bash scripts/deps.sh
	@$(MAKE) --no-print-directory all
	@bash tests/bench/run.sh

bench-compare:
	@test -n "$(BEFORE)" || { echo "usage: make bench-compare BEFORE=<git rev>"; exit 2; }
	@DEPS_BENCH=1 bash scripts/deps.sh
	@$(MAKE) --no-print-directory all
	@bash tests/bench/compare.sh "$(BEFORE)"

torture:
	@bash scripts/deps.sh
	@$(MAKE) --no-print-directory all
	@TORTURE=1 TEST_TIMEOUT=3600 bash tests/run_integration.sh

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
