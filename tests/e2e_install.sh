#!/bin/sh
# e2e_install.sh - make install into a DESTDIR puts down the program, the
# man page, the message catalogs and the bash completion, which works from
# there; make uninstall removes every file install put down and nothing
# else (a file of someone else's in the same directories stays).
#
# Run from anywhere: CASEVAULT=/abs/path/to/BUILD/casevault sh tests/e2e_install.sh
# (BUILD, the build directory of that binary, is the one installed from).
# Needs: make, bash.

set -u

for tool in make bash; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "e2e_install: '$tool' is needed" >&2
		exit 2
	fi
done
if [ -z "${CASEVAULT:-}" ] || [ ! -x "$CASEVAULT" ]; then
	echo "e2e_install: set CASEVAULT to the built casevault binary" >&2
	exit 2
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(dirname "$CASEVAULT")
case $BUILD in
"$ROOT"/*) BUILD=${BUILD#"$ROOT"/} ;;
*)
	echo "e2e_install: CASEVAULT must be a binary built in $ROOT" >&2
	exit 2
	;;
esac

T=$(mktemp -d) || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM
D=$T/root
P=/usr/local

npass=0
nfail=0
rc=0

check() {
	check_d=$1
	shift
	if "$@"; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $check_d (last rc=$rc)"
		sed -n '1,6s/^/    output: /p' "$T/out"
	fi
}
rc_is() { [ "$rc" -eq "$1" ]; }
mode_is() { [ "$(stat -c %a "$1")" = "$2" ]; }

# make TARGET, alone (not a job of the make that runs the tests).
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$ROOT" BUILD="$BUILD" DESTDIR="$D" \
		PREFIX="$P" "$@" >"$T/out" 2>&1
	rc=$?
}

mk install
check "make install exits 0" rc_is 0
check "the program, 0755" mode_is "$D$P/bin/casevault" 755
check "the man page" test -s "$D$P/share/man/man1/casevault.1"
check "the Chinese catalog" test -s "$D$P/share/locale/zh_CN/LC_MESSAGES/casevault.mo"
check "the bash completion, 0644" mode_is "$D$P/share/bash-completion/completions/casevault" 644
"$D$P/bin/casevault" --version >"$T/out" 2>&1
rc=$?
check "the installed program runs" eval 'rc_is 0 && grep -q "^casevault " "$T/out"'
bash -c '. "$1"; complete -p casevault; COMP_WORDS=("$2" ca); COMP_CWORD=1; _casevault
	printf "%s\n" "${COMPREPLY[@]}"' _ "$D$P/share/bash-completion/completions/casevault" \
	"$D$P/bin/casevault" >"$T/out" 2>&1
rc=$?
check "the installed completion is registered and completes 'ca' to 'case'" \
	eval 'rc_is 0 && grep -q "^complete -F _casevault casevault$" "$T/out" &&
		grep -qx case "$T/out"'

: >"$D$P/bin/someone-elses"
mk uninstall
check "make uninstall exits 0" rc_is 0
find "$D" ! -type d ! -name someone-elses >"$T/left"
check "nothing install put down is left" eval '[ ! -s "$T/left" ] || { cat "$T/left"; false; }'
check "another program's file stays" test -f "$D$P/bin/someone-elses"
mk uninstall
check "make uninstall with nothing installed exits 0" rc_is 0

# Another prefix, installed for real (no DESTDIR): the program, built for
# the default prefix, finds the catalogs installed beside it and speaks
# Chinese from there.
Q=$T/prefix
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$ROOT" BUILD="$BUILD" PREFIX="$Q" install \
	>"$T/out" 2>&1
rc=$?
check "make install PREFIX=$Q exits 0" rc_is 0
env -u CASEVAULT_LOCALEDIR LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 "$Q/bin/casevault" --help \
	>"$T/out" 2>&1
rc=$?
check "installed under another prefix, it finds its Chinese catalog there" \
	eval 'rc_is 0 && grep -q "用法" "$T/out"'
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$ROOT" BUILD="$BUILD" PREFIX="$Q" uninstall \
	>"$T/out" 2>&1
find "$Q" ! -type d >"$T/left"
check "and make uninstall removes it" eval '[ ! -s "$T/left" ] || { cat "$T/left"; false; }'

echo "e2e_install: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
