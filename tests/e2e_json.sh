#!/bin/sh
# e2e_json.sh - --json through the built binary: every command that prints
# data prints one JSON document on stdout, parsed here with Python's json
# module; a list is one array ([] when empty), an absent value is null,
# a command that only acts prints {"ok": true, ...}, and an error is one
# object {"ok": false, "error": {...}} on stderr with its exit code and
# reason code, stdout left empty.  The shapes are those of casevault(1),
# JSON OUTPUT.
#
# Run: CASEVAULT=/abs/path/to/casevault sh tests/e2e_json.sh
# Every check counts: one that fails fails the run.

set -u

if [ -z "${CASEVAULT:-}" ] || [ ! -x "$CASEVAULT" ]; then
	echo "e2e_json: set CASEVAULT to the built casevault binary" >&2
	exit 2
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "e2e_json: python3 is needed" >&2
	exit 2
fi
unset CASEVAULT_VAULT CASEVAULT_USER EDITOR VISUAL

T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM
V=$T/v.db
KDF="--kdf-t 2 --kdf-m 19456 --kdf-p 1"
mkdir -m 700 "$T/run"
XDG_RUNTIME_DIR=$T/run
export XDG_RUNTIME_DIR

npass=0
nfail=0
rc=0

ALICEP='alice-admin-passphrase'
BOBP='bob-counselor-pass-1'
SUEP='sue-supervisor-pass'
pass_of() {
	case $1 in
	alice) printf '%s' "$ALICEP" ;;
	bob) printf '%s' "$BOBP" ;;
	sue) printf '%s' "$SUEP" ;;
	esac
}
say() { printf '%s\n' "$@" >"$T/in"; }
# as USER ARGS... : the passphrase on stdin, --json before the command.
as() {
	as_user=$1
	shift
	say "$(pass_of "$as_user")"
	"$CASEVAULT" --vault "$V" --user "$as_user" --passphrase-fd 0 --json "$@" <"$T/in" \
		>"$T/out" 2>"$T/err"
	rc=$?
}
check() {
	check_d=$1
	shift
	if "$@"; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $check_d (last rc=$rc)" >&2
		sed -n '1,3s/^/    stdout: /p' "$T/out" >&2
		sed -n '1,3s/^/    stderr: /p' "$T/err" >&2
	fi
}
rc_is() { [ "$rc" -eq "$1" ]; }

# The checker: FILE must hold exactly one JSON document on one line; the
# Python expression is evaluated with it as j and must be true.
cat >"$T/j.py" <<'PY'
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
if text.count("\n") != 1 or not text.endswith("\n"):
    sys.exit("not one line: %r" % text[:200])
j = json.loads(text)
if not eval(sys.argv[2], {"j": j}):
    sys.exit("false: %s on %s" % (sys.argv[2], text[:300]))
PY
# out EXPR / err EXPR: EXPR holds of the JSON on stdout / stderr.
out() { python3 "$T/j.py" "$T/out" "$1"; }
err() { python3 "$T/j.py" "$T/err" "$1"; }
err_empty() { [ ! -s "$T/err" ]; }
out_empty() { [ ! -s "$T/out" ]; }
# ok: exit 0, one result object with "ok": true on stdout, stderr empty.
ok() { rc_is 0 && err_empty && out 'j["ok"] is True'; }
# list: exit 0, one array on stdout, stderr empty.
list() { rc_is 0 && err_empty && out 'isinstance(j, list)'; }
# failed N CODE: exit N; nothing on stdout; the error object on stderr.
failed() {
	rc_is "$1" && out_empty &&
		err 'j["ok"] is False and j["error"]["exit"] == '"$1"' and j["error"]["code"] == "'"$2"'" and isinstance(j["error"]["message"], str)'
}
field() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$T/out" "$1"; }

# ---- setting up, in JSON ------------------------------------------------------

say "$ALICEP"
"$CASEVAULT" --vault "$V" --passphrase-fd 0 --json init --admin alice $KDF <"$T/in" \
	>"$T/out" 2>"$T/err"
rc=$?
check "init: the result, with the recovery code and nothing on stderr" \
	eval 'ok && out "j[\"admin\"] == \"alice\" and len(j[\"recovery_code\"]) > 20"'
RC=$(field recovery_code)
for u in bob:counselor sue:supervisor; do
	name=${u%%:*}
	as alice user add "$name" --role "${u#*:}"
	check "user add $name: the result with the code, pending" \
		eval 'ok && out "j[\"user\"] == \"$name\" and j[\"role\"] == \"${u#*:}\" and j[\"status\"] == \"pending\""'
	say "$(field code)" "$(pass_of "$name")"
	"$CASEVAULT" --vault "$V" --passphrase-fd 0 --json enrol --user "$name" <"$T/in" \
		>"$T/out" 2>"$T/err"
	rc=$?
	check "enrol $name: the result" eval 'ok && out "j[\"user\"] == \"$name\""'
done
say "$ALICEP" "$RC"
"$CASEVAULT" --vault "$V" --user alice --passphrase-fd 0 --json vault keys --deliver \
	<"$T/in" >"$T/out" 2>"$T/err"
rc=$?
check "vault keys --deliver: the result with a count" \
	eval 'ok && out "isinstance(j[\"delivered\"], int) and j[\"delivered\"] > 0"'

as alice user list
check "user list: one array of users, expires null for the enrolled" \
	eval 'list && out "len(j) == 3 and all(u[\"expires\"] is None and u[\"verified\"] is True for u in j)"'
as alice config list
check "config list: one array; the system's zone is a null value" \
	eval 'list && out "[s[\"value\"] for s in j if s[\"name\"] == \"timezone\"] == [None]"'
as alice config get timezone
check "config get: one object, value null, signer null while a default" \
	eval 'rc_is 0 && out "j[\"name\"] == \"timezone\" and j[\"value\"] is None and j[\"signer\"] is None and j[\"is_default\"] is True"'
as alice config set referral_days 10
check "config set: the result" eval 'ok && out "j[\"name\"] == \"referral_days\" and j[\"value\"] == \"10\""'

# ---- empty lists are [] ----------------------------------------------------------

for cmd in "case list" "case list --all" "referral list" "watch list" "referral list --overdue"; do
	# shellcheck disable=SC2086
	as bob $cmd
	check "$cmd with nothing in it: []" eval 'list && out "j == []"'
done
as bob duty list --week 2026-W02
check "duty list of an empty week: []" eval 'list && out "j == []"'
# Every hour of the day is an hour of ordinary access, so that the test
# does not depend on the time it runs at (the default hours would make an
# evening run's case work off-hours).
as alice config set alert_hours 00:00-24:00
check "config set alert_hours to the whole day" rc_is 0
as sue audit alerts
check "audit alerts with nothing to see: []" eval 'list && out "j == []"'
as sue audit log --action case.shred
check "audit log matching nothing: []" eval 'list && out "j == []"'
"$CASEVAULT" --vault "$V" --json status >"$T/out" 2>"$T/err"
rc=$?
check "status with no agent: []" eval 'list && out "j == []"'
as bob due
check "due: one object; a counselor's lists empty, the supervisor's null" \
	eval 'rc_is 0 && out "j[\"drafts\"] == [] and j[\"referrals\"] == [] and j[\"register\"] == [] and j[\"crises\"] is None and len(j[\"as_of\"]) == 10"'
as sue due
check "due for a supervisor: crises [], the counselor's lists null" \
	eval 'rc_is 0 && out "j[\"crises\"] == [] and j[\"drafts\"] is None and j[\"referrals\"] is None and j[\"register\"] is None"'

# ---- a case and its records ------------------------------------------------------

printf '%s\n' 'student-id: S-1' 'name: 李华' 'class: 7-2' 'gender: F' 'grade: 7' \
	'category: emotion' >"$T/form"
as bob case open --form "$T/form"
check "case open: the result with the id" \
	eval 'ok && out "j[\"id\"].startswith(\"C-\") and j[\"other_open_cases\"] == 0"'
C=$(field id)
as bob case list
check "case list: an array of one case; absent values null" \
	eval 'list && out "len(j) == 1 and j[0][\"id\"] == \"$C\" and j[0][\"closed_at\"] is None and j[0][\"born\"] is None and j[0][\"guardian\"] is None and j[0][\"student_consent\"] is None and j[0][\"name\"] == \"李华\""'
as bob case show "$C"
check "case show: one object, its lists empty, tests null when not asked" \
	eval 'rc_is 0 && out "j[\"id\"] == \"$C\" and j[\"consent\"] == [] and j[\"notes\"] == [] and j[\"tests\"] is None and j[\"referrals\"] == [] and j[\"followups\"] == [] and j[\"register\"] == []"'
as bob case show "$C" --include-tests
check "case show --include-tests: tests []" eval 'rc_is 0 && out "j[\"tests\"] == []"'
as bob consent show "$C"
check "consent show with none: one object, consent [], nothing in force" \
	eval 'rc_is 0 && out "j[\"case\"] == \"$C\" and j[\"consent\"] == [] and j[\"student_consent\"] is None"'
as bob note list "$C"
check "note list with none: []" eval 'list && out "j == []"'
as bob test list "$C"
check "test list with none: []" eval 'list && out "j == []"'

as bob consent record "$C" --by student,guardian --method written --scope individual,testing,referral-disclosure
check "consent record: the result" \
	eval 'ok && out "j[\"id\"] == \"$C\" and j[\"by\"] == \"student,guardian\" and j[\"action\"] == \"record\""'
as bob consent show "$C"
check "consent show: two events, the guardian's in force too" \
	eval 'rc_is 0 && out "len(j[\"consent\"]) == 2 and j[\"consent\"][1][\"by\"] == \"guardian\" and j[\"guardian_consent\"] is not None and j[\"consent_withdrawn_on\"] is None"'

printf 'First session.\n' >"$T/note"
as bob note add "$C" --file "$T/note"
check "note add: the result with the id" eval 'ok && out "j[\"id\"].startswith(\"N-\")"'
N=$(field id)
as bob note list "$C"
check "note list: an array; text and amends null" \
	eval 'list && out "len(j) == 1 and j[0][\"id\"] == \"$N\" and j[0][\"text\"] is None and j[0][\"amends\"] is None and j[0][\"status\"] == \"draft\""'
as bob note show "$N"
check "note show: one object with the text" \
	eval 'rc_is 0 && out "j[\"id\"] == \"$N\" and j[\"text\"] == \"First session.\\n\""'
check "note show of a draft: its signature checked, signature_ok true" \
	eval 'out "j[\"status\"] == \"draft\" and j[\"signature_ok\"] is True"'
as bob note list "$C"
check "note list: a draft's signature_ok true" eval 'list && out "j[0][\"signature_ok\"] is True"'
as bob note finalize "$N"
check "note finalize: the result lists the ids" eval 'ok && out "j[\"ids\"] == [\"$N\"]"'
as bob case show "$C" --notes
check "case show --notes: the note with its text" \
	eval 'rc_is 0 && out "j[\"notes\"][0][\"text\"] == \"First session.\\n\""'
as bob note show "$N"
check "note show of a final note: signature_ok true" \
	eval 'rc_is 0 && out "j[\"status\"] == \"final\" and j[\"signature_ok\"] is True"'

as bob test add "$C" --scale SCL-90 --score 160
check "test add: the result" eval 'ok && out "j[\"id\"].startswith(\"T-\") and j[\"case\"] == \"$C\""'
as bob test list "$C"
check "test list: an array of one, notes null" \
	eval 'list && out "len(j) == 1 and j[0][\"scale\"] == \"SCL-90\" and j[0][\"notes\"] is None"'

as bob referral add "$C" --to "City Hospital" --to-type hospital --reason emotion \
	--urgency routine --disclosed "the score"
check "referral add: the result" eval 'ok && out "j[\"id\"].startswith(\"R-\") and j[\"case\"] == \"$C\""'
R=$(field id)
as bob referral update "$R" --status contacted
check "referral update: the result" eval 'ok && out "j[\"id\"] == \"$R\" and j[\"status\"] == \"contacted\""'
as bob referral list
check "referral list: an array of one" \
	eval 'list && out "len(j) == 1 and j[0][\"id\"] == \"$R\" and j[0][\"status\"] == \"contacted\""'

as bob watch add "$C" --tag single-parent --every 14d
check "watch add: the result" eval 'ok && out "j[\"id\"] == \"$C\" and j[\"every_days\"] == 14"'
as bob watch list
check "watch list: an array; last_done null before a follow-up" \
	eval 'list && out "len(j) == 1 and j[0][\"case\"] == \"$C\" and j[0][\"last_done\"] is None"'
as bob watch done "$C"
check "watch done: the result" eval 'ok && out "j[\"id\"] == \"$C\""'

as bob duty add --from "2026-01-05 09:00" --to "2026-01-05 12:00" --room A
check "duty add: the result with the shift's id" eval 'ok && out "isinstance(j[\"id\"], int)"'
as bob duty list --week 2026-W02
check "duty list: an array of one shift" \
	eval 'list && out "len(j) == 1 and j[0][\"minutes\"] == 180 and j[0][\"open\"] is False"'
as bob duty hours --from 2026-01-05 --to 2026-01-11
check "duty hours: an array of weeks" \
	eval 'list && out "len(j) == 1 and j[0][\"week\"] == \"2026-W02\" and j[0][\"minutes\"] == 180"'

# ---- the log ---------------------------------------------------------------------

as sue audit log
check "audit log: one array of rows, detail null where there is none" \
	eval 'list && out "len(j) > 10 and all(isinstance(r[\"seq\"], int) for r in j) and any(r[\"detail\"] is None for r in j)"'
"$CASEVAULT" --vault "$V" --user sue --passphrase-fd 0 audit log --format json --limit 3 \
	<"$T/in" >"$T/out" 2>"$T/err"
rc=$?
check "audit log --format json (no --json) --limit 3: one array of three" \
	eval 'list && out "len(j) == 3 and j[0][\"seq\"] < j[2][\"seq\"]"'
as sue audit verify
check "audit verify: one object; intact, first_bad_row null" \
	eval 'rc_is 0 && out "j[\"intact\"] is True and j[\"first_bad_row\"] is None and j[\"error\"] is None and j[\"checkpoint_matched\"] is None and j[\"anchor\"] is None"'
as sue audit verify
check "audit verify again: the anchor the first one left" \
	eval 'rc_is 0 && out "j[\"anchor\"][\"by\"] == \"sue\" and j[\"anchor\"][\"at\"].endswith(\"Z\") and j[\"anchor\"][\"rows_vouched\"] > 0"'
as sue audit checkpoint
check "audit checkpoint: the result with the checkpoint" \
	eval 'ok && out "isinstance(j[\"checkpoint\"], str) and len(j[\"checkpoint\"]) > 20"'
as sue audit alerts --since 2000-01-01
check "audit alerts: an array" eval 'list'

# ---- the documents of stats export, report compliance and stats merge -----------
# Under --json each is one line like every other output (the checker
# refuses a document over several lines); --format json alone keeps the
# indented form meant for a file a person reads.

for i in 2 3 4; do
	printf '%s\n' "student-id: S-$i" "name: Student $i" 'class: 7-2' 'gender: M' 'grade: 8' \
		'category: academic' >"$T/form"
	as bob case open --form "$T/form"
done
MONTHS=$(python3 -c 'import datetime
t = datetime.datetime.now(datetime.timezone.utc)
p = (t.replace(day=1) - datetime.timedelta(days=1))
print(p.strftime("%Y-%m"), t.strftime("%Y-%m"), t.strftime("%Y-%m-%d"))')
set -- $MONTHS
as sue stats export --from "$1" --to "$2" --k 3
check "stats export --json: the export's document, on one line" \
	eval 'rc_is 0 && err_empty && out "j[\"schema\"] == \"casevault-stats-1\" and len(j[\"tables\"]) == 10"'
cp "$T/out" "$T/a.json"
as sue report compliance --from "$1-01" --to "$3"
check "report compliance --json: the report's document, on one line" \
	eval 'rc_is 0 && err_empty && out "isinstance(j, dict) and len(j[\"items\"]) == 9"'
# A second school's export of the same month: the same document from
# another vault (another source).
python3 - "$T/a.json" "$T/b.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["cells_hash"] = "ab" * 32
if "source" in d:
    d["source"] = "cd" * 32
open(sys.argv[2], "w").write(json.dumps(d, indent=2))
PY
"$CASEVAULT" --json stats merge "$T/a.json" "$T/b.json" </dev/null >"$T/out" 2>"$T/err"
rc=$?
check "stats merge --json: the merge's document, on one line" \
	eval 'rc_is 0 && err_empty && out "j[\"schema\"] == \"casevault-stats-merge-1\" and j[\"merged_from\"] == 2"'
"$CASEVAULT" stats merge "$T/a.json" "$T/b.json" --format json </dev/null >"$T/out" 2>"$T/err"
rc=$?
check "stats merge --format json without --json: the indented form, the same document" \
	eval 'rc_is 0 && [ "$(wc -l <"$T/out")" -gt 10 ] && python3 -c "import json, sys; json.load(open(sys.argv[1]))" "$T/out"'

# ---- the agent -------------------------------------------------------------------

"$CASEVAULT" --vault "$V" --user bob --json lock >"$T/out" 2>"$T/err"
rc=$?
check "lock when not unlocked: the result, locked false" \
	eval 'ok && out "j[\"user\"] == \"bob\" and j[\"locked\"] is False"'

# ---- errors: one object on stderr, nothing on stdout -----------------------------

as bob case show C-ZZZZZ
check "an unknown case: exit 6, the error object" failed 6 case.not-found
as sue case list
check "a refusal by role: exit 4, the error object" failed 4 policy.role
as bob case list extra
check "an extra argument: exit 2, the error object with the usage" \
	eval 'failed 2 usage.arguments && err "j[\"error\"][\"usage\"].startswith(\"casevault case list\")"'
say "not-the-passphrase"
"$CASEVAULT" --vault "$V" --user bob --passphrase-fd 0 --json case list <"$T/in" \
	>"$T/out" 2>"$T/err"
rc=$?
check "a wrong passphrase: exit 3, the error object" \
	eval 'rc_is 3 && out_empty && err "j[\"ok\"] is False and j[\"error\"][\"exit\"] == 3"'
as bob case close "$C"
check "case close refused (no analysis note): the error object, nothing on stdout" \
	eval 'rc_is 4 && out_empty && err "j[\"error\"][\"exit\"] == 4"'

# ---- the same times in text: local, in the vault's zone -----------------------
# JSON keeps the stored UTC; text shows YYYY-MM-DD HH:MM in the timezone
# setting (UTC+8 all year in Shanghai).

as alice config set timezone Asia/Shanghai
check "config set timezone: the result" eval 'ok && out "j[\"value\"] == \"Asia/Shanghai\""'
# local_of UTC: the time in Shanghai, as text shows it.
local_of() { python3 -c 'import sys, datetime, zoneinfo
t = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
print(t.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M"))' "$1"; }
# text ARGS... : as USER without --json.
text() {
	t_user=$1
	shift
	say "$(pass_of "$t_user")"
	"$CASEVAULT" --vault "$V" --user "$t_user" --passphrase-fd 0 "$@" <"$T/in" >"$T/out" \
		2>"$T/err"
	rc=$?
}
as bob note show "$N"
WRITTEN=$(field created_at)
SIGNED=$(field updated_at)
check "note show --json: the times in UTC" \
	eval 'out "j[\"created_at\"].endswith(\"Z\") and \"T\" in j[\"created_at\"]"'
text bob note show "$N"
check "note show: written and signed in local time" \
	eval 'rc_is 0 && grep -qF "written $(local_of "$WRITTEN")" "$T/out" && grep -qF "signed $(local_of "$SIGNED"): signature verified" "$T/out"'
check "  ... and no UTC time text" eval '! grep -q "T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z" "$T/out"'
as alice user list
CREATED=$(python3 -c 'import json, sys; print([u["created"] for u in json.load(open(sys.argv[1])) if u["name"] == "bob"][0])' "$T/out")
text alice user list
check "user list: bob created at the local time" \
	eval 'rc_is 0 && grep "^bob " "$T/out" | grep -qF " $(local_of "$CREATED")  signed by"'
as sue audit log --limit 1
LAST=$(python3 -c 'import json, sys; a = json.load(open(sys.argv[1])); print(a[0]["seq"], a[0]["time"])' "$T/out")
text sue audit log --limit 5
check "audit log: the row's time in local time" \
	eval 'rc_is 0 && grep -Eq "^ +${LAST%% *} $(local_of "${LAST#* }") " "$T/out"'
text sue audit log --format csv --limit 1
check "audit log --format csv keeps UTC" eval 'rc_is 0 && grep -q ",20[0-9-]*T[0-9:]*Z,sue," "$T/out"'
as bob case list
OPENED=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["opened_at"])' "$T/out")
text bob case list
check "case list: opened on the local date" \
	eval 'rc_is 0 && grep -qF "opened $(local_of "$OPENED" | cut -c1-10)" "$T/out"'

# ---- --csv: a list as CSV, its columns the JSON keys ---------------------------
# csv_is PYEXPR: the last stdout read as CSV (rows: a list of lists) against
# the JSON of the same list in "$T/json".
csv_is() { python3 -c '
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
j = json.load(open(sys.argv[2]))
sys.exit(0 if eval(sys.argv[3]) else 1)' "$T/out" "$T/json" "$1"; }
as bob case list --all
cp "$T/out" "$T/json"
text bob --csv case list --all
check "case list --csv: a header of the JSON keys, one record a case, the same values" \
	eval 'rc_is 0 && err_empty && csv_is "rows[0] == list(j[0].keys()) and len(rows) == len(j) + 1 and rows[1][rows[0].index(\"id\")] == j[0][\"id\"]"'
check "case list --csv: null is an empty field, a number its digits" \
	csv_is 'all((rows[1][i] == "" if j[0][k] is None else rows[1][i] == str(j[0][k]) if isinstance(j[0][k], (int, str)) and not isinstance(j[0][k], bool) else True) for i, k in enumerate(rows[0]))'
as alice user list
cp "$T/out" "$T/json"
text alice --csv user list
check "user list --csv: every user, as many fields in every record" \
	eval 'rc_is 0 && csv_is "len(rows) == len(j) + 1 and len(set(map(len, rows))) == 1"'
as alice config list
cp "$T/out" "$T/json"
text alice --csv config list
check "config list --csv: every setting, its value as in JSON" \
	eval 'rc_is 0 && csv_is "len(rows) == len(j) + 1 and [r[rows[0].index(\"name\")] for r in rows[1:]] == [x[\"name\"] for x in j]"'
as bob note list "$C"
cp "$T/out" "$T/json"
text bob --csv note list "$C"
check "note list --csv: each note's text whole, line breaks and all" \
	eval 'rc_is 0 && csv_is "len(rows) == len(j) + 1 and all(rows[1 + i][rows[0].index(\"text\")] == (n[\"text\"] or \"\") for i, n in enumerate(j))"'
text bob --csv referral list --overdue
check "an empty list under --csv prints nothing" eval 'rc_is 0 && out_empty && err_empty'
text bob --csv case show "$C"
check "--csv on a command that prints no list: usage error, nothing printed" \
	eval 'rc_is 2 && out_empty && grep -q "prints a list" "$T/err"'
text alice --csv audit log --limit 2
check "--csv on audit log: usage error naming its own option, nothing printed" \
	eval 'rc_is 2 && out_empty && grep -qF "use '"'"'casevault audit log --format csv'"'"'" "$T/err" &&
	! grep -q "prints none" "$T/err"'
text alice audit log --format csv --limit 2
check "  ... and what it names works: a header and two rows" \
	eval 'rc_is 0 && [ "$(python3 -c "import csv, sys; print(len(list(csv.reader(open(sys.argv[1], newline=\"\")))))" "$T/out")" -eq 3 ]'
text bob --csv --json case list
check "--csv with --json: usage error" eval 'rc_is 2 && out_empty && grep -q "not both" "$T/err"'

# ---- input that runs out: stable reason codes -----------------------------------

: >"$T/in"
"$CASEVAULT" --vault "$V" --user bob --passphrase-fd 0 --json case list <"$T/in" \
	>"$T/out" 2>"$T/err"
rc=$?
check "no passphrase on the descriptor: passphrase.missing (exit 2)" failed 2 passphrase.missing
as bob case find
check "case find with nothing after the passphrase: input.empty (exit 2)" failed 2 input.empty

echo "e2e_json: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
