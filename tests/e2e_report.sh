#!/bin/sh
# e2e_report.sh - `report compliance` through the built binary: a
# supervisor reports on a period as text, JSON and a printable page (the
# JSON and the page parsed back by python3), each item with its status,
# figure and the weeks or case ids behind it, never a student's name; a
# break-glass event is named until it is reviewed; the report is logged
# and the log verifies.  Counselors and admins are refused before any
# passphrase, bad periods and formats are usage errors, and -o never
# overwrites a file.  chromium prints the page and pdftotext reads it back
# (`make check` installs both and a CJK font).
#
# Run: CASEVAULT=/abs/path/to/casevault sh tests/e2e_report.sh
# Every check counts: one that fails fails the run.

set -u

if [ -z "${CASEVAULT:-}" ] || [ ! -x "$CASEVAULT" ]; then
	echo "e2e_report: set CASEVAULT to the built casevault binary" >&2
	exit 2
fi
for tool in sqlite3 python3 chromium pdftotext; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "e2e_report: $tool is needed (make deps installs it)" >&2
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

# ---- a little work: two cases, a test under crisis, a shift -----------------

printf 'student-id: S-1\nname: Zhang Xiaoming\nclass: 1A\n' >"$T/form1"
as bob case open --form "$T/form1" --gender M --grade 8 --category emotion
C1=$(cat "$T/out")
printf 'student-id: S-2\nname: Wang Fang\nclass: 2B\n' >"$T/form2"
as bob case open --form "$T/form2" --gender F --grade 9 --category academic
C2=$(cat "$T/out")
check "two cases opened" eval '[ -n "$C1" ] && [ -n "$C2" ]'
as bob test add "$C2" --scale PHQ-9 --score 21 --crisis "risk of harm stated in session"
check "a test under the crisis exception" rc_is 0
X=$(q "$V" "select id from records where type = 'crisis'")
as bob case show "$C1"
check "bob reads a case (one decrypting read)" rc_is 0
# The room's period: Monday of last week to today (the vault's zone is the
# system's; a shift of last Tuesday).
TODAY=$(date +%Y-%m-%d)
DOW=$(date +%u)
FROM=$(date -d "$TODAY -$((DOW - 1 + 7)) days" +%Y-%m-%d)
TUE=$(date -d "$FROM +1 day" +%Y-%m-%d)
as bob duty add --from "$TUE 08:00" --to "$TUE 19:00" --visits 4
check "an eleven-hour shift last week" rc_is 0
WEEK1=$(date -d "$FROM" +%G-W%V)
WEEK2=$(date -d "$TODAY" +%G-W%V)

# ---- refusals -----------------------------------------------------------------

: >"$T/in"
cv bob report compliance --from "$FROM" --to "$TODAY" <"$T/in"
check "a counselor is refused before any passphrase (exit 4)" \
	eval 'rc_is 4 && err_has "only supervisors" && ! err_has "passphrase"'
cv alice report compliance --from "$FROM" --to "$TODAY" <"$T/in"
check "an admin is refused (exit 4)" eval 'rc_is 4 && err_has "only supervisors"'
cv sue report compliance <"$T/in"
check "a period is needed (exit 2)" eval 'rc_is 2 && err_has "--term"'
cv sue report compliance --term 2026-winter <"$T/in"
check "an unknown term (exit 2)" eval 'rc_is 2 && err_has "YYYY-autumn"'
cv sue report compliance --term 2026-autumn --from "$FROM" <"$T/in"
check "a term and dates (exit 2)" eval 'rc_is 2 && err_has "not both"'
cv sue report compliance --from "$FROM" <"$T/in"
check "one date (exit 2)" eval 'rc_is 2 && err_has "both dates"'
cv sue report compliance --from "$TODAY" --to "$FROM" <"$T/in"
check "--to before --from (exit 2)" eval 'rc_is 2 && err_has "before"'
cv sue report compliance --from 2026-02-30 --to "$TODAY" <"$T/in"
check "an impossible date (exit 2)" eval 'rc_is 2 && err_has "--from is not a date"'
cv sue report compliance --from "$FROM" --to "$TODAY" --format pdf <"$T/in"
check "an unknown format (exit 2)" eval 'rc_is 2 && err_has "text, json or html"'
: >"$T/exists.html"
cv sue report compliance --from "$FROM" --to "$TODAY" -o "$T/exists.html" <"$T/in"
check "an existing file is refused before any passphrase (exit 2)" \
	eval 'rc_is 2 && err_has "never overwritten" && [ ! -s "$T/exists.html" ]'
check "no report logged by the refusals" \
	[ "$(q "$V" "select count(*) from audit where action = 'report.compliance' and outcome = 'ok'")" -eq 0 ]
check "the refusals by role are logged" \
	[ "$(q "$V" "select count(*) from audit where action = 'report.compliance' and outcome = 'denied'")" -eq 2 ]

# ---- text ------------------------------------------------------------------------

as sue report compliance --from "$FROM" --to "$TODAY"
check "text report (exit 0)" eval 'rc_is 0 && out_has "compliance report $FROM..$TODAY"'
check "nine items, one line each with its status" \
	[ "$(grep -cE '^[1-9]\. (met|not met|not applicable): ' "$T/out")" -eq 9 ]
check "item 1: this week is under the threshold, last week is not" \
	eval 'grep -q "^1\. not met: 1 of 2 weeks open under 10 hours" "$T/out" &&
	      grep -qx "     $WEEK2" "$T/out" && ! grep -qx "     $WEEK1" "$T/out"'
check "item 2: this week had case work and no shift" \
	eval 'grep -q "^2\. not met: 1 of 1 weeks with case work" "$T/out"'
check "item 5: the unreviewed event is named" \
	eval 'grep -q "^5\. not met: 1 break-glass events, 0 reviewed" "$T/out" && grep -qx "     $X" "$T/out"'
check "item 6: the test was under crisis" eval 'grep -q "^6\. met: 0 of 1 tests" "$T/out"'
check "item 9: the log verifies; bob's one read is counted" \
	eval 'grep -q "^9\. met: verification passed; 1 decrypting reads by 1 users, 0 without" "$T/out" &&
	      grep -qx "     bob: 1 reads" "$T/out"'
check "no student's name" eval '! out_has "Zhang" && ! out_has "Wang"'

as sue audit review "$X" --note "Justified: the risk was stated."
check "sue reviews the event" rc_is 0
as sue report compliance --from "$FROM" --to "$TODAY"
check "item 5 is met once the event is reviewed" \
	eval 'grep -q "^5\. met: 1 break-glass events, 1 reviewed, 0 not" "$T/out" && ! out_has "$X"'

# ---- JSON ------------------------------------------------------------------------

as sue report compliance --from "$FROM" --to "$TODAY" --format json
check "JSON report (exit 0)" rc_is 0
cat >"$T/check_json.py" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["schema"] == "casevault-compliance-1", r
assert r["from"] == sys.argv[2] and r["to"] == sys.argv[3], r
items = r["items"]
assert [i["number"] for i in items] == list(range(1, 10)), items
for i in items:
    assert i["status"] in ("met", "not-met", "not-applicable"), i
    assert isinstance(i["count"], int) and isinstance(i["total"], int), i
    assert all(isinstance(s, str) for s in i["subjects"]), i
    assert i["title"] and i["title_zh"] and i["figure"], i
by = {i["code"]: i for i in items}
assert by["duty.hours"]["status"] == "not-met" and by["duty.hours"]["subjects"] == [sys.argv[4]]
assert by["consent"]["status"] == "met", by["consent"]
assert by["tests"]["total"] == 1 and by["tests"]["count"] == 0, by["tests"]
assert by["log"]["status"] == "met", by["log"]
text = json.dumps(r, ensure_ascii=False)
assert "Zhang" not in text and "Wang" not in text
PY
check "the JSON parses, nine items, the known answers" \
	python3 "$T/check_json.py" "$T/out" "$FROM" "$TODAY" "$WEEK2"

check "without the school setting, no school in the JSON" \
	python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))["school"] is None' "$T/out"

# ---- HTML ------------------------------------------------------------------------

as alice config set school '第一中学 No. 1 Middle School'
check "the admin names the school" rc_is 0
as sue report compliance --from "$FROM" --to "$TODAY" --format json
check "the report names the school" \
	python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))["school"] == "第一中学 No. 1 Middle School"' "$T/out"
as sue report compliance --from "$FROM" --to "$TODAY" --format html -o "$T/r.html"
check "HTML report to a file" eval 'rc_is 0 && err_has "written to"'
check "the file is private (0600)" [ "$(stat -c %a "$T/r.html")" = 600 ]
cat >"$T/check_html.py" <<'PY'
import sys
from html.parser import HTMLParser

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.rows, self.text, self.lang = [], 0, [], None
    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "tr":
            self.rows += 1
        for k in a:
            assert k not in ("src", "href", "srcset", "action") and not k.startswith("on"), (tag, k)
    def handle_data(self, d):
        self.text.append(d)

p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
text = "".join(p.text)
assert p.lang == "zh-CN", p.lang
for bad in ("script", "link", "img", "iframe", "object", "embed"):
    assert bad not in p.tags, bad
assert "@import" not in text and "url(" not in text
assert p.rows == 10, p.rows  # a head row and one per item
assert "合规报告" in text and "compliance report" in text, text[:200]
assert sys.argv[2] + ".." + sys.argv[3] in text
assert "未达标 not met" in text and "达标 met" in text
assert "Zhang" not in text and "Wang" not in text
PY
check "the page parses: bilingual, nine items, nothing from elsewhere" \
	python3 "$T/check_html.py" "$T/r.html" "$FROM" "$TODAY"
as sue report compliance --from "$FROM" --to "$TODAY" --format html -o "$T/r.html"
check "-o never overwrites (exit 2)" eval 'rc_is 2 && err_has "never overwritten"'

# A real browser prints it (as tests/e2e_html.sh prints the statistics).
mkdir "$T/home" && chmod 700 "$T/home"
TMPDIR=$T/home HOME=$T/home XDG_CONFIG_HOME=$T/home/.config XDG_CACHE_HOME=$T/home/.cache \
	chromium --headless --no-sandbox --disable-gpu --no-first-run \
	--user-data-dir="$T/home/profile" --print-to-pdf="$T/r.pdf" --no-pdf-header-footer \
	"file://$T/r.html" >"$T/out" 2>"$T/err"
rc=$?
check "chromium prints the page to PDF" eval 'rc_is 0 && [ "$(head -c 5 "$T/r.pdf")" = "%PDF-" ]'
pdftotext -enc UTF-8 "$T/r.pdf" "$T/r.txt" 2>"$T/err"
rc=$?
check "pdftotext reads the PDF" rc_is 0
for h in "心理辅导室工作合规报告" "Counseling room compliance report" "$FROM..$TODAY" \
	"未达标 not met" "每周开放时间不少于规定时数" "$WEEK2" "第一中学 No. 1 Middle School"; do
	check "the printed page shows '$h'" grep -qF -- "$h" "$T/r.txt"
done

# ---- a term, the log ---------------------------------------------------------------

as sue report compliance --term "$(date +%Y)-autumn"
check "a term resolves with the vault's term settings" \
	eval 'rc_is 0 && out_has "compliance report $(date +%Y)-09-01.."'
as sue report compliance --term "$(date +%Y)-autumn" --format html -o "$T/term.html"
check "the page names the term" eval 'rc_is 0 && grep -qF "学期 Term" "$T/term.html" && grep -qF "$(date +%Y)-autumn" "$T/term.html"'
check "every report is logged with its verdicts" \
	[ "$(q "$V" "select count(*) from audit where action = 'report.compliance' and outcome = 'ok' and object = 'report' and detail like 'from=% to=% met=% not-met=% na=%'")" -eq 7 ]
check "no case was decrypted for a report" \
	[ "$(q "$V" "select count(*) from audit where actor = 'sue' and action in ('case.read', 'case.show')")" -eq 0 ]
as sue audit verify
check "the log verifies" rc_is 0

echo "e2e_report: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
