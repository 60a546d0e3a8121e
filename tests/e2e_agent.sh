#!/bin/sh
# e2e_agent.sh - the unlock agent, through the built binary:
#
#   1. unlock (passphrase from --passphrase-fd) starts an agent: its socket
#      is a 0600 socket in a 0700 directory under $XDG_RUNTIME_DIR, its
#      memory locked and core dumps off; status shows it (text and JSON);
#   2. later commands of that user on that vault run with no passphrase
#      (no terminal, no --passphrase-fd: a prompt would fail with exit 2),
#      and their rows verify with `audit verify`; a passphrase given with
#      --passphrase-fd is used, not the agent;
#      the agent remembers signatures it verified, yet a signature altered
#      in the file (the first admin's, a note's), or a vault file replaced
#      by an altered copy, is refused as without it, and works again when
#      put back;
#   3. status does not restart the idle timer, a key operation does; a list
#      opens its cases' keys in fewer requests than it has cases;
#   4. commands that change who holds what (user passwd, user add) ask for
#      the passphrase even while unlocked; passwd --rotate ends the agent;
#      an agent holding keys rotated elsewhere is not used;
#   5. lock ends it (its socket is gone when lock returns); lock again says
#      there was nothing to lock;
#   6. the idle timeout (--timeout 2s), SIGUSR1, and a killed agent's stale
#      socket: each time the next command asks for the passphrase again;
#      an agent whose socket is removed ends;
#   7. a socket directory open to others is refused; bad durations are
#      usage errors before anything is asked; a disabled user's agent is
#      refused by the library like a login;
#   8. as root: another uid is refused by the agent itself (SO_PEERCRED);
#   9. in a real terminal (tmux): a counselor types the passphrase once at
#      unlock, then runs ten commands with no prompt; after lock, and after
#      the idle timeout, the next command prompts again.
#
# Nothing here is timed: waits poll for a state (an agent gone) with a
# generous bound.  Every agent started is killed at exit.
#
# Run: CASEVAULT=/abs/path/to/casevault sh tests/e2e_agent.sh
# Needs: POSIX sh, python3 (JSON), setsid (util-linux), tmux; setpriv and
# /usr/bin/python3 for 8.

set -u

for tool in python3 setsid tmux; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "e2e_agent: '$tool' is needed" >&2
		exit 2
	fi
done
if [ -z "${CASEVAULT:-}" ] || [ ! -x "$CASEVAULT" ]; then
	echo "e2e_agent: set CASEVAULT to the built casevault binary" >&2
	exit 2
fi
unset CASEVAULT_VAULT CASEVAULT_USER EDITOR VISUAL

T=$(mktemp -d) || exit 2
# Agents are found by the pids status reports, recorded as they start.
cleanup() {
	if [ -f "$T/pids" ]; then
		while read -r p; do
			kill -KILL "$p" 2>/dev/null
		done <"$T/pids"
	fi
	tmux -S "$T/tmux.sock" kill-server 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
V=$T/v.db
KDF="--kdf-t 2 --kdf-m 19456 --kdf-p 1"
XDG_RUNTIME_DIR=$T/run
export XDG_RUNTIME_DIR
mkdir -m 700 "$XDG_RUNTIME_DIR"
D=$XDG_RUNTIME_DIR/casevault
: >"$T/pids"

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
		sed -n '1,4s/^/    stderr: /p' "$T/err"
		sed -n '1,3s/^/    stdout: /p' "$T/out"
	fi
}

rc_is() { [ "$rc" -eq "$1" ]; }
out_has() { grep -qF -- "$1" "$T/out"; }
err_has() { grep -qF -- "$1" "$T/err"; }
same() { [ "$1" = "$2" ]; }
no_file() { [ ! -e "$1" ]; }

ALICEP='alice-admin-passphrase'
BOBP='bob-counselor-pass-1'
BOBP2='bob-second-passphrase'
CAROLP='carol-counselor-pass'
BOBQ="'bob'"

say() { printf '%s\n' "$@" >"$T/in"; }

# With the passphrase(s) on --passphrase-fd 0.
with_pass() {
	wp_user=$1
	shift
	"$CASEVAULT" --vault "$V" --user "$wp_user" --passphrase-fd 0 "$@" <"$T/in" >"$T/out" \
		2>"$T/err"
	rc=$?
}

# No passphrase and no terminal: only an agent can log in; a prompt
# fails with exit 2 ("no terminal to ask for the passphrase").  Standard
# input is $T/stdin (a note's text).
bare() {
	bare_user=$1
	shift
	setsid -w "$CASEVAULT" --vault "$V" --user "$bare_user" "$@" <"$T/stdin" >"$T/out" \
		2>"$T/err"
	rc=$?
}
asked() { rc_is 2 && err_has "no terminal to ask for the passphrase"; }

json() { # EXPR : evaluates EXPR on the JSON in $T/out (j), prints it
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
		"$T/out" "$1"
}

# status --json for user into $T/status.json; the agent's pid or "".
agent_pid() {
	"$CASEVAULT" --vault "$V" --user "$1" --json status >"$T/status.json" 2>/dev/null
	python3 -c 'import json,sys
try:
    a = json.load(open(sys.argv[1]))
except ValueError:
    a = []
print(a[0]["pid"] if a else "")' "$T/status.json"
}

# unlock USER PASS [OPTIONS]: records the agent's pid in $T/pids.  A cap
# of 10 minutes unless OPTIONS say otherwise, so that even an agent this
# script could not kill (it was killed itself) does not outlive it long.
unlock() {
	u_user=$1
	say "$2"
	shift 2
	with_pass "$u_user" unlock --max 10m "$@"
	u_pid=$(agent_pid "$u_user")
	[ -n "$u_pid" ] && echo "$u_pid" >>"$T/pids"
}

alive() { kill -0 "$1" 2>/dev/null; }
# Waits (at most 30 s) until pid has ended; fails if it has not.
wait_gone() {
	wg_n=0
	while alive "$1" && [ "$wg_n" -lt 300 ]; do
		sleep 0.1
		wg_n=$((wg_n + 1))
	done
	! alive "$1"
}

: >"$T/stdin"

# ---- a vault: alice (admin), bob (counselor) ------------------------------

say "$ALICEP"
"$CASEVAULT" --vault "$V" --passphrase-fd 0 init --admin alice $KDF <"$T/in" >"$T/out" 2>"$T/err"
RC=$(cat "$T/out")
say "$ALICEP"
with_pass alice user add bob --role counselor
say "$(tail -n 1 "$T/out")" "$BOBP"
with_pass bob enrol
say "$ALICEP"
with_pass alice user add carol --role counselor
say "$(tail -n 1 "$T/out")" "$CAROLP"
with_pass carol enrol
say "$ALICEP" "$RC"
with_pass alice vault keys --deliver
check "vault, counselors and keys set up" rc_is 0

# ---- 1. unlock ------------------------------------------------------------

bare bob case list
check "before unlock, a command asks for the passphrase" asked
unlock bob "$BOBP" --timeout 10m --max 1h
PID=$u_pid
check "unlock exits 0" rc_is 0
check "unlock says who and until when" eval 'out_has "$BOBQ is unlocked" && out_has "10m"'
check "the times are local times in the vault's zone, as every time is shown (no seconds)" \
	grep -Eq '^  until [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} unless used again' "$T/out"
check "status finds the agent's pid" eval '[ -n "$PID" ] && alive "$PID"'
SOCK=$(ls "$D"/*-bob.sock 2>/dev/null)
check "the socket directory is 0700" same "$(stat -c %a "$D")" 700
check "the socket is a 0600 socket" eval '[ -S "$SOCK" ] && [ "$(stat -c %a "$SOCK")" = 600 ]'
# AddressSanitizer makes mlock a no-op (make asan): nothing to see there.
if grep -q __asan_init "$CASEVAULT"; then
	echo "e2e_agent: an AddressSanitizer build: the memory lock check was skipped"
else
	check "the agent's memory is locked" \
		eval '[ "$(awk "/^VmLck:/ { print \$2 }" /proc/$PID/status)" -gt 0 ]'
fi
check "the agent makes no core file" \
	eval 'grep -Eq "^Max core file size +0 +0 " /proc/$PID/limits'
if [ "$(id -u)" != 0 ]; then
	# Not dumpable: its /proc files belong to root, so not ptrace-able.
	check "the agent is not dumpable" same "$(stat -c %u /proc/"$PID"/mem)" 0
fi
check "the agent left the terminal" eval '[ "$(ps -o tty= -p "$PID" | tr -d " ")" = "?" ]'

bare bob status
check "status (text) names bob, the vault and the pid" \
	eval 'rc_is 0 && out_has "$BOBQ is unlocked for $V" && out_has "pid $PID"'
"$CASEVAULT" --vault "$V" --json status >"$T/out" 2>"$T/err"
rc=$?
J=$(json 'len(j), j[0]["user"], j[0]["idle_timeout"], j[0]["max"]')
check "status --json is an array with bob's agent" same "$J" "(1, 'bob', 600, 3600)"

# No passphrase and no terminal: it must not even ask.
bare bob unlock
check "unlock again: already unlocked, exit 0, nothing asked" \
	eval 'rc_is 0 && out_has "$BOBQ is unlocked" && out_has "casevault lock"'
check "  ... and the same agent" same "$(agent_pid bob)" "$PID"

# ---- 2. commands with no passphrase ----------------------------------------

printf 'student-id: S-1\nname: Li Lei\nclass: 7A\n' >"$T/form"
bare bob case open --form "$T/form" --gender F --grade 7 --category other
C=$(cat "$T/out")
check "case open with the agent, no passphrase" eval 'rc_is 0 && echo "$C" | grep -Eqx "C-[0-9A-Z]{5}"'
bare bob consent record "$C" --by student --method written --date 2025-03-03 --scope individual
check "consent record (student)" rc_is 0
bare bob consent record "$C" --by guardian --method oral --date 2025-03-03 --scope individual \
	--verified-by bob
check "consent record (guardian)" rc_is 0
printf 'a quiet conversation about sleep\n' >"$T/stdin"
bare bob note add "$C"
N=$(cat "$T/out")
: >"$T/stdin"
check "note add (text on stdin)" rc_is 0
bare bob note show "$N"
check "note show reads it back" eval 'rc_is 0 && out_has "a quiet conversation about sleep"'
bare bob note finalize "$N"
check "note finalize signs it" rc_is 0
bare bob case list
check "case list" eval 'rc_is 0 && out_has "$C"'
bare bob case show "$C"
check "case show" eval 'rc_is 0 && out_has "Li Lei"'

say "$ALICEP"
with_pass alice audit verify
check "audit verify: every row the agent signed verifies" eval 'rc_is 0 && out_has "intact"'
say "$ALICEP"
with_pass alice audit log --user bob
check "bob's rows are logged as in a direct run" \
	eval 'out_has "case.open" && out_has "note.add" && out_has "note.finalize" && out_has "case.show"'

say "not-bobs-passphrase"
with_pass bob case list
check "--passphrase-fd: the passphrase given is used, not the agent (wrong: 3)" rc_is 3

# The agent remembers the signatures it has verified (VERIFIED, REMEMBER):
# a changed byte in the file is a signature it does not know, checked
# afresh, whatever it remembers.
bare bob note show "$N"
bare bob note show "$N"
check "warm: note show again" eval 'rc_is 0 && out_has "a quiet conversation about sleep"'
H1=$(sqlite3 "$V" "select hex(cert_sig) from users where id = 1")
sqlite3 "$V" "update users set cert_sig = zeroblob(64) where id = 1"
bare bob note show "$N"
check "the first admin's signature altered in the file: refused as tampering (5)" \
	eval 'rc_is 5 && err_has "tampered" && ! out_has "a quiet conversation"'
sqlite3 "$V" "update users set cert_sig = x'$H1' where id = 1"
bare bob note show "$N"
check "  ... put back as it was: read again" eval 'rc_is 0 && out_has "a quiet conversation"'
HN=$(sqlite3 "$V" "select hex(sig) from records where id = '$N'")
sqlite3 "$V" "update records set sig = zeroblob(64) where id = '$N'"
bare bob note show "$N"
check "the note's own signature altered: refused (5)" eval 'rc_is 5 && err_has "forged"'
sqlite3 "$V" "update records set sig = x'$HN' where id = '$N'"
cp "$V" "$T/orig.db"
cp "$V" "$T/other.db"
sqlite3 "$T/other.db" "update users set cert_sig = zeroblob(64) where name = 'bob'"
mv "$T/other.db" "$V"
bare bob note show "$N"
check "the vault file replaced by a copy with bob's identity altered: refused (5)" \
	eval 'rc_is 5 && ! out_has "a quiet conversation"'
mv "$T/orig.db" "$V"
bare bob note show "$N"
check "  ... the original put back: read again" eval 'rc_is 0 && out_has "a quiet conversation"'

# ---- 3. status does not restart the idle timer ----------------------------

"$CASEVAULT" --vault "$V" --json status >"$T/out" 2>"$T/err"
S1=$(json 'j[0]["idle_until"], j[0]["uses"]')
"$CASEVAULT" --vault "$V" --json status >"$T/out" 2>"$T/err"
S2=$(json 'j[0]["idle_until"], j[0]["uses"]')
check "status twice: idle deadline and uses unchanged" same "$S1" "$S2"
U1=$(json 'j[0]["uses"]')
bare bob case list
"$CASEVAULT" --vault "$V" --json status >"$T/out" 2>"$T/err"
U2=$(json 'j[0]["uses"]')
check "a command uses the keys: uses grows" eval '[ "$U2" -gt "$U1" ]'

# A list opens its cases' key copies in one round trip, not one each.
for i in 2 3 4 5 6 7; do
	printf 'student-id: S-%s\nname: Student %s\nclass: 8B\n' "$i" "$i" >"$T/form"
	bare bob case open --form "$T/form" --gender M --grade 8 --category academic
done
"$CASEVAULT" --vault "$V" --json status >"$T/out" 2>"$T/err"
U1=$(json 'j[0]["uses"]')
bare bob case list
check "case list shows the 7 cases" same "$(wc -l <"$T/out")" 7
"$CASEVAULT" --vault "$V" --json status >"$T/out" 2>"$T/err"
U2=$(json 'j[0]["uses"]')
check "  ... with fewer key operations than cases (batched)" eval '[ $((U2 - U1)) -lt 7 ]'

# ---- 4. commands that always ask -----------------------------------------

bare bob user passwd
check "user passwd asks for the passphrase while unlocked" asked
unlock alice "$ALICEP"
APID=$u_pid
check "alice unlocks too" eval 'rc_is 0 && [ -n "$APID" ]'
bare alice user list
check "alice: user list with the agent" eval 'rc_is 0 && out_has bob'
bare alice user add carol --role counselor
check "alice: user add asks for the passphrase" asked
bare alice user reset bob
check "alice: user reset asks for the passphrase" asked
bare alice case shred "$C" --reason retention
check "alice: case shred asks for the passphrase" asked
bare alice vault keys --deliver
check "alice: vault keys asks for the passphrase" asked
"$CASEVAULT" --vault "$V" --json status >"$T/out" 2>"$T/err"
check "status lists both agents of the vault" same "$(json 'sorted(a["user"] for a in j)')" "['alice', 'bob']"
"$CASEVAULT" --vault "$V" --user alice lock >"$T/out" 2>"$T/err"
rc=$?
check "lock alice" eval 'rc_is 0 && wait_gone "$APID"'

# Keys rotated where this agent is not seen: it holds keys that are no
# longer bob's, and is not used.
mkdir -m 700 "$T/run2"
say "$BOBP" "$BOBP2" "$BOBP2"
XDG_RUNTIME_DIR=$T/run2 with_pass bob user passwd --rotate
check "bob rotates his keys (elsewhere): no agent there to end" \
	eval 'rc_is 0 && [ "$(wc -l <"$T/out")" -eq 1 ] && out_has "new keys"'
bare bob case list
check "an agent with the old keys is not used: it asks" eval 'asked && err_has "other keys"'
BOBP=$BOBP2
say "$BOBP" "$BOBP2" "$BOBP2"
with_pass bob user passwd --rotate
check "passwd --rotate ends the running agent" \
	eval 'rc_is 0 && out_has "new keys" && out_has "was ended" && wait_gone "$PID" && no_file "$SOCK"'

# ---- 5. lock ---------------------------------------------------------------

unlock bob "$BOBP"
PID=$u_pid
"$CASEVAULT" --vault "$V" --user bob lock >"$T/out" 2>"$T/err"
rc=$?
check "lock exits 0 and says so" eval 'rc_is 0 && out_has "locked $BOBQ"'
check "  ... its socket is gone when lock returns" no_file "$SOCK"
check "  ... and the agent ends" wait_gone "$PID"
bare bob case list
check "after lock, the next command asks" asked
"$CASEVAULT" --vault "$V" --user bob lock >"$T/out" 2>"$T/err"
rc=$?
check "lock with nothing unlocked: exit 0, says so" eval 'rc_is 0 && out_has "was not unlocked"'
bare bob status
check "status: bob is not unlocked" eval 'rc_is 0 && out_has "is not unlocked"'

# ---- 6. idle timeout, SIGUSR1, a stale socket ------------------------------

unlock bob "$BOBP" --timeout 2s
PID=$u_pid
check "unlock --timeout 2s" eval 'rc_is 0 && [ -n "$PID" ]'
# Asked again and again, status would keep it alive if asking were using.
n=0
while alive "$PID" && [ "$n" -lt 300 ]; do
	"$CASEVAULT" --vault "$V" --user bob status >/dev/null 2>&1
	sleep 0.1
	n=$((n + 1))
done
check "the agent ends after its idle time, status asked all along" eval '! alive "$PID"'
check "  ... and removed its socket" no_file "$SOCK"
bare bob case list
check "after the idle timeout, the next command asks" asked

unlock bob "$BOBP"
PID=$u_pid
kill -USR1 "$PID"
check "SIGUSR1 ends the agent" wait_gone "$PID"
check "  ... which removed its socket" no_file "$SOCK"
bare bob case list
check "after SIGUSR1, the next command asks" asked

unlock bob "$BOBP"
PID=$u_pid
rm -f "$SOCK"
check "an agent whose socket was removed (a logout) ends" wait_gone "$PID"

unlock bob "$BOBP"
PID=$u_pid
kill -KILL "$PID"
check "a killed agent ends" wait_gone "$PID"
check "  ... and leaves its socket behind" eval '[ -S "$SOCK" ]'
bare bob case list
check "a stale socket: the next command asks" asked
check "  ... and the stale socket was removed" no_file "$SOCK"

# ---- 7. refusals -----------------------------------------------------------

unlock bob "$BOBP"
PID=$u_pid
chmod 750 "$D"
bare bob case list
check "a socket directory open to the group: not used, it asks" \
	eval 'asked && err_has "not a private directory"'
say "$BOBP"
with_pass bob lock
check "  ... lock refuses it too (5)" eval 'rc_is 5 && err_has "0750"'
chmod 700 "$D"
"$CASEVAULT" --vault "$V" --user bob lock >/dev/null 2>&1
check "made private again: lock ends the agent" wait_gone "$PID"
chmod 755 "$D"
unlock bob "$BOBP"
check "unlock refuses a directory open to others (5)" eval 'rc_is 5 && err_has "chmod 700"'
chmod 700 "$D"

for bad in 0s 15 25h 1d -5m 10x; do
	bare bob unlock --timeout "$bad"
	check "unlock --timeout $bad is a usage error" eval 'rc_is 2 && err_has "is not a duration"'
	bare bob unlock --max "$bad"
	check "unlock --max $bad is a usage error" eval 'rc_is 2 && err_has "is not a duration"'
done
bare bob unlock --timeout 10h --max 1h
check "unlock --timeout longer than --max is a usage error, before any passphrase" \
	eval 'rc_is 2 && err_has "longer than --max" && ! err_has "assphrase"'

unlock bob "$BOBP"
PID=$u_pid
say "$ALICEP"
with_pass alice user disable bob
check "alice disables bob" rc_is 0
bare bob case list
check "a disabled user's agent is refused like a login (3)" \
	eval 'rc_is 3 && err_has "disabled"'
say "$ALICEP"
with_pass alice audit log --user bob
check "  ... and the refused login is logged" eval 'out_has "auth.disabled"'

# ---- 8. another uid ----------------------------------------------------------

# The system's python3, which another user may run.
SYSPY=/usr/bin/python3
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 && [ -x "$SYSPY" ]; then
	# Open the way for uid 65534 (nobody), as a careless admin might:
	# the agent itself must still refuse it.
	chmod 711 "$T" "$XDG_RUNTIME_DIR" "$D"
	chmod 666 "$SOCK"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$SYSPY" - "$SOCK" >"$T/out" 2>"$T/err" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(20)
s.connect(sys.argv[1])
print("connected")
# A STATUS request; an agent that served other uids would answer it.
try:
    s.sendall(b"CA\x01\x01\x00\x00\x00\x00")
    got = s.recv(100)
except (BrokenPipeError, ConnectionResetError):
    got = b""
print("reply:%d" % len(got))
EOF
	rc=$?
	chmod 700 "$T" "$XDG_RUNTIME_DIR" "$D"
	chmod 600 "$SOCK"
	check "another uid connects, and is closed on without a reply" \
		eval 'rc_is 0 && out_has connected && out_has "reply:0"'
	check "  ... the agent still serves its own user" \
		eval '[ "$(agent_pid bob)" = "$PID" ]'
else
	echo "e2e_agent: not root (or no setpriv, $SYSPY): the other-uid check was skipped"
fi

# ---- 9. in a real terminal -------------------------------------------------

TS=$T/tmux.sock
# A private tmux server (its own socket), kept up by an idle session; its
# terminals stay after their command exits, so that their screen and exit
# status can be read.
tmux -S "$TS" -f /dev/null new-session -d -s keep -x 100 -y 40 "exec cat" || exit 2
tmux -S "$TS" set-option -g remain-on-exit on >/dev/null || exit 2

# term ARGS: casevault ARGS as carol, in a fresh terminal; its exit status
# goes to $T/status when it ends.
term() {
	tmux -S "$TS" kill-session -t e 2>/dev/null
	rm -f "$T/status"
	tmux -S "$TS" new-session -d -s e -x 100 -y 40 \
		"XDG_RUNTIME_DIR='$XDG_RUNTIME_DIR' '$CASEVAULT' --vault '$V' --user carol $1;
echo \$? >'$T/status.new'; mv '$T/status.new' '$T/status'"
}
screen() { tmux -S "$TS" capture-pane -p -J -S - -t e >"$T/screen" 2>/dev/null; }
# Polls the screen until it shows TEXT (a bounded number of tries).
wait_for() {
	wf_i=0
	while [ "$wf_i" -lt 20000 ]; do
		screen
		grep -Fq -- "$1" "$T/screen" && return 0
		wf_i=$((wf_i + 1))
	done
	return 1
}
typed() { tmux -S "$TS" send-keys -t e -l -- "$1" && tmux -S "$TS" send-keys -t e Enter; }
# Waits until the command has exited; prints its status.
exit_status() {
	es_i=0
	while [ "$es_i" -lt 3000 ] && [ ! -s "$T/status" ]; do
		es_i=$((es_i + 1))
		sleep 0.01
	done
	screen
	if [ -s "$T/status" ]; then cat "$T/status"; else echo 124; fi
}
no_prompt() { ! grep -Fq "Passphrase for" "$T/screen"; }

term "unlock --timeout 10m --max 10m"
check "terminal: unlock asks for the passphrase" wait_for "Passphrase for carol:"
typed "$CAROLP"
rc=$(exit_status)
check "terminal: unlocked" eval 'rc_is 0 && grep -Fq "is unlocked" "$T/screen"'
CPID=$(agent_pid carol)
[ -n "$CPID" ] && echo "$CPID" >>"$T/pids"
printf 'first meeting: settling in\n' >"$T/note.txt"
n=0
printf 'student-id: S-100\nname: Zhou\nclass: 9A\n' >"$T/form100"
term "case open --form '$T/form100' --gender F --grade 9 --category emotion"
rc=$(exit_status)
check "terminal: case open runs with no prompt" eval 'rc_is 0 && no_prompt'
[ "$rc" -eq 0 ] && n=$((n + 1))
CC=$(grep -Eo 'C-[0-9A-Z]{5}' "$T/screen" | head -n 1)
for cmd in "case list" "status" \
	"consent record $CC --by student --method written --date 2025-03-03 --scope individual" \
	"consent record $CC --by guardian --method oral --date 2025-03-03 --scope individual --verified-by carol" \
	"note add $CC --file $T/note.txt"; do
	term "$cmd"
	rc=$(exit_status)
	check "terminal: '${cmd%% --*}' runs with no prompt" eval 'rc_is 0 && no_prompt'
	[ "$rc" -eq 0 ] && n=$((n + 1))
done
CN=$(grep -Eo 'N-[0-9A-Z]{6}' "$T/screen" | head -n 1)
for cmd in "note show $CN" "note finalize $CN" "consent show $CC" "case show $CC"; do
	term "$cmd"
	rc=$(exit_status)
	check "terminal: '$cmd' runs with no prompt" eval 'rc_is 0 && no_prompt'
	[ "$rc" -eq 0 ] && n=$((n + 1))
done
check "terminal: ten commands after one unlock, none prompted" same "$n" 10

term "lock"
rc=$(exit_status)
check "terminal: lock" eval 'rc_is 0 && wait_gone "$CPID"'
term "case list"
check "terminal: after lock, the next command prompts" wait_for "Passphrase for carol:"
tmux -S "$TS" kill-session -t e 2>/dev/null

term "unlock --timeout 2s --max 10m"
check "terminal: unlock --timeout 2s asks" wait_for "Passphrase for carol:"
typed "$CAROLP"
rc=$(exit_status)
CPID=$(agent_pid carol)
[ -n "$CPID" ] && echo "$CPID" >>"$T/pids"
check "terminal: unlocked for 2s" eval 'rc_is 0 && [ -n "$CPID" ]'
check "terminal: the idle time runs out" wait_gone "$CPID"
term "case list"
check "terminal: after the idle timeout, the next command prompts" \
	wait_for "Passphrase for carol:"
tmux -S "$TS" kill-session -t e 2>/dev/null


"$CASEVAULT" --vault "$V" --user bob lock >/dev/null 2>&1
check "the last agent ends" wait_gone "$PID"
left=0
while read -r p; do
	alive "$p" && left=$((left + 1))
done <"$T/pids"
check "no agent is left running" same "$left" 0
check "no socket is left" same "$(ls "$D" | wc -l)" 0

echo "e2e_agent: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
