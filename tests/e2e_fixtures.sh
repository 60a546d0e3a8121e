#!/bin/sh
# e2e_fixtures.sh - the committed golden vaults (tests/fixtures, made by
# tests/make_fixtures.sh): `casevault audit verify`, run by the supervisor
# on a copy of each, gives exactly the exit status tests/fixtures/
# expected.tsv lists for it.  Every .db file there must be listed, and the
# committed files are never changed by the run.
#
# Run: CASEVAULT=/abs/path/to/casevault sh tests/e2e_fixtures.sh
# Ends with one line "e2e_fixtures: N passed, M failed"; exits 1 if any
# check failed.

set -u

if [ -z "${CASEVAULT:-}" ] || [ ! -x "$CASEVAULT" ]; then
	echo "e2e_fixtures: set CASEVAULT to the built casevault binary" >&2
	exit 2
fi
FIX=${FIXTURES:-$(dirname "$0")/fixtures}
LIST=$FIX/expected.tsv
if [ ! -f "$LIST" ]; then
	echo "e2e_fixtures: no '$LIST'" >&2
	exit 2
fi
unset CASEVAULT_VAULT CASEVAULT_USER

T=$(mktemp -d) || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

# The supervisor's passphrase in every fixture (tests/make_fixtures.sh).
PS='fixture-sue-supervisor'

npass=0
nfail=0

pass() { npass=$((npass + 1)); }
fail() {
	nfail=$((nfail + 1))
	echo "FAIL: $1"
}

TAB=$(printf '\t')
nlisted=0
while IFS="$TAB" read -r file want cp what; do
	case $file in '' | '#'*) continue ;; esac
	nlisted=$((nlisted + 1))
	printf '%s\n' "$file" >>"$T/listed"
	if [ ! -f "$FIX/$file" ]; then
		fail "$file: listed in expected.tsv but missing"
		continue
	fi
	before=$(cksum <"$FIX/$file")
	rm -rf "$T/run"
	mkdir "$T/run"
	cp "$FIX/$file" "$T/run/vault.db"
	set -- --vault "$T/run/vault.db" --user sue --passphrase-fd 0 audit verify
	with=
	if [ "$cp" != - ]; then
		with=" --checkpoint $cp"
		if [ ! -f "$FIX/$cp" ]; then
			fail "$file: checkpoint '$cp' is missing"
			continue
		fi
		cp "$FIX/$cp" "$T/run/checkpoint"
		set -- "$@" --checkpoint "$T/run/checkpoint"
	fi
	printf '%s\n' "$PS" | "$CASEVAULT" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$file ($what): audit verify$with exited $rc, expected $want"
		sed -n '1,3s/^/    /p' "$T/out" "$T/err"
	elif [ "$want" -eq 0 ]; then
		pass
		if grep -q '^audit log intact' "$T/out"; then pass; else
			fail "$file: verify exited 0 without saying the log is intact"
		fi
	else
		pass
		if grep -q '^error: ' "$T/err" && [ ! -s "$T/out" ]; then pass; else
			fail "$file: the failed verify did not print only an error on stderr"
		fi
	fi
	if [ "$(cksum <"$FIX/$file")" = "$before" ]; then pass; else
		fail "$file: the committed fixture was changed by the run"
	fi
done <"$LIST"

if [ "$nlisted" -gt 0 ]; then pass; else fail "expected.tsv lists no fixture"; fi
for f in "$FIX"/*.db; do
	[ -f "$f" ] || continue
	name=$(basename "$f")
	if grep -qxF -- "$name" "$T/listed" 2>/dev/null; then pass; else
		fail "$name: in $FIX but not in expected.tsv"
	fi
done

echo "e2e_fixtures: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
