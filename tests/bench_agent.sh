#!/bin/sh
# bench_agent.sh - sets up the warm-command benchmark (tests/bench_agent.c)
# and tears it down: a vault in a private temporary directory with an
# admin and a counselor, a case with consent and a session note of about
# NOTE_BYTES bytes, the counselor unlocked (an agent under a private
# $XDG_RUNTIME_DIR); then bench_agent times `note show` against sqlite3
# and splits its time; then the agent is locked and everything removed.
#
# Run: sh tests/bench_agent.sh CASEVAULT BENCH_AGENT RUNS RESULTS
# Needs: sqlite3 (the program), setsid.
set -u

CV=$1
BENCH=$2
RUNS=$3
RESULTS=$4
NOTE_BYTES=1200
SQLITE3=$(command -v sqlite3) || {
	echo "bench_agent: the sqlite3 program is needed" >&2
	exit 2
}

T=$(mktemp -d) || exit 2
cleanup() {
	"$CV" --vault "$T/v.db" --user bob lock >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
XDG_RUNTIME_DIR=$T/run
export XDG_RUNTIME_DIR
mkdir -m 700 "$XDG_RUNTIME_DIR"
unset CASEVAULT_VAULT CASEVAULT_USER EDITOR VISUAL
V=$T/v.db
KDF="--kdf-t 2 --kdf-m 19456 --kdf-p 1"

fail() {
	echo "bench_agent: setting up failed at: $1" >&2
	sed 's/^/    /' "$T/err" >&2
	exit 1
}
# cv USER [ARGS...] with the lines of $T/in on --passphrase-fd 0
cv() {
	cv_user=$1
	shift
	"$CV" --vault "$V" --user "$cv_user" --passphrase-fd 0 "$@" <"$T/in" >"$T/out" 2>"$T/err"
}
# warm ARGS...: as bob through the agent, no terminal
warm() {
	setsid -w "$CV" --vault "$V" --user bob "$@" <"$T/stdin" >"$T/out" 2>"$T/err"
}

printf '%s\n' alice-admin-passphrase >"$T/in"
"$CV" --vault "$V" --passphrase-fd 0 init --admin alice $KDF <"$T/in" >"$T/rc" 2>"$T/err" ||
	fail init
cv alice user add bob --role counselor || fail "user add"
printf '%s\n%s\n' "$(tail -n 1 "$T/out")" bob-counselor-passphrase >"$T/in"
cv bob enrol || fail enrol
printf '%s\n%s\n' alice-admin-passphrase "$(cat "$T/rc")" >"$T/in"
cv alice vault keys --deliver || fail "vault keys"
printf '%s\n' bob-counselor-passphrase >"$T/in"
cv bob unlock --timeout 30m --max 2h || fail unlock
: >"$T/stdin"
printf 'student-id: S-1\nname: Li Lei\nclass: 7A\n' >"$T/form"
warm case open --form "$T/form" --gender F --grade 7 --category other || fail "case open"
C=$(cat "$T/out")
warm consent record "$C" --by student,guardian --method written --date 2025-03-03 \
	--scope individual --verified-by alice || fail "consent record"
python3 -c "import sys; sys.stdout.write(('a quiet conversation about sleep. ' * 100)[:$NOTE_BYTES])" \
	>"$T/stdin"
warm note add "$C" || fail "note add"
N=$(cat "$T/out")
: >"$T/stdin"

"$BENCH" -n "$RUNS" -o "$RESULTS" "$CV" "$SQLITE3" "$V" bob "$N"
