# casevault - hand-written Makefile.  `make check` and `make demo` install
# what is missing (as root, with apt-get) before building.

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
CFLAGS ?= -O2 -g
WARN ?= -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wvla -Wpointer-arith -Wno-missing-field-initializers
PKGS = libsodium sqlite3 libargon2 jansson libxml-2.0
TEST_PKGS = cmocka

# Debian packages behind the build, the tests (tmux: a real terminal for
# tests/e2e_enrol.sh; chromium, poppler-utils and a Chinese font: the
# statistics page printed to PDF and read back by tests/e2e_html.sh) and
# the man page; gettext: the message catalogs; locales: zh_CN.UTF-8 for
# tests/e2e_zh.sh).
DEBS = gcc make pkgconf libsodium-dev libsqlite3-dev libargon2-dev libjansson-dev libxml2-dev \
	libcmocka-dev sqlite3 scdoc tzdata python3 clang-format liblpsolve55-dev glpk-utils tmux \
	chromium poppler-utils fonts-wqy-microhei gettext locales

BUILD ?= build
LOCALEDIR = $(PREFIX)/share/locale
# bash-completion finds it here (under any directory of XDG_DATA_DIRS).
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
HARDEN = -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(HARDEN) $(WARN) $(CFLAGS) -Iinclude -Isrc \
	-DCV_LOCALEDIR='"$(LOCALEDIR)"' $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -MMD -MP
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now $(LDFLAGS)
# lp_solve (statistics audit) ships a static library only, built against
# SuiteSparse's colamd, and loads its optional plug-ins with dlopen.
# --as-needed: libxml2 is loaded only when an HTML page is made
# (src/lib/xmllazy.c defines the functions used), so the program does not
# list it, nor ICU and the C++ runtime behind it, and starts faster.
# STATIC=1 (the default): libsodium, SQLite, jansson and colamd are linked
# in from the static archives their -dev packages ship, so that a command
# does not load and relocate them at every start (README.md, "The warm
# command").  libm and libc stay shared, and so does libargon2 (the Argon2
# inside libsodium has functions of the same names), which src/lib/kdf.c
# loads only when a key is derived.  A casevault built so takes a security
# fix of those libraries when it is rebuilt (SECURITY.md); STATIC=0 links
# them all shared.
STATIC ?= 1
ifeq ($(STATIC),1)
DEP_LIBS = -l:libsodium.a -l:libsqlite3.a -l:libjansson.a \
	$(shell pkg-config --libs libargon2 libxml-2.0 2>/dev/null) \
	-llpsolve55 -l:libcolamd.a -l:libsuitesparseconfig.a
else
DEP_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -llpsolve55 -lcolamd
endif
LIBS = -Wl,--as-needed $(DEP_LIBS) -ldl -lm
# The soname src/lib/xmllazy.c loads: the libxml2 compiled against.
XML_SONAME := $(shell objdump -p "$$($(CC) -print-file-name=libxml2.so)" 2>/dev/null | \
	awk '$$1 == "SONAME" { print $$2 }')
$(BUILD)/src/lib/xmllazy.o: ALL_CFLAGS += $(if $(XML_SONAME),-DCV_LIBXML2_SONAME='"$(XML_SONAME)"')
# The soname src/lib/kdf.c loads: the libargon2 compiled against.
ARGON2_SONAME := $(shell objdump -p "$$($(CC) -print-file-name=libargon2.so)" 2>/dev/null | \
	awk '$$1 == "SONAME" { print $$2 }')
$(BUILD)/src/lib/kdf.o: ALL_CFLAGS += $(if $(ARGON2_SONAME),-DCV_LIBARGON2_SONAME='"$(ARGON2_SONAME)"')
TEST_LIBS = $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

LIB_SRC = $(wildcard src/lib/*.c)
CLI_SRC = $(wildcard src/cli/*.c)
TEST_SRC = $(wildcard tests/test_*.c)
# Headers the test programs share (helpers, fixtures, the format reader).
TEST_HDR = $(wildcard tests/*.h)
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ = $(CLI_SRC:%.c=$(BUILD)/%.o)
TESTS = $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

LIBA = $(BUILD)/libcasevault.a
BIN = $(BUILD)/casevault
MAN = $(BUILD)/casevault.1
# The man page in Chinese, installed as man/zh_CN/man1/casevault.1.
MAN_ZH = $(BUILD)/casevault.zh_CN.1
# The message catalogs: po/LANG.po compiled for the build's locale directory.
LINGUAS = zh_CN
MO = $(LINGUAS:%=$(BUILD)/locale/%/LC_MESSAGES/casevault.mo)

.PHONY: all check demo install asan bench clean deps unit e2e format format-check layers fixtures pot

all: $(BIN) $(MAN) $(MAN_ZH) $(MO)

# Installs missing Debian packages when root; otherwise names the command.
deps:
	@missing=""; for p in $(DEBS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || \
			missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
				|| exit 1; \
		else \
			echo "missing packages:$$missing"; \
			echo "run: sudo apt-get install -y$$missing"; \
			exit 1; \
		fi; \
	fi; \
	if ! locale -a 2>/dev/null | grep -qix 'zh_CN.utf-\?8'; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "generating the zh_CN.UTF-8 locale"; \
			localedef -i zh_CN -f UTF-8 zh_CN.UTF-8 || exit 1; \
		else \
			echo "missing locale: zh_CN.UTF-8"; \
			echo "run: sudo localedef -i zh_CN -f UTF-8 zh_CN.UTF-8"; \
			exit 1; \
		fi; \
	fi

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIBA)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(LIBA) $(LIBS)

$(MAN): docs/casevault.1.scd
	@mkdir -p $(BUILD)
	scdoc < $< > $@

$(MAN_ZH): docs/casevault.zh_CN.1.scd
	@mkdir -p $(BUILD)
	scdoc < $< > $@

$(BUILD)/locale/%/LC_MESSAGES/casevault.mo: po/%.po
	@mkdir -p $(dir $@)
	msgfmt --check -o $@ $<

# po/casevault.pot from the sources (tests/check_catalog.sh says how): run
# after changing a message, then bring po/zh_CN.po up to date with
# `msgmerge -U po/zh_CN.po po/casevault.pot` and translate what is new.
pot:
	sh tests/check_catalog.sh --pot po/casevault.pot

# Every test program is rebuilt when a shared test header changes (the
# -MMD files say the same once a program has been built).
$(BUILD)/tests/%: tests/%.c $(LIBA) $(TEST_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc/lib $(ALL_LDFLAGS) -o $@ $< $(LIBA) $(LIBS) $(TEST_LIBS)

# Runs every test program, then fails if any failed.
# Each program gets a private TMPDIR of its own, removed after it however
# it ends: a test that aborts (a sanitizer, a signal) leaves no vault
# behind in /tmp.
unit: $(TESTS)
	@failed=""; for t in $(TESTS); do echo "== $$t"; \
		d=$$(mktemp -d) || exit 1; \
		TMPDIR="$$d" $$t || failed="$$failed $$t"; rm -rf "$$d"; done; \
	if [ -n "$$failed" ]; then echo "unit tests failed:$$failed"; exit 1; fi

e2e: $(BIN) $(MO) $(MAN) $(MAN_ZH)
	@failed=""; for t in $(wildcard tests/e2e_*.sh); do echo "== $$t"; \
		CASEVAULT=$(abspath $(BIN)) CASEVAULT_LOCALEDIR=$(abspath $(BUILD)/locale) sh $$t || failed="$$failed $$t"; done; \
	if [ -n "$$failed" ]; then echo "end-to-end tests failed:$$failed"; exit 1; fi

# The layers of src/lib (no include cycle) and the boundaries of src/ (SQL
# only in the storage module; cases, grants, records and case keys only in
# the access layer).  Each script first shows on synthetic trees that it
# fails and passes as it should.  Not yet part of `check`.
layers:
	@sh tests/check_layers.sh --self-test
	@CC="$(CC)" sh tests/check_boundaries.sh --self-test
	@failed=""; \
	sh tests/check_layers.sh src/lib || failed="$$failed layers"; \
	CC="$(CC)" sh tests/check_boundaries.sh src || failed="$$failed boundaries"; \
	if [ -n "$$failed" ]; then echo "source checks failed:$$failed"; exit 1; fi

# Regenerates the golden vaults of tests/fixtures (commit them; see the
# comment at the top of tests/make_fixtures.sh).
fixtures: $(BIN)
	CASEVAULT=$(abspath $(BIN)) sh tests/make_fixtures.sh tests/fixtures

check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory layers
	@$(MAKE) --no-print-directory format-check
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory e2e

demo: deps
	@$(MAKE) --no-print-directory all
	@CASEVAULT=$(abspath $(BIN)) sh tests/demo.sh

asan: deps
	@$(MAKE) --no-print-directory BUILD=build/asan \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" HARDEN="-fPIE" all unit e2e

# The statistics benchmark (README.md, "Benchmark"): generates vaults of
# BENCH_SIZES cases once, cached in $(BUILD)/bench under a stamp of the
# format and the generator, then times `stats export` against a plain
# SQLite scan in the same process.  Takes minutes; not part of `check`.
BENCH_SIZES ?= 10000 100000
BENCH_REPS ?= 3
BENCH_DIR = $(BUILD)/bench
# The library's calls the benchmark counts and times inside an export.
BENCH_WRAP = $(foreach f,crypto_sign_verify_detached crypto_box_open_easy_afternm \
	crypto_box_beforenm sodium_malloc \
	sodium_free sqlite3_step cv_statsbox_case_get cv_statsbox_record_get \
	cv_verify_in_op_begin cv_verify_in_op_end cv_store_audit_each,-Wl,--wrap=$(f))

$(BUILD)/tests/bench_stats: tests/bench_stats.c $(LIBA) $(TEST_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc/lib $(ALL_LDFLAGS) $(BENCH_WRAP) -o $@ $< $(LIBA) $(LIBS) \
		$(TEST_LIBS)

# The warm-command benchmark (README.md, "Benchmark"): `note show` with an
# unlocked agent against the sqlite3 program reading the same row, and
# where the command spends its time (tests/bench_agent.c).
BENCH_AGENT_RUNS ?= 200
BENCH_AGENT_WRAP = $(foreach f,crypto_sign_verify_detached send recv sqlite3_step \
	sqlite3_prepare_v2 sqlite3_prepare_v3,-Wl,--wrap=$(f))

$(BUILD)/tests/bench_agent: tests/bench_agent.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc/lib $(ALL_LDFLAGS) $(BENCH_AGENT_WRAP) -o $@ $< $(LIBA) $(LIBS)

bench: deps
	@$(MAKE) --no-print-directory $(BUILD)/tests/bench_stats $(BUILD)/tests/bench_agent $(BIN)
	sh tests/bench_agent.sh $(abspath $(BIN)) $(abspath $(BUILD)/tests/bench_agent) \
		$(BENCH_AGENT_RUNS) $(abspath $(BUILD))/bench-agent.txt
	$(BUILD)/tests/bench_stats -r $(BENCH_REPS) $(BENCH_DIR) $(BENCH_SIZES)

install: $(BIN) $(MAN) $(MAN_ZH) $(MO)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/zh_CN/man1
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/casevault
	install -m 0644 $(MAN) $(DESTDIR)$(PREFIX)/share/man/man1/casevault.1
	install -m 0644 $(MAN_ZH) $(DESTDIR)$(PREFIX)/share/man/zh_CN/man1/casevault.1
	for l in $(LINGUAS); do \
		install -d $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES && \
		install -m 0644 $(BUILD)/locale/$$l/LC_MESSAGES/casevault.mo \
			$(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES/casevault.mo || exit 1; \
	done
	install -d $(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 src/cli/casevault.bash $(DESTDIR)$(BASHCOMPDIR)/casevault

# Removes every file install puts down (tests/e2e_install.sh checks that
# none is left); the directories stay, as they may hold other files.
.PHONY: uninstall
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/casevault $(DESTDIR)$(PREFIX)/share/man/man1/casevault.1 \
		$(DESTDIR)$(PREFIX)/share/man/zh_CN/man1/casevault.1 $(DESTDIR)$(BASHCOMPDIR)/casevault
	for l in $(LINGUAS); do rm -f $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES/casevault.mo; done

FORMAT_SRC = include/*.h src/lib/*.[ch] src/cli/*.[ch] tests/*.[ch]

format:
	clang-format -i $(FORMAT_SRC)

# Fails when clang-format would change a file (run 'make format').
format-check:
	@clang-format --dry-run --Werror $(FORMAT_SRC) && echo "format-check: clean"

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TESTS:=.d) $(BUILD)/tests/bench_stats.d \
	$(BUILD)/tests/bench_agent.d
