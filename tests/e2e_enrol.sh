#!/bin/sh
# e2e_enrol.sh - enrolment end to end, at a real terminal: an admin adds a
# user and is shown a one-time code (the admin's command reads the admin's
# own passphrase and nothing more); the user runs `casevault enrol` in a
# terminal (tmux), types the code and a passphrase twice, none of it
# echoed; their keys are made by that process (the users row's public
# keys change from the code's to new ones, and the user.enrol row is
# signed by the new key, which audit verify checks); then the user logs
# in at the terminal and writes a note.  A repeat that differs, a wrong
# code and a used code change nothing.
#
# Run as: CASEVAULT=/abs/path/to/casevault sh tests/e2e_enrol.sh
# Ends with one line "e2e_enrol: N passed, M failed"; exits 1 if any
# check failed.  Needs tmux and the sqlite3 CLI.

if [ -z "$CASEVAULT" ] || [ ! -x "$CASEVAULT" ]; then
	echo "e2e_enrol: set CASEVAULT to the built casevault binary" >&2
	exit 2
fi
for tool in tmux sqlite3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "e2e_enrol: $tool is needed" >&2
		exit 2
	fi
done

T=$(mktemp -d) || exit 2
# The tmux server's socket lives in $T, so nothing is left behind.
SOCK=$T/tmux.sock
trap 'tmux -S "$SOCK" kill-server 2>/dev/null; rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM
cd "$T" || exit 2
unset CASEVAULT_VAULT CASEVAULT_USER VISUAL

PASSED=0
FAILED=0
V=$T/v.db
KDF="--kdf-t 2 --kdf-m 19456 --kdf-p 1"
PA='alice-admin-passphrase'
PE='erin types this at her own terminal'
SENTINEL='a-line-the-admin-never-reads'

pass() { PASSED=$((PASSED + 1)); }
fail() {
	FAILED=$((FAILED + 1))
	echo "FAIL: $1"
}
check() {
	_d=$1
	shift
	if "$@"; then
		pass
	else
		fail "$_d"
	fi
}
eq() { [ "$1" = "$2" ]; }
has() { grep -Fq -- "$2" "$1"; }
lacks() { ! grep -Fq -- "$2" "$1"; }
sq() { sqlite3 "$V" "$1"; }
# as USER LINE...: USER's command with the lines on stdin (--passphrase-fd 0).
as_fd() {
	_u=$1
	shift
	"$CASEVAULT" --vault "$V" --user "$_u" --passphrase-fd 0 "$@" >"$T/out" 2>"$T/err"
}
is_code() { printf '%s\n' "$1" | grep -Eq '^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}$'; }

# ---- the terminal ----------------------------------------------------------

# A private tmux server (its own socket), kept up by an idle session; its
# terminals stay after their command exits, so that their screen and exit
# status can be read.
tmux -S "$SOCK" -f /dev/null new-session -d -s keep -x 80 -y 40 "exec cat" || exit 2
tmux -S "$SOCK" set-option -g remain-on-exit on >/dev/null || exit 2

# term CMD: runs the shell command CMD in a fresh terminal (80x40); its
# exit status goes to $T/status when it ends.
term() {
	tmux -S "$SOCK" kill-session -t e 2>/dev/null
	rm -f "$T/status"
	tmux -S "$SOCK" new-session -d -s e -x 80 -y 40 "$1; echo \$? >'$T/status.new';
mv '$T/status.new' '$T/status'"
}

# screen: the terminal's whole screen, into $T/screen.
screen() { tmux -S "$SOCK" capture-pane -p -J -S - -t e >"$T/screen" 2>/dev/null; }

# wait_for TEXT: polls the screen until it shows TEXT (a bounded number of
# tries; nothing waits on time).  1 when it never did.
wait_for() {
	_i=0
	while [ "$_i" -lt 20000 ]; do
		screen
		grep -Fq -- "$1" "$T/screen" && return 0
		_i=$((_i + 1))
	done
	return 1
}

# typed TEXT: types TEXT and Enter at the terminal.
typed() { tmux -S "$SOCK" send-keys -t e -l -- "$1" && tmux -S "$SOCK" send-keys -t e Enter; }

# exit_status: waits until the command has exited; its status on stdout
# (and its last screen in $T/screen).
exit_status() {
	_i=0
	while [ "$_i" -lt 20000 ] && [ ! -s "$T/status" ]; do
		screen
		_i=$((_i + 1))
	done
	screen
	if [ -s "$T/status" ]; then
		cat "$T/status"
	else
		echo timeout
	fi
}

# The harness: a terminal runs a command and reports its status.
term "printf 'tmux works\n'; sh -c 'exit 3'"
check "harness: the terminal shows a command's output" wait_for "tmux works"
check "harness: the terminal reports a command's status" eq "$(exit_status)" 3

# ---- the admin adds erin ---------------------------------------------------

printf '%s\n' "$PA" | "$CASEVAULT" --vault "$V" --passphrase-fd 0 init --admin alice $KDF \
	>"$T/out" 2>"$T/err"
check "init" eq $? 0
RECOVERY=$(cat "$T/out")

# The admin's command reads its own passphrase line and nothing after it:
# what follows on the same input is still there when it has finished.
printf '%s\n%s\n' "$PA" "$SENTINEL" >"$T/in"
{
	"$CASEVAULT" --vault "$V" --user alice --passphrase-fd 0 user add erin --role counselor \
		>"$T/out" 2>"$T/err"
	echo "$?" >"$T/rc"
	cat >"$T/rest"
} <"$T/in"
check "user add erin exits 0" eq "$(cat "$T/rc")" 0
check "the admin's command read one line: its own passphrase" eq "$(cat "$T/rest")" "$SENTINEL"
CODE=$(tail -n 1 "$T/out")
check "user add prints the enrolment code on the last line" is_code "$CODE"
check "user add names the one to run: casevault --user erin enrol" \
	has "$T/err" "casevault --user erin enrol"
check "the code is not in the vault" eq "$(grep -c -a -F -- "$CODE" "$V")" 0
ERIN_ID=$(sq "select id from users where name = 'erin'")
ADD_KEYS=$(sq "select hex(box_pk) || hex(sign_pk) from users where name = 'erin'")
check "after user add: erin is pending" eq "$(sq "select status from users where id = $ERIN_ID")" \
	pending
check "after user add: no wrapped keys at all (key_box is zeros, no KDF)" \
	eq "$(sq "select key_box = zeroblob(112) and kdf_alg = 0 from users where id = $ERIN_ID")" 1

printf '%s\n' "$PE" | "$CASEVAULT" --vault "$V" --user erin --passphrase-fd 0 user list \
	>"$T/out" 2>"$T/err"
check "erin cannot log in before she enrols (exit 3)" eq $? 3
check "  ... and is told to enrol" has "$T/err" "run 'casevault enrol'"

# ---- erin enrols at her terminal -------------------------------------------

# A repeat that differs changes nothing.
term "'$CASEVAULT' --vault '$V' --user erin enrol"
check "enrol asks for the code" wait_for "Enrolment code for erin:"
typed "$CODE"
check "then for a passphrase" wait_for "Choose a passphrase for erin:"
typed "$PE"
check "then for it again" wait_for "Repeat it:"
typed "$PE and more"
check "a repeat that differs: exit 2" eq "$(exit_status)" 2
check "  ... says so" has "$T/screen" "the two passphrases differ"
check "  ... erin is still pending" eq "$(sq "select status from users where id = $ERIN_ID")" \
	pending

# A wrong code (another valid-looking code) is refused and logged.
term "'$CASEVAULT' --vault '$V' --user erin enrol"
check "enrol asks for the code (wrong code)" wait_for "Enrolment code for erin:"
typed "00000-00000-00000-00000"
wait_for "Choose a passphrase for erin:" && typed "$PE"
wait_for "Repeat it:" && typed "$PE"
check "a wrong code: exit 3" eq "$(exit_status)" 3
check "  ... refused as mistyped or not hers" \
	eval 'has "$T/screen" "mistyped" || has "$T/screen" "not the enrolment code"'
check "  ... logged, unsigned" eq "$(sq "select count(*) from audit where actor = 'erin' and
	action = 'user.enrol' and outcome = 'failed' and sig is null")" 1

# The enrolment.
term "'$CASEVAULT' --vault '$V' --user erin enrol"
check "enrol asks for the code" wait_for "Enrolment code for erin:"
typed "$CODE"
check "then for a passphrase" wait_for "Choose a passphrase for erin:"
typed "$PE"
check "then for it again" wait_for "Repeat it:"
typed "$PE"
check "erin enrols: exit 0" eq "$(exit_status)" 0
check "  ... and is told her keys were made here" has "$T/screen" "enrolled 'erin'"
check "  ... the code was not echoed" lacks "$T/screen" "$CODE"
check "  ... the passphrase was not echoed" lacks "$T/screen" "$PE"

# Her keys were made by the enrolment, not by the admin's command.
check "erin is active" eq "$(sq "select status from users where id = $ERIN_ID")" active
check "her public keys are no longer the code's" \
	eval '[ "$(sq "select hex(box_pk) || hex(sign_pk) from users where id = $ERIN_ID")" != "$ADD_KEYS" ]'
check "her keys are wrapped now" \
	eq "$(sq "select key_box <> zeroblob(112) and kdf_alg = 1 from users where id = $ERIN_ID")" 1
check "the code's keys are kept as her enrolment certificate, signed by alice" \
	eq "$(sq "select count(*) from key_history where user_id = $ERIN_ID and creator_id = 1
	and hex(box_pk) || hex(sign_pk) = '$ADD_KEYS'")" 1
ENROL_SEQ=$(sq "select seq from audit where action = 'user.enrol' and object = 'user:erin'
	and outcome = 'ok'")
check "the user.enrol row is erin's" \
	eq "$(sq "select actor from audit where seq = $ENROL_SEQ")" erin
check "  ... and ends in a checkpoint erin signed" \
	eq "$(sq "select actor || ' ' || action || ' ' || (sig is not null) from audit
	where seq = $ENROL_SEQ + 1")" "erin checkpoint 1"
check "  ... the checkpoint's key is the one in her users row" \
	eq "$(sq "select cert_seq from users where id = $ERIN_ID")" "$ENROL_SEQ"
check "no passphrase or code in the vault file" \
	eq "$(cat "$V" "$V-wal" 2>/dev/null | grep -c -a -F -e "$PE" -e "$CODE")" 0

# A code is good for one enrolment.
printf '%s\n%s\n' "$CODE" "$PE again" | "$CASEVAULT" --vault "$V" --user erin \
	--passphrase-fd 0 enrol >"$T/out" 2>"$T/err"
check "the code used again: exit 3" eq $? 3
check "  ... no enrolment pending" has "$T/err" "no enrolment pending"

printf '%s\n' "$PA" | as_fd alice audit verify
check "audit verify (alice) checks erin's enrolment and its signature" eq $? 0
check "  ... intact" has "$T/out" "audit log intact"

# No admin holds the index key: erin, the first counselor, gets hers from
# the recovery copy, delivered by an admin with the recovery code.
printf '%s\n%s\n' "$PA" "$RECOVERY" | as_fd alice vault keys --deliver
check "vault keys --deliver gives erin the index key" eq $? 0

# ---- erin logs in at her terminal and writes a note --------------------------

# The student's identity is asked at the terminal, never on the command line.
term "'$CASEVAULT' --vault '$V' --user erin case open --gender M --grade 9 --category emotion"
check "case open asks for erin's passphrase" wait_for "Passphrase for erin:"
typed "$PE"
check "case open asks for the student's number" wait_for "Student number:"
typed "S-7001"
check "  ... the name" wait_for "Name:"
typed "Tan Wei"
check "  ... the class" wait_for "Class:"
typed "9-1"
check "  ... the birth date, which may be left empty" wait_for "Born (YYYY-MM-DD, empty if"
typed "1990-02-30"
check "  ... a date that does not exist is asked again" wait_for "'1990-02-30' is not a date"
wait_for "Born (YYYY-MM-DD, empty if" && typed ""
check "  ... the guardian, which may be left empty" wait_for "Guardian (empty if none):"
typed ""
check "case open at the terminal: exit 0" eq "$(exit_status)" 0
check "  ... no guardian, so no guardian's phone was asked" lacks "$T/screen" "Guardian's phone"
CASE=$(grep -Eo 'C-[0-9A-HJKMNP-TV-Z]{5}' "$T/screen" | head -n 1)
check "  ... prints the case id" eval '[ -n "$CASE" ]'
check "  ... the passphrase was not echoed" lacks "$T/screen" "$PE"
for by in student guardian; do
	printf '%s\n' "$PE" | as_fd erin consent record "$CASE" --by "$by" --method written \
		--date 2026-03-02 --scope individual
	check "consent record ($by)" eq $? 0
done

NOTE_TEXT='First session, written at erin'"'"'s own terminal.'
cat >"$T/editor.sh" <<EOF
#!/bin/sh
printf '%s\n' "$NOTE_TEXT" >"\$1"
EOF
chmod 700 "$T/editor.sh"
term "EDITOR='$T/editor.sh' '$CASEVAULT' --vault '$V' --user erin note add '$CASE'"
check "note add asks for erin's passphrase" wait_for "Passphrase for erin:"
typed "$PE"
check "note add at the terminal (the text from \$EDITOR): exit 0" eq "$(exit_status)" 0
NOTE=$(grep -Eo 'N-[0-9A-HJKMNP-TV-Z]{6}' "$T/screen" | head -n 1)
check "  ... prints the note id" eval '[ -n "$NOTE" ]'
printf '%s\n' "$PE" | as_fd erin note show "$NOTE"
check "erin reads her note" eq $? 0
check "  ... its text" has "$T/out" "$NOTE_TEXT"

# ---- a reset: a new code, the grants reach the keys erin makes ----------------

printf '%s\n%s\n%s\n' "$PA" "$RECOVERY" "$SENTINEL" >"$T/in"
{
	"$CASEVAULT" --vault "$V" --user alice --passphrase-fd 0 user reset erin \
		>"$T/out" 2>"$T/err"
	echo "$?" >"$T/rc"
	cat >"$T/rest"
} <"$T/in"
check "user reset erin exits 0" eq "$(cat "$T/rc")" 0
check "the reset read the admin's passphrase and the recovery code only" \
	eq "$(cat "$T/rest")" "$SENTINEL"
CODE2=$(tail -n 1 "$T/out")
check "user reset prints a new enrolment code" is_code "$CODE2"
PE2='erin chose a new one herself'
term "'$CASEVAULT' --vault '$V' --user erin enrol"
check "enrol after the reset asks for the code" wait_for "Enrolment code for erin:"
typed "$CODE2"
wait_for "Choose a passphrase for erin:" && typed "$PE2"
wait_for "Repeat it:" && typed "$PE2"
check "erin enrols again: exit 0" eq "$(exit_status)" 0
printf '%s\n' "$PE2" | as_fd erin note show "$NOTE"
check "erin reads her note with the keys she made after the reset" has "$T/out" "$NOTE_TEXT"
printf '%s\n' "$PA" | as_fd alice audit verify
check "audit verify after the reset and the second enrolment" eq $? 0

echo "e2e_enrol: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
