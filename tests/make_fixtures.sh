#!/bin/sh
# make_fixtures.sh - builds the golden vaults of tests/fixtures with the
# built program: one intact vault with a little of everything, and copies
# of it tampered with the sqlite3 CLI as an attacker with the file would.
# tests/e2e_fixtures.sh checks that `casevault audit verify` gives each the
# exit status listed in tests/fixtures/expected.tsv.
#
# The vault format is not final.  When docs/FORMAT.md changes, these files
# no longer match it: regenerate them with `make fixtures` (which runs this
# script on build/casevault), check expected.tsv, and commit the new .db
# files with the change.  They are made with the cheapest KDF the program
# accepts, so they stay small and quick to open.
#
# Run: CASEVAULT=/abs/path/to/casevault sh tests/make_fixtures.sh [DIR]
# (DIR defaults to tests/fixtures).  Needs the sqlite3 CLI.
#
# The fixture's users, all with known passphrases (test data, not secrets):
#   alice admin, bob and carol counselors, dave counselor (disabled),
#   sue supervisor, each added by alice and enrolled with the code she was
#   shown.  The tests log in as sue.
#
# Word splitting of $KDF is intended:
# shellcheck disable=SC2086

set -u

if [ -z "${CASEVAULT:-}" ] || [ ! -x "$CASEVAULT" ]; then
	echo "make_fixtures: set CASEVAULT to the built casevault binary" >&2
	exit 2
fi
if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "make_fixtures: the sqlite3 CLI is needed" >&2
	exit 2
fi
OUTDIR=${1:-$(dirname "$0")/fixtures}
mkdir -p "$OUTDIR" || exit 1
unset CASEVAULT_VAULT CASEVAULT_USER EDITOR VISUAL

T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

KDF="--kdf-t 2 --kdf-m 19456 --kdf-p 1"
PA='fixture-alice-admin'
PB='fixture-bob-counselor'
PC='fixture-carol-counselor'
PD='fixture-dave-counselor'
PS='fixture-sue-supervisor'
V=$T/intact.db

die() {
	echo "make_fixtures: $*" >&2
	sed 's/^/    /' "$T/err" >&2
	exit 1
}

# as USER PASSPHRASE [LINE] -- ARGS...: one command as USER, the passphrase
# (and LINE, a note's text or a new user's passphrase) on stdin; stdout in
# $T/out; any failure stops the script.
as() {
	as_user=$1
	as_pass=$2
	shift 2
	as_line=
	if [ "$1" != "--" ]; then
		as_line=$1
		shift
	fi
	shift
	if [ -n "$as_line" ]; then
		printf '%s\n%s\n' "$as_pass" "$as_line" >"$T/in"
	else
		printf '%s\n' "$as_pass" >"$T/in"
	fi
	"$CASEVAULT" --vault "$V" --user "$as_user" --passphrase-fd 0 "$@" \
		<"$T/in" >"$T/out" 2>"$T/err" || die "'$*' as $as_user failed"
}

# ---- the intact vault ----------------------------------------------------

printf '%s\n' "$PA" >"$T/in"
"$CASEVAULT" --vault "$V" --passphrase-fd 0 init --admin alice $KDF \
	<"$T/in" >"$T/out" 2>"$T/err" || die "init failed"
RC=$(cat "$T/out")

# add USER ROLE PASSPHRASE: alice adds USER, who enrols with the code
# alice was shown, choosing PASSPHRASE.
add() {
	as alice "$PA" -- user add "$1" --role "$2"
	printf '%s\n%s\n' "$(tail -n 1 "$T/out")" "$3" >"$T/in"
	"$CASEVAULT" --vault "$V" --user "$1" --passphrase-fd 0 enrol \
		<"$T/in" >"$T/out" 2>"$T/err" || die "the enrolment of $1 failed"
}

add bob counselor "$PB"
add carol counselor "$PC"
add dave counselor "$PD"
add sue supervisor "$PS"
# The index key to the counselors, the stats key to sue (admins hold none).
as alice "$PA" "$RC" -- vault keys --deliver
as alice "$PA" -- user disable dave

# A minor's case with both consents, a final note, a test, a referral
# with a follow-up and a register entry, shared with carol.
as bob "$PB" "$(printf '%s\n' 'student-id: F-2024-0001' 'name: Fixture Student' \
	'class: 8-2' 'guardian: Fixture Guardian' 'guardian-phone: 13800000001')" -- \
	case open --form - --gender F --grade 8 --category emotion
C1=$(cat "$T/out")
for by in student guardian; do
	as bob "$PB" -- consent record "$C1" --by "$by" --method written --date 2024-09-02 \
		--scope individual,testing,referral-disclosure
done
as bob "$PB" "Session one: settling in after the summer." -- note add "$C1"
N1=$(cat "$T/out")
as bob "$PB" -- note finalize "$N1"
as bob "$PB" "Analysis draft: weekly sessions." -- note add "$C1" --kind analysis
as bob "$PB" -- test add "$C1" --scale SCL-90 --score 1.4 --notes 'within range'
as bob "$PB" -- referral add "$C1" --to 'Fixture Clinic' --to-type counseling --reason emotion --urgency routine \
	--disclosed 'session summary' --date 2024-09-05
R1=$(cat "$T/out")
as bob "$PB" -- referral update "$R1" --status contacted --date 2024-09-06 --note 'called'
as bob "$PB" -- watch add "$C1" --tag left-behind --every 14d
as bob "$PB" -- case share "$C1" carol

# A second case (an adult student) with its own note: a place to move a
# ciphertext and a key copy to.
as bob "$PB" "$(printf '%s\n' 'student-id: F-2024-0002' 'name: Second Student' \
	'class: 12-1' 'born: 2005-01-01')" -- case open --form - --gender M --grade 12 \
	--category academic
C2=$(cat "$T/out")
as bob "$PB" -- consent record "$C2" --by student --method oral --date 2024-09-03 \
	--scope individual
as bob "$PB" "Session one of the second case." -- note add "$C2"
N2=$(cat "$T/out")

# A break-glass event (a test without testing consent, under --crisis),
# reviewed by the supervisor with a sealed note.
as bob "$PB" -- test add "$C2" --scale PHQ-9 --score 21 \
	--crisis 'risk of harm stated in session'
X1=$(sqlite3 "$V" "select id from records where type = 'crisis'")
as sue "$PS" "Fixture review: the exception was justified." -- audit review "$X1" --note -
# The supervisor reads the log, verifies it and keeps a checkpoint.
as sue "$PS" -- audit log
as sue "$PS" -- audit verify
as sue "$PS" -- audit checkpoint -o "$T/intact.checkpoint"
CPSIZE=$(sed -n 's/^size: //p' "$T/intact.checkpoint")

[ ! -e "$V-wal" ] || die "the intact vault has a WAL left"
q() { sqlite3 "$1" "$2"; }

# tamper NAME SQL: NAME.db is a copy of the intact vault with SQL applied;
# SQL must change something.
tamper() {
	cp "$V" "$T/$1.db"
	n=$(q "$T/$1.db" "$2;
		select total_changes();") || die "tampering '$1' failed"
	[ "$n" -gt 0 ] || die "tampering '$1' changed nothing"
	[ ! -e "$T/$1.db-wal" ] || die "'$1' has a WAL left"
}

# One byte of a case.open row's detail changed (not a row about a user, so
# the supervisor's login is untouched).
tamper audit-byte "update audit set detail = cast(
	(case when substr(detail, 1, 1) = 'x' then 'y' else 'x' end) || substr(detail, 2) as text)
	where seq = (select min(seq) from audit where action = 'case.open')"

# A middle row deleted: the first consent.record row.
tamper audit-deleted "delete from audit
	where seq = (select min(seq) from audit where action = 'consent.record')"

# The log truncated by whole transactions: the last two (the supervisor's
# verify and checkpoint) removed.  The chain alone still verifies; the
# saved checkpoint shows the log was cut.
tamper log-truncated "delete from audit where seq > $((CPSIZE - 4))"

# bob made an admin without an admin's signature.
tamper user-role "update users set role = 'admin' where name = 'bob'"

# The finalized note's ciphertext moved into the second case's note.
tamper note-moved "update records set
	nonce = (select nonce from records where id = '$N1'),
	box = (select box from records where id = '$N1')
	where id = '$N2'"

# bob's key copies of the two cases swapped between them.
tamper grant-swapped "create temp table g as select case_id, nonce, box, sig from grants
	where user_id = (select id from users where name = 'bob');
	update grants set (nonce, box, sig) = (select nonce, box, sig from g where g.case_id =
		(case grants.case_id when '$C1' then '$C2' else '$C1' end))
	where user_id = (select id from users where name = 'bob')
	and case_id in ('$C1', '$C2');"

# carol's enrolment code made to expire later, without alice's signature
# on her enrolment certificate.
tamper enrol-expiry "update key_history set expires = '2099-01-01T00:00:00Z'
	where user_id = (select id from users where name = 'carol')"

# bob's public keys swapped for carol's: his keys are no longer the ones
# his enrolment code certified.
tamper enrol-keys "update users set (box_pk, sign_pk) =
	(select box_pk, sign_pk from users where name = 'carol') where name = 'bob'"

# The sealed note of the review replaced: the reviewer's signature no
# longer covers it.
tamper review-box "update reviews set note_box = zeroblob(length(note_box))"

# ---- into place ------------------------------------------------------------

rm -f "$OUTDIR"/*.db "$OUTDIR"/*.checkpoint
for f in intact audit-byte audit-deleted log-truncated user-role note-moved grant-swapped enrol-expiry enrol-keys \
	review-box; do
	cp "$T/$f.db" "$OUTDIR/$f.db" || exit 1
done
cp "$T/intact.checkpoint" "$OUTDIR/intact.checkpoint" || exit 1
echo "make_fixtures: vaults written to $OUTDIR"
