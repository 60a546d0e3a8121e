#!/bin/sh
# check_layers.sh - the include graph of the library's modules must have
# no cycle, so that its modules stack in layers (STYLE.md: ground -> store
# -> crypt, cert, log, ... -> policy, consent state, access -> commands).
#
# A module is a file's name without .c or .h, except that the storage
# layer's files (store.c, store.h, store_ops.h and the backends
# store_<name>.c) are one module, store; X -> Y when X.c or X.h
# includes "Y.h" and Y.c or Y.h is in the directory.  banned.h, system
# headers (<...>), headers from elsewhere (casevault.h) and a module's own
# header are ignored.  The order is computed by tsort(1).
#
# Run: sh tests/check_layers.sh [DIR]      (DIR defaults to src/lib)
#      sh tests/check_layers.sh --self-test
# Exit status: 0 and the layer order (lowest first, each module with what
# it includes) when there is no cycle; 1 and every cycle found
# ("a -> b -> a": a includes b, b includes a) when there is one; 2 on a
# usage error.

set -u

# edges DIR: one "Y X" line (Y below X) per include, and "X X" for every
# module, so that modules without includes are listed too.
edges() {
	for f in "$1"/*.c "$1"/*.h; do
		[ -f "$f" ] || continue
		m=$(basename "$f")
		m=${m%.?}
		case $m in store_*) m=store ;; esac
		[ "$m" = banned ] && continue
		printf '%s %s\n' "$m" "$m"
		sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
			while IFS= read -r inc; do
				y=$(basename "$inc" .h)
				[ -f "$1/$y.c" ] || [ -f "$1/$y.h" ] || continue
				case $y in store_*) y=store ;; esac
				[ "$y" = banned ] && continue
				[ "$y" = "$m" ] && continue
				[ -f "$1/$y.c" ] || [ -f "$1/$y.h" ] || continue
				printf '%s %s\n' "$y" "$m"
			done
	done | sort -u
}

check() {
	dir=$1
	if [ ! -d "$dir" ]; then
		echo "check_layers: '$dir' is not a directory" >&2
		return 2
	fi
	work=$(mktemp -d) || return 2
	edges "$dir" >"$work/edges"
	if [ ! -s "$work/edges" ]; then
		echo "check_layers: no modules in '$dir'" >&2
		rm -rf "$work"
		return 2
	fi
	LC_ALL=C tsort "$work/edges" >"$work/order" 2>"$work/loops"
	tsort_rc=$?
	if [ "$tsort_rc" -ne 0 ] && ! grep -q 'loop' "$work/loops"; then
		cat "$work/loops" >&2
		rm -rf "$work"
		return 2
	fi
	if grep -q 'loop' "$work/loops"; then
		echo "check_layers: the include graph of '$dir' has a cycle:"
		# tsort lists each loop's members one a line, in "below" order
		# (each one is included by the next); print them as includes.
		awk '
			/input contains a loop/ { if (n) emit(); n = 0; next }
			{ sub(/^[^:]*: /, ""); m[++n] = $0 }
			END { if (n) emit() }
			function emit(   i, s) {
				s = m[n]
				for (i = n - 1; i >= 1; i--)
					s = s " -> " m[i]
				print "  " s " -> " m[n]
			}' "$work/loops"
		rm -rf "$work"
		return 1
	fi
	echo "layer order of '$dir' (each module includes only modules above it):"
	while IFS= read -r m; do
		deps=$(awk -v m="$m" '$2 == m && $1 != m { printf "%s%s", sep, $1; sep = " " }' \
			"$work/edges")
		if [ -n "$deps" ]; then
			printf '  %s (%s)\n' "$m" "$deps"
		else
			printf '  %s\n' "$m"
		fi
	done <"$work/order"
	rm -rf "$work"
	return 0
}

# self_test: the check passes on an acyclic tree and fails, naming the
# cycle, on trees with one.
self_test() {
	st=$(mktemp -d) || exit 2
	trap 'rm -rf "$st"' EXIT
	trap 'exit 1' HUP INT TERM
	pass=0
	fail=0
	expect() { # DESCRIPTION WANT-STATUS DIR [PATTERN]
		sh "$0" "$3" >"$st/out" 2>&1
		got=$?
		if [ "$got" -eq "$2" ] && { [ $# -lt 4 ] || grep -Eq -- "$4" "$st/out"; }; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "FAIL: $1: exit $got, expected $2${4:+ and output matching /$4/}"
			sed 's/^/    /' "$st/out"
		fi
	}

	# Acyclic: err <- buf <- store <- access; banned.h, system headers,
	# casevault.h and the own header do not count.
	t=$st/ok
	mkdir -p "$t"
	printf '#include <stdio.h>\n' >"$t/err.h"
	printf '#include "err.h"\n#include "banned.h"\n' >"$t/err.c"
	printf '#include "err.h"\n' >"$t/buf.h"
	printf '#include "buf.h"\n#include "casevault.h"\n' >"$t/buf.c"
	printf '#include "buf.h"\n#include "err.h"\n' >"$t/store.h"
	printf '#include "store.h"\n' >"$t/store.c"
	printf '#include "store.h"\n  #  include "buf.h"\n' >"$t/access.c"
	printf '/* no includes */\n' >"$t/banned.h"
	expect "an acyclic tree passes" 0 "$t"
	sh "$0" "$t" >"$st/order" 2>&1
	order=$(sed -n 's/^  \([a-z]*\).*/\1/p' "$st/order" | tr '\n' ' ')
	if [ "$order" = "err buf store access " ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: the layer order is '$order', expected 'err buf store access '"
	fi
	expect "the order shows what each module includes" 0 "$t" '^  store \(buf err\)$'

	# A cycle through a header: store.h includes access.h.
	cp -R "$t" "$st/cycle2"
	printf '/* access */\n' >"$st/cycle2/access.h"
	printf '#include "access.h"\n' >>"$st/cycle2/store.h"
	expect "a cycle of two modules fails" 1 "$st/cycle2" \
		'^  (access -> store -> access|store -> access -> store)$'

	# A longer cycle through .c files: err.c includes store.h.
	cp -R "$t" "$st/cycle3"
	printf '#include "store.h"\n' >>"$st/cycle3/err.c"
	expect "a cycle through a .c file fails" 1 "$st/cycle3" 'cycle'
	expect "the cycle is named" 1 "$st/cycle3" \
		'(err -> store -> buf -> err|store -> buf -> err -> store|buf -> err -> store -> buf|err -> store -> err|store -> err -> store)'

	mkdir -p "$st/empty"
	expect "a directory without modules is a usage error" 2 "$st/empty"
	expect "a missing directory is a usage error" 2 "$st/missing"

	echo "check_layers self-test: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

case ${1:-} in
--self-test) self_test ;;
-h | --help) sed -n '2,16s/^# \{0,1\}//p' "$0" ;;
-*)
	echo "check_layers: unknown option '$1'" >&2
	exit 2
	;;
*)
	check "${1:-src/lib}"
	exit $?
	;;
esac
