#!/bin/sh
# e2e_casework.sh - a counselor's case work, run through the built binary as
# people would use it: the whole day on one case, refusals with their
# denied audit rows, a moved ciphertext that no longer decrypts, no
# identity or note text in the raw vault bytes, handover and passphrase
# reset losing nothing, crypto-shredding, the crisis exception, and bad
# input refused without changing anything.
#
# Run: CASEVAULT=/abs/path/to/casevault sh tests/e2e_casework.sh
# Every check counts: one that fails fails the run.

set -u

if [ -z "${CASEVAULT:-}" ] || [ ! -x "$CASEVAULT" ]; then
	echo "e2e_casework: set CASEVAULT to the built casevault binary" >&2
	exit 2
fi
for tool in sqlite3 python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "e2e_casework: $tool is needed" >&2
		exit 2
	fi
done
unset CASEVAULT_VAULT CASEVAULT_USER EDITOR VISUAL

T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM
V=$T/v.db
KDF="--kdf-t 2 --kdf-m 19456 --kdf-p 1"

npass=0
nfail=0

# ---- helpers -------------------------------------------------------------

# cv USER ARGS... : runs casevault as USER (passphrases on fd 0, from
# whatever stdin the caller redirects); leaves rc, $T/out and $T/err.
cv() {
	cv_user=$1
	shift
	"$CASEVAULT" --vault "$V" --user "$cv_user" --passphrase-fd 0 "$@" >"$T/out" 2>"$T/err"
	rc=$?
}

# say LINE... : writes each argument as one line of $T/in.
say() {
	printf '%s\n' "$@" >"$T/in"
}

pass_of() {
	case $1 in
	alice) printf '%s' "$ALICEP" ;;
	bob) printf '%s' "$BOBP" ;;
	carol) printf '%s' "$CAROLP" ;;
	dave) printf '%s' "$DAVEP" ;;
	sue) printf '%s' "$SUEP" ;;
	esac
}

# as USER ARGS... : the user's passphrase alone on stdin.
as() {
	as_user=$1
	shift
	say "$(pass_of "$as_user")"
	cv "$as_user" "$@" <"$T/in"
}

# as_text USER TEXT ARGS... : passphrase, then the note text on stdin.
as_text() {
	as_user=$1
	as_body=$2
	shift 2
	say "$(pass_of "$as_user")" "$as_body"
	cv "$as_user" "$@" <"$T/in"
}

# check DESCRIPTION COMMAND... : one counted check.
check() {
	check_d=$1
	shift
	if "$@"; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $check_d (last rc=$rc)" >&2
		sed -n '1,3s/^/    stderr: /p' "$T/err" >&2
	fi
}

rc_is() { [ "$rc" -eq "$1" ]; }
out_has() { grep -qF -- "$1" "$T/out"; }
out_lacks() { ! grep -qF -- "$1" "$T/out"; }
out_line() { grep -qxF -- "$1" "$T/out"; }
err_has() { grep -qF -- "$1" "$T/err"; }
err_lacks() { ! grep -qF -- "$1" "$T/err"; }
out_empty() { [ ! -s "$T/out" ]; }
same() { [ "$1" = "$2" ]; }
one_id() { # PATTERN : stdout is exactly one line, matching PATTERN
	[ "$(wc -l <"$T/out")" -eq 1 ] && grep -Eqx -- "$1" "$T/out"
}
matches() { printf '%s\n' "$1" | grep -Eqx -- "$2"; }

# denied_row ACTOR ACTION CASE : the supervisor sees the refusal just made
# as the newest row of 'audit log --denied'.
denied_row() {
	as sue audit log --denied
	[ "$rc" -eq 0 ] && tail -n 1 "$T/out" | grep -qF -- " $1 $2 case:$3 denied"
}

# denied_note_row USER ACTION NOTE: the last denial names the note (a role
# refusal comes before login, so it names what the command named).
denied_note_row() {
	as sue audit log --denied
	[ "$rc" -eq 0 ] && tail -n 1 "$T/out" | grep -qF -- " $1 $2 note:$3 denied"
}

q() { sqlite3 "$V" "$1"; }
nrecords() { q 'select count(*) from records'; }
ncases() { q 'select count(*) from cases'; }

# vault_files : the vault and whichever of its side files exist.
vault_files() {
	for f in "$V" "$V-wal" "$V-journal"; do
		[ -f "$f" ] && printf '%s\n' "$f"
	done
}

# raw_count STRING : how many times STRING's bytes occur in the vault files.
raw_count() {
	rc_total=0
	for f in $(vault_files); do
		n=$(LC_ALL=C grep -a -o -F -- "$1" "$f" | wc -l)
		rc_total=$((rc_total + n))
	done
	printf '%s' "$rc_total"
}

absent() { [ "$(raw_count "$1")" -eq 0 ]; }

# open_form USER SID NAME CLASS [KEY: VALUE]... -- OPTIONS... : case open
# with the identity in a form file (never on the command line).
open_form() {
	of_user=$1
	printf 'student-id: %s\nname: %s\nclass: %s\n' "$2" "$3" "$4" >"$T/form"
	shift 4
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		printf '%s\n' "$1" >>"$T/form"
		shift
	done
	[ $# -gt 0 ] && shift
	as "$of_user" case open --form "$T/form" "$@"
}

# hexdump_vault : the vault files as one lowercase hex string per file.
hexdump_vault() {
	for f in $(vault_files); do
		od -An -v -tx1 "$f" | tr -d ' \n'
		echo
	done >"$T/hex"
}
hex_present() { grep -qF -- "$1" "$T/hex"; }
hex_absent() { ! grep -qF -- "$1" "$T/hex"; }

# ---- the vault and its people -------------------------------------------

ALICEP='alice-admin-passphrase'
BOBP='bob-counselor-pass-1'
CAROLP='carol-counselor-pass'
DAVEP='dave-counselor-pass'
SUEP='sue-supervisor-pass'

say "$ALICEP"
"$CASEVAULT" --vault "$V" --passphrase-fd 0 init --admin alice $KDF <"$T/in" >"$T/out" 2>"$T/err"
rc=$?
RC=$(cat "$T/out")
check "init exits 0" rc_is 0
check "init prints the recovery code alone on stdout" \
	one_id '[0-9a-f]{4}(-[0-9a-f]{4}){8}'

for u in bob:counselor carol:counselor dave:counselor sue:supervisor; do
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
# Admins hold neither the index nor the stats key: the first counselors
# and supervisor get theirs from the recovery copies.
open_form bob S-0 Nobody 7A -- --gender F --grade 7 --category other
check "case open before any index key was delivered: denied, and told how" \
	eval 'rc_is 4 && err_has "vault keys --deliver"'
say "$ALICEP" "$RC"
cv alice vault keys --deliver <"$T/in"
check "vault keys --deliver with the recovery code: 4 copies" \
	eval 'rc_is 0 && out_has "delivered 4 key copies"'
say "$ALICEP" "$RC"
cv alice vault keys --deliver <"$T/in"
check "a second delivery finds nobody waiting" eval 'rc_is 0 && out_has "delivered 0 key"'

# ---- empty lists say so ---------------------------------------------------

# bob has no case yet.  In text an empty list prints one plain line saying
# so, exit 0; under --json it is [] and under --csv nothing (as every empty
# list there: no object, so no header).
# empty_line TEXT : exit 0, stdout is the one line TEXT, stderr empty.
empty_line() {
	rc_is 0 && [ "$(wc -l <"$T/out")" -eq 1 ] && same "$(cat "$T/out")" "$1" && [ ! -s "$T/err" ]
}
for l in "no open cases:case list" "no cases:case list --all" \
	"no referrals:referral list" "no overdue referrals:referral list --overdue" \
	"no students on the key-student register:watch list" \
	"no register follow-ups due:watch list --due" \
	"no duty shifts this week:duty list" \
	"no duty shifts in week 2026-W02:duty list --week 2026-W02"; do
	line=${l%%:*}
	cmd=${l#*:}
	# shellcheck disable=SC2086
	as bob $cmd
	check "$cmd with nothing in it: exit 0, the one line '$line'" empty_line "$line"
	# shellcheck disable=SC2086
	as bob --json $cmd
	check "  ... under --json: [] alone" empty_line "[]"
	# shellcheck disable=SC2086
	as bob --csv $cmd
	check "  ... under --csv: nothing" eval 'rc_is 0 && out_empty'
done
as_text bob S-0 case find
check "case find with no match: exit 0, the one line 'no cases match'" \
	empty_line "no cases match"
as_text bob S-0 --json case find
check "  ... under --json: [] alone" empty_line "[]"
as_text bob S-0 --csv case find
check "  ... under --csv: nothing" eval 'rc_is 0 && out_empty'

# The student: distinctive values, a Chinese name, so a byte search means
# something.
SID='S2024-0917Q'
SNAME='王小明'
SCLASS='初二(3)班'
GNAME='王大伟'
GPHONE='13912345678'
PHRASE='purple giraffe under the bleachers'
PHRASE_ZH='他说晚上总是睡不着'
TEXT1="Session one: $PHRASE.
$PHRASE_ZH"
TEXT1B="Session one, revised: $PHRASE.
$PHRASE_ZH"
ADD_TEXT='Addendum: mother called back; turquoise lighthouse plan agreed.'
AN_TEXT='Analysis and plan: weekly sessions, sleep diary, marmalade protocol.'
OU_TEXT='Outcome evaluation: sleeping better, anxiety scale down, closing.'

# ---- 1. a counselor's whole day ------------------------------------------

open_form bob "$SID" "$SNAME" "$SCLASS" "guardian: $GNAME" "guardian-phone: $GPHONE" -- \
	--gender M --grade 8 --category emotion
C=$(cat "$T/out")
check "case open exits 0" rc_is 0
check "case open prints the case id alone" one_id 'C-[0-9A-Z]{5}'

as bob case list
check "case list shows the new case with its decrypted name" \
	eval 'rc_is 0 && out_has "$C" && out_has "$SNAME"'
as_text bob "$SID" case find
check "case find (the number on standard input) finds the case" \
	eval 'rc_is 0 && out_has "$C" && out_lacks "no cases match"'
as_text bob S-0 case find
check "case find of another number: the one line 'no cases match'" empty_line "no cases match"
as bob referral list
check "referral list with none while a case is open: 'no referrals'" empty_line "no referrals"
as bob note list "$C"
check "note list of a case with none: the one line 'no notes on case C'" \
	empty_line "no notes on case $C"
as bob test list "$C"
check "test list of a case with none: the one line 'no test results on case C'" \
	empty_line "no test results on case $C"

# Refusal: a note before any consent.
before=$(nrecords)
as_text bob "$TEXT1" note add "$C"
check "note add without consent exits 4" rc_is 4
check "note add without consent prints nothing on stdout" out_empty
check "the refusal names the missing consent and how to record it" \
	eval 'err_has "consent" && err_has "individual" && err_has "consent record $C"'
check "the refused note stored nothing" same "$(nrecords)" "$before"
check "supervisor sees a denied note.add row for the case" denied_row bob note.add "$C"

# The student's consent alone is not enough for a minor.
as bob consent record "$C" --by student --method written --date 2025-03-03 \
	--scope individual,group
check "consent record --by student" rc_is 0
as_text bob "$TEXT1" note add "$C"
check "note add with only the student's consent (minor) exits 4" rc_is 4
check "the refusal says the guardian's consent is missing" err_has "guardian"
check "denied row for the minor without guardian consent" denied_row bob note.add "$C"

as bob consent record "$C" --by guardian --method oral --date 2025-03-03 \
	--scope individual,group --verified-by nobody
check "consent record --verified-by an unknown user exits 6 (no such user)" \
	eval 'rc_is 6 && err_has "--verified-by names no user '"'"'nobody'"'"'"'
as bob consent record "$C" --by guardian --method oral --date 2025-03-03 \
	--scope individual,group --verified-by bob
check "consent record --by guardian" rc_is 0
as bob consent show "$C"
check "consent show lists both consents" \
	eval 'rc_is 0 && out_has "student" && out_has "guardian" && out_has individual'

as_text bob "$TEXT1" note add "$C"
N1=$(cat "$T/out")
check "note add with consent exits 0" rc_is 0
check "note add prints the note id alone" one_id 'N-[0-9A-Z]+'

as bob note show "$N1"
check "note show returns the draft's text" \
	eval 'rc_is 0 && out_has "$PHRASE" && out_has "$PHRASE_ZH" && out_has draft'

as_text bob "$TEXT1B" note edit "$N1"
check "note edit of a draft exits 0" rc_is 0
as bob note show "$N1"
check "note show returns the edited text" \
	eval 'rc_is 0 && out_has "Session one, revised" && out_has "$PHRASE_ZH"'

as bob note finalize "$N1"
check "note finalize exits 0" rc_is 0
as bob note show "$N1"
check "a final note shows as final with its signature verified" \
	eval 'rc_is 0 && out_has final && out_has "signature verified" && out_has "$PHRASE"'

# Refusal: editing a finalized note.
as_text bob "rewritten history" note edit "$N1"
check "note edit of a final note exits 4" rc_is 4
check "the refusal points to note amend" err_has "note amend $N1"
as bob note show "$N1"
check "the final note is unchanged" \
	eval 'out_has "Session one, revised" && out_lacks "rewritten history"'
as sue audit log --denied
check "supervisor sees a denied note.edit row for the note" \
	eval 'rc_is 0 && tail -n 1 "$T/out" | grep -qF " bob note.edit note:$N1 denied"'
as bob note finalize "$N1"
check "note finalize of a final note exits 4, as note edit does" \
	eval 'rc_is 4 && err_has "already final"'
check "supervisor sees a denied note.finalize row for the note" \
	eval 'denied_note_row bob note.finalize "$N1"'

as_text bob "$ADD_TEXT" note amend "$N1"
A1=$(cat "$T/out")
check "note amend exits 0 and prints the addendum id alone" \
	eval 'rc_is 0 && one_id "N-[0-9A-Z]+"'
as bob note show "$A1"
check "the addendum shows its text and the note it amends" \
	eval 'rc_is 0 && out_has "$ADD_TEXT" && out_has "amends $N1"'
as bob note finalize "$A1"
check "the addendum is finalized" rc_is 0

# Refusal: a test result without testing consent.
before=$(nrecords)
as bob test add "$C" --scale SCL-90 --score 161 --notes 'somatization high'
check "test add without testing consent exits 4" rc_is 4
check "the refusal names testing consent" err_has "testing"
check "the refused test stored nothing" same "$(nrecords)" "$before"
check "denied test.add row for the case" denied_row bob test.add "$C"

as bob consent record "$C" --by student --method written --date 2025-03-04 \
	--scope testing,referral-disclosure
check "student consent for testing and referral" rc_is 0
as bob consent record "$C" --by guardian --method written --date 2025-03-04 \
	--scope testing,referral-disclosure
check "guardian consent for testing and referral" rc_is 0

as bob test add "$C" --scale SCL-90 --score 161 --notes 'somatization high'
T1=$(cat "$T/out")
check "test add with consent exits 0 and prints the result id" \
	eval 'rc_is 0 && one_id "T-[0-9A-Z]+"'
as bob case show "$C"
check "case show (no --include-tests) shows identity and notes" \
	eval 'rc_is 0 && out_has "$SNAME" && out_has "$SID" && out_has "$N1"'
check "case show without --include-tests hides the test" \
	eval 'out_lacks "SCL-90" && out_lacks "$T1"'
as bob case show "$C" --include-tests
check "case show --include-tests shows the test" \
	eval 'rc_is 0 && out_has "$T1" && out_has "SCL-90" && out_has 161'

as bob referral add "$C" --to 'City Youth Mental Health Center' --to-type mental-health --reason emotion \
	--urgency urgent --disclosed 'session summary and SCL-90 score' --date 2025-03-03
R1=$(cat "$T/out")
check "referral add exits 0 and prints the referral id alone" \
	eval 'rc_is 0 && one_id "R-[0-9A-Z]+"'
as bob referral list
check "referral list shows the referral" \
	eval 'rc_is 0 && out_has "$R1" && out_lacks "no referrals"'
as bob referral list --as-of 2025-03-05
check "  ... not yet overdue: its line has no blanks at its end" \
	eval 'rc_is 0 && out_has "$R1" && ! grep -q " $" "$T/out"'
as bob referral list --overdue --as-of 2025-03-17
check "referral not overdue on its 14th day" \
	eval 'rc_is 0 && out_lacks "$R1" && empty_line "no overdue referrals"'
as bob referral list --overdue --as-of 2025-03-18
check "referral overdue after 14 days without follow-up" \
	eval 'rc_is 0 && out_has "$R1" && out_has OVERDUE'
# A follow-up dated in the future, or before the referral, is refused.
r0=$(nrecords)
as bob referral update "$R1" --status contacted --date 2099-01-01
check "referral update dated in the future exits 2 (referral.date-future)" \
	eval 'rc_is 2 && err_has "--date 2099-01-01 is in the future"'
as bob referral update "$R1" --status contacted --date 2025-03-02
check "referral update dated before the referral exits 2 (referral.date-before-referral)" \
	eval 'rc_is 2 && err_has "is before referral '"'"'$R1'"'"' was made (2025-03-03)"'
as bob referral add "$C" --to 'City Youth Mental Health Center' --to-type mental-health \
	--reason emotion --urgency urgent --disclosed 'session summary' --date 2099-01-01
check "referral add dated in the future exits 2 (referral.date-future)" \
	eval 'rc_is 2 && err_has "in the future" && out_empty'
check "the three refusals are logged with their codes" \
	same "$(q "select group_concat(action || ' ' || outcome || ' ' || detail, ',') from audit
		where detail like 'referral.date-%' order by seq")" \
	"referral.update failed referral.date-future,referral.update failed referral.date-before-referral,referral.add failed referral.date-future"
check "the refused referral and follow-ups stored nothing" same "$(nrecords)" "$r0"
as bob referral update "$R1" --status contacted --date 2025-03-10 --note 'called intake'
check "referral update exits 0" rc_is 0
as bob referral list --overdue --as-of 2025-03-18
check "after the follow-up the referral is no longer overdue" \
	eval 'rc_is 0 && out_lacks "$R1"'
as bob referral list
check "referral list shows the new status" eval 'out_has "$R1" && out_has contacted'

as bob watch add "$C" --tag left-behind --every 14d
check "watch add --every 14d exits 0" rc_is 0
as bob case show "$C"
opened=$(sed -n 's/.*opened \([0-9-]\{10\}\).*/\1/p' "$T/out" | head -n 1)
as bob watch list
check "watch list shows the student" \
	eval 'rc_is 0 && out_has "$C" && out_has left-behind'
as bob watch list --due --as-of "$opened"
check "not due on the day it was added" eval 'rc_is 0 && out_lacks "$C"'
as bob watch list --due --as-of 2099-06-01
check "watch list --due at a later date lists the student" \
	eval 'rc_is 0 && out_has "$C"'
# A follow-up dated in the future would hide the student from the due
# lists until then: refused, logged, nothing changed.
r0=$(nrecords)
as bob watch "done" "$C" --date 2099-06-01
check "watch done dated in the future exits 2 (watch.date-future)" \
	eval 'rc_is 2 && err_has "--date 2099-06-01 is in the future"'
check "the refusal is logged with its code" \
	same "$(q "select count(*) from audit where action = 'watch.done' and object = 'case:$C'
		and outcome = 'failed' and detail = 'watch.date-future'")" 1
as bob watch list --due --as-of 2099-06-01
check "after the refused follow-up the student is still due" eval 'rc_is 0 && out_has "$C"'
check "the refusal stored nothing" same "$(nrecords)" "$r0"
as bob watch "done" "$C"
check "watch done exits 0" rc_is 0
as bob watch list --due --as-of "$(date -u -d "$opened + 14 days" +%Y-%m-%d)"
check "after watch done the student is not due for 14 days" \
	eval 'rc_is 0 && out_lacks "$C"'
as bob watch list --due --as-of "$(date -u -d "$opened + 15 days" +%Y-%m-%d)"
check "... and due on the 15th" eval 'rc_is 0 && out_has "$C"'

# Refusal: closing without analysis and outcome notes.
as bob case close "$C"
check "case close without analysis/outcome notes exits 4" rc_is 4
check "the refusal names the missing analysis note" err_has "analysis"
check "denied case.close row for the case" denied_row bob case.close "$C"

as_text bob "$AN_TEXT" note add "$C" --kind analysis
AN=$(cat "$T/out")
check "note add --kind analysis" eval 'rc_is 0 && one_id "N-[0-9A-Z]+"'
as bob note finalize "$AN"
check "analysis note finalized" rc_is 0
as bob case close "$C"
check "case close with analysis but no outcome exits 4" \
	eval 'rc_is 4 && err_has outcome'
as_text bob "$OU_TEXT" note add "$C" --kind outcome
OU=$(cat "$T/out")
check "note add --kind outcome" eval 'rc_is 0 && one_id "N-[0-9A-Z]+"'
as bob note finalize "$OU"
check "outcome note finalized" rc_is 0
as bob case close "$C"
check "case close exits 0" rc_is 0
as bob case show "$C"
check "case show says closed" eval 'rc_is 0 && head -n 1 "$T/out" | grep -q closed'
as bob case list
check "case list (open cases) no longer lists it" eval 'rc_is 0 && out_lacks "$C"'
as_text bob "one more thing" note add "$C"
check "note add on a closed case is refused" rc_is 4
as bob case reopen "$C"
check "case reopen exits 0" rc_is 0
as bob case list
check "case list shows it open again" eval 'rc_is 0 && out_has "$C" && out_has open'

ALL_NOTES="$N1 $A1 $AN $OU"
as bob note list "$C"
check "note list lists all four notes" \
	eval 'rc_is 0 && out_has "$N1" && out_has "$A1" && out_has "$AN" && out_has "$OU"'

# ---- 2. refusals: unshared case, supervisor, admin -----------------------

as dave case show "$C"
check "another counselor: case show of an unshared case exits 4" rc_is 4
check "  ... and prints none of it" eval 'out_empty && err_lacks "$SNAME"'
check "  ... denied case.show row" denied_row dave case.show "$C"
as dave note show "$N1"
check "another counselor: note show of an unshared case exits 4" \
	eval 'rc_is 4 && out_empty'
check "  ... denied note.show row" denied_row dave note.show "$C"

as bob case share "$C" dave
check "case share with dave exits 0" rc_is 0
as dave case show "$C"
check "after case share dave reads the case" eval 'rc_is 0 && out_has "$SNAME"'
as dave note show "$N1"
check "after case share dave reads the note" eval 'rc_is 0 && out_has "$PHRASE"'

for who in sue alice; do
	as "$who" case show "$C"
	check "$who: case show exits 4" eval 'rc_is 4 && out_empty && err_lacks "$SNAME"'
	check "$who: denied case.show row" denied_row "$who" case.show "$C"
	as "$who" note show "$N1"
	check "$who: note show exits 4" eval 'rc_is 4 && out_empty && err_lacks "$PHRASE"'
	check "$who: denied note.show row" denied_note_row "$who" note.show "$N1"
done

# ---- 7. crisis: acting without consent ------------------------------------

JUST='risk of self-harm stated in session'
open_form bob S2024-1000X 'Li Lei' 7-1 -- --gender F --grade 7 --category self-harm-risk
C2=$(cat "$T/out")
check "second case opened" eval 'rc_is 0 && one_id "C-[0-9A-Z]{5}"'
open_form bob ' s2024-1000x ' 'Li Lei' 7-1 -- --gender F --grade 7 --category self-harm-risk
C3=$(cat "$T/out")
check "a second case for the same (normalized) student id: still only the id on stdout" \
	eval 'rc_is 0 && one_id "C-[0-9A-Z]{5}" && ! same "$C3" "$C2"'
check "  ... with a warning that the student already has an open case" \
	err_has "already has 1 other open case"
as_text bob S2024-1000X case find
check "case find lists both cases of the student" \
	eval 'rc_is 0 && out_has "$C2" && out_has "$C3"'

before=$(nrecords)
as_text bob "crisis session note" note add "$C2" --crisis ""
check "--crisis \"\" exits 2" rc_is 2
check "--crisis \"\": the error says the justification is empty" \
	err_has "justification is empty"
check "--crisis \"\" stored nothing" same "$(nrecords)" "$before"

CRISIS_TEXT='Crisis session: safety plan made, crimson kestrel contract.'
as_text bob "$CRISIS_TEXT" note add "$C2" --crisis "$JUST"
NC=$(cat "$T/out")
check "note add without consent but with --crisis exits 0" \
	eval 'rc_is 0 && one_id "N-[0-9A-Z]+"'
as bob note show "$NC"
check "the crisis note reads back" eval 'rc_is 0 && out_has "crimson kestrel"'
as sue audit log --action crisis
check "audit log --action crisis shows a break-glass row for the case" \
	eval 'rc_is 0 && grep " bob crisis case:$C2 " "$T/out" | grep -q "record=X-"'
check "the crisis row does not contain the justification" out_lacks "$JUST"
check "exactly one break-glass row (the empty --crisis wrote none)" \
	eval '[ "$(grep -c " crisis case:$C2 " "$T/out")" -eq 1 ]'
as sue audit log
check "no audit row contains the justification" eval 'rc_is 0 && out_lacks "self-harm stated"'

# ---- 8. bad input: exit 2, nothing changes ---------------------------------

as bob consent record "$C2" --by student --method oral --date 2025-03-05 --scope individual
check "consent for the second case (student)" rc_is 0
as bob consent record "$C2" --by guardian --method oral --date 2025-03-05 --scope individual
check "consent for the second case (guardian)" rc_is 0

r0=$(nrecords)
c0=$(ncases)

printf '%s\nbad \377 byte\n' "$BOBP" >"$T/in"
cv bob note add "$C2" <"$T/in"
check "note with invalid UTF-8 exits 2" eval 'rc_is 2 && err_has "UTF-8" && err_has offset'
printf '%s\nnul \000 byte\n' "$BOBP" >"$T/in"
cv bob note add "$C2" <"$T/in"
check "note with a NUL byte exits 2" eval 'rc_is 2 && err_has NUL'
head -c 1048577 /dev/zero | tr '\0' 'a' >"$T/big"
{ printf '%s\n' "$BOBP"; cat "$T/big"; } >"$T/in"
cv bob note add "$C2" <"$T/in"
check "note over 1 MiB on stdin exits 2" eval 'rc_is 2 && err_has "1 MiB"'
say "$BOBP"
cv bob note add "$C2" --file "$T/big" <"$T/in"
check "note over 1 MiB from --file exits 2" rc_is 2
check "no bad note was stored" same "$(nrecords)" "$r0"

open_with() { # FIELD VALUE : case open with one field replaced
	o_name='Han Meimei' o_grade=9 o_cat=academic
	case $1 in
	name) o_name=$2 ;;
	grade) o_grade=$2 ;;
	category) o_cat=$2 ;;
	esac
	open_form bob S2024-2000Z "$o_name" 9-2 -- --gender F --grade "$o_grade" --category "$o_cat"
}
open_with name "$(printf 'Han\001Meimei')"
check "control character in the form's name exits 2, naming the line" \
	eval 'rc_is 2 && err_has "line 2: '"'"'\\x01'"'"' at byte 10 is not printable" && out_empty'
open_with name "$(printf 'Han\033[31mMeimei')"
check "escape sequence in the form's name exits 2" rc_is 2
open_with category nonsense
check "unknown --category exits 2" eval 'rc_is 2 && err_has category'
open_with grade 13
check "--grade 13 exits 2" eval 'rc_is 2 && err_has grade'
check "no bad case was opened" same "$(ncases)" "$c0"

for d in 2025-13-01 2025-02-30 yesterday 2025/03/05; do
	as bob consent record "$C2" --by student --method oral --date "$d" --scope group
	check "consent record --date $d exits 2" eval 'rc_is 2 && err_has date'
done
as bob referral add "$C2" --to X --to-type other --reason emotion --urgency routine --disclosed y --date 31-12-2025
check "referral add with a bad --date exits 2" rc_is 2
as bob watch "done" "$C2" --date 2025-3-5
check "watch done with a bad --date exits 2" rc_is 2
check "no bad record was stored" same "$(nrecords)" "$r0"

# A note id that is not even well-formed must be "not found", not a crash
# (regression: enter_note once freed an uninitialized cv_record there).
for id in "" "$(printf 'N-\001')"; do
	as bob note show "$id"
	check "note show with a malformed note id exits 6" \
		eval 'rc_is 6 && err_has "no note"'
	as_text bob "text" note edit "$id"
	check "note edit with a malformed note id exits 6" rc_is 6
done
check "no record changed by the malformed ids" same "$(nrecords)" "$r0"

# ---- 3. a moved ciphertext: a forged row, refused naming it ----------------

TV=$T/t.db
cp "$V" "$TV"
[ -f "$V-wal" ] && cp "$V-wal" "$TV-wal"
sqlite3 "$TV" "update records set nonce = (select nonce from records where id = '$N1'),
	box = (select box from records where id = '$N1') where id = '$AN';
	update records set nonce = (select nonce from records where id = '$N1'),
	box = (select box from records where id = '$N1') where id = '$NC';"
check "sqlite3 copied the ciphertexts" eval '[ "$(sqlite3 "$TV" "select count(*) from records where box = (select box from records where id = '"'$N1'"')")" -eq 3 ]'

say "$BOBP"
"$CASEVAULT" --vault "$TV" --user bob --passphrase-fd 0 note show "$AN" <"$T/in" >"$T/out" 2>"$T/err"
rc=$?
check "a note's ciphertext in another note's row: note show exits 5" rc_is 5
check "  ... the error names the forged record" \
	err_has "record '$AN' of case '$C' is not signed by the counselor who wrote it"
check "  ... the original's text is not printed" \
	eval 'out_lacks "$PHRASE" && err_lacks "$PHRASE" && out_lacks "$PHRASE_ZH"'
"$CASEVAULT" --vault "$TV" --user bob --passphrase-fd 0 note show "$NC" <"$T/in" >"$T/out" 2>"$T/err"
rc=$?
check "moved into another case's note: note show exits 5" \
	eval 'rc_is 5 && err_has "record '"'$NC'"'" && out_lacks "$PHRASE"'
"$CASEVAULT" --vault "$TV" --user bob --passphrase-fd 0 note show "$N1" <"$T/in" >"$T/out" 2>"$T/err"
rc=$?
check "the untouched original's case holds a forged row: refused too, naming it" \
	eval 'rc_is 5 && err_has "record '"'$AN'"'" && out_lacks "$PHRASE"'
as bob note show "$AN"
check "the real vault's analysis note still reads" eval 'rc_is 0 && out_has "$AN_TEXT"'
rm -f "$TV" "$TV-wal" "$TV-shm"

# Carol's copy of the index key in the place of bob's: refused at once, with
# exit 5, naming it.
cp "$V" "$TV"
[ -f "$V-wal" ] && cp "$V-wal" "$TV-wal"
sqlite3 "$TV" "update vault_keys set (sender_id, sent_at, nonce, box, sig) = (select sender_id,
	sent_at, nonce, box, sig from vault_keys where name = 'index' and user_id =
	(select id from users where name = 'carol')) where name = 'index' and user_id =
	(select id from users where name = 'bob')"
say "$BOBP"
"$CASEVAULT" --vault "$TV" --user bob --passphrase-fd 0 case list <"$T/in" >"$T/out" 2>"$T/err"
rc=$?
check "a colleague's index key copy in bob's place: refused at login, exit 5" \
	eval 'rc_is 5 && err_has "the copy of the index key held by '"'bob'"' fails verification"'
rm -f "$TV" "$TV-wal" "$TV-shm"

# ---- 4. the raw bytes hold no identity or note text ------------------------

printf '%s\n' "$SNAME" "$SID" "$SCLASS" "$GPHONE" "$PHRASE" "$PHRASE_ZH" >"$T/control"
ctl_ok=1
for s in "$SNAME" "$SID" "$SCLASS" "$GPHONE" "$PHRASE" "$PHRASE_ZH"; do
	[ "$(LC_ALL=C grep -a -c -F -- "$s" "$T/control")" -eq 1 ] || ctl_ok=0
done
check "the byte search finds each value in a plain file (method works)" same "$ctl_ok" 1
for what in "student name:$SNAME" "student id:$SID" "class:$SCLASS" \
	"guardian name:$GNAME" "guardian phone:$GPHONE" "note phrase:$PHRASE" \
	"Chinese note text:$PHRASE_ZH" "addendum text:turquoise lighthouse" \
	"analysis text:marmalade protocol" "crisis note text:crimson kestrel" \
	"crisis justification:$JUST" "referral institution:City Youth Mental" \
	"second student:Li Lei" "second student id:S2024-1000X"; do
	check "raw vault bytes hold no ${what%%:*}" absent "${what#*:}"
done

# ---- 5. handover and passphrase reset lose nothing ------------------------

as carol case show "$C"
check "carol cannot read the case before handover" rc_is 4
# The user a handover or reset names is checked before the recovery code
# is asked: alice's stdin holds her passphrase alone, and each refusal is
# the named user's, not a missing code.
say "$ALICEP"
cv alice case handover "$C" --to sue <"$T/in"
check "handover to a supervisor is refused before the recovery code" \
	eval 'rc_is 4 && err_has "shared only with counselors" && ! err_has "ecovery"'
say "$ALICEP"
cv alice case handover "$C" --to nobody <"$T/in"
check "handover to an unknown user is refused before the recovery code" \
	eval 'rc_is 6 && ! err_has "ecovery"'
say "$ALICEP"
cv alice user reset alice <"$T/in"
check "an admin's reset of herself is refused before the recovery code" \
	eval 'rc_is 2 && err_has "cannot reset their own account"'
say "$ALICEP"
cv alice user reset nobody <"$T/in"
check "a reset of an unknown user is refused before the recovery code" \
	eval 'rc_is 6 && ! err_has "ecovery"'
case $RC in *0) BADRC=$(printf '%s' "$RC" | sed 's/.$/1/') ;; *) BADRC=$(printf '%s' "$RC" | sed 's/.$/0/') ;; esac
say "$ALICEP" "$BADRC"
cv alice case handover "$C" --to carol <"$T/in"
check "handover with a mistyped recovery code exits 3" rc_is 3

say "x-other-admin-passphrase"
"$CASEVAULT" --vault "$T/o.db" --passphrase-fd 0 init --admin zed $KDF <"$T/in" >"$T/out" 2>"$T/err"
OTHERRC=$(cat "$T/out")
say "$ALICEP" "$OTHERRC"
cv alice case handover "$C" --to carol <"$T/in"
check "handover with another vault's recovery code exits 3" rc_is 3
as carol case show "$C"
check "carol still cannot read after the failed handovers" rc_is 4

say "$ALICEP" "$RC"
cv alice case handover "$C" --to carol <"$T/in"
check "case handover --to carol with the recovery code exits 0" rc_is 0
as carol case show "$C"
check "carol reads the case identity" eval 'rc_is 0 && out_has "$SNAME" && out_has "$GPHONE"'
as carol note list "$C"
check "carol's note list has every note" \
	eval 'rc_is 0 && out_has "$N1" && out_has "$A1" && out_has "$AN" && out_has "$OU"'
as carol note show "$N1"
check "carol reads the session note" eval 'rc_is 0 && out_has "$PHRASE" && out_has "$PHRASE_ZH"'
as carol note show "$A1"
check "carol reads the addendum" eval 'rc_is 0 && out_has "$ADD_TEXT"'
as carol note show "$AN"
check "carol reads the analysis note" eval 'rc_is 0 && out_has "$AN_TEXT"'
as carol note show "$OU"
check "carol reads the outcome note" eval 'rc_is 0 && out_has "$OU_TEXT"'
as carol case show "$C" --include-tests
check "carol reads the test result" eval 'rc_is 0 && out_has SCL-90'

# user reset: a wrong code changes nothing.
NEWBOBP='bob-brand-new-passphrase'
say "$ALICEP" "$BADRC"
cv alice user reset bob <"$T/in"
check "user reset with a wrong recovery code exits 3" rc_is 3
as bob case list
check "  ... bob's old passphrase still works" eval 'rc_is 0 && out_has "$C"'

say "$ALICEP" "$RC"
cv alice user reset bob <"$T/in"
check "user reset bob with the recovery code exits 0" rc_is 0
BOBCODE=$(tail -n 1 "$T/out")
as bob case list
check "bob's old passphrase now exits 3 (pending)" eval 'rc_is 3 && out_empty'
say "$BOBCODE" "$NEWBOBP"
cv bob enrol <"$T/in"
check "bob enrols with the new code and a new passphrase" rc_is 0
as bob case list
check "bob's old passphrase still exits 3" eval 'rc_is 3 && out_empty'
BOBP=$NEWBOBP
as bob case list
check "bob's new passphrase works and lists both cases" \
	eval 'rc_is 0 && out_has "$C" && out_has "$C2"'
n_ok=0
for n in $ALL_NOTES; do
	as bob note show "$n"
	[ "$rc" -eq 0 ] && n_ok=$((n_ok + 1))
done
check "bob reads every note of the case after the reset" same "$n_ok" 4
as bob note show "$N1"
check "bob's session note text is intact" eval 'rc_is 0 && out_has "$PHRASE_ZH"'
as bob note show "$NC"
check "bob reads the crisis case's note after the reset" eval 'rc_is 0 && out_has "crimson kestrel"'
as_text bob "after reset, a new session" note add "$C"
check "bob can still write on the case after the reset" rc_is 0
NR=$(cat "$T/out")
as carol note show "$NR"
check "carol reads bob's post-reset note" eval 'rc_is 0 && out_has "after reset"'
as sue audit verify
check "audit verify exits 0 after handover and reset" rc_is 0

# The bytes again, after handover and reset.
for what in "student name:$SNAME" "student id:$SID" "class:$SCLASS" \
	"guardian phone:$GPHONE" "note phrase:$PHRASE" "Chinese note text:$PHRASE_ZH"; do
	check "after handover and reset, raw bytes hold no ${what%%:*}" absent "${what#*:}"
done

# ---- 6. shred ---------------------------------------------------------------

# Remember the beginnings of this case's ciphertexts and sealed keys.
sqlite3 "$V" "select lower(substr(hex(box), 1, 64)) from records where case_id = '$C'
	union all select lower(substr(hex(data_box), 1, 64)) from cases where id = '$C'
	union all select lower(substr(hex(box), 1, 64)) from grants where case_id = '$C'
	union all select lower(substr(hex(recovery_key), 1, 64)) from cases where id = '$C'" >"$T/cts"
hexdump_vault
n_cts=$(wc -l <"$T/cts")
n_seen=0
while read -r h; do
	hex_present "$h" && n_seen=$((n_seen + 1))
done <"$T/cts"
check "before shred the case's ciphertexts are found in the file (method works)" \
	eval '[ "$n_cts" -gt 10 ] && [ "$n_seen" -eq "$n_cts" ]'

say "$ALICEP" "$BADRC"
cv alice case shred "$C" --reason "retention ended" <"$T/in"
check "case shred with a wrong recovery code exits 3" rc_is 3
as bob note show "$N1"
check "  ... and the case is still readable" eval 'rc_is 0 && out_has "$PHRASE"'

say "$ALICEP" "$RC"
cv alice case shred "$C" --reason "retention ended" <"$T/in"
check "case shred with the recovery code exits 0" rc_is 0
for who in bob carol dave; do
	as "$who" case show "$C"
	check "$who: case show of the shredded case exits 6" \
		eval 'rc_is 6 && out_empty && err_lacks "$SNAME"'
done
as carol note show "$N1"
check "note show of a shredded case's note exits 6" eval 'rc_is 6 && out_empty'
as bob case list --all
check "case list --all no longer shows the student" \
	eval 'rc_is 0 && out_lacks "$SNAME"'
say "$ALICEP" "$RC"
cv alice case handover "$C" --to carol <"$T/in"
check "handover of the shredded case, even with the recovery code, fails" \
	eval 'rc_is 6 && out_empty && err_has "was shredded"'
say "$ALICEP" "$RC"
cv alice case shred "$C" --reason "again" <"$T/in"
check "shredding it again says it was shredded" \
	eval 'rc_is 6 && err_has "was shredded: nothing of it remains"'
as carol case show "$C"
check "  ... and carol still cannot read it" rc_is 6
as sue audit log
check "audit log still shows case.shred with the reason, sealed" \
	eval 'rc_is 0 && grep " alice case.shred case:$C ok" "$T/out" | grep -qF "reason=" &&
		out_lacks "retention ended"'
check "no records of the shredded case remain" \
	same "$(q "select count(*) from records where case_id = '$C'")" 0
check "no grants of the shredded case remain" \
	same "$(q "select count(*) from grants where case_id = '$C'")" 0
hexdump_vault
n_left=0
while read -r h; do
	hex_present "$h" && n_left=$((n_left + 1))
done <"$T/cts"
check "none of the shredded case's ciphertexts or sealed keys remain in the file" \
	same "$n_left" 0
for what in "student name:$SNAME" "note phrase:$PHRASE" "guardian phone:$GPHONE"; do
	check "after shred, raw bytes hold no ${what%%:*}" absent "${what#*:}"
done
as bob note show "$NC"
check "the other case is untouched by the shred" eval 'rc_is 0 && out_has "crimson kestrel"'
as sue audit verify
check "audit verify exits 0 after the shred" rc_is 0

# ---- every decrypted case is in the log -----------------------------------

# bob's granted cases that can still be read: a list of them decrypts each
# and leaves exactly one case.read row per case, naming it.
NB=$(q "select count(*) from grants g join cases c on c.id = g.case_id
	where g.user_id = (select id from users where name = 'bob') and c.status <> 'shredded'")
R0=$(q "select coalesce(max(seq), 0) from audit")
as bob case list --all
check "case list --all exits 0" rc_is 0
check "a list of $NB cases leaves $NB case.read rows" \
	same "$(q "select count(*) from audit where seq > $R0 and action = 'case.read'
		and actor = 'bob' and outcome = 'ok'")" "$NB"
check "  ... one for each case listed, by id" \
	same "$(q "select group_concat(object, ' ') from (select object from audit where seq > $R0
		and action = 'case.read' order by object)")" \
	"$(q "select group_concat('case:' || id, ' ') from (select c.id from grants g join cases c
		on c.id = g.case_id where g.user_id = (select id from users where name = 'bob')
		and c.status <> 'shredded' order by c.id)")"
check "  ... and the rows commit before the list is shown (a checkpoint follows them)" \
	same "$(q "select action from audit where seq = (select max(seq) from audit where
		seq > $R0 and action = 'case.read') + 1")" checkpoint

# ---- cross-case lists: each record once, each case read once ---------------

# The store gives a counselor's records oldest first, not case by case:
# referrals made on LB, LA, LB, LB and register entries on LB, LA, LB come
# back with LB's on both sides of LA's.  Each list still shows every record
# once, and one list command reads (logs) each case once: a case read twice
# would count twice in 'audit alerts' and in the compliance report.
open_form bob S-L1 'List One' 8-1 -- --gender M --grade 8 --category emotion
LA=$(cat "$T/out")
check "a first case for the lists" eval 'rc_is 0 && one_id "C-[0-9A-Z]{5}"'
open_form bob S-L2 'List Two' 8-1 -- --gender F --grade 8 --category emotion
LB=$(cat "$T/out")
check "a second case for the lists" eval 'rc_is 0 && one_id "C-[0-9A-Z]{5}"'
for c in "$LA" "$LB"; do
	as bob consent record "$c" --by student,guardian --method written \
		--scope individual,referral-disclosure
	check "consent with referral-disclosure on $c" rc_is 0
done
LREFS=""
for c in "$LB" "$LA" "$LB" "$LB"; do
	as bob referral add "$c" --to 'City Clinic' --to-type mental-health --reason emotion \
		--urgency routine --disclosed 'session summary'
	check "referral add on $c" eval 'rc_is 0 && one_id "R-[0-9A-Z]+"'
	LREFS="$LREFS $(cat "$T/out")"
done
for c in "$LB" "$LA" "$LB"; do
	as bob watch add "$c" --tag other --every 14d
	check "watch add on $c" rc_is 0
done
check "the store gives the referrals with LB's on both sides of LA's" \
	same "$(q "select group_concat(case_id, ' ') from (select case_id from records
		where type = 'referral' and case_id in ('$LA', '$LB') order by created_at, rowid)")" \
	"$LB $LA $LB $LB"

# lists_once ACTION : after the last row before this list ($R0), one ACTION
# row with cases=2 and one case.read row for each of LA and LB.
lists_once() {
	same "$(q "select group_concat(detail) from audit where seq > $R0 and action = '$1'")" \
		cases=2 &&
		same "$(q "select count(*) from audit where seq > $R0 and action = 'case.read'
			and object = 'case:$LA'")" 1 &&
		same "$(q "select count(*) from audit where seq > $R0 and action = 'case.read'
			and object = 'case:$LB'")" 1 &&
		same "$(q "select count(*) from audit where seq > $R0 and action = 'case.read'")" 2
}
# refs_once : each referral made above is named once on stdout.
refs_once() {
	for r in $LREFS; do
		[ "$(grep -c -- "$r" "$T/out")" -eq 1 ] || return 1
	done
}
# rows_once N : stdout has N lines, and each referral made above is on one.
rows_once() {
	[ "$(grep -c . "$T/out")" -eq "$1" ] && refs_once
}
json_length() { python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$T/out"; }

for opts in "" "--overdue --as-of 2099-01-01"; do
	R0=$(q "select max(seq) from audit")
	# shellcheck disable=SC2086
	as bob referral list $opts
	check "referral list${opts:+ $opts}: each of the 4 referrals on one row of 4" \
		eval 'rc_is 0 && rows_once 4'
	check "  ... one referral.list row with cases=2, one case.read per case" \
		lists_once referral.list
	R0=$(q "select max(seq) from audit")
	# shellcheck disable=SC2086
	as bob --json referral list $opts
	check "--json referral list${opts:+ $opts}: an array of 4" \
		eval 'rc_is 0 && same "$(json_length)" 4'
	check "  ... one case.read per case" lists_once referral.list
done
for opts in "" "--due --as-of 2099-01-01"; do
	R0=$(q "select max(seq) from audit")
	# shellcheck disable=SC2086
	as bob watch list $opts
	check "watch list${opts:+ $opts}: 3 rows, LB's two entries and LA's one" \
		eval 'rc_is 0 && [ "$(grep -c . "$T/out")" -eq 3 ] &&
			[ "$(grep -c -- "^$LB " "$T/out")" -eq 2 ] &&
			[ "$(grep -c -- "^$LA " "$T/out")" -eq 1 ]'
	check "  ... one watch.list row with cases=2, one case.read per case" \
		lists_once watch.list
	R0=$(q "select max(seq) from audit")
	# shellcheck disable=SC2086
	as bob --json watch list $opts
	check "--json watch list${opts:+ $opts}: an array of 3" \
		eval 'rc_is 0 && same "$(json_length)" 3'
	check "  ... one case.read per case" lists_once watch.list
done
R0=$(q "select max(seq) from audit")
as bob due --as-of 2099-01-01
check "due: each referral once" eval 'rc_is 0 && refs_once'
check "  ... and no case read twice" \
	same "$(q "select count(*) from (select object from audit where seq > $R0
		and action = 'case.read' group by object having count(*) > 1)")" 0

# ---- audit log filters ---------------------------------------------------------

as sue audit log --case "$C2"
check "audit log --case shows exactly that case's rows" \
	eval 'rc_is 0 && same "$(grep -c . "$T/out")" \
		"$(q "select count(*) from audit where object = '"'"'case:$C2'"'"'")"'
check "  ... and no other object" eval '! grep -v " case:$C2 " "$T/out" | grep -q .'
cp "$T/out" "$T/by-case"
# the id typed in lower case, 0 as O and 1 as l, as people type it
C2T=$(printf '%s' "$C2" | tr 'A-Z01' 'a-zol')
as sue audit log --case "$C2T"
check "audit log --case takes the id in any case and with look-alikes" \
	eval 'rc_is 0 && same "$(cat "$T/out")" "$(cat "$T/by-case")"'
as sue audit log --outcome denied
check "audit log --outcome denied shows every denied row and only those" \
	eval 'rc_is 0 && ! grep -v " denied" "$T/out" | grep -q . &&
		same "$(grep -c . "$T/out")" "$(q "select count(*) from audit where outcome = '"'"'denied'"'"'")"'
as sue audit log --limit 3
check "audit log --limit 3 shows the 3 newest rows, oldest first" \
	eval 'rc_is 0 && same "$(awk "{print \$1}" "$T/out" | tr "\n" " ")" \
		"$(q "select seq from audit order by seq desc limit 3" | sort -n | tr "\n" " ")"'
for bad in "--outcome maybe" "--case bob" "--case N-AAAAAA" "--limit 0" "--limit 1x" "--limit 100001"; do
	# shellcheck disable=SC2086
	as sue audit log $bad
	check "audit log $bad is refused as a usage error" rc_is 2
done

# ---- global --json output ---------------------------------------------------

as bob --json case list
check "--json case list exits 0 and lists the case" \
	eval 'rc_is 0 && out_has "$C2"'
as sue --json audit verify
check "--json audit verify exits 0 and says intact" \
	eval 'rc_is 0 && out_has intact'

echo "e2e_casework: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
