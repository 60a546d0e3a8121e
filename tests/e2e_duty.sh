#!/bin/sh
# e2e_duty.sh - the duty log (R7) through the built binary, in a vault whose
# admin set the time zone to Asia/Shanghai: `duty add` stores UTC and
# `duty list` shows local time; `duty start` and `duty end` log a shift
# now; each refusal (overlap with one's own shift, the future, over 16
# hours, a second open shift, no open shift, bad times, weeks, dates and
# visits, the wrong role) has its exit code and changes no shift; `duty
# hours` counts the union of every counselor's shifts per local ISO week
# (two on duty at once count once) across midnight, weeks and the New
# Year, and marks the weeks under the duty_hours threshold, in text and
# JSON; and on copies of the vault, a shift changed, planted, put back
# or deleted with sqlite3 is refused (exit 5) by the list or by audit
# verify.
#
# Run: CASEVAULT=/abs/path/to/casevault sh tests/e2e_duty.sh
# Every check counts: one that fails fails the run.

set -u

if [ -z "${CASEVAULT:-}" ] || [ ! -x "$CASEVAULT" ]; then
	echo "e2e_duty: set CASEVAULT to the built casevault binary" >&2
	exit 2
fi
for tool in sqlite3 python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "e2e_duty: $tool is needed" >&2
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
	carol) printf '%s' "$CAROLP" ;;
	sue) printf '%s' "$SUEP" ;;
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
		sed -n '1,3s/^/    stdout: /p' "$T/out" >&2
	fi
}
rc_is() { [ "$rc" -eq "$1" ]; }
err_has() { grep -qF -- "$1" "$T/err"; }
out_has() { grep -qF -- "$1" "$T/out"; }
q() { sqlite3 "$V" "$1"; }
shifts() { q 'select count(*) from duty'; }
# The local time in the vault's zone, N hours from now.
local_in() { TZ=$ZONE date -d "$1 hours" '+%Y-%m-%d %H:%M'; }
# The local ISO week of a local date and time.
iso_week() { python3 -c 'import sys, datetime; d = datetime.date.fromisoformat(sys.argv[1][:10]); y, w, _ = d.isocalendar(); print("%04d-W%02d" % (y, w))' "$1"; }
# "WEEK MINUTES UNDER" for each week of duty hours --json in $T/out.
weeks_of() { python3 -c 'import json, sys
for w in json.load(open(sys.argv[1])):
    print(w["week"], w["minutes"], int(w["under"]))' "$T/out"; }
week_is() { weeks_of >"$T/weeks" && grep -qx -- "$1" "$T/weeks"; }

ALICEP='alice-admin-passphrase'
BOBP='bob-counselor-pass-1'
CAROLP='carol-counselor-pass-2'
SUEP='sue-supervisor-pass'

say "$ALICEP"
"$CASEVAULT" --vault "$V" --passphrase-fd 0 init --admin alice $KDF <"$T/in" >"$T/out" 2>"$T/err"
rc=$?
check "init" rc_is 0
for u in bob:counselor carol:counselor sue:supervisor; do
	name=${u%%:*}
	say "$ALICEP"
	cv alice user add "$name" --role "${u#*:}" <"$T/in"
	say "$(tail -n 1 "$T/out")" "$(pass_of "$name")"
	cv "$name" enrol <"$T/in"
	check "$name enrols" rc_is 0
done
as alice config set timezone "$ZONE"
check "the admin sets the time zone" rc_is 0

# ---- duty add and list: local time in, UTC stored, local time out ----------

as bob duty add --from "2026-01-05 09:00" --to "2026-01-05 12:00" --room "Room 201" --visits 2
check "duty add prints the shift" eval 'rc_is 0 && out_has "added shift 1"'
check "09:00 in Shanghai is stored as 01:00 UTC" \
	[ "$(q 'select start_utc from duty where id = 1')" = "$(date -u -d '2026-01-05 01:00' +%s)" ]
check "the shift is closed, signed, its visits and room kept" \
	[ "$(q "select status, end_utc - start_utc, visits, room, length(sig) from duty")" = "closed|10800|2|Room 201|64" ]
as bob duty list --week 2026-W02
check "duty list shows local times, the counselor, length and visits" \
	eval 'rc_is 0 && out_has "2026-01-05 09:00  2026-01-05 12:00  bob" && out_has "3:00 visits 2" && out_has "Room 201"'
as sue duty list --week 2026-W02 --json
check "a supervisor lists it as JSON" \
	eval 'rc_is 0 && python3 -c "import json,sys; a=json.load(open(sys.argv[1])); assert len(a)==1; d=a[0]; assert d[\"start\"]==\"2026-01-05 09:00\" and d[\"end\"]==\"2026-01-05 12:00\" and d[\"counselor\"]==\"bob\" and d[\"minutes\"]==180 and d[\"week\"]==\"2026-W02\" and not d[\"open\"]" "$T/out"'
as bob duty list --week 2026-W03
check "another week lists no shift and says so in one line" \
	eval 'rc_is 0 && [ "$(wc -l <"$T/out")" -eq 1 ] && [ "$(cat "$T/out")" = "no duty shifts in week 2026-W03" ]'
as bob duty list --week 2026-W03 --json
check "  ... under --json: []" eval 'rc_is 0 && [ "$(cat "$T/out")" = "[]" ]'

# ---- refusals of duty add ------------------------------------------------------

bad_add() { # DESCRIPTION WANT-RC ERR-TEXT ARGS...
	d=$1 want=$2 text=$3
	shift 3
	as bob duty add "$@"
	check "$d (exit $want)" eval 'rc_is $want && err_has "$text" && [ "$(shifts)" -eq 1 ]'
}
bad_add "a shift overlapping one's own is refused" 4 "overlaps your shift 1, from '2026-01-05 09:00'" \
	--from "2026-01-05 11:00" --to "2026-01-05 13:00"
bad_add "a shift in the future is refused" 4 "in the future" \
	--from "2099-01-05 09:00" --to "2099-01-05 10:00"
bad_add "a shift over 16 hours is refused" 4 "longer than 16 hours" \
	--from "2026-01-06 00:00" --to "2026-01-06 16:01"
bad_add "an end before the start is a usage error" 2 "not after it starts" \
	--from "2026-01-06 10:00" --to "2026-01-06 09:00"
bad_add "a malformed time is a usage error" 2 "YYYY-MM-DD HH:MM" \
	--from "2026-01-06 9:00" --to "2026-01-06 10:00"
bad_add "an impossible date is a usage error" 2 "not valid" \
	--from "2026-02-30 09:00" --to "2026-02-30 10:00"
bad_add "a room with a control character is a usage error" 2 "room" \
	--from "2026-01-06 09:00" --to "2026-01-06 10:00" --room "$(printf 'R\033[2J')"
bad_add "visits that are not a number are a usage error" 2 "--visits" \
	--from "2026-01-06 09:00" --to "2026-01-06 10:00" --visits many
as bob duty add --from "2026-01-06 09:00"
check "--to is required (exit 2)" eval 'rc_is 2 && err_has "--from and --to"'
check "the refusals are logged with their codes" \
	[ "$(q "select count(*) from audit where action = 'duty.add' and outcome = 'denied' and (detail like 'duty.overlap %' or detail like 'duty.future %' or detail like 'duty.too-long %')")" -eq 3 ]
check "no room text reaches the log" [ "$(q "select count(*) from audit where detail like '%Room%'")" -eq 0 ]

# ---- roles ---------------------------------------------------------------------

: >"$T/in"
cv alice duty list --week 2026-W02 <"$T/in"
check "an admin is refused before any passphrase (exit 4)" \
	eval 'rc_is 4 && err_has "only counselors and supervisors" && ! err_has "passphrase"'
cv sue duty add --from "2026-01-07 09:00" --to "2026-01-07 10:00" <"$T/in"
check "a supervisor may not log a shift (exit 4)" eval 'rc_is 4 && err_has "only counselors"'
cv sue duty start <"$T/in"
check "a supervisor may not start a shift (exit 4)" rc_is 4
cv alice duty hours --from 2026-01-01 --to 2026-01-31 <"$T/in"
check "an admin may not see the hours (exit 4)" rc_is 4

# ---- duty hours: the union per local week ----------------------------------------

# W02: carol overlaps bob (11:00-14:00 against 09:00-12:00): 5 hours, not 6;
# carol's Sunday 22:00 to Monday 02:00 puts 2 hours in W02 and 2 in W03;
# bob's Monday 07:00-09:00 in Shanghai is Sunday 23:00 UTC, all in W03.
as carol duty add --from "2026-01-05 11:00" --to "2026-01-05 14:00"
check "another counselor may overlap" rc_is 0
as carol duty add --from "2026-01-11 22:00" --to "2026-01-12 02:00"
check "a shift across midnight and into the next week" rc_is 0
as bob duty add --from "2026-01-12 07:00" --to "2026-01-12 09:00"
check "a morning shift that is the day before in UTC" rc_is 0
# W04: 12 hours, one shift inside another.
as bob duty add --from "2026-01-19 08:00" --to "2026-01-19 16:00"
as carol duty add --from "2026-01-19 10:00" --to "2026-01-19 12:00"
as carol duty add --from "2026-01-20 08:00" --to "2026-01-20 12:00"
check "W04's shifts" rc_is 0
# Across the New Year: 2024-12-29 is a Sunday of 2024-W52, 2024-12-30 the
# Monday of 2025-W01; 2025-12-31 and 2026-01-01 are in 2026-W01.
as bob duty add --from "2024-12-29 22:00" --to "2024-12-30 03:00"
as carol duty add --from "2025-12-31 20:00" --to "2026-01-01 01:00"
check "shifts across the New Year" rc_is 0

as sue duty hours --from 2026-01-01 --to 2026-01-25 --json
check "duty hours as JSON" rc_is 0
check "2026-W01: 5 hours across the New Year, under 10" week_is "2026-W01 300 1"
check "2026-W02: the union (5 h) and 2 h before midnight: 7 hours, under" week_is "2026-W02 420 1"
check "2026-W03: 2 h after midnight and the Shanghai morning: 4 hours" week_is "2026-W03 240 1"
check "2026-W04: 12 hours, not under 10" week_is "2026-W04 720 0"
as sue duty hours --from 2024-12-23 --to 2025-01-05 --json
check "2024-W52 and 2025-W01 split at local midnight" \
	eval 'week_is "2024-W52 120 1" && week_is "2025-W01 180 1"'
as sue duty hours --from 2026-01-01 --to 2026-01-25
check "the text form marks the weeks under the threshold" \
	eval 'rc_is 0 && grep -q "^2026-W04  2026-01-19   12:00$" "$T/out" && grep -q "^2026-W02  2026-01-05    7:00  UNDER 10:00$" "$T/out"'
check "a week the dates cover in part says so" \
	eval 'grep -q "^2026-W01 .*(part of the week asked for)" "$T/out"'
as alice config set duty_hours 13
as sue duty hours --from 2026-01-19 --to 2026-01-25 --json
check "with duty_hours 13, W04 is under" week_is "2026-W04 720 1"
as sue duty hours --from 2026-01-25 --to 2026-01-01
check "a range that ends before it starts is a usage error" eval 'rc_is 2 && err_has "swap"'
as sue duty hours --from 2026-01-01
check "--to is required" rc_is 2
as sue duty hours --from 2026-1-1 --to 2026-01-31
check "a malformed date is a usage error" eval 'rc_is 2 && err_has "YYYY-MM-DD"'
as carol duty add --from "2026-09-07 08:00" --to "2026-09-07 10:30"
as sue duty hours --term 2026-autumn --json
check "a term is its whole months: 2026-W36 to 2027-W04, 22 weeks" \
	eval 'rc_is 0 && weeks_of >"$T/weeks" && [ "$(wc -l <"$T/weeks")" -eq 22 ] && head -n 1 "$T/weeks" | grep -q "^2026-W36 " && tail -n 1 "$T/weeks" | grep -q "^2027-W04 " && grep -qx "2026-W37 150 1" "$T/weeks"'
as sue duty hours --term 2026-winter
check "an unknown term is a usage error" eval 'rc_is 2 && err_has "2026-winter"'
as sue duty hours --term 2026-autumn --from 2026-09-01
check "--term with --from is a usage error" rc_is 2
as sue duty list --week 2025-W53
check "a week the year does not have is a usage error" eval 'rc_is 2 && err_has "YYYY-Www"'
check "duty hours is logged with its figures (JSON and text, the same)" \
	[ "$(q "select count(*) from audit where actor = 'sue' and action = 'duty.hours' and detail = 'from=2026-01-01 to=2026-01-25 weeks=4 under=3'")" -eq 2 ]

# ---- duty start and duty end ------------------------------------------------------

as carol duty end
check "ending with no open shift is not found (exit 6)" eval 'rc_is 6 && err_has "no open shift"'
as carol duty start --at "$(local_in 2)"
check "a start in the future is refused (exit 4)" eval 'rc_is 4 && err_has "future"'
as carol duty start --at "$(local_in -17)"
check "a start over 16 hours ago is refused (exit 4)" eval 'rc_is 4 && err_has "duty add"'
n=$(shifts)
START=$(local_in -2)
as carol duty start --room "Room 3" --at "$START"
check "duty start" eval 'rc_is 0 && out_has "started shift"'
check "the open shift has no end" \
	[ "$(q "select status, end_utc from duty where room = 'Room 3'")" = "open|0" ]
as carol duty start
check "a second open shift is refused (exit 4)" eval 'rc_is 4 && err_has "already on shift"'
as carol duty add --from "$START" --to "$(local_in -1)"
check "a shift inside the open one is refused (exit 4)" eval 'rc_is 4 && err_has "still open"'
as bob duty list --week "$(iso_week "$START")" --json
check "the open shift is listed, open, without an end" \
	eval 'rc_is 0 && python3 -c "import json,sys; s=json.load(open(sys.argv[1])); o=[d for d in s if d[\"open\"]]; assert len(o)==1 and o[0][\"end\"] is None and o[0][\"counselor\"]==\"carol\"" "$T/out"'
as carol duty end --at "$(local_in -3)"
check "an end before the start is a usage error (exit 2)" rc_is 2
as carol duty end --visits 4
check "duty end" eval 'rc_is 0 && out_has "ended shift"'
check "the shift is closed, about 2 hours, 4 visits" \
	[ "$(q "select status || ' ' || (end_utc - start_utc between 7200 and 7500) || ' ' || visits from duty where room = 'Room 3'")" = "closed 1 4" ]
check "start and end added one shift" [ "$(shifts)" -eq $((n + 1)) ]
as carol duty end
check "ending again is not found (exit 6)" rc_is 6
check "start and end are logged" \
	[ "$(q "select count(*) from audit where actor = 'carol' and outcome = 'ok' and action in ('duty.start', 'duty.end')")" -eq 2 ]
as sue audit verify
check "the log verifies with the duty table" rc_is 0

# ---- tampering, each on a copy of the vault ------------------------------------------

sqlite3 "$V" ".backup '$T/base.db'"
tamper() { # NAME SQL
	cp "$T/base.db" "$T/$1.db"
	sqlite3 "$T/$1.db" "$2"
	V=$T/$1.db
}

tamper changed "update duty set end_utc = end_utc + 3600 where id = 1"
as bob duty list --week 2026-W02
check "a changed end is refused by the list (exit 5), naming the shift" \
	eval 'rc_is 5 && err_has "shift 1 " && [ ! -s "$T/out" ]'
as sue duty hours --from 2026-01-05 --to 2026-01-11
check "... and by duty hours" eval 'rc_is 5 && err_has "shift 1 "'
as sue audit verify
check "... and by audit verify" eval 'rc_is 5 && err_has "duty"'

tamper planted "insert into duty select 99, counselor_id, room, status, start_utc + 86400, end_utc + 86400, visits, created_at, seq, signer_id, sig from duty where id = 1"
as sue duty list --week 2026-W02
check "a planted copy is refused (exit 5)" eval 'rc_is 5 && err_has "shift 99 "'
as sue audit verify
check "... and by audit verify" eval 'rc_is 5 && err_has "planted"'

tamper visits "update duty set visits = 40 where id = 1"
as sue duty list --week 2026-W02
check "changed visits are refused (exit 5)" eval 'rc_is 5 && err_has "shift 1 "'

tamper deleted "delete from duty where id = 2"
as sue audit verify
check "a deleted shift is found by audit verify (exit 5)" eval 'rc_is 5 && err_has "missing"'

# The genuine open row, put back after the shift ended.
V=$T/v.db
START=$(local_in -1)
as bob duty start --at "$START"
sqlite3 "$V" ".backup '$T/open.db'"
as bob duty end --visits 1
ID=$(q "select max(id) from duty")
cp "$V" "$T/back.db"
sqlite3 "$T/back.db" "attach '$T/open.db' as old; update duty set (status, end_utc, visits, seq, sig) = (select status, end_utc, visits, seq, sig from old.duty where id = $ID) where id = $ID"
V=$T/back.db
as bob duty list --week "$(iso_week "$START")"
check "an older signed copy put back is refused (exit 5)" \
	eval 'rc_is 5 && err_has "shift $ID " && err_has "older"'
as bob duty start
check "... also when a shift starts" rc_is 5

echo "e2e_duty: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
