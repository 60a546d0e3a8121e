#!/bin/sh
# e2e_foundation.sh - end-to-end tests of the foundation, run on
# the built binary as a user would: init and the recovery code, users and
# roles, enrolment with one-time codes, wrong, pending and disabled logins,
# -h without a passphrase, usage errors,
# missing and foreign vaults, tampering with the sqlite3 CLI (audit rows,
# user roles and status, truncation below a saved checkpoint, altered
# checkpoint files), and commands killed mid-write.
#
# Run as: CASEVAULT=/abs/path/to/casevault sh tests/e2e_foundation.sh
# Prints "FAIL: ..." for each failed check and ends with exactly one line
# "e2e_foundation: N passed, M failed"; exits 1 if any check failed.
# Needs: POSIX sh, the sqlite3 CLI, cksum, od, and setsid (util-linux) to
# run commands without a controlling terminal.
#
# Word splitting of $KDF, $NOTTY and command words is intended:
# shellcheck disable=SC2086

if [ -z "$CASEVAULT" ] || [ ! -x "$CASEVAULT" ]; then
	echo "e2e_foundation: set CASEVAULT to the built casevault binary" >&2
	exit 2
fi
if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "e2e_foundation: the sqlite3 CLI is needed" >&2
	exit 2
fi
if ! command -v setsid >/dev/null 2>&1; then
	echo "e2e_foundation: setsid (util-linux) is needed" >&2
	exit 2
fi

T=$(mktemp -d) || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM
cd "$T" || exit 2
# The tests choose every vault and user explicitly.
unset CASEVAULT_VAULT CASEVAULT_USER

PASSED=0
FAILED=0
OUT=$T/out
ERR=$T/err
IN=$T/in
FED=
RC=
KDF="--kdf-t 2 --kdf-m 19456 --kdf-p 1"

# Without a controlling terminal, /dev/tty cannot be opened.
NOTTY="setsid -w"

# ---- helpers ---------------------------------------------------------

pass() { PASSED=$((PASSED + 1)); }

fail() {
	FAILED=$((FAILED + 1))
	echo "FAIL: $1"
}

# Shows the last command's output after a failure, indented.
show_last() {
	echo "    exit code: $RC"
	if [ -s "$OUT" ]; then
		echo "    stdout:"
		sed -n '1,8s/^/      /p' "$OUT"
	fi
	if [ -s "$ERR" ]; then
		echo "    stderr:"
		sed -n '1,8s/^/      /p' "$ERR"
	fi
}

# feed LINE...: the next expect_* command reads these lines on stdin
# (one passphrase a line); without feed, stdin is /dev/null.
feed() {
	printf '%s\n' "$@" >"$IN"
	FED=1
}

# run CMD...: runs a command (or shell function) with the fed input,
# stdout to $OUT, stderr to $ERR, exit code in $RC.
run() {
	if [ -n "$FED" ]; then
		"$@" <"$IN" >"$OUT" 2>"$ERR"
	else
		"$@" </dev/null >"$OUT" 2>"$ERR"
	fi
	RC=$?
	FED=
}

# expect_rc EXPECTED DESCRIPTION -- CMD...
expect_rc() {
	_want=$1
	DESC=$2
	shift 2
	[ "$1" = "--" ] && shift
	run "$@"
	if [ "$RC" -eq "$_want" ]; then
		pass
	else
		fail "$DESC: exit code $RC, expected $_want"
		show_last
	fi
}

# expect_out ERE [WHAT]: the last command's stdout matches the pattern.
expect_out() {
	if grep -Eq -- "$1" "$OUT"; then
		pass
	else
		fail "$DESC: stdout does not match /$1/${2:+ ($2)}"
		show_last
	fi
}

# expect_err ERE [WHAT]: the last command's stderr matches the pattern.
expect_err() {
	if grep -Eq -- "$1" "$ERR"; then
		pass
	else
		fail "$DESC: stderr does not match /$1/${2:+ ($2)}"
		show_last
	fi
}

# expect_err_fixed STRING: stderr contains the string literally.
expect_err_fixed() {
	if grep -Fq -- "$1" "$ERR"; then
		pass
	else
		fail "$DESC: stderr does not contain '$1'"
		show_last
	fi
}

expect_no_out() {
	if grep -Eq -- "$1" "$OUT"; then
		fail "$DESC: stdout matches /$1/ but must not"
		show_last
	else
		pass
	fi
}

expect_no_err() {
	if grep -Eq -- "$1" "$ERR"; then
		fail "$DESC: stderr matches /$1/ but must not"
		show_last
	else
		pass
	fi
}

expect_empty_out() {
	if [ -s "$OUT" ]; then
		fail "$DESC: stdout is not empty"
		show_last
	else
		pass
	fi
}

expect_empty_err() {
	if [ -s "$ERR" ]; then
		fail "$DESC: stderr is not empty"
		show_last
	else
		pass
	fi
}

# check DESCRIPTION CMD...: a plain assertion (CMD's status).
check() {
	_d=$1
	shift
	if "$@"; then
		pass
	else
		fail "$_d"
	fi
}

# The program on vault $V; `as NAME ...` logs in as NAME with the
# passphrase read from stdin.
cv() { "$CASEVAULT" --vault "$V" "$@"; }
as() {
	_as_user=$1
	shift
	"$CASEVAULT" --vault "$V" --user "$_as_user" --passphrase-fd 0 "$@"
}

# state FILE: a fingerprint of a vault file (and whether a WAL is left).
state() {
	cksum <"$1"
	[ -e "$1-wal" ] && cksum <"$1-wal"
	return 0
}

# sq SQL: a query on vault $V with the sqlite3 CLI.
sq() { sqlite3 "$V" "$1"; }

# json_doc FILE: FILE is one valid JSON document on one line.
json_doc() {
	[ -s "$1" ] && [ "$(wc -l <"$1")" -eq 1 ] || return 1
	_esc=$(sed "s/'/''/g" "$1")
	[ "$(sqlite3 :memory: "select json_valid('$_esc')")" = 1 ]
}

# json_array FILE: FILE is one JSON array (a list under --json).
json_array() {
	json_doc "$1" || return 1
	_esc=$(sed "s/'/''/g" "$1")
	[ "$(sqlite3 :memory: "select json_type('$_esc')")" = array ]
}

# json_field FILE FIELD: FIELD of the JSON object in FILE (one line).
json_field() {
	_esc=$(sed "s/'/''/g" "$1")
	sqlite3 :memory: "select json_extract('$_esc', '\$.$2')"
}

# json_get FILE FIELD MATCH-FIELD MATCH-VALUE: FIELD of the first object
# of the JSON array in FILE whose MATCH-FIELD equals MATCH-VALUE.
json_get() {
	_esc=$(sed "s/'/''/g" "$1")
	sqlite3 :memory: "select json_extract(value, '\$.$2') from json_each('$_esc')
		where json_extract(value, '\$.$3') = '$4' limit 1"
}

eq() { [ "$1" = "$2" ]; }
no_file() { [ ! -e "$1" ]; }

# A number in 0..65535 from the kernel's random source.
rand16() { od -An -N2 -tu2 /dev/urandom | tr -d ' \n'; }

# spin N: burn a little CPU so that a kill lands at a varying moment
# (nothing waits on time; any moment is a valid test).
spin() {
	_i=0
	while [ "$_i" -lt "$1" ]; do
		_i=$((_i + 1))
	done
}

PA='alice-pass-0001'
PB='bob-pass-00001'
PB2='bob-newpass-0002'
PC='carol-pass-0001'
PD='dave-pass-00001'
PE='erin-pass-00001'
V=$T/v.db

# ---- 1. the journey ----------------------------------------------------

feed "$PA"
expect_rc 0 "init" -- cv --passphrase-fd 0 init --admin alice $KDF
check "init: stdout is exactly one line" eq "$(wc -l <"$OUT" | tr -d ' ')" 1
expect_out '^[0-9a-f]{4}(-[0-9a-f]{4}){8}$' "the recovery code: 9 groups of 4 hex digits"
expect_err 'offline' "the warning to keep the code offline"
expect_err_fixed "created vault '$V' with admin 'alice'"
CODE=$(cat "$OUT")
check "init: the vault is mode 0600" eq "$(ls -ln "$V" | cut -c1-10)" "-rw-------"
check "init: the recovery code is not stored in the vault" \
	eq "$(grep -c -a -F -- "$CODE" "$V")" 0

S0=$(state "$V")
feed "$PA"
expect_rc 2 "init over an existing vault" -- cv --passphrase-fd 0 init --admin alice $KDF
expect_err_fixed "'$V' already exists"
expect_empty_out
check "init over an existing vault: the file is unchanged" eq "$(state "$V")" "$S0"

echo "not a vault, but somebody's file" >"$T/notes.txt"
S1=$(state "$T/notes.txt")
feed "$PA"
expect_rc 2 "init over an existing text file" -- \
	"$CASEVAULT" --vault "$T/notes.txt" --passphrase-fd 0 init --admin alice $KDF
expect_err 'already exists'
check "init over a text file: the file is unchanged" eq "$(state "$T/notes.txt")" "$S1"

# An enrolment code: four groups of five Crockford base32 symbols.
is_code() { printf '%s\n' "$1" | grep -Eq '^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}$'; }

# add NAME ROLE: alice adds NAME (her stdin holds her own passphrase and
# nothing else); the code she is shown goes to $ECODE.
add() {
	feed "$PA"
	expect_rc 0 "user add $1 ($2)" -- as alice user add "$1" --role "$2"
	expect_out "^added $2 '$1', pending enrolment; enrolment code:\$"
	expect_err "Give it to $1 in person"
	ECODE=$(tail -n 1 "$OUT")
	check "user add $1: the last line is the enrolment code" is_code "$ECODE"
}

# enrol NAME CODE PASS: NAME enrols with the code, choosing PASS.
enrol() {
	feed "$2" "$3"
	expect_rc 0 "$1 enrols" -- as "$1" enrol
	expect_out "^enrolled '$1'"
}

# Rows 3 and 5 are alice's user.add rows of bob and carol (section 7).
add bob counselor
CB=$ECODE
add carol supervisor
CCAR=$ECODE
enrol bob "$CB" "$PB"
enrol carol "$CCAR" "$PC"
add dave counselor
feed "$PD"
expect_rc 3 "dave cannot log in before he enrols" -- as dave user list
expect_err "user 'dave' has not enrolled yet; run 'casevault enrol'"
feed "$PA"
expect_rc 0 "user list: dave is pending" -- as alice user list
expect_out '^dave +counselor +pending .*signed by alice  \(code expires '
enrol dave "$ECODE" "$PD"
add erin counselor
enrol erin "$ECODE" "$PE"
feed "$CB" "$PB2"
expect_rc 3 "a code is good for one enrolment" -- as bob enrol
expect_err "no enrolment pending"
check "no enrolment code is stored in the vault" \
	eq "$(cat "$V" "$V-wal" 2>/dev/null | grep -c -a -e "$CB" -e "$CCAR" -e "$ECODE")" 0

feed "$PA"
expect_rc 2 "user add of an existing name" -- as alice user add bob --role supervisor
expect_err "user 'bob' already exists"

feed "$PA"
expect_rc 0 "user list (text)" -- as alice user list
expect_out '^alice +admin +active '
expect_out '^bob +counselor +active .*signed by alice$'
expect_out '^carol +supervisor +active '
check "user list: one line per user" eq "$(wc -l <"$OUT" | tr -d ' ')" 5

feed "$PB"
expect_rc 0 "user list --json (as a counselor)" -- as bob --json user list
check "user list --json: one JSON array" json_array "$OUT"
check "user list --json: bob is a counselor" eq "$(json_get "$OUT" role name bob)" counselor
check "user list --json: carol is active" eq "$(json_get "$OUT" status name carol)" active
check "user list --json: carol was signed by alice" \
	eq "$(json_get "$OUT" signed_by name carol)" alice

feed "$PB" "$PB2"
expect_rc 0 "user passwd (bob)" -- as bob user passwd
expect_out "^passphrase changed for 'bob'$"
feed "$PB"
expect_rc 3 "bob's old passphrase after passwd" -- as bob user list
expect_err "wrong passphrase for 'bob'"
feed "$PB2"
expect_rc 0 "bob's new passphrase after passwd" -- as bob user list

# Passphrases from another descriptor than stdin.
printf '%s\n%s\n' "$PB2" "$PB" >"$T/fd3"
as_fd3() { "$CASEVAULT" --vault "$V" --user bob --passphrase-fd 3 "$@" 3<"$T/fd3"; }
expect_rc 0 "user passwd with --passphrase-fd 3" -- as_fd3 user passwd
printf '%s\n' "$PB" >"$T/fd3"
expect_rc 0 "log in with --passphrase-fd 3" -- as_fd3 user list
feed "$PB" "$PB2"
expect_rc 0 "user passwd back to bob's second passphrase" -- as bob user passwd

feed "$PA"
expect_rc 0 "user disable dave" -- as alice user disable dave
expect_out "^disabled 'dave'$"
feed "$PA"
expect_rc 0 "user list shows dave disabled" -- as alice user list
expect_out '^dave +counselor +disabled '
feed "$PA"
expect_rc 2 "user disable of a disabled user" -- as alice user disable dave
expect_err "already disabled"
feed "$PA"
expect_rc 2 "an admin cannot disable their own account" -- as alice user disable alice
expect_err "your own account"

feed "$PD"
expect_rc 3 "a disabled user cannot log in" -- as dave user list
expect_err "user 'dave' is disabled"
expect_empty_out

feed "$PC"
expect_rc 0 "audit log --denied (supervisor)" -- as carol audit log --denied
expect_out ' dave login user:dave failed -- auth.disabled$'
feed "$PC"
expect_rc 0 "audit log --action login --json" -- as carol --json audit log --action login
check "audit log --json: one JSON array" json_array "$OUT"
check "audit log --json: dave's login has outcome failed" \
	eq "$(json_get "$OUT" outcome actor dave)" failed

check "no passphrase is stored in clear in the vault" \
	eq "$(cat "$V" "$V-wal" 2>/dev/null | grep -c -a -e "$PA" -e "$PB" -e "$PB2" -e "$PC")" 0

# ---- 2. wrong passphrase and unknown user ------------------------------

NWRONG0=$(sq "select count(*) from audit where actor = 'bob' and action = 'login'
	and outcome = 'failed' and detail = 'auth.wrong-passphrase'")
feed 'not-bobs-passphrase'
expect_rc 3 "wrong passphrase" -- as bob user list
expect_err "wrong passphrase for 'bob'"
expect_empty_out
check "wrong passphrase: the last audit row is bob's failed login" \
	eq "$(sq 'select actor, action, object, outcome, detail from audit
	order by seq desc limit 1')" "bob|login|user:bob|failed|auth.wrong-passphrase"
check "wrong passphrase: exactly one audit row more" \
	eq "$(sq "select count(*) from audit where actor = 'bob' and action = 'login'
	and outcome = 'failed' and detail = 'auth.wrong-passphrase'")" "$((NWRONG0 + 1))"
feed "$PC"
expect_rc 0 "audit log --action login" -- as carol audit log --action login
expect_out ' bob login user:bob failed -- auth.wrong-passphrase$'

feed "$PA"
expect_rc 3 "log in as a user who does not exist" -- as mallory user list
expect_err "no user 'mallory'"
feed "$PC"
expect_rc 0 "audit log shows the unknown user's attempt" -- as carol audit log --denied
expect_out ' mallory login user:mallory failed -- auth.unknown-user$'

# ---- 3. roles ------------------------------------------------------------

USERS0=$(sq 'select name, role, status from users order by id')
feed "$PB2" "$PE"
expect_rc 4 "counselor: user add" -- as bob user add frank --role admin
expect_err "'bob' is a counselor; only an admin may use 'user.add'"
feed "$PB2"
expect_rc 4 "counselor: user disable" -- as bob user disable erin
expect_err "only an admin"
feed "$PB2"
expect_rc 4 "counselor: audit log" -- as bob audit log
expect_err "only supervisors and admins"
expect_empty_out
feed "$PB2"
expect_rc 4 "counselor: audit verify" -- as bob audit verify
expect_err "only supervisors and admins"
feed "$PB2"
expect_rc 4 "counselor: audit checkpoint" -- as bob audit checkpoint
expect_empty_out
feed "$PC" "$PE"
expect_rc 4 "supervisor: user add" -- as carol user add frank --role counselor
expect_err "'carol' is a supervisor; only an admin"
check "denied commands changed no user" \
	eq "$(sq 'select name, role, status from users order by id')" "$USERS0"

feed "$PC"
expect_rc 0 "audit log --denied (the counselor's denials)" -- as carol audit log --denied
expect_out ' bob user\.add user:frank denied '
expect_out ' bob user\.disable user:erin denied '
expect_out ' bob audit\.log audit denied '
expect_out ' bob audit\.verify audit denied '
expect_out ' bob audit\.checkpoint audit denied '
feed "$PC"
expect_rc 0 "audit log --since/--until" -- as carol audit log --since 2000-01-01 --until 2999-12-31
expect_out ' alice vault\.init vault ok '

# The filter --user NAME of audit log (fixed bug: the global option parser
# (take_globals) takes --user from anywhere in argv, so the filter becomes
# the acting user: carol's passphrase was tried for bob, and failed).
NLOGIN0=$(sq "select count(*) from audit where actor = 'bob' and action = 'login'")
feed "$PC"
expect_rc 0 "audit log --user bob: a filter, carol still logs in" -- as carol audit log --user bob
expect_out ' bob audit\.log audit denied '
expect_no_out '^ *[0-9]+ [^ ]+ (alice|carol|dave|erin|mallory) '
check "audit log --user bob: no failed login of bob is logged" \
	eq "$(sq "select count(*) from audit where actor = 'bob' and action = 'login'")" "$NLOGIN0"

feed "$PC"
expect_rc 0 "audit verify after the journey" -- as carol audit verify
expect_out '^audit log intact: [0-9]+ rows, [0-9]+ signed checkpoints, 5 user records verified, [0-9]+ stored rows as the log committed them$'
# carol's verification is an anchor (docs/FORMAT.md §7.7): the next one
# checks the signatures before it only through its digest, and says so.
VSEQ=$(sq "select max(seq) from audit where action = 'audit.verify' and actor = 'carol'")
check "carol's audit.verify row follows the rows it read, with their signature digest" \
	eq "$(sq "select count(*) from audit where seq = $VSEQ and detail glob 'rows=$((VSEQ - 1)) checkpoints=* users=5 sigs=[0-9a-f]*'")" 1
feed "$PC"
expect_rc 0 "audit verify again, from carol's anchor" -- as carol audit verify
expect_out "^rows 1 to $((VSEQ - 1)) were verified in full by 'carol' at [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} \\(audit row $VSEQ\\)"
check "the anchor is named in the new row" \
	eq "$(sq "select count(*) from audit where action = 'audit.verify' and detail glob '* anchor=$VSEQ'")" 1
feed "$PC"
expect_rc 0 "audit verify --full: every signature, no anchor" -- as carol audit verify --full
expect_no_out '^rows 1 to'
check "--full names no anchor" \
	eq "$(sq "select detail glob '* anchor=*' from audit where action = 'audit.verify' order by seq desc limit 1")" 0

# ---- 4. -h asks for no passphrase -------------------------------------

# Harness check: without -h and without --passphrase-fd, a command must
# fail for want of a terminal (so the -h runs below would notice a prompt).
expect_rc 2 "no --passphrase-fd and no terminal" -- \
	$NOTTY "$CASEVAULT" --vault "$V" --user alice user list
expect_err "no terminal"

NROWS=$(sq 'select count(*) from audit')
S0=$(state "$V")
for c in "init" "user add" "user list" "user passwd" "user disable" \
	"audit log" "audit verify" "audit checkpoint"; do
	for h in -h --help; do
		# $c is split on purpose: "user add" is two words.
		expect_rc 0 "casevault $c $h" -- $NOTTY "$CASEVAULT" --vault "$V" --user alice $c $h
		expect_out "^usage: casevault $c"
		expect_empty_err
		expect_rc 0 "casevault $c $h (no vault)" -- \
			$NOTTY "$CASEVAULT" --vault "$T/none.db" --user alice $c $h
		expect_out "^usage: casevault $c"
	done
done
expect_rc 0 "casevault user add NAME --role counselor -h" -- \
	$NOTTY "$CASEVAULT" --vault "$V" --user alice user add zed --role counselor -h
expect_out '^usage: casevault user add'
expect_rc 0 "casevault -h" -- $NOTTY "$CASEVAULT" -h
expect_out '^usage: casevault '
expect_rc 0 "casevault help" -- $NOTTY "$CASEVAULT" help
expect_out 'Exit codes: 0 ok'
check "-h wrote no audit row" eq "$(sq 'select count(*) from audit')" "$NROWS"
check "-h changed nothing in the vault" eq "$(state "$V")" "$S0"
check "-h created no vault" no_file "$T/none.db"
expect_rc 0 "casevault user -h" -- $NOTTY "$CASEVAULT" --vault "$V" user -h
expect_out '^usage:' "usage on stdout, as for casevault -h and casevault user add -h"

# ---- 5. usage errors exit 2 and change nothing ----------------------

S0=$(state "$V")
expect_rc 2 "unknown command" -- cv frobnicate
expect_err "unknown command 'frobnicate'"
expect_rc 2 "no command" -- cv
expect_rc 2 "a group without a sub-command" -- cv user
expect_err "needs a sub-command"
feed "$PA"
expect_rc 2 "unknown option" -- as alice user list --bogus
expect_err "unknown option '--bogus'"
feed "$PA" "$PE"
expect_rc 2 "user add without --role" -- as alice user add frank
expect_err '--role'
feed "$PA" "$PE"
expect_rc 2 "user add with a bad role" -- as alice user add frank --role janitor
expect_err "--role 'janitor' is not a role; use counselor, supervisor or admin"
feed "$PA" "$PE"
expect_rc 2 "user add --role without a value" -- as alice user add frank --role
expect_err "needs a value"
feed "$PA" "$PE"
expect_rc 2 "user name with a tab" -- as alice user add "$(printf 'fr\tank')" --role counselor
expect_err "is not valid"
feed "$PA" "$PE"
expect_rc 2 "user name with an escape character" -- \
	as alice user add "$(printf 'fr\033[2Jank')" --role counselor
expect_err "is not valid"
# Error messages quote the user's input, so control
# characters reach the terminal (escape sequences run there).
ESC=$(printf '\033')
check "user add: the escape character is not echoed to the terminal" \
	eq "$(grep -c "$ESC" "$ERR")" 0
expect_rc 2 "unknown command with an escape character" -- cv "$(printf 'x\033[2Jy')"
check "unknown command: the escape character is not echoed to the terminal" \
	eq "$(grep -c "$ESC" "$ERR")" 0
feed "$PA" "$PE"
expect_rc 2 "user name of 33 characters" -- as alice user add \
	abcdefghijabcdefghijabcdefghijabc --role counselor
expect_err "is not valid"
feed "$PA" "$PE"
expect_rc 2 "user name in capitals" -- as alice user add Frank --role counselor
feed "$PA" "$PE"
expect_rc 2 "user name starting with a digit" -- as alice user add 1frank --role counselor
feed "$PA" "$PE"
expect_rc 2 "two names to user add" -- as alice user add frank gina --role counselor
feed "$PA"
expect_rc 2 "user passwd with a name" -- as alice user passwd bob
feed "$PA"
expect_rc 2 "--passphrase-fd abc" -- \
	"$CASEVAULT" --vault "$V" --user alice --passphrase-fd abc user list
expect_err "file descriptor number"
expect_rc 2 "--passphrase-fd -1" -- \
	"$CASEVAULT" --vault "$V" --user alice --passphrase-fd -1 user list
expect_rc 2 "--passphrase-fd 0x3" -- \
	"$CASEVAULT" --vault "$V" --user alice --passphrase-fd 0x3 user list
expect_rc 2 "--passphrase-fd without a value" -- "$CASEVAULT" --vault "$V" user list --passphrase-fd
expect_rc 2 "no passphrase line (end of input)" -- as alice user list
expect_err "no passphrase to read"
expect_rc 2 "no --user" -- "$CASEVAULT" --vault "$V" --passphrase-fd 0 user list
expect_err "no user given"
check "usage errors before login changed nothing" eq "$(state "$V")" "$S0"

add frank counselor
CF=$ECODE
USERS0=$(sq 'select name, role, status, key_box from users order by id')
feed "$CF" 'short-pass1'
expect_rc 2 "enrol with an 11-character passphrase" -- as frank enrol
expect_err "too short"
feed "$CF" ''
expect_rc 2 "enrol with an empty passphrase" -- as frank enrol
feed "$PB2" 'short-pass1'
expect_rc 2 "user passwd to an 11-character passphrase" -- as bob user passwd
expect_err "too short"
feed "$PB2" "$(printf 'twelve-chars\001x')"
expect_rc 2 "user passwd to a passphrase with a control character" -- as bob user passwd
expect_err "control character"
feed "$PC"
expect_rc 2 "audit log --since 2025-02-30" -- as carol audit log --since 2025-02-30
expect_empty_out
feed "$PC"
expect_rc 2 "audit log --until yesterday" -- as carol audit log --until yesterday
check "refused passphrases changed no user" \
	eq "$(sq 'select name, role, status, key_box from users order by id')" "$USERS0"
feed "$PA"
expect_rc 0 "frank, never enrolled, is disabled" -- as alice user disable frank
feed "$PB2"
expect_rc 0 "bob's passphrase still works after the refused changes" -- as bob user list

feed 'short-pass1'
expect_rc 2 "init with an 11-character passphrase" -- \
	"$CASEVAULT" --vault "$T/n1.db" --passphrase-fd 0 init --admin ann $KDF
expect_err "too short"
check "init with a short passphrase leaves no file" no_file "$T/n1.db"
feed "$PA"
expect_rc 2 "init --kdf-m below the floor" -- "$CASEVAULT" --vault "$T/n1.db" \
	--passphrase-fd 0 init --admin ann --kdf-t 2 --kdf-m 19455 --kdf-p 1
expect_err "below the floor"
feed "$PA"
expect_rc 2 "init --kdf-t 1" -- "$CASEVAULT" --vault "$T/n1.db" \
	--passphrase-fd 0 init --admin ann --kdf-t 1 --kdf-m 19456 --kdf-p 1
feed "$PA"
expect_rc 2 "init with an absurd --kdf-m" -- "$CASEVAULT" --vault "$T/n1.db" \
	--passphrase-fd 0 init --admin ann --kdf-t 2 --kdf-m 4294967295 --kdf-p 1
feed "$PA"
expect_rc 2 "init --kdf-p 0" -- "$CASEVAULT" --vault "$T/n1.db" \
	--passphrase-fd 0 init --admin ann --kdf-t 2 --kdf-m 19456 --kdf-p 0
feed "$PA"
expect_rc 2 "init --kdf-m 19k" -- "$CASEVAULT" --vault "$T/n1.db" \
	--passphrase-fd 0 init --admin ann --kdf-t 2 --kdf-m 19k --kdf-p 1
feed "$PA"
expect_rc 2 "init without --admin" -- "$CASEVAULT" --vault "$T/n1.db" --passphrase-fd 0 init $KDF
feed "$PA"
expect_rc 2 "init with a bad admin name" -- "$CASEVAULT" --vault "$T/n1.db" \
	--passphrase-fd 0 init --admin 'ann smith' $KDF
expect_rc 2 "init with no passphrase line" -- "$CASEVAULT" --vault "$T/n1.db" \
	--passphrase-fd 0 init --admin ann $KDF
check "refused inits leave no file" no_file "$T/n1.db"

# No passphrase from argv or the environment: there is no option for it,
# and the environment is not read (without a terminal the login fails).
feed "$PA"
expect_rc 2 "--passphrase on the command line (global)" -- \
	"$CASEVAULT" --vault "$V" --user alice --passphrase "$PA" user list
feed "$PA"
expect_rc 2 "--passphrase on the command line (command)" -- \
	"$CASEVAULT" --vault "$V" --user alice user list --passphrase "$PA"
expect_no_err "$PA"
expect_rc 2 "a passphrase in the environment is not used" -- \
	env CASEVAULT_PASSPHRASE="$PA" CASEVAULT_PASS="$PA" CASEVAULT_PASSWORD="$PA" \
	$NOTTY "$CASEVAULT" --vault "$V" --user alice user list
expect_err "no terminal"

# ---- 6. missing and foreign vaults ------------------------------------

# Regression: cv_vault_open once turned every CV_ENOTFOUND, also the store's
# "no vault at PATH", into CV_EINTEGRITY "has no vault id" (exit 5).
feed "$PA"
expect_rc 6 "missing vault" -- "$CASEVAULT" --vault "$T/missing.db" --user alice \
	--passphrase-fd 0 user list
expect_err "no vault at '"
feed "$PA"
expect_rc 6 "missing vault from CASEVAULT_VAULT" -- env CASEVAULT_VAULT="$T/missing2.db" \
	"$CASEVAULT" --user alice --passphrase-fd 0 user list
expect_err_fixed "'$T/missing2.db'"
expect_no_out .
feed "$PA"
expect_rc 6 "missing vault: refused as not found" -- "$CASEVAULT" --vault "$T/missing.db" \
	--user alice --passphrase-fd 0 user list
expect_err_fixed "'$T/missing.db'"
check "a missing vault is not created" no_file "$T/missing.db"

S1=$(state "$T/notes.txt")
feed "$PA"
expect_rc 5 "a text file as the vault" -- "$CASEVAULT" --vault "$T/notes.txt" --user alice \
	--passphrase-fd 0 user list
check "the text file is unchanged" eq "$(state "$T/notes.txt")" "$S1"
sqlite3 "$T/other.db" 'create table t(a); insert into t values (1);'
S1=$(state "$T/other.db")
feed "$PA"
expect_rc 5 "another sqlite database as the vault" -- "$CASEVAULT" --vault "$T/other.db" \
	--user alice --passphrase-fd 0 user list
expect_err "is not a casevault vault"
check "the other database is unchanged" eq "$(state "$T/other.db")" "$S1"
sqlite3 "$T/empty.db" 'vacuum'
feed "$PA"
expect_rc 5 "an empty sqlite database as the vault" -- "$CASEVAULT" --vault "$T/empty.db" \
	--user alice --passphrase-fd 0 user list
: >"$T/zero.db"
feed "$PA"
expect_rc 5 "an empty file as the vault" -- "$CASEVAULT" --vault "$T/zero.db" \
	--user alice --passphrase-fd 0 user list
check "the empty file stays empty" eq "$(wc -c <"$T/zero.db" | tr -d ' ')" 0

# ---- 7. tampering with the sqlite3 CLI ---------------------------------

check "the vault has no WAL left after the commands" no_file "$V-wal"
cp "$V" "$T/base.db"

# tamper SQL: V becomes a fresh copy of the base vault with SQL applied.
tamper() {
	V=$T/tamper.db
	rm -f "$V" "$V-wal" "$V-shm"
	cp "$T/base.db" "$V"
	sq "$1" >/dev/null
}

V=$T/base.db
# Rows 3 and 5 are the user.add rows of bob and carol, each followed by
# its signed checkpoint; rows 7 and 9 are their enrolments: see that the
# base is as expected.
check "base vault: rows 3 and 5 are user.add rows" \
	eq "$(sq 'select group_concat(action, ",") from audit where seq between 3 and 10')" \
	"user.add,checkpoint,user.add,checkpoint,user.enrol,checkpoint,user.enrol,checkpoint"

tamper "update audit set detail = substr(detail, 1, 5) || 'X' || substr(detail, 7) where seq = 3"
check "one byte of row 3's detail changed" eq "$(sq 'select detail from audit where seq = 3')" \
	"role=Xounselor"
feed "$PC"
expect_rc 5 "audit verify: one byte of a row's detail changed" -- as carol audit verify
expect_err 'audit row 3[^0-9]'
expect_empty_out
feed "$PC"
expect_rc 5 "audit verify --json: one byte changed" -- as carol --json audit verify
check "audit verify --json: one JSON document" json_doc "$OUT"
check "audit verify --json: first_bad_row is 3" \
	eq "$(json_field "$OUT" first_bad_row)" 3
check "audit verify --json: intact is false" \
	eq "$(json_field "$OUT" intact)" 0

tamper "update audit set time = replace(time, 'T', 't') where seq = 7"
feed "$PC"
expect_rc 5 "audit verify: a row's time edited" -- as carol audit verify
expect_err 'audit row 7[^0-9]'

tamper "delete from audit where seq = 5"
# Row 5 is carol's user.add: the chain has a gap.
feed "$PC"
expect_rc 5 "a middle row deleted: carol's verify" -- as carol audit verify
expect_err 'audit row 5[^0-9]'
feed "$PA"
expect_rc 5 "audit verify: a middle row deleted" -- as alice audit verify
expect_err 'audit row 5[^0-9]'

tamper "delete from audit where seq = 7"
# Row 7 is bob's enrolment: his keys stand on nothing the log records
# (FORMAT.md §5.4), which his login already sees.
feed "$PB2"
expect_rc 5 "bob's enrolment row deleted: bob's login" -- as bob user list
expect_err "record of user 'bob' fails verification: its keys are not the first enrolment"
expect_empty_out

tamper "delete from audit where seq = 1"
feed "$PC"
expect_rc 5 "audit verify: the first row deleted" -- as carol audit verify
expect_err 'audit row 1[^0-9]'

tamper "create temp table s as select * from audit where seq in (3, 5);
update audit set (time, actor, action, object, outcome, detail, prev_hash, hash, sig) =
  (select time, actor, action, object, outcome, detail, prev_hash, hash, sig
   from s where s.seq = 8 - audit.seq)
 where seq in (3, 5);"
check "rows 3 and 5 swapped" eq "$(sq 'select detail from audit where seq = 3')" \
	"role=supervisor"
# Row 3 now holds carol's user.add, row 5 bob's: the chain breaks there.
feed "$PC"
expect_rc 5 "two rows' contents swapped: carol's verify" -- as carol audit verify
expect_err 'audit row 3[^0-9]' 
feed "$PA"
expect_rc 5 "audit verify: two rows' contents swapped" -- as alice audit verify
expect_err 'audit row 3[^0-9]'

tamper "update audit set seq = -3 where seq = 3; update audit set seq = 3 where seq = 5;
update audit set seq = 5 where seq = -3;"
feed "$PC"
expect_rc 5 "two rows' seq swapped: carol's verify" -- as carol audit verify
expect_err 'audit row 3[^0-9]' 
feed "$PA"
expect_rc 5 "audit verify: two rows' seq swapped" -- as alice audit verify
expect_err 'audit row 3[^0-9]'

tamper "update audit set sig = cast(substr(sig, 1, 10) ||
  (case when substr(sig, 11, 1) = x'00' then x'01' else x'00' end) || substr(sig, 12) as blob)
 where seq = 4"
check "exactly one byte of row 4's signature changed" eq "$(sq "attach '$T/base.db' as b;
  select length(a.sig) = 64 and a.sig <> o.sig and substr(a.sig, 1, 10) = substr(o.sig, 1, 10)
    and substr(a.sig, 12) = substr(o.sig, 12)
  from main.audit as a, b.audit as o where a.seq = 4 and o.seq = 4")" 1
feed "$PC"
expect_rc 5 "audit verify: one byte of a checkpoint signature changed" -- as carol audit verify
expect_err 'audit row 4[^0-9].*signature'

tamper "update audit set sig = (select sig from audit where seq = 4) where seq = 3"
feed "$PC"
expect_rc 5 "audit verify: a signature added to a plain row" -- as carol audit verify
expect_err 'audit row 3[^0-9]'

tamper "update users set role = 'admin' where name = 'bob'"
feed "$PB2"
expect_rc 5 "bob's login after his role was edited to admin" -- as bob user list
expect_err "'bob'"
expect_empty_out
feed "$PB2" "$PE"
expect_rc 5 "bob cannot add a user after his role was edited" -- as bob user add gina --role admin
check "no user was added with the edited role" \
	eq "$(sq "select count(*) from users where name = 'gina'")" 0
feed "$PC"
expect_rc 5 "audit verify after bob's role was edited" -- as carol audit verify
expect_err "'bob'"

tamper "update users set role = 'admin' where name = 'carol'"
feed "$PC"
expect_rc 5 "carol's login after her role was edited" -- as carol audit verify
expect_err "'carol'"

tamper "update users set status = 'active' where name = 'dave'"
feed "$PD"
expect_rc 5 "dave's login after his status was edited to active" -- as dave user list
expect_err "'dave'"
expect_empty_out

tamper "update users set sign_pk = (select sign_pk from users where name = 'bob')
 where name = 'erin'"
feed "$PC"
expect_rc 5 "audit verify after erin's public key was replaced" -- as carol audit verify
expect_err "'erin'"

# A tamperer who renames a user to an escape sequence reaches the
# supervisor's terminal through audit verify's message.
tamper "update users set name = 'er' || char(27) || ']0;pwned' || char(7) || 'in'
 where name = 'erin'"
feed "$PC"
expect_rc 5 "audit verify after a user was renamed to an escape sequence" -- \
	as carol audit verify
expect_err "fails verification"
check "audit verify: the renamed user's escape sequence is not printed raw" \
	eq "$(grep -c "$ESC" "$ERR")" 0

# Truncation and rollback below a saved checkpoint.
tamper "select 1"
cp "$V" "$T/before-cp.db"
feed "$PC"
expect_rc 0 "audit checkpoint -o cp" -- as carol audit checkpoint -o "$T/cp"
expect_empty_out
expect_err "checkpoint written to"
check "the checkpoint file exists" test -s "$T/cp"
CPSIZE=$(sed -n 's/^size: //p' "$T/cp")
check "the checkpoint's size is the log's size" \
	eq "$CPSIZE" "$(sq 'select max(seq) from audit')"
feed "$PC"
expect_rc 0 "audit checkpoint to stdout" -- as carol audit checkpoint
expect_out '^size: [0-9]+$'
expect_out '^signer: carol$'
feed "$PA"
expect_rc 0 "more commands after the checkpoint" -- as alice user list
feed "$PC"
expect_rc 0 "audit verify --checkpoint on the intact log" -- \
	as carol audit verify --checkpoint "$T/cp"
expect_out 'matches the saved checkpoint'
cp "$V" "$T/after-cp.db"

# The cut below keeps row CPSIZE - 3, the first row of a transaction, and
# removes its checkpoint: a plain verify sees a transaction signed by no
# checkpoint (FORMAT.md §7.5 step 5).  Cutting whole transactions would
# pass a plain verify; only the saved checkpoint shows that (below).
check "the cut leaves a row of a transaction without its checkpoint" \
	eq "$(sq "select action != 'checkpoint' and outcome = 'ok' from audit
	where seq = $((CPSIZE - 3))")" 1
sq "delete from audit where seq > $((CPSIZE - 3))"
feed "$PC"
expect_rc 5 "plain audit verify on a log cut inside a transaction" -- as carol audit verify
expect_err "audit rows? $((CPSIZE - 3)) .*signed by no checkpoint"
feed "$PC"
expect_rc 5 "audit verify --checkpoint on a log truncated below it" -- \
	as carol audit verify --checkpoint "$T/cp"
expect_err "truncated or rolled back"

V=$T/before-cp.db
feed "$PC"
expect_rc 5 "audit verify --checkpoint on a vault rolled back to before it" -- \
	as carol audit verify --checkpoint "$T/cp"
expect_err "truncated or rolled back"

# Altered checkpoint files (the vault itself is intact).
V=$T/after-cp.db
# cp_alter LINE COL: a copy of cp with the character at LINE, COL replaced
# by '0' (or by '1' where it was '0').
cp_alter() {
	rm -f "$T/cp2"
	awk -v L="$1" -v C="$2" 'NR == L {
		ch = substr($0, C, 1)
		$0 = substr($0, 1, C - 1) (ch == "0" ? "1" : "0") substr($0, C + 1)
	} { print }' "$T/cp" >"$T/cp2"
}
cp_alter 4 7
check "cp_alter changes the file" sh -c '! cmp -s "$1" "$2"' - "$T/cp" "$T/cp2"
feed "$PC"
expect_rc 5 "checkpoint file: one hex digit of the head changed" -- \
	as carol audit verify --checkpoint "$T/cp2"
expect_err "signature does not verify"
cp_alter 3 "$(sed -n 3p "$T/cp" | wc -c | tr -d ' ')"
check "the size line was changed" sh -c '! grep -q "^size: $1\$" "$2"' - "$CPSIZE" "$T/cp2"
feed "$PC"
expect_rc 5 "checkpoint file: the size changed" -- as carol audit verify --checkpoint "$T/cp2"
cp_alter 7 20
feed "$PC"
expect_rc 5 "checkpoint file: one hex digit of the signature changed" -- \
	as carol audit verify --checkpoint "$T/cp2"
cp_alter 1 3
feed "$PC"
expect_rc 2 "checkpoint file: the first line changed" -- \
	as carol audit verify --checkpoint "$T/cp2"
expect_err "not in the format"
# cp_want LINE COL: the exit status a change at LINE, COL must give
# (FORMAT.md §9): 2 where the file no longer parses (the first line, a
# label or its ": ", a size given a leading zero), 5 where it parses but
# does not verify (another vault, a signature, size or head that do not
# match, a signer or key the vault does not know).
cp_want() {
	case $1 in
	1) _lab=0 ;;
	2) _lab=7 ;; # "vault: "
	3) _lab=6 ;; # "size: "
	4) _lab=6 ;; # "head: "
	5) _lab=8 ;; # "signer: "
	6) _lab=5 ;; # "key: "
	7) _lab=11 ;; # "signature: "
	esac
	if [ "$1" -eq 1 ] || [ "$2" -le "$_lab" ]; then
		echo 2
	elif [ "$1" -eq 3 ] && [ "$2" -eq $((_lab + 1)) ]; then
		echo 2 # the size's first digit becomes 0
	else
		echo 5
	fi
}
# Every line, a few columns each: always refused, each with its status.
for line in 1 2 3 4 5 6 7; do
	for col in 1 5 7 9 40 70 129; do
		len=$(sed -n "${line}p" "$T/cp" | tr -d '\n' | wc -c | tr -d ' ')
		[ "$col" -le "$len" ] || continue
		cp_alter "$line" "$col"
		check "cp_alter changes character $col of line $line" \
			sh -c '! cmp -s "$1" "$2"' - "$T/cp" "$T/cp2"
		want=$(cp_want "$line" "$col")
		feed "$PC"
		expect_rc "$want" "checkpoint file: character $col of line $line changed" -- \
			as carol audit verify --checkpoint "$T/cp2"
		if [ "$want" -eq 2 ]; then
			expect_err "not in the format"
		fi
	done
done
cp "$T/cp" "$T/cp2"
printf 'x' >>"$T/cp2"
feed "$PC"
expect_rc 2 "checkpoint file: a byte appended" -- as carol audit verify --checkpoint "$T/cp2"
expect_err "not in the format"
feed "$PC"
expect_rc 6 "checkpoint file that does not exist" -- \
	as carol audit verify --checkpoint "$T/no-such-cp"
feed "$PC"
expect_rc 0 "the unmodified checkpoint still verifies" -- as carol audit verify --checkpoint "$T/cp"

# A checkpoint of another vault (whose admin is also called carol).
V=$T/w.db
feed "$PC"
expect_rc 0 "init another vault" -- cv --passphrase-fd 0 init --admin carol $KDF
feed "$PC"
expect_rc 0 "checkpoint of the other vault" -- as carol audit checkpoint -o "$T/cp-v"
V=$T/after-cp.db
feed "$PC"
expect_rc 5 "a checkpoint of another vault" -- as carol audit verify --checkpoint "$T/cp-v"
expect_err "another vault"

# ---- 8. audit checkpoint -o never overwrites -------------------------

S1=$(state "$T/cp")
NROWS=$(sq 'select count(*) from audit')
feed "$PC"
expect_rc 2 "audit checkpoint -o an existing file" -- as carol audit checkpoint -o "$T/cp"
expect_err "never overwritten"
check "the existing checkpoint file is unchanged" eq "$(state "$T/cp")" "$S1"
check "the refused checkpoint wrote no audit row" eq "$(sq 'select count(*) from audit')" "$NROWS"
feed "$PC"
expect_rc 2 "audit checkpoint --output an existing file" -- \
	as carol audit checkpoint --output "$T/notes.txt"
feed "$PB2"
expect_rc 4 "counselor: audit checkpoint -o leaves no file" -- as bob audit checkpoint -o "$T/cp-b"
check "the denied checkpoint left no file" no_file "$T/cp-b"

# ---- 9. killed mid-write ------------------------------------------------

# kill_during MODE CMD...: starts CMD in the background (stdin $T/kin)
# and kills it with SIGKILL: at once (now); when it has begun a write
# (wal: the WAL file has its header); when it is writing pages (frames:
# the WAL holds more than its 32-byte header); or after a random spin.
# The waits end early once CMD has printed anything (it is done), and
# are bounded; no outcome depends on when the kill lands.
kill_during() {
	_mode=$1
	shift
	: >"$T/kout"
	"$@" <"$T/kin" >"$T/kout" 2>&1 &
	_pid=$!
	_j=0
	case $_mode in
	wal)
		while [ "$_j" -lt 3000000 ] && [ ! -s "$V-wal" ] && [ ! -s "$T/kout" ]; do
			_j=$((_j + 1))
		done
		;;
	frames)
		while [ "$_j" -lt 5000 ] && [ ! -s "$T/kout" ]; do
			_w=$({ wc -c <"$V-wal"; } 2>/dev/null)
			[ "${_w:-0}" -gt 32 ] && break
			_j=$((_j + 1))
		done
		;;
	spin)
		spin $(($(rand16) * 3))
		;;
	esac
	kill -9 "$_pid" 2>/dev/null
	{ wait "$_pid"; } 2>/dev/null
}

V=$T/v.db
KPASS=$PE
i=1
for mode in now wal frames spin wal frames spin wal frames spin wal frames; do
	# user add k$i, killed: the user and its audit row, both or neither.
	printf '%s\n' "$PA" >"$T/kin"
	kill_during "$mode" "$CASEVAULT" --vault "$V" --user alice --passphrase-fd 0 \
		user add "k$i" --role counselor
	feed "$PC"
	expect_rc 0 "audit verify after killing user add k$i ($mode)" -- as carol audit verify
	has_user=$(sq "select count(*) from users where name = 'k$i'")
	has_row=$(sq "select count(*) from audit where action = 'user.add'
		and object = 'user:k$i' and outcome = 'ok'")
	check "killed user add k$i ($mode): user and audit row both or neither" \
		eq "$has_user" "$has_row"
	if [ "$has_user" = 1 ]; then
		feed "kill-pass-$i-xxx"
		expect_rc 3 "k$i, added before the kill, is pending" -- as "k$i" user list
		expect_err "has not enrolled yet"
	fi
	# Its enrolment, killed, when the code was shown before the kill: the
	# new keys, the active status and the user.enrol row, all or none.
	KCODE=$(tail -n 1 "$T/kout")
	if [ "$has_user" = 1 ] && is_code "$KCODE"; then
		printf '%s\n%s\n' "$KCODE" "kill-pass-$i-xxx" >"$T/kin"
		kill_during "$mode" "$CASEVAULT" --vault "$V" --user "k$i" --passphrase-fd 0 enrol
		enrolled=$(sq "select count(*) from users where name = 'k$i' and status = 'active'")
		has_row=$(sq "select count(*) from audit where action = 'user.enrol'
			and object = 'user:k$i' and outcome = 'ok'")
		check "killed enrol k$i ($mode): keys and audit row both or neither" \
			eq "$enrolled" "$has_row"
		if [ "$enrolled" = 0 ]; then
			feed "$KCODE" "kill-pass-$i-xxx"
			expect_rc 0 "k$i enrols after the killed enrolment" -- as "k$i" enrol
		fi
		feed "kill-pass-$i-xxx"
		expect_rc 0 "k$i, enrolled, can log in" -- as "k$i" user list
	fi

	# erin's passwd, killed: exactly one of the old and the new passphrase
	# works (which one depends on when the kill landed), the other is a
	# wrong passphrase.
	printf '%s\n%s\n' "$KPASS" "erin-pass-k$i-xx" >"$T/kin"
	kill_during "$mode" "$CASEVAULT" --vault "$V" --user erin --passphrase-fd 0 user passwd
	feed "erin-pass-k$i-xx"
	run as erin user list
	if [ "$RC" -eq 0 ]; then
		pass
		feed "$KPASS"
		expect_rc 3 "killed passwd $i ($mode) committed: the old passphrase is refused" -- \
			as erin user list
		KPASS="erin-pass-k$i-xx"
	else
		check "killed passwd $i ($mode) not committed: the new passphrase is wrong" \
			eq "$RC" 3
		feed "$KPASS"
		expect_rc 0 "killed passwd $i ($mode): erin's old passphrase still works" -- \
			as erin user list
	fi
	i=$((i + 1))
done
feed "$PC"
expect_rc 0 "audit verify after all the kills" -- as carol audit verify
expect_out '^audit log intact'
check "sqlite integrity_check after the kills" eq "$(sq 'pragma integrity_check')" ok

# ---- summary -------------------------------------------------------------

echo "e2e_foundation: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
