#!/bin/sh
# e2e_html.sh - `stats export --format html` through the built binary and a
# real browser: a supervisor exports a period with enough cases that every
# table is published; python3 checks that the page is self-contained (UTF-8
# and lang declared, no script, no link, no remote resource), that every
# heading and label is in Chinese and English, that every suppressed cell
# is the one marker, and that each published table has an SVG chart with
# one bar per printed non-zero body cell; then chromium prints the page to
# PDF and pdftotext finds the headings in it.  A noisy export whose tables
# are all withheld shows the withheld note, and no table or chart.
#
# Run: CASEVAULT=/abs/path/to/casevault sh tests/e2e_html.sh
# Every check counts: one that fails fails the run; a missing tool fails it
# too (`make check` installs chromium, poppler-utils and a CJK font).

set -u

if [ -z "${CASEVAULT:-}" ] || [ ! -x "$CASEVAULT" ]; then
	echo "e2e_html: set CASEVAULT to the built casevault binary" >&2
	exit 2
fi
for tool in sqlite3 python3 chromium pdftotext; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "e2e_html: $tool is needed (make deps installs it)" >&2
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

# 6 girls in grade 8 (emotion), 5 boys in grade 2 (academic), 2 girls and
# a boy in grade 11 (family): with k 3 every table is published, and the
# small cells of grade 11 are suppressed.
i=0
while [ $i -lt 14 ]; do
	if [ $i -lt 6 ]; then
		set -- F 8 emotion
	elif [ $i -lt 11 ]; then
		set -- M 2 academic
	elif [ $i -lt 13 ]; then
		set -- F 11 family
	else
		set -- M 11 family
	fi
	printf 'student-id: S-%s\nname: Student %s\nclass: 1A\n' "$i" "$i" >"$T/form"
	as bob case open --form "$T/form" --gender "$1" --grade "$2" --category "$3"
	[ "$rc" -eq 0 ] || echo "case open $i failed: $(cat "$T/err")" >&2
	i=$((i + 1))
done
check "14 cases opened" [ "$(q "$V" 'select count(*) from cases')" -eq 14 ]
M=$(q "$V" "select substr(min(opened_at), 1, 7) from cases")
M2=$(q "$V" "select substr(max(opened_at), 1, 7) from cases")
sqlite3 "$V" ".backup '$T/noisy.db'"

as sue stats export --from "$M" --to "$M2" --k 3 --format html -o "$T/s.html"
check "HTML export to a file" rc_is 0

cat >"$T/check_page.py" <<'PY'
import re, sys
from html.parser import HTMLParser

TITLES = {
    "opened_by_month": "按月新开个案 Cases opened by month",
    "grade_band_by_gender": "年级段 × 性别 Grade band × gender",
    "category": "问题类别 Problem category",
    "closed_by_month": "按月结案 Cases closed by month",
    "sessions_per_case": "每个个案的辅导次数 Counseling sessions per case",
    "consent_coverage": "知情同意情况 Consent coverage",
    "referrals_by_urgency_and_status": "转介：紧急程度 × 状态 Referrals: urgency × status",
    "referrals_by_institution": "转介机构类别 Referrals by kind of institution",
    "register_tags": "重点学生登记类别 Key-student register entries by tag",
    "crisis_events": "危机干预事件 Break-glass (crisis) events",
}
# This vault has no referral, register entry or crisis event: those tables are
# withheld (a heading and the note, no table).
WITHHELD = {"referrals_by_urgency_and_status", "referrals_by_institution", "register_tags",
            "crisis_events"}
PUBLISHED = set(TITLES) - WITHHELD

class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack = []
        self.tags = []
        self.attrs = []
        self.heads = {}
        self.h2 = None
        self.tables = {}  # name -> rows of (tag, text)
        self.rects = {}
        self.svgs = {}
        self.texts = {}
        self.text = ""
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self.attrs.extend(attrs)
        if tag == "h2":
            self.h2 = a.get("id")
            self.heads[self.h2] = ""
        elif tag == "table":
            self.tables[self.h2] = []
        elif tag == "tr":
            self.tables[self.h2].append([])
        elif tag == "svg":
            self.svgs[self.h2] = a
            self.rects[self.h2] = 0
            self.texts[self.h2] = []
        elif tag == "rect":
            assert int(a["width"]) > 0 and int(a["height"]) > 0, a
            self.rects[self.h2] += 1
        if tag not in ("meta",):
            self.stack.append(tag)
        self.text = ""
    def handle_endtag(self, tag):
        top = self.stack.pop() if self.stack else None
        assert top == tag, (top, tag)
        if tag in ("th", "td"):
            self.tables[self.h2][-1].append((tag, self.text))
        elif tag == "text":
            self.texts[self.h2].append(self.text)
        self.text = ""
    def handle_data(self, data):
        self.text += data
        if self.stack and self.stack[-1] == "h2":
            self.heads[self.h2] += data

raw = open(sys.argv[1], "rb").read()
page = raw.decode("utf-8")
k = int(sys.argv[2])
p = Page()
p.feed(page)

# Self-contained: one page, nothing from elsewhere, nothing that runs.
assert page.lstrip().lower().startswith("<!doctype html>"), page[:40]
assert "script" not in p.tags, "a script"
for tag in ("link", "iframe", "img", "object", "embed", "base", "use", "image", "a"):
    assert tag not in p.tags, tag
for name, value in p.attrs:
    assert name not in ("src", "href", "xlink:href", "srcset", "action") and not name.startswith("on"), name
assert not re.search(r"https?://", page), "a remote address"
assert "url(" not in page and "@import" not in page, "a resource in the style"
assert re.search(r'<meta charset="utf-8">', page, re.I), "no meta charset"
assert re.search(r'<html lang="zh-CN">', page), "no lang"

# Headed with the period, k and epsilon, in both languages.
for s in ("个案工作统计 Counseling case statistics", "统计期间 Period", sys.argv[3],
          "阈值 k Threshold k", "隐私参数 ε Epsilon", "未加噪声 none (no noise)",
          "已抑制 suppressed", "x = suppressed"):
    assert s in page, s

assert p.heads == TITLES, p.heads
hidden = 0
for name, rows in p.tables.items():
    cols = [t for _, t in rows[0][1:]]
    assert cols[-1] == "合计 total", cols
    bars = 0
    for row in rows[1:]:
        label = row[0][1]
        for col, (tag, v) in zip(cols, row[1:]):
            assert tag == "td"
            if v == "x":
                hidden += 1
                continue
            n = int(v)
            assert n == 0 or n >= k, (name, label, col, n)
            if n and not label.endswith("total") and not col.endswith("total"):
                bars += 1
    assert p.rects[name] == bars, (name, p.rects[name], bars)
    svg = p.svgs[name]
    assert int(svg["width"]) > 0 and int(svg["height"]) > 0, svg
    # a label and a count per body cell; the count of a suppressed cell is x
    body = (len(rows) - 2 if len(rows) > 2 else 1) * (len(cols) - 1)
    assert len(p.texts[name]) == 2 * body, (name, len(p.texts[name]), body)
    for v in p.texts[name][1::2]:
        assert v == "x" or int(v) >= 0, v
assert set(p.tables) == PUBLISHED, p.tables.keys()
assert set(p.rects) == PUBLISHED
assert hidden > 0, "no suppressed cell"
for s in ("初中 7-9 年级 junior 7-9", "女 F", "男 M", "学业 academic", "合计 total",
          "期内未结案 not closed in the period"):
    assert s in page, s
PY
check "the page: self-contained, bilingual, one marker, one bar per printed count" \
	python3 "$T/check_page.py" "$T/s.html" 3 "$M..$M2"

# ---- a real browser ---------------------------------------------------------

mkdir "$T/home" && chmod 700 "$T/home"
TMPDIR=$T/home HOME=$T/home XDG_CONFIG_HOME=$T/home/.config XDG_CACHE_HOME=$T/home/.cache \
	chromium --headless --no-sandbox --disable-gpu --no-first-run \
	--user-data-dir="$T/home/profile" --print-to-pdf="$T/s.pdf" --no-pdf-header-footer \
	"file://$T/s.html" >"$T/out" 2>"$T/err"
rc=$?
check "chromium prints the page to PDF" eval 'rc_is 0 && [ -f "$T/s.pdf" ]'
check "the PDF is a PDF, and not a blank one" \
	eval '[ "$(head -c 5 "$T/s.pdf")" = "%PDF-" ] && [ "$(stat -c %s "$T/s.pdf")" -gt 10000 ]'
pdftotext -enc UTF-8 "$T/s.pdf" "$T/s.txt" 2>"$T/err"
rc=$?
check "pdftotext reads the PDF" rc_is 0
for h in "个案工作统计" "Counseling case statistics" "按月新开个案" "Cases opened by month" \
	"年级段" "Grade band" "问题类别" "Problem category" "按月结案" "Cases closed by month" \
	"已抑制" "suppressed"; do
	check "the printed page shows '$h'" grep -qF -- "$h" "$T/s.txt"
done

# ---- withheld tables (noisy, on a copy made before the release) ---------------

# With k 1000 every noisy total is under k: the release is recorded (it
# spent its epsilon) and the page shows each heading with the withheld note
# in both languages, and no table or chart.
V=$T/noisy.db
as sue stats export --from "$M" --to "$M2" --k 1000 --epsilon 0.5 --format html -o "$T/w.html"
check "a noisy export with every table withheld is written" rc_is 0
cat >"$T/check_withheld.py" <<'PY'
import sys
page = open(sys.argv[1], encoding="utf-8").read()
note = "不予公布：本表总数少于 k。 Withheld: the table's total is under k."
assert page.count(note) == 10, page.count(note)
assert page.count("<h2 ") == 10
assert "<table" not in page and "<svg" not in page and "<rect" not in page
assert "<dd>0.5</dd>" in page and "<dd>1000</dd>" in page
PY
check "withheld tables: heading and the note in both languages, no table, no chart" \
	python3 "$T/check_withheld.py" "$T/w.html"

echo "e2e_html: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
