#!/bin/sh
# The three journeys of casevault on a throw-away vault, narrated.
# Run by `make demo`; $CASEVAULT is the built program.  Passphrases are
# given on a file descriptor here so that the demo runs unattended; at a
# terminal casevault asks for them without echo.
set -eu
cv=${CASEVAULT:?set CASEVAULT to the casevault binary}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
vault="$dir/school.db"

ADMIN='office keeps the safe key'
BOB='river stone window lamp'
SUE='quiet orchard morning bell'

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ casevault %s\n' "$*"; }
as() { # as USER PASSPHRASE [EXTRA-LINE] -- ARGS: one command, secrets on fd 3
	u=$1; p=$2; shift 2
	extra=""
	if [ "$1" != "--" ]; then extra=$1; shift; fi
	shift
	run "--user $u $*"
	if [ -n "$extra" ]; then
		printf '%s\n%s\n' "$p" "$extra" | "$cv" --vault "$vault" --user "$u" --passphrase-fd 0 "$@"
	else
		printf '%s\n' "$p" | "$cv" --vault "$vault" --user "$u" --passphrase-fd 0 "$@"
	fi
}

say "The office creates the vault (Argon2id t=3, 64 MiB, p=4: the default)"
run "init --admin office"
code=$(printf '%s\n' "$ADMIN" | "$cv" --vault "$vault" --passphrase-fd 0 init --admin office)
echo "(recovery code printed once: $code -- in real life, on paper in the safe)"
# add USER ROLE PASSPHRASE: the office adds USER (it types only its own
# passphrase) and gets a one-time code; USER enrols with it on their own
# terminal and chooses their own passphrase: their keys are made there.
add() {
	run "--user office user add $1 --role $2"
	c=$(printf '%s\n' "$ADMIN" | "$cv" --vault "$vault" --user office --passphrase-fd 0 \
		user add "$1" --role "$2" 2>/dev/null | tail -n 1)
	echo "(the enrolment code, shown once and handed to $1 in person: $c)"
	run "--user $1 enrol   (the code, then a passphrase $1 alone chooses)"
	printf '%s\n%s\n' "$c" "$3" | "$cv" --vault "$vault" --user "$1" --passphrase-fd 0 enrol
}
add bob counselor "$BOB"
add sue supervisor "$SUE"
echo "(the office holds neither the index key nor the stats key: the first counselor"
echo " and supervisor get theirs from the recovery copies, later ones from a colleague)"
as office "$ADMIN" "$code" -- vault keys --deliver
as office "$ADMIN" -- user list

say "Journey 1: a counselor adds an encrypted note"
run "--user bob case open --form - --gender M --grade 8 --category emotion  (the identity in a form)"
case_id=$(printf '%s\n' "$BOB" 'student-id: 2023-017' 'name: Li Ming' 'class: 8-3' \
	'guardian: Li Hua' 'guardian-phone: 13800138000' |
	"$cv" --vault "$vault" --user bob --passphrase-fd 0 \
	case open --form - --gender M --grade 8 --category emotion)
echo "$case_id"
echo "(a note before consent is refused: informed, voluntary consent comes first)"
as bob "$BOB" "First session." -- note add "$case_id" || echo "exit status $?"
as bob "$BOB" -- consent record "$case_id" --by student --method written --date 2026-11-20 --scope individual,testing
as bob "$BOB" -- consent record "$case_id" --by guardian --method oral --date 2026-11-20 --scope individual,testing
note=$(printf '%s\n%s\n' "$BOB" "Exam stress; sleeping badly. Plan: weekly sessions, breathing exercises." |
	"$cv" --vault "$vault" --user bob --passphrase-fd 0 note add "$case_id")
run "--user bob note add $case_id   (text on standard input)"
echo "$note"
as bob "$BOB" -- note finalize "$note"
as bob "$BOB" -- note show "$note"
echo "(the vault file holds no name, number or note text in clear:)"
n=$(LC_ALL=C grep -c -a -F -e 'Li Ming' -e 'Exam stress' -e 2023-017 "$vault" || true)
echo "grep for the name, the student number and the note text in $vault: $n matches"

say "Journey 2: the supervisor audits the access log without reading notes"
as sue "$SUE" -- case show "$case_id" || echo "exit status $?"
as sue "$SUE" -- audit log --since 2000-01-01
as sue "$SUE" -- audit verify
as sue "$SUE" -- audit checkpoint -o "$dir/checkpoint.txt"

say "Journey 3: the term statistics, anonymized"
echo "(bob opens the term's other cases; only coarse attributes reach the statistics)"
i=0
for row in "7 F academic" "7 M academic" "8 F emotion" "8 M emotion" "9 F family" \
	"9 M academic" "7 F relationships" "8 F emotion" "9 M behavior" "7 M academic" \
	"8 M family" "9 F emotion"; do
	set -- $row
	i=$((i + 1))
	printf '%s\n' "$BOB" "student-id: 2023-1$i" "name: Student $i" "class: $1-1" \
		"guardian: Guardian $i" 'guardian-phone: 13800138000' |
		"$cv" --vault "$vault" --user bob --passphrase-fd 0 \
		case open --form - --gender "$2" --grade "$1" --category "$3" >/dev/null
done
echo "(13 cases open; the supervisor, who can read no case, exports the counts:"
echo " categories with fewer than k = 5 cases are merged into 'other' first, and a"
echo " count from 1 to 4 would be printed as x, with enough others that it cannot be"
echo " worked out from the totals)"
# This term (by the default terms: autumn from September to January,
# spring from February to July), and its months so far.
year=$(date +%Y) month=$(date +%m)
term="$year-autumn" from="$year-09"
[ "$month" -lt 8 ] && [ "$month" -gt 1 ] && term="$year-spring" from="$year-02"
[ "$month" = 01 ] && term="$((year - 1))-autumn" from="$((year - 1))-09"
[ "$month" = 08 ] && from="$year-08"
echo "(the whole term, while it is not over, is refused: its months to come have"
echo " nothing to count yet, and a period is released only once)"
as sue "$SUE" -- stats export --term "$term" --format csv || echo "exit status $?"
echo "(the term so far:)"
as sue "$SUE" -- stats export --from "$from" --to "$year-$month" --format csv
echo "(the export is in the log, and a second export of the same months is refused:)"
as sue "$SUE" -- stats export --from "$from" --to "$year-$month" --format csv ||
	echo "exit status $?"

say "Journey 4: the supervisor's alerts and the review of a break-glass event"
echo "(a student at risk, before any consent: bob writes under the crisis exception)"
crisis_case=$(printf '%s\n' "$BOB" 'student-id: 2023-099' 'name: Zhang Wei' 'class: 9-2' |
	"$cv" --vault "$vault" --user bob --passphrase-fd 0 \
	case open --form - --gender F --grade 9 --category self-harm-risk)
as bob "$BOB" "Safety plan agreed; guardian called." -- note add "$crisis_case" \
	--crisis "student stated a plan to self-harm"
as sue "$SUE" -- audit alerts
event=$(printf '%s\n' "$SUE" | "$cv" --vault "$vault" --user sue --passphrase-fd 0 audit alerts |
	awk '$1 == "alert.crisis-unreviewed" { print $2; exit }')
echo "(the review note is sealed: only supervisors can read it)"
as sue "$SUE" "Checked with bob: the risk was stated, the plan made at once." -- \
	audit review "$event" --note -
as sue "$SUE" -- audit review --show "$event"
as sue "$SUE" -- audit alerts

say "Journey 5: the compliance report for the term's work summary"
echo "(the standard's checklist item by item -- duty hours and records, archiving,"
echo " consent and crisis reviews, tests, follow-ups, the log -- from dates, states"
echo " and counts alone: the supervisor still reads no case)"
yesterday=$(date -d yesterday +%Y-%m-%d)
as bob "$BOB" -- duty add --from "$yesterday 08:00" --to "$yesterday 18:30" --visits 5
as sue "$SUE" -- report compliance --term "$term"
as sue "$SUE" -- report compliance --term "$term" --format html -o "$dir/compliance.html"
echo "(a printable page in Chinese and English, to attach to the work summary)"

say "Tampering: an edit of one log row is caught"
sqlite3 "$vault" "UPDATE audit SET detail = 'nothing to see' WHERE seq = 3" 2>/dev/null ||
	echo "(sqlite3 not installed: skipping the tamper step)"
as sue "$SUE" -- audit verify --checkpoint "$dir/checkpoint.txt" || echo "exit status $?"
echo
echo "demo finished: the throw-away vault is removed"
