#!/bin/sh
# e2e_stats.sh - `stats export` through the built binary: a supervisor
# exports a month as CSV and as JSON (both parsed by python3's csv and json
# modules), no published count lies in 1..k-1 and every suppressed cell
# carries the one marker, the release is recorded and logged and the log
# verifies; counselors and admins are refused before any passphrase, k
# under 3 is a usage error, an overlapping period is refused, and -o never
# overwrites a file.
#
# Run: CASEVAULT=/abs/path/to/casevault sh tests/e2e_stats.sh
# Every check counts: one that fails fails the run.

set -u

if [ -z "${CASEVAULT:-}" ] || [ ! -x "$CASEVAULT" ]; then
	echo "e2e_stats: set CASEVAULT to the built casevault binary" >&2
	exit 2
fi
for tool in sqlite3 python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "e2e_stats: $tool is needed" >&2
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
	fi
}
rc_is() { [ "$rc" -eq "$1" ]; }
err_has() { grep -qF -- "$1" "$T/err"; }
out_has() { grep -qF -- "$1" "$T/out"; }
q() { sqlite3 "$1" "$2"; }

ALICEP='alice-admin-passphrase'
BOBP='bob-counselor-pass-1'
SUEP='sue-supervisor-pass'

say "$ALICEP"
"$CASEVAULT" --vault "$V" --passphrase-fd 0 init --admin alice $KDF <"$T/in" >"$T/out" 2>"$T/err"
rc=$?
RC=$(cat "$T/out")
check "init" rc_is 0
for u in bob:counselor sue:supervisor; do
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

# 9 girls in grade 8 (emotion), 5 boys in grade 2 (academic), one student
# of gender X in grade 11 (family): that cell and its margins are small.
i=0
while [ $i -lt 15 ]; do
	if [ $i -lt 9 ]; then
		set -- F 8 emotion
	elif [ $i -lt 14 ]; then
		set -- M 2 academic
	else
		set -- X 11 family
	fi
	printf 'student-id: S-%s\nname: Student %s\nclass: 1A\n' "$i" "$i" >"$T/form"
	as bob case open --form "$T/form" --gender "$1" --grade "$2" --category "$3"
	[ "$rc" -eq 0 ] || echo "case open $i failed: $(cat "$T/err")" >&2
	i=$((i + 1))
done
check "15 cases opened" [ "$(q "$V" 'select count(*) from cases')" -eq 15 ]
# Six of the girls are referred (three to a mental-health service, three to
# a hospital), with both consents first.
n=0
for C in $(q "$V" "select id from cases order by opened_at, rowid limit 6"); do
	for by in student guardian; do
		as bob consent record "$C" --by "$by" --method written --date 2026-01-05 \
			--scope individual,referral-disclosure
	done
	if [ $n -lt 3 ]; then kind=mental-health; else kind=hospital; fi
	as bob referral add "$C" --to 'City Clinic' --to-type "$kind" --reason emotion \
		--urgency routine --disclosed 'a summary'
	[ "$rc" -eq 0 ] || echo "referral $n failed: $(cat "$T/err")" >&2
	n=$((n + 1))
done
check "6 referrals made" [ "$(q "$V" "select count(*) from records where type = 'referral'")" -eq 6 ]
M=$(q "$V" "select substr(min(opened_at), 1, 7) from cases")
# the last month anything was written in
M2=$(q "$V" "select substr(max(t), 1, 7) from (select max(opened_at) as t from cases union all select max(created_at) from records)")
sqlite3 "$V" ".backup '$T/copy.db'"
sqlite3 "$V" ".backup '$T/noisy.db'"
sqlite3 "$V" ".backup '$T/html.db'"

# ---- refusals before anything is asked -------------------------------------

: >"$T/in"
cv bob stats export --from "$M" --to "$M2" --format csv <"$T/in"
check "a counselor is refused before any passphrase (exit 4)" \
	eval 'rc_is 4 && err_has "only supervisors" && ! err_has "passphrase"'
cv alice stats export --from "$M" --to "$M2" --format csv <"$T/in"
check "an admin is refused (exit 4)" eval 'rc_is 4 && err_has "only supervisors"'
cv sue stats export --from "$M" --to "$M2" --k 2 --format csv <"$T/in"
check "k 2 is a usage error (exit 2)" eval 'rc_is 2 && err_has "--k"'
cv sue stats export --from "$M" --to "$M2" <"$T/in"
check "--format is required (exit 2)" rc_is 2
cv sue stats export --term 2026-winter --format csv <"$T/in"
check "an unknown term is a usage error" eval 'rc_is 2 && err_has "2026-winter"'
cv sue stats export --from "$M-01" --to "$M2" --format csv <"$T/in"
check "a date is not a whole month" rc_is 2
# a period going past this month: its months to come could never be released
NEXT=$(date -d "$(date +%Y-%m-15) +1 month" +%Y-%m)
as sue stats export --from "$M" --to "$NEXT" --format csv
check "a period going past this month is refused (exit 2)" \
	eval 'rc_is 2 && err_has "goes past this month" && err_has "--to $(date +%Y-%m)"'
check "no release recorded by refusals" [ "$(q "$V" 'select count(*) from stats_releases')" -eq 0 ]

# ---- terms are settings ----------------------------------------------------

as alice config list
check "the terms' months are settings, 09..01 and 02..07 by default" \
	eval 'rc_is 0 && out_has "term_autumn" && out_has "09..01" && out_has "term_spring" && out_has "02..07"'
as alice config set term_autumn 13..01
check "a term's months are checked (exit 2)" eval 'rc_is 2 && err_has "MM..MM"'
as alice config set term_spring 01..06
check "two terms may not share a month (exit 2)" \
	eval 'rc_is 2 && err_has "may not share a month" && err_has "term_autumn is 09..01"'
check "nothing set by the refusals" [ "$(q "$V" "select count(*) from settings")" -eq 0 ]

# ---- CSV ---------------------------------------------------------------------

as sue stats export --from "$M" --to "$M2" --format csv -o "$T/s.csv"
check "CSV export to a file" eval 'rc_is 0 && err_has "written to"'
check "the file is private (0600)" [ "$(stat -c %a "$T/s.csv")" = 600 ]
cat >"$T/check_csv.py" <<'PY'
import csv, sys
k = int(sys.argv[2])
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows[0] == ["table", "row", "column", "count"], rows[0]
referrals = {"referrals_by_urgency_and_status", "referrals_by_institution"}
# what the cells are of
params = {(r, c): v for t, r, c, v in rows[1:] if t == "export"}
assert params == {("period", "from"): sys.argv[4], ("period", "to"): sys.argv[5],
                  ("k", ""): str(k), ("epsilon", ""): "none"}, params
tables = set()
withheld = set()
hidden = 0
cells = {}
for t, r, c, v in rows[1:]:
    if t == "export":
        continue
    if v == "withheld":
        assert (r, c) == ("all", "total"), (t, r, c)
        withheld.add(t)
        continue
    tables.add(t)
    cells[(t, r, c)] = v
    if v == "x":
        hidden += 1
        continue
    n = int(v)
    assert n == 0 or n >= k, (t, r, c, n)
    if r in ("all", "total") and c == "total":
        assert n == (6 if t in referrals else int(sys.argv[3])), (t, n)
# the register has no entry and there is no crisis event: withheld
assert tables == {"opened_by_month", "grade_band_by_gender", "category", "closed_by_month",
                  "sessions_per_case", "consent_coverage"} | referrals, tables
assert withheld == {"register_tags", "crisis_events"}, withheld
assert hidden > 0
# six routine referrals, none followed up; three and three by institution,
# both hidden, so the total they share is hidden too (the singleton rule),
# in both tables
rt = cells[("referrals_by_urgency_and_status", "total", "total")]
assert rt == cells[("referrals_by_institution", "all", "total")] == "x", rt
assert cells[("referrals_by_urgency_and_status", "routine", "referred")] == "x"
assert cells[("referrals_by_urgency_and_status", "urgent", "referred")] == "0"
assert cells[("referrals_by_institution", "all", "mental-health")] == "x"
assert cells[("referrals_by_institution", "all", "hospital")] == "x"
assert cells[("referrals_by_institution", "all", "counseling")] == "0"
# consent: six cases with both, nine with none
assert cells[("consent_coverage", "all", "student assent and guardian consent")] == "6"
assert cells[("consent_coverage", "all", "no student assent")] == "9"
assert cells[("sessions_per_case", "all", "0")] == "15"
PY
check "the CSV parses, no count in 1..4, suppressed cells marked x, totals true" \
	python3 "$T/check_csv.py" "$T/s.csv" 5 15 "$M" "$M2"
check "the category under k is not named" eval '! grep -q "family" "$T/s.csv"'
check "one release recorded with k 5" \
	[ "$(q "$V" "select period_from || ' ' || period_to || ' ' || k || ' ' || epsilon from stats_releases")" = "$M $M2 5 0" ]
as sue audit log --action stats.export
check "the export is logged" eval 'rc_is 0 && out_has "stats:$M..$M2" && out_has "k=5 tables=8" && ! out_has "cases="'
as sue audit verify
check "the log verifies after a release" rc_is 0

as sue stats export --from "$M" --to "$M2" --format json
check "the same period again is refused (exit 4, stats.overlap)" \
	eval 'rc_is 4 && err_has "earlier release"'
say "$SUEP"
"$CASEVAULT" --vault "$V" --user sue --passphrase-fd 0 --json stats export --from "$M" \
	--to "$M2" --format json <"$T/in" >"$T/out" 2>"$T/err"
rc=$?
check "under --json the refusal carries its code" eval 'rc_is 4 && err_has "stats.overlap"'
as sue stats export --from "$M" --to "$M2" --format csv -o "$T/s.csv"
check "-o never overwrites" eval 'rc_is 2 && err_has "never overwritten"'

# ---- JSON (on a copy of the vault before the release) --------------------

V=$T/copy.db
as sue stats export --term 2000-autumn --format json
check "a term with no cases: refused, nothing written, no count given" \
	eval 'rc_is 4 && [ ! -s "$T/out" ] && err_has "fewer than k = 5 cases in 2000-09..2001-01" && err_has "stays open"'
check "a term with no cases: no release recorded" \
	eval '[ "$(sqlite3 "$V" "select count(*) from stats_releases where period_from = '"'"'2000-09'"'"'")" = 0 ]'
# an hour of duty, ending an hour ago: the export carries the week's hours
SF=$(date -d '-2 hours' '+%Y-%m-%d %H:%M')
ST=$(date -d '-1 hour' '+%Y-%m-%d %H:%M')
as bob duty add --from "$SF" --to "$ST" --room 'Room 201'
check "a shift logged" rc_is 0
as sue stats export --from "$M" --to "$M2" --k 3 --format json
cp "$T/out" "$T/s.json"
check "the duty log's hours are in the export, unsuppressed (or, past midnight of a new month, outside it)" \
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
if sys.argv[2][:7] < sys.argv[3]:
    assert d["duty"] is None, d["duty"]
else:
    assert d["duty"]["threshold_minutes"] == 600
    assert sum(w["minutes"] for w in d["duty"]["weeks"]) == 60, d["duty"]
    assert all(w["under"] for w in d["duty"]["weeks"])' "$T/s.json" "$SF" "$M"
cat >"$T/check_json.py" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
k = d["k"]
assert d["schema"] == "casevault-stats-1" and d["version"] == 3, d["schema"]
assert d["marker"] == "x"
assert len(d["cells_hash"]) == 64
assert len(d["source"]) == 64 and d["source"] != d["cells_hash"]
hidden = 0
for t in d["tables"]:
    assert t["population"] in ("cases", "referrals", "register", "crisis"), t
    # only the category table's columns depend on the data: its last,
    # "other", took the categories under k
    assert t["folded_into"] == ("other" if t["name"] == "category" else None), t["name"]
    assert t["folded_into"] is None or t["columns"][-1] == t["folded_into"]
    assert t["published"] or t["population"] in ("register", "crisis") or len(sys.argv) > 2, t["name"]
    for c in t["cells"]:
        if c["suppressed"]:
            assert c["count"] is None
            hidden += 1
        else:
            assert c["count"] == 0 or c["count"] >= k, c
if len(sys.argv) > 2:  # noisy: what is hidden and named depends on the noise
    sys.exit(0)
assert hidden > 0
cat = [t for t in d["tables"] if t["name"] == "category"][0]
assert cat["columns"] == ["academic", "emotion", "other"], cat["columns"]
g = [t for t in d["tables"] if t["name"] == "grade_band_by_gender"][0]
assert g["rows"] == ["primary 1-3", "primary 4-6", "junior 7-9", "senior 10-12"]
assert g["columns"] == ["F", "M", "X"]
PY
check "JSON export with k 3 parses, schema and suppression as documented" \
	eval 'rc_is 0 && python3 "$T/check_json.py" "$T/s.json"'
check "its source is the vault's, hashed as FORMAT.md says (not the vault_id itself)" \
	python3 -c 'import hashlib, json, sys
d = json.load(open(sys.argv[1]))
vid = bytes.fromhex(sys.argv[2])
want = hashlib.blake2b(b"casevault-stats-source-v1" + vid, digest_size=32).hexdigest()
assert len(vid) == 16 and d["source"] == want and vid.hex() not in json.dumps(d)' "$T/s.json" \
	"$(sqlite3 "$V" "select hex(value) from meta where key = 'vault_id'")"

# ---- --epsilon (on another copy) --------------------------------------------

V=$T/noisy.db
as sue stats export --from "$M" --to "$M2" --epsilon 2 --format json
check "epsilon over the budget of a release is refused (exit 4)" \
	eval 'rc_is 4 && [ "$(q "$V" "select count(*) from stats_releases")" -eq 0 ]'
as sue stats export --from "$M" --to "$M2" --epsilon 0.001 --format json
check "epsilon too small to share is a usage error" rc_is 2
as sue stats export --from "$M" --to "$M2" --epsilon 0.5 --format json
cp "$T/out" "$T/n.json"
check "a noisy export parses, is as safe, and names its epsilon" \
	eval 'rc_is 0 && python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"epsilon\"] == \"0.5\"" "$T/n.json" && python3 "$T/check_json.py" "$T/n.json" nohidden'
check "its release spent 500 thousandths" \
	[ "$(q "$V" 'select epsilon from stats_releases')" = 500 ]

# ---- HTML (on another copy) --------------------------------------------------

V=$T/html.db
as sue stats export --from "$M" --to "$M2" --format html -o "$T/s.html"
check "HTML export to a file" rc_is 0
cat >"$T/check_html.py" <<'PY'
import sys
from html.parser import HTMLParser

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tag = None
        self.cells = []
        self.heads = []
    def handle_starttag(self, tag, attrs):
        self.tag = tag
        if tag == "h2":
            self.heads.append(dict(attrs)["id"])
    def handle_endtag(self, tag):
        self.tag = None
    def handle_data(self, data):
        if self.tag == "td":
            self.cells.append(data)

p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
assert p.heads == ["opened_by_month", "grade_band_by_gender", "category", "closed_by_month",
                   "sessions_per_case", "consent_coverage", "referrals_by_urgency_and_status",
                   "referrals_by_institution", "register_tags", "crisis_events"], p.heads
assert "x" in p.cells
for c in p.cells:
    assert c == "x" or int(c) == 0 or int(c) >= 5, c
PY
check "the HTML parses: every table, no count in 1..4, hidden cells marked x" \
	python3 "$T/check_html.py" "$T/s.html"

echo "e2e_stats: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
