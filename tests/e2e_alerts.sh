#!/bin/sh
# e2e_alerts.sh - supervision through the built binary: a scripted scenario
# makes one alert of each kind (two break-glass events, a burst of denials,
# a burst of failed logins, case access outside the configured hours, one
# counselor decrypting more cases in an hour than allowed, a statistics
# export), and `audit alerts` must report exactly those and nothing else;
# a supervisor reviews a break-glass event, which leaves the list, and
# reads the sealed note back; every refusal has its exit code (a
# counselor, an admin, an unknown event, an event already reviewed, an
# empty note); `audit log --crisis`, --format csv|json and local dates;
# and reviews tampered with in copies of the vault (planted, note box
# changed, moved to another event, deleted) are refused with exit 5.
#
# Run: CASEVAULT=/abs/path/to/casevault sh tests/e2e_alerts.sh
# Every check counts: one that fails fails the run.

set -u

if [ -z "${CASEVAULT:-}" ] || [ ! -x "$CASEVAULT" ]; then
	echo "e2e_alerts: set CASEVAULT to the built casevault binary" >&2
	exit 2
fi
for tool in sqlite3 python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "e2e_alerts: $tool is needed" >&2
		exit 2
	fi
done
unset CASEVAULT_VAULT CASEVAULT_USER EDITOR VISUAL

T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM
V=$T/v.db
KDF="--kdf-t 2 --kdf-m 19456 --kdf-p 1"
ZONE=Asia/Shanghai

npass=0
nfail=0

cv() {
	cv_user=$1
	shift
	"$CASEVAULT" --vault "$V" --user "$cv_user" --passphrase-fd 0 "$@" >"$T/out" 2>"$T/err"
	rc=$?
}
say() { printf '%s\n' "$@" >"$T/in"; }
pass_of() {
	case $1 in
	alice) printf '%s' "$ALICEP" ;;
	bob) printf '%s' "$BOBP" ;;
	carl) printf '%s' "$CARLP" ;;
	sue) printf '%s' "$SUEP" ;;
	dave) printf '%s' "$DAVEP" ;;
	esac
}
as() {
	as_user=$1
	shift
	say "$(pass_of "$as_user")"
	cv "$as_user" "$@" <"$T/in"
}
check() {
	check_d=$1
	shift
	if "$@"; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $check_d (last rc=$rc)" >&2
		sed -n '1,3s/^/    stderr: /p' "$T/err" >&2
		sed -n '1,12s/^/    stdout: /p' "$T/out" >&2
	fi
}
rc_is() { [ "$rc" -eq "$1" ]; }
err_has() { grep -qF -- "$1" "$T/err"; }
out_has() { grep -qF -- "$1" "$T/out"; }
q() { sqlite3 "$1" "$2"; }
# The alert lines, sorted, as "CODE SUBJECT" (the subject: the event or
# the user), so that the whole list can be compared with what is expected.
alert_keys() { cut -d' ' -f1,2 "$T/out" | sort; }

ALICEP='alice-admin-passphrase'
BOBP='bob-counselor-pass-1'
CARLP='carl-counselor-pass-2'
SUEP='sue-supervisor-pass'
DAVEP='dave-supervisor-pass'

say "$ALICEP"
"$CASEVAULT" --vault "$V" --passphrase-fd 0 init --admin alice $KDF <"$T/in" >"$T/out" 2>"$T/err"
rc=$?
RC=$(cat "$T/out")
check "init" rc_is 0
for u in bob:counselor carl:counselor sue:supervisor dave:supervisor; do
	name=${u%%:*}
	say "$ALICEP"
	cv alice user add "$name" --role "${u#*:}" <"$T/in"
	say "$(tail -n 1 "$T/out")" "$(pass_of "$name")"
	cv "$name" enrol <"$T/in"
	check "$name enrols" rc_is 0
done
say "$ALICEP" "$RC"
cv alice vault keys --deliver <"$T/in"
check "vault keys delivered" rc_is 0

# The configured hours: one hour six hours away from now (local time in
# $ZONE), so that every access of this scenario is outside them.
H=$(TZ=$ZONE date +%H | sed 's/^0//')
FROM=$(((H + 6) % 24))
TO=$((FROM + 1))
HOURS=$(printf '%02d:00-%02d:00' "$FROM" "$TO")
for kv in timezone=$ZONE alert_hours=$HOURS alert_denials=3 alert_denial_minutes=10 \
	alert_logins=3 alert_cases=2; do
	as alice config set "${kv%%=*}" "${kv#*=}"
	check "config set $kv" rc_is 0
done
as alice config set alert_hours 19:00
check "alert_hours must be a span (exit 2)" eval 'rc_is 2 && err_has "HH:MM-HH:MM"'
as alice config set alert_denials 1
check "alert_denials below 2 is out of range (exit 2)" rc_is 2
as sue config set alert_cases 5
check "only an admin sets a threshold (exit 4)" rc_is 4

as sue audit alerts
check "no alerts yet: the one line 'no alerts'" \
	eval 'rc_is 0 && [ "$(cat "$T/out")" = "no alerts" ] && [ ! -s "$T/err" ]'


# ---- the scenario --------------------------------------------------------------

i=0
while [ $i -lt 3 ]; do
	printf 'student-id: S-%s\nname: Student %s\nclass: 1A\n' "$i" "$i" >"$T/form"
	as bob case open --form "$T/form" --gender F --grade 8 --category emotion
	check "bob opens case $i" rc_is 0
	eval "C$i=\$(cat \"\$T/out\")"
	i=$((i + 1))
done
# Two break-glass events: work without consent under --crisis.
JUST='risk of harm stated in session'
say "$BOBP" "crisis note text"
cv bob note add "$C0" --crisis "$JUST" <"$T/in"
check "bob writes a note under the crisis exception" rc_is 0
as bob test add "$C1" --scale PHQ-9 --score 21 --crisis "$JUST"
check "bob records a test under the crisis exception" rc_is 0
X1=$(q "$V" "select id from records where type = 'crisis' and case_id = '$C0'")
X2=$(q "$V" "select id from records where type = 'crisis' and case_id = '$C1'")
check "two crisis records" eval '[ -n "$X1" ] && [ -n "$X2" ]'
# Three cases decrypted within the hour (alert_cases is 2).
as bob case list
check "bob lists his cases" rc_is 0
# A burst of denials: carl asks three times for what counselors may not.
for n in 1 2 3; do
	: >"$T/in"
	cv carl audit log <"$T/in"
done
check "carl is refused (exit 4)" rc_is 4
# A burst of failed logins under one name.
for n in 1 2 3; do
	say "not-a-passphrase-at-all"
	cv mallory case list <"$T/in"
done
check "mallory cannot log in (exit 3)" rc_is 3
# A statistics export (noise keeps a small vault publishable).
M=$(q "$V" "select substr(min(opened_at), 1, 7) from cases")
as sue stats export --from "$M" --to "$M" --epsilon 0.5 --format json
check "sue exports statistics" rc_is 0

as sue audit alerts
check "audit alerts exits 0" rc_is 0
cat >"$T/want" <<EOF
alert.crisis-unreviewed $X1
alert.crisis-unreviewed $X2
alert.denials carl
alert.failed-logins mallory
alert.many-cases bob
alert.off-hours bob
alert.stats-export sue
EOF
sort -o "$T/want" "$T/want"
alert_keys >"$T/got"
check "exactly the alerts of the scenario, one of each kind, and nothing else" \
	cmp -s "$T/want" "$T/got"
check "seven lines" [ "$(wc -l <"$T/out")" -eq 7 ]
check "the break-glass event names its case and author, 0 days old" \
	eval 'grep "^alert.crisis-unreviewed $X1 " "$T/out" | grep -q "case $C0 by bob .*(0 days old)"'
check "the denials count three" eval 'grep "^alert.denials carl " "$T/out" | grep -q " 3 denied"'
check "the failed logins count three" \
	eval 'grep "^alert.failed-logins mallory " "$T/out" | grep -q " 3 failed logins"'
check "three distinct cases within an hour" \
	eval 'grep "^alert.many-cases bob " "$T/out" | grep -q " 3 distinct cases"'
check "no alert holds the justification" eval '! grep -q "harm stated" "$T/out"'
as sue audit alerts --json
check "--json: one array, the same alerts" \
	eval 'rc_is 0 && python3 -c "
import json, sys
got = sorted((a[\"code\"], a[\"object\"] if a[\"code\"] == \"alert.crisis-unreviewed\" else a[\"user\"])
             for a in json.load(open(sys.argv[1])))
want = [tuple(l.split()) for l in open(sys.argv[2])]
assert got == want, (got, want)
" "$T/out" "$T/want"'
as sue audit log --action audit.alerts
check "each alerts run is logged with its count" \
	eval 'rc_is 0 && out_has "audit.alerts audit ok -- alerts=7"'
TOMORROW=$(python3 -c "
import datetime, zoneinfo
print((datetime.datetime.now(zoneinfo.ZoneInfo('$ZONE')) + datetime.timedelta(days=1)).date())")
as sue audit alerts --since "$TOMORROW"
check "--since a later day: only the unreviewed break-glass events remain" \
	eval 'rc_is 0 && [ "$(alert_keys | tr "\n" " ")" = "$(printf "%s\n" "alert.crisis-unreviewed $X1" "alert.crisis-unreviewed $X2" | sort | tr "\n" " ")" ]'
as sue audit alerts --since 2026-02-30
check "--since a day that does not exist is a usage error (exit 2)" rc_is 2

# ---- reviews: refusals, then the review ---------------------------------------

: >"$T/in"
cv bob audit review "$X1" --note "checked" <"$T/in"
check "a counselor may not review (exit 4), before any passphrase" \
	eval 'rc_is 4 && err_has "only supervisors"'
cv alice audit review "$X1" --note "checked" <"$T/in"
check "an admin may not review (exit 4)" eval 'rc_is 4 && err_has "only supervisors"'
as sue audit review X-000000 --note "checked"
check "an unknown event is not found (exit 6)" eval 'rc_is 6 && err_has "X-000000"'
as sue audit review "$C0" --note "checked"
check "a case id is not an event (exit 6)" rc_is 6
as sue audit review "$X1" --note ""
check "an empty note is a usage error (exit 2)" eval 'rc_is 2 && err_has "empty"'
say "$SUEP" "$(printf 'bad\001control')"
cv sue audit review "$X1" --note - <"$T/in"
check "a control character in the note is a usage error (exit 2)" rc_is 2
as sue audit review "$X1"
check "--note or --show is needed (exit 2)" rc_is 2
check "no review stored by the refusals" [ "$(q "$V" 'select count(*) from reviews')" -eq 0 ]

as sue due
check "sue's due list names the unreviewed event, and reads no case" \
	eval 'rc_is 0 && out_has "$X1" && out_has "Break-glass events not yet reviewed" && [ "$(q "$V" "select count(*) from audit where actor = '"'"'sue'"'"' and action = '"'"'case.read'"'"'")" -eq 0 ]'

NOTE='Reviewed with the counselor: the exception was justified; amber heron plan.'
say "$SUEP" "$NOTE" "second line of the note"
cv sue audit review "$X1" --note - <"$T/in"
check "sue reviews the first event, the note from standard input" \
	eval 'rc_is 0 && err_has "reviewed"'
check "one review row" [ "$(q "$V" 'select count(*) from reviews')" -eq 1 ]
as sue due
check "a reviewed event leaves sue's due list" eval 'rc_is 0 && ! out_has "$X1"' 
check "the note is not stored in clear" \
	eval '! sqlite3 "$V" .dump | grep -q "amber heron"'
check "nor in the log" eval '! sqlite3 "$V" "select * from audit" | grep -q "amber heron"'
as sue audit review "$X1" --note "again"
check "a second review of the same event is refused (exit 4)" \
	eval 'rc_is 4 && err_has "already reviewed by '"'"'sue'"'"'"'
as dave audit review "$X1" --note "me too"
check "by another supervisor too (exit 4)" rc_is 4
check "still one review row" [ "$(q "$V" 'select count(*) from reviews')" -eq 1 ]

as sue audit review --show "$X1"
check "the reviewer reads the note back" \
	eval 'rc_is 0 && out_has "amber heron" && out_has "second line" && out_has "reviewer: sue"'
as dave audit review --show "$X1"
check "another supervisor reads it too" eval 'rc_is 0 && out_has "amber heron"'
: >"$T/in"
cv bob audit review --show "$X1" <"$T/in"
check "a counselor cannot read it (exit 4)" rc_is 4
cv alice audit review --show "$X1" <"$T/in"
check "an admin cannot read it (exit 4)" rc_is 4
as sue audit review --show "$X2"
check "an event without a review has none to show (exit 6)" rc_is 6

as sue audit alerts
check "the reviewed event left the list; the rest stays" \
	eval 'rc_is 0 && ! out_has "$X1" && [ "$(alert_keys | grep -c .)" -eq 6 ] && out_has "alert.crisis-unreviewed $X2"'
as sue audit verify
check "the log and the reviews verify" rc_is 0

# ---- audit log: --crisis, formats, local dates -----------------------------------

as sue audit log --crisis
check "--crisis: the two crisis rows and the actions they marked" \
	eval 'rc_is 0 && [ "$(grep -c . "$T/out")" -eq 4 ] && [ "$(grep -c " crisis case:" "$T/out")" -eq 2 ] && out_has " note.add " && out_has " test.add "'
as sue audit log --crisis --action note.add
check "--crisis with --action is a usage error (exit 2)" rc_is 2
as sue audit log --format csv
cp "$T/out" "$T/log.csv"
check "--format csv parses, with its header and every row" \
	eval 'rc_is 0 && python3 -c "
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline=\"\")))
assert rows[0] == [\"seq\", \"time\", \"actor\", \"action\", \"object\", \"outcome\", \"detail\", \"signed\"], rows[0]
assert [int(r[0]) for r in rows[1:]] == list(range(1, len(rows))), \"seq\"
assert any(r[3] == \"audit.review\" and r[6].startswith(\"case=\") for r in rows[1:])
" "$T/log.csv"'
check "CSV records end in CRLF" eval 'head -n 1 "$T/log.csv" | od -c | grep -q "\\\\r  \\\\n"'
as sue audit log --format json --action audit.review
check "--format json: one array" \
	eval 'rc_is 0 && python3 -c "
import json, sys
rows = json.load(open(sys.argv[1]))
assert isinstance(rows, list) and rows and all(r[\"action\"] == \"audit.review\" for r in rows)
" "$T/out"'
as sue audit log --format xml
check "--format xml is a usage error (exit 2)" rc_is 2
FIRST=$(q "$V" "select time from audit where seq = 1")
D1=$(python3 -c "
import datetime, zoneinfo, sys
t = datetime.datetime.strptime(sys.argv[1], '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=datetime.timezone.utc)
print(t.astimezone(zoneinfo.ZoneInfo('$ZONE')).date())" "$FIRST")
D0=$(python3 -c "import datetime; print(datetime.date.fromisoformat('$D1') - datetime.timedelta(days=1))")
as sue audit log --since "$D1" --limit 100000
check "--since the local date of row 1 includes it" eval 'rc_is 0 && grep -q "^ *1 " "$T/out"'
as sue audit log --until "$D0"
check "--until the local day before has no row" eval 'rc_is 0 && [ ! -s "$T/out" ]'

# ---- alerts are for supervisors (after the last count of denials) -----------------

: >"$T/in"
cv bob audit alerts <"$T/in"
check "a counselor may not see the alerts (exit 4), before any passphrase" \
	eval 'rc_is 4 && err_has "only supervisors" && ! err_has "assphrase"'
cv alice audit alerts <"$T/in"
check "nor may an admin (exit 4)" eval 'rc_is 4 && err_has "only supervisors"'

# ---- tampering, each on a copy of the vault -----------------------------------------

for case in planted box moved deleted; do
	cp "$V" "$T/$case.db"
done
sqlite3 "$T/planted.db" "insert into reviews select '$X2', '$C1', reviewer_id, reviewed_at, seq, note_box, sig from reviews where event = '$X1'"
sqlite3 "$T/box.db" "update reviews set note_box = randomblob(length(note_box))"
sqlite3 "$T/moved.db" "update reviews set event = '$X2', case_id = '$C1'"
sqlite3 "$T/deleted.db" "delete from reviews"
for case in planted box moved deleted; do
	V=$T/$case.db
	as sue audit alerts
	check "alerts on a vault with a $case review: exit 5" rc_is 5
	case $case in
	planted | moved) ev=$X2 ;;
	*) ev=$X1 ;;
	esac
	check "  ... naming the event ($case)" err_has "$ev"
	as dave audit review --show "$ev"
	check "  ... and reading it is refused too ($case)" eval 'rc_is 5 && err_has "$ev"'
	as sue audit verify
	check "  ... and audit verify fails ($case)" rc_is 5
done
V=$T/box.db
as dave audit review --show "$X1"
check "a changed note box is refused when read (exit 5)" rc_is 5
V=$T/deleted.db
as sue audit review "$X1" --note "again, after the row was deleted"
check "a deleted review cannot be replaced (exit 5)" eval 'rc_is 5 && err_has "gone"'

echo "e2e_alerts: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
