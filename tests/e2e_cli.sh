#!/bin/sh
# e2e_cli.sh - the command line itself, run through the built binary:
#
#   1. every usage error (unknown or misspelled option, missing or extra
#      operands, a bad date or a word outside an option's fixed list, a
#      misspelled command or sub-command, a global option after the
#      command) exits 2 with its message before anything is asked: each
#      one is run three ways, and a prompt would show in each -- stdin a
#      FIFO held open and empty (a prompt would wait until timeout kills
#      it), the user's right passphrase on stdin (a login would add audit
#      rows), and no terminal without --passphrase-fd (a prompt would fail
#      for want of a terminal) -- and the audit log must not grow;
#   2. a command refused by role asks for no passphrase and logs the
#      refusal; a counselor not granted on a case is refused after login,
#      before any text is read or an editor started;
#   3. errors under --json are one JSON object on stderr;
#   4. help COMMAND, COMMAND --help, --version and -V.
#
# Run: CASEVAULT=/abs/path/to/casevault sh tests/e2e_cli.sh
# Prints "FAIL: ..." for each failed check and ends with exactly one line
# "e2e_cli: N passed, M failed"; exits 1 if any check failed.
# Needs: POSIX sh, the sqlite3 CLI, timeout (coreutils), setsid and script
# (util-linux), mkfifo.

set -u

for tool in sqlite3 timeout setsid script mkfifo; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "e2e_cli: '$tool' is needed" >&2
		exit 2
	fi
done
if [ -z "${CASEVAULT:-}" ] || [ ! -x "$CASEVAULT" ]; then
	echo "e2e_cli: set CASEVAULT to the built casevault binary" >&2
	exit 2
fi
unset CASEVAULT_VAULT CASEVAULT_USER EDITOR VISUAL

T=$(mktemp -d) || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM
V=$T/v.db
KDF="--kdf-t 2 --kdf-m 19456 --kdf-p 1"
# Long enough for any command here; a prompt waiting on the FIFO is
# killed at the end of it and shows as exit code 124.
LIMIT=10

npass=0
nfail=0
rc=0

# ---- helpers -------------------------------------------------------------

check() {
	check_d=$1
	shift
	if "$@"; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $check_d (last rc=$rc)"
		sed -n '1,4s/^/    stderr: /p' "$T/err"
		sed -n '1,2s/^/    stdout: /p' "$T/out"
	fi
}

rc_is() { [ "$rc" -eq "$1" ]; }
out_has() { grep -qF -- "$1" "$T/out"; }
out_line() { grep -qxF -- "$1" "$T/out"; }
err_has() { grep -qF -- "$1" "$T/err"; }
err_line() { grep -qxF -- "$1" "$T/err"; }
err_lacks() { ! grep -qF -- "$1" "$T/err"; }
out_empty() { [ ! -s "$T/out" ]; }
err_empty() { [ ! -s "$T/err" ]; }
same() { [ "$1" = "$2" ]; }
no_file() { [ ! -e "$1" ]; }
is_file() { [ -e "$1" ]; }
same_files() { cmp -s "$1" "$2"; }

say() { printf '%s\n' "$@" >"$T/in"; }

pass_of() {
	case $1 in
	alice) printf '%s' "$ALICEP" ;;
	bob) printf '%s' "$BOBP" ;;
	carol) printf '%s' "$CAROLP" ;;
	sue) printf '%s' "$SUEP" ;;
	esac
}

# cv USER ARGS... : casevault as USER, passphrases on fd 0 from whatever
# stdin the caller gives; rc, $T/out and $T/err.
cv() {
	cv_user=$1
	shift
	timeout "$LIMIT" "$CASEVAULT" --vault "$V" --user "$cv_user" --passphrase-fd 0 "$@" \
		>"$T/out" 2>"$T/err"
	rc=$?
}

# as USER ARGS... : with the user's passphrase alone on stdin.
as() {
	as_user=$1
	shift
	say "$(pass_of "$as_user")"
	cv "$as_user" "$@" <"$T/in"
}

# bare ARGS... : casevault without a user or vault, no terminal.
bare() {
	timeout "$LIMIT" setsid -w "$CASEVAULT" "$@" </dev/null >"$T/out" 2>"$T/err"
	rc=$?
}

q() { sqlite3 "$V" "$1"; }
naudit() { q 'select count(*) from audit'; }
nrecords() { q 'select count(*) from records'; }
last_row() { q 'select actor, action, object, outcome from audit order by seq desc limit 1'; }

# json_field FILE PATH: the value at PATH ('$.error.code') of the JSON in
# FILE (one line), or nothing when it is not valid JSON.
json_field() {
	jf_esc=$(sed "s/'/''/g" "$1")
	sqlite3 :memory: "select json_extract('$jf_esc', '$2') where json_valid('$jf_esc')"
}
json_valid() {
	jv_esc=$(sed "s/'/''/g" "$1")
	[ "$(wc -l <"$1")" -eq 1 ] && [ "$(sqlite3 :memory: "select json_valid('$jv_esc')")" = 1 ]
}

# A FIFO held open for writing by this shell and never written: a command
# reading it as stdin waits until the timeout.
FIFO=$T/fifo
mkfifo "$FIFO" || exit 2
exec 7<>"$FIFO"

# usage_error USER MESSAGE ARGS... : ARGS (after the global options) is a
# usage error with MESSAGE (a fixed string) on stderr, exit 2, nothing on
# stdout, and nothing asked, three ways; the audit log does not grow.
usage_error() {
	ue_user=$1
	ue_msg=$2
	shift 2
	ue_d="'$*' as $ue_user"
	ue_n0=$(naudit)

	cv "$ue_user" "$@" <"$FIFO"
	check "$ue_d, stdin open and empty: exit 2 (124: it waited for a passphrase)" rc_is 2
	check "$ue_d: the message" err_has "$ue_msg"
	check "$ue_d: nothing on stdout" out_empty

	as "$ue_user" "$@"
	check "$ue_d, right passphrase on stdin: exit 2" rc_is 2
	check "$ue_d, right passphrase on stdin: the message" err_has "$ue_msg"

	timeout "$LIMIT" setsid -w "$CASEVAULT" --vault "$V" --user "$ue_user" "$@" \
		</dev/null >"$T/out" 2>"$T/err"
	rc=$?
	check "$ue_d, no terminal: exit 2" rc_is 2
	check "$ue_d, no terminal: the message, not a prompt's" \
		eval 'err_has "$ue_msg" && err_lacks "no terminal"'

	check "$ue_d: no audit row added (no login, no refusal)" same "$(naudit)" "$ue_n0"
}

# ---- the vault and its people -------------------------------------------

ALICEP='alice-admin-passphrase'
BOBP='bob-counselor-pass-1'
CAROLP='carol-counselor-pass'
SUEP='sue-supervisor-pass'

say "$ALICEP"
timeout "$LIMIT" "$CASEVAULT" --vault "$V" --passphrase-fd 0 init --admin alice $KDF \
	<"$T/in" >"$T/out" 2>"$T/err"
rc=$?
RC=$(cat "$T/out")
check "init exits 0" rc_is 0
for u in bob:counselor carol:counselor sue:supervisor; do
	name=${u%%:*}
	# alice's stdin holds her own passphrase alone; the code she is shown
	# goes to the user, who enrols with a passphrase of their own.
	say "$ALICEP"
	cv alice user add "$name" --role "${u#*:}" <"$T/in"
	check "user add $name" rc_is 0
	say "$(tail -n 1 "$T/out")" "$(pass_of "$name")"
	cv "$name" enrol <"$T/in"
	check "$name enrols" rc_is 0
done
say "$ALICEP" "$RC"
cv alice vault keys --deliver <"$T/in"
check "vault keys --deliver" rc_is 0

printf 'student-id: S2025-0042K\nname: Zhang San\nclass: 7-2\n' >"$T/form"
as bob case open --form "$T/form" --gender F --grade 7 --category family
C=$(cat "$T/out")
check "case open exits 0" rc_is 0
for by in student guardian; do
	as bob consent record "$C" --by "$by" --method written --date 2025-03-03 --scope individual
	check "consent record --by $by" rc_is 0
done
say "$BOBP" "First session."
cv bob note add "$C" <"$T/in"
N=$(cat "$T/out")
check "note add exits 0" rc_is 0

# ---- 1. usage errors: exit 2, before any prompt ----------------------------

# Options and operands.
usage_error bob "unknown option '--bogus'" case list --bogus
usage_error bob "unknown option '--kidn'; did you mean '--kind'?" note add "$C" --kidn session
usage_error bob "unknown option '--scpoe'; did you mean '--scope'?" \
	consent withdraw "$C" --scpoe=group
usage_error bob "option '--g' is ambiguous; it could be '--gender' or '--grade'" \
	case open --g F --grade 7 --category other
usage_error bob "option '--kind' needs a value" note add "$C" --kind
usage_error bob "give one case id" case show
usage_error bob "unexpected argument 'extra'" case show "$C" extra
usage_error bob "unexpected argument 'extra'" case list extra
usage_error bob "give one case id" note add
usage_error bob "give one or more note ids" note finalize
usage_error bob "unexpected argument 'N-2'" note show "$N" N-2
usage_error bob "give a case id and the counselor to share it with" case share "$C"
usage_error bob "unexpected argument 'dave'" case share "$C" carol dave
usage_error bob "give one case id" watch done
usage_error bob "give one referral id" referral update --status contacted
usage_error alice "name the user to add" user add --role counselor
usage_error alice "unexpected argument 'gina'" user add frank gina --role counselor
usage_error alice "--role 'janitor' is not a role; use counselor, supervisor or admin" user add frank --role janitor
usage_error sue "unexpected argument 'now'" audit verify now

# Dates: the form YYYY-MM-DD and a day that exists.
for d in 2025-02-30 2025-13-01 2024-04-31 yesterday 2025/03/05 2025-3-5 ""; do
	usage_error bob "--date '$d' is not a date; use YYYY-MM-DD" \
		consent record "$C" --by student --method oral --date "$d" --scope group
done
usage_error bob "--date '2025-02-29' is not a date" consent withdraw "$C" --date 2025-02-29
usage_error bob "--date '31-12-2025' is not a date" referral add "$C" --to X --to-type other --reason emotion \
	--urgency routine --disclosed y --date 31-12-2025
usage_error bob "--date '2025-06-31' is not a date" referral update R-ABCDEF --status contacted \
	--date 2025-06-31
usage_error bob "--date '2023-02-29' is not a date" watch done "$C" --date 2023-02-29
usage_error bob "--as-of '2025-04-31' is not a date" case show "$C" --as-of 2025-04-31
usage_error bob "--as-of 'today' is not a date" note list "$C" --as-of today
usage_error bob "--as-of '2025-00-10' is not a date" referral list --as-of 2025-00-10
usage_error bob "--as-of '2025-1-10' is not a date" watch list --due --as-of 2025-1-10
printf 'student-id: S9\nname: N\nclass: 1\nborn: 2010-02-29\n' >"$T/bornform"
usage_error bob "$T/bornform, line 4: '2010-02-29' is not a date; use YYYY-MM-DD" \
	case open --form "$T/bornform" --gender F --grade 7 --category other
usage_error sue "--since '2025-02-30' is not a date or time" audit log --since 2025-02-30
usage_error sue "--until '2025-01-01T24:00:00Z' is not a date or time" \
	audit log --until 2025-01-01T24:00:00Z
usage_error sue "--since '2025-01-01 10:00' is not a date or time" \
	audit log --since '2025-01-01 10:00'
# The duty log's weeks, local times and dates: their form is checked
# before the passphrase (whether a local time exists in the vault's zone
# is checked after it).
usage_error bob "week '2026-W60' is not valid; use YYYY-Www" duty list --week 2026-W60
usage_error bob "local time '2026-11-24 25:00' is not valid; use YYYY-MM-DD HH:MM" \
	duty add --from '2026-11-24 25:00' --to '2026-11-24 23:00'
usage_error bob "local time '2026-11-24 24:00' is not valid" \
	duty add --from '2026-11-24 20:00' --to '2026-11-24 24:00'
usage_error bob "local time '2026-02-30 08:00' is not valid" duty start --at '2026-02-30 08:00'
usage_error bob "local time '8:00' is not valid" duty end --at 8:00
usage_error sue "date '2026-13-01' is not valid; use YYYY-MM-DD" \
	duty hours --from 2026-13-01 --to 2026-12-31

# The fixed words of each option.
usage_error bob "--kind 'sesion' is not a note kind; use session, analysis, outcome or contact" \
	note add "$C" --kind sesion
usage_error bob "--by 'father' is not a consenting party; use student or guardian, or both as \
student,guardian" \
	consent record "$C" --by father --method oral --date 2025-03-05 --scope group
usage_error sue "--outcome 'maybe' is not a log outcome; use ok, denied or failed" \
	audit log --outcome maybe
usage_error bob "--method 'email' is not a consent method; use written or oral" \
	consent record "$C" --by student --method email --date 2025-03-05 --scope group
usage_error bob "--scope: 'grop' is not a consent scope; use one or more of individual, group, \
testing, guardian-contact or referral-disclosure, separated by commas" \
	consent record "$C" --by student --method oral --date 2025-03-05 --scope individual,grop
usage_error bob "--scope '' names no consent scope" \
	consent record "$C" --by student --method oral --date 2025-03-05 --scope ''
usage_error bob "--by 'both' is not a consenting party" consent withdraw "$C" --by both
usage_error bob "--urgency 'asap' is not a referral urgency; use routine, urgent or emergency" \
	referral add "$C" --to X --to-type other --reason emotion --urgency asap --disclosed y
usage_error bob "--to-type 'zoo' is not a kind of institution; use mental-health, hospital, \
counseling, social-services or other" \
	referral add "$C" --to X --to-type zoo --reason emotion --urgency routine --disclosed y
usage_error bob "--reason 'money' is not a problem category" \
	referral add "$C" --to X --to-type other --reason money --urgency routine --disclosed y
usage_error bob "--status 'referred' is not a referral follow-up status; use contacted, \
accepted, declined or completed" referral update R-ABCDEF --status referred
usage_error bob "--tag 'orphan' is not a register tag; use single-parent, left-behind, \
family-change or other" watch add "$C" --tag orphan --every 14d
for e in 0d 367 fortnight 14w ""; do
	usage_error bob "--every takes a number of days from 1 to 366, like 14d, not '$e'" \
		watch add "$C" --tag other --every "$e"
done
usage_error bob "--category 'sadness' is not a problem category; use academic, emotion, \
relationships, family, adolescence, behavior, self-harm-risk or other" \
	case open --gender F --grade 7 --category sadness
usage_error bob "--gender 'f' is not a gender; use F, M or X" \
	case open --gender f --grade 7 --category other
for g in 0 13 seven -1; do
	usage_error bob "--grade takes a number from 1 to 12, not '$g'" \
		case open --gender F --grade "$g" --category other
done

# Misspelled commands and sub-commands.
usage_error bob "unknown command 'caes'; did you mean 'case'?" caes show "$C"
usage_error bob "unknown command 'nte'; did you mean 'note'?" nte add "$C"
usage_error bob "unknown command 'frobnicate'; see 'casevault help'" frobnicate
usage_error bob "'case' has no sub-command 'shwo'; did you mean 'show'?" case shwo "$C"
usage_error bob "'case' has no sub-command 'shre'; did you mean 'share' or 'shred'?" case shre "$C"
usage_error bob "'note' has no sub-command 'ad'; did you mean 'add'?" note ad "$C"
usage_error bob "'case' has no sub-command 'frobnicate'" case frobnicate
usage_error bob "'case' needs a sub-command" case

# Global options after the command.
usage_error bob "global option '--vault' must come before the command: casevault --vault PATH \
case list" case list --vault "$V"
usage_error bob "global option '--vault' must come before the command: casevault --vault PATH \
case list" case list --vault="$V"
usage_error bob "global option '--user' must come before the command: casevault --user NAME \
case show" case show "$C" --user bob
usage_error bob "global option '--passphrase-fd' must come before the command: casevault \
--passphrase-fd N note add" note add "$C" --passphrase-fd 0
usage_error bob "global option '--json' must come before the command: casevault --json case list" \
	case list --json
usage_error bob "global option '--vault' must come before the command: casevault --vault PATH \
case list" case --vault "$V" list
usage_error alice "global option '--json' must come before the command: casevault --json init" \
	init --admin zed --json

# Values that are right pass the same checks (the checks refuse only what
# they must): a leap day, a full UTC time, every scope, a 366-day interval.
as bob case show "$C" --as-of 2024-02-29
check "case show --as-of 2024-02-29 (a leap day) exits 0" rc_is 0
as sue audit log --since 2025-01-01T00:00:00Z --until 2099-12-31
check "audit log --since a UTC time --until a date exits 0" rc_is 0
as sue audit log --user bob
check "audit log --user (the command's own option, not the global one) exits 0" rc_is 0
as bob consent record "$C" --by student --method written --date 2025-03-04 \
	--scope individual,group,testing,guardian-contact,referral-disclosure
check "consent record with every scope exits 0" rc_is 0
as bob watch add "$C" --tag left-behind --every 366d
check "watch add --every 366d exits 0" rc_is 0

# A global option that is misspelled, before the command.
bare --vualt "$V" case list
check "--vualt: exit 2" rc_is 2
check "--vualt: did you mean '--vault'" err_has "unknown option '--vualt'; did you mean '--vault'?"

# init: a usage error creates no vault and asks nothing.
for args in "--admin zed --kdf-x 2" "--admin zed extra" "--admin"; do
	# $args is split on purpose.
	# shellcheck disable=SC2086
	timeout "$LIMIT" "$CASEVAULT" --vault "$T/new.db" --passphrase-fd 0 init $args \
		<"$FIFO" >"$T/out" 2>"$T/err"
	rc=$?
	check "init $args: exit 2 without waiting for a passphrase" rc_is 2
	check "init $args: no vault created" no_file "$T/new.db"
done

# ---- 2. refused by role: no passphrase asked -----------------------------

# denied_no_prompt USER MESSAGE ROW ARGS... : refused by role (exit 4) with
# MESSAGE, nothing on stdin, and exactly one new audit row: the refusal.
denied_no_prompt() {
	dn_user=$1
	dn_msg=$2
	dn_row=$3
	shift 3
	dn_d="'$*' as $dn_user"
	for dn_in in "$FIFO" /dev/null; do
		dn_n0=$(naudit)
		cv "$dn_user" "$@" <"$dn_in"
		check "$dn_d, stdin $dn_in: exit 4 (124: it waited for a passphrase)" rc_is 4
		check "$dn_d: the role message" err_has "$dn_msg"
		check "$dn_d: no 'passphrase' in the error" err_lacks "passphrase"
		check "$dn_d: nothing on stdout" out_empty
		check "$dn_d: exactly one audit row added" same "$(naudit)" "$((dn_n0 + 1))"
		check "$dn_d: that row is the refusal" same "$(last_row)" "$dn_row|denied"
	done
}

denied_no_prompt sue "'sue' is a supervisor; only counselors granted on a case may use 'case show'" \
	"sue|case.show|case:$C" case show "$C"
denied_no_prompt bob "'bob' is a counselor; only an admin may use 'user add'" \
	"bob|user.add|user:x" user add x --role admin
denied_no_prompt alice "'alice' is an admin; only counselors granted on a case may use 'note add'" \
	"alice|note.add|case:$C" note add "$C"

as alice audit log --denied
check "the admin reads the log" rc_is 0
check "the log shows sue's refused case show" out_has " sue case.show case:$C denied"
check "the log shows bob's refused user add" out_has " bob user.add user:x denied"
check "the log shows alice's refused note add" out_has " alice note.add case:$C denied"
check "no user x was added" same "$(q "select count(*) from users where name = 'x'")" 0

# A counselor not granted on the case: refused after login, before the
# text is read or an editor started.
MARK=$T/editor-ran
cat >"$T/editor" <<EOF
#!/bin/sh
: >'$MARK'
printf 'text from the editor\n' >"\$1"
EOF
chmod 700 "$T/editor"
EDITOR=$T/editor
export EDITOR
printf 'a note carol may not add\n' >"$T/note.txt"

r0=$(nrecords)
n0=$(naudit)
as carol note add "$C" --file "$T/note.txt"
check "carol (not granted) note add --file: exit 4" rc_is 4
check "  ... the grant message" err_has "case '$C' is not shared with 'carol'"
check "  ... no editor ran" no_file "$MARK"
check "  ... no note row added" same "$(nrecords)" "$r0"
check "  ... she was logged in: her signed checkpoint closes the command" \
	same "$(q "select count(*) from audit where seq > $n0 and actor = 'carol' \
and action = 'checkpoint' and sig is not null")" 1
check "  ... the refusal is logged" \
	same "$(q "select count(*) from audit where seq > $n0 and actor = 'carol' \
and action = 'note.add' and object = 'case:$C' and outcome = 'denied'")" 1

as carol note add "$C"
check "carol note add, only her passphrase on stdin: exit 4" rc_is 4
check "  ... no editor ran" no_file "$MARK"
check "  ... no note row added" same "$(nrecords)" "$r0"

# On a terminal the text would come from $EDITOR: stdin is a terminal
# here (script(1)), the passphrase comes on fd 3.
say "$CAROLP"
timeout "$LIMIT" script -qec "'$CASEVAULT' --vault '$V' --user carol --passphrase-fd 3 \
note add '$C' 3<'$T/in'" /dev/null </dev/null >"$T/out" 2>"$T/err"
rc=$?
check "carol note add on a terminal: exit 4" rc_is 4
check "  ... the grant message" out_has "case '$C' is not shared with 'carol'"
check "  ... no editor ran" no_file "$MARK"
check "  ... no note row added" same "$(nrecords)" "$r0"

# The same for bob, who is granted: the editor runs and the note is added
# (so the checks above could have failed).
say "$BOBP"
timeout "$LIMIT" script -qec "'$CASEVAULT' --vault '$V' --user bob --passphrase-fd 3 \
note add '$C' 3<'$T/in'" /dev/null </dev/null >"$T/out" 2>"$T/err"
rc=$?
check "bob note add on a terminal: exit 0" rc_is 0
check "  ... the editor ran" is_file "$MARK"
check "  ... one note row added" same "$(nrecords)" "$((r0 + 1))"
unset EDITOR

# ---- 3. errors under --json ------------------------------------------------

timeout "$LIMIT" "$CASEVAULT" --vault "$V" --user sue --passphrase-fd 0 --json case show "$C" \
	</dev/null >"$T/out" 2>"$T/err"
rc=$?
check "--json refusal: exit 4" rc_is 4
check "--json refusal: nothing on stdout" out_empty
check "--json refusal: stderr is one JSON line" json_valid "$T/err"
check "--json refusal: status" same "$(json_field "$T/err" '$.error.status')" denied
check "--json refusal: code" same "$(json_field "$T/err" '$.error.code')" policy.role
check "--json refusal: message" same "$(json_field "$T/err" '$.error.message')" \
	"'sue' is a supervisor; only counselors granted on a case may use 'case show'"

say "$BOBP"
timeout "$LIMIT" "$CASEVAULT" --vault "$V" --user bob --passphrase-fd 0 --json note show N-NONE \
	<"$T/in" >"$T/out" 2>"$T/err"
rc=$?
check "--json not found: exit 6" rc_is 6
check "--json not found: stderr is one JSON line" json_valid "$T/err"
check "--json not found: status" same "$(json_field "$T/err" '$.error.status')" "not found"

timeout "$LIMIT" "$CASEVAULT" --vault "$V" --user bob --passphrase-fd 0 --json note add "$C" \
	--kind sesion <"$FIFO" >"$T/out" 2>"$T/err"
rc=$?
check "--json usage error: exit 2" rc_is 2
check "--json usage error: stderr is one JSON line" json_valid "$T/err"
check "--json usage error: status" same "$(json_field "$T/err" '$.error.status')" usage
check "--json usage error: code" same "$(json_field "$T/err" '$.error.code')" usage.value
check "--json usage error: message" same "$(json_field "$T/err" '$.error.message')" \
	"--kind 'sesion' is not a note kind; use session, analysis, outcome or contact"
check "--json usage error: the usage line" \
	same "$(json_field "$T/err" '$.error.usage')" \
	"casevault note add CASE [--kind session|analysis|outcome|contact] [--file F|--edit] \
[--crisis TEXT|-] [--finalize]"

ESC=$(printf '\033')
bare --json "x${ESC}[2Jy"
check "--json unknown command with an escape: exit 2" rc_is 2
check "  ... stderr is one JSON line" json_valid "$T/err"
check "  ... no raw escape character on stderr" same "$(grep -c "$ESC" "$T/err")" 0
check "  ... the message keeps the name" \
	same "$(json_field "$T/err" '$.error.message')" "unknown command 'x${ESC}[2Jy'; see 'casevault help'"
bare "x${ESC}[2Jy"
check "unknown command with an escape (text): exit 2" rc_is 2
check "  ... shown escaped" err_has "unknown command 'x\\x1b[2Jy'"
bare --json "$(printf 'caf\351')"
check "--json unknown command that is not UTF-8: stderr is one JSON line" json_valid "$T/err"
check "  ... the byte shown escaped" same "$(json_field "$T/err" '$.error.message')" \
	"unknown command 'caf\\xe9'; did you mean 'case'?"

# ---- 4. help and version ---------------------------------------------------

bare --help
cp "$T/out" "$T/top"
check "--help: exit 0" rc_is 0
check "--help lists --version and -V" out_has "casevault --version | -V"
check "--help names 'help COMMAND'" out_has "casevault help [COMMAND [SUB-COMMAND]]"
bare help
check "help: the same as --help" eval 'rc_is 0 && same_files "$T/out" "$T/top"'
bare --version
check "--version: exit 0" rc_is 0
check "--version: one line 'casevault X.Y.Z (vault format N)'" \
	eval '[ "$(wc -l <"$T/out")" -eq 1 ] &&
		grep -Eqx "casevault [0-9]+\.[0-9]+\.[0-9]+ \(vault format [0-9]+\)" "$T/out"'
cp "$T/out" "$T/version"
bare -V
check "-V: the same as --version" eval 'rc_is 0 && same_files "$T/out" "$T/version" && err_empty'

for c in "init" "enrol" "user add" "user list" "user passwd" "user disable" "user reset" \
	"case open" "case list" "case show" "case find" "case close" "case reopen" \
	"case share" "case handover" "case shred" "consent record" "consent withdraw" \
	"consent show" "note add" "note edit" "note finalize" "note amend" "note show" \
	"note list" "test add" "test list" "referral add" "referral update" "referral list" \
	"watch add" "watch list" "watch done" "audit log" "audit verify" "audit checkpoint"; do
	# $c is split on purpose: "case show" is two words.
	# shellcheck disable=SC2086
	bare help $c
	cp "$T/out" "$T/help"
	check "help $c: exit 0, usage on stdout" \
		eval 'rc_is 0 && grep -q "^usage: casevault $c" "$T/out" && err_empty'
	# shellcheck disable=SC2086
	bare --vault "$T/none.db" $c --help
	check "$c --help: the same as help $c" eval 'rc_is 0 && same_files "$T/out" "$T/help"'
done
check "help made no vault" no_file "$T/none.db"

for g in user case consent note test referral watch audit; do
	bare help "$g"
	cp "$T/out" "$T/help"
	check "help $g: the group's usage" \
		eval 'rc_is 0 && out_line "usage:" && grep -q "^  casevault $g " "$T/out"'
	bare "$g" --help
	check "$g --help: the same as help $g" eval 'rc_is 0 && same_files "$T/out" "$T/help"'
done
every_case_sub() {
	for s in open list show find close reopen share handover shred; do
		grep -q "^  casevault case $s" "$T/out" || return 1
	done
}
bare help case
check "help case lists every case sub-command" every_case_sub

bare help caes
check "help caes: exit 2" rc_is 2
check "help caes: did you mean 'case'" err_has "unknown command 'caes'; did you mean 'case'?"
check "help caes: nothing on stdout" out_empty
bare help case shwo
check "help case shwo: exit 2" rc_is 2
check "help case shwo: did you mean 'show'" \
	err_has "'case' has no sub-command 'shwo'; did you mean 'show'?"
bare help case show extra
check "help case show extra: exit 2" rc_is 2
check "help case show extra: the extra word named" err_has "unexpected argument 'extra'"

exec 7>&-
echo "e2e_cli: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
