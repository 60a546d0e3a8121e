#!/bin/sh
# e2e_merge.sh - `stats merge` through the built binary: three schools'
# vaults each export a month as JSON; the merge, given no vault, no user
# and an empty stdin, sums them into CSV, JSON and HTML, publishes no
# count in 1..k-1, hides every cell hidden in a school, and refuses (exit
# 2, nothing written) one file, the same file twice (or two files of one
# vault), different k, altered or hostile files and a merged file given
# again; a missing file is not found (exit 6).  Two schools with the same
# cells are merged.  Under zh_CN every refusal is said in Chinese, and
# under --json each file error has its own reason code.
#
# Run: CASEVAULT=/abs/path/to/casevault \
#      CASEVAULT_LOCALEDIR=/abs/path/to/build/locale sh tests/e2e_merge.sh
# Every check counts: one that fails fails the run.

set -u

if [ -z "${CASEVAULT:-}" ] || [ ! -x "$CASEVAULT" ]; then
	echo "e2e_merge: set CASEVAULT to the built casevault binary" >&2
	exit 2
fi
for tool in sqlite3 python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "e2e_merge: $tool is needed" >&2
		exit 2
	fi
done
unset CASEVAULT_VAULT CASEVAULT_USER EDITOR VISUAL

T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM
KDF="--kdf-t 2 --kdf-m 19456 --kdf-p 1"
ALICEP='alice-admin-passphrase'
BOBP='bob-counselor-pass-1'
SUEP='sue-supervisor-pass'

npass=0
nfail=0
rc=0

say() { printf '%s\n' "$@" >"$T/in"; }
cv() { # VAULT USER ARGS...: stdin from $T/in
	cv_v=$1
	cv_u=$2
	shift 2
	"$CASEVAULT" --vault "$cv_v" --user "$cv_u" --passphrase-fd 0 "$@" <"$T/in" \
		>"$T/out" 2>"$T/err"
	rc=$?
}
# merge ARGS...: no vault, no user, nothing on stdin.
merge() {
	(cd "$T/empty" && "$CASEVAULT" stats merge "$@" </dev/null >"$T/out" 2>"$T/err")
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
		sed -n '1,3s/^/    stderr: /p' "$T/err" >&2
	fi
}
rc_is() { [ "$rc" -eq "$1" ]; }
err_has() { grep -qF -- "$1" "$T/err"; }
nothing_out() { [ ! -s "$T/out" ]; }

# school VAULT N-GIRLS N-BOYS [CATEGORY]: a vault whose counselor opens that
# many cases (girls in grade 8 for emotion, boys in grade 2 for academic,
# one student of gender X in grade 11 for CATEGORY, family by default) and
# whose supervisor exports the month as JSON into VAULT.json.
school() {
	V=$1
	XCAT=${4:-family}
	say "$ALICEP"
	cv "$V" alice init --admin alice $KDF
	RC=$(cat "$T/out")
	for u in bob:counselor sue:supervisor; do
		say "$ALICEP"
		cv "$V" alice user add "${u%%:*}" --role "${u#*:}"
		code=$(tail -n 1 "$T/out")
		case $u in bob:*) p=$BOBP ;; *) p=$SUEP ;; esac
		say "$code" "$p"
		cv "$V" "${u%%:*}" enrol
	done
	say "$ALICEP" "$RC"
	cv "$V" alice vault keys --deliver
	i=0
	while [ $i -lt $(($2 + $3 + 1)) ]; do
		if [ $i -lt "$2" ]; then
			set -- "$1" "$2" "$3" F 8 emotion
		elif [ $i -lt $(($2 + $3)) ]; then
			set -- "$1" "$2" "$3" M 2 academic
		else
			set -- "$1" "$2" "$3" X 11 "$XCAT"
		fi
		say "$BOBP"
		printf 'student-id: S-%s\nname: Student %s\nclass: 1A\n' "$i" "$i" >"$T/form"
		cv "$V" bob case open --form "$T/form" --gender "$4" --grade "$5" --category "$6"
		i=$((i + 1))
	done
	M=$(sqlite3 "$V" "select substr(min(opened_at), 1, 7) from cases")
	M2=$(sqlite3 "$V" "select substr(max(opened_at), 1, 7) from cases")
	say "$SUEP"
	cv "$V" sue stats export --from "$M" --to "$M2" --format json -o "$V.json"
}

mkdir "$T/empty"
school "$T/a.db" 9 5
check "school a exports" rc_is 0
school "$T/b.db" 7 6
check "school b exports" rc_is 0
# School c has exactly school a's cases: the same cells, another vault.
school "$T/c.db" 9 5
check "school c exports" rc_is 0
A=$T/a.db.json
B=$T/b.db.json
C=$T/c.db.json
# School g: 4 girls (emotion, under k = 5), 9 boys (academic), 1 family:
# it publishes academic 9, other 5.  School h: 9 girls and the student of
# gender X (emotion), 6 boys: academic 6, emotion 10, other 0.
school "$T/g.db" 4 9
check "school g exports" rc_is 0
school "$T/h.db" 9 6 emotion
check "school h exports" rc_is 0
G=$T/g.db.json
H=$T/h.db.json

# ---- the merge -------------------------------------------------------------

merge "$A" "$B" --format json
check "the merge needs no vault, no user and no passphrase" \
	eval 'rc_is 0 && ! err_has "assphrase" && [ ! -e "$T/empty/casevault.db" ]'
cp "$T/out" "$T/m.json"
cat >"$T/check.py" <<'PY'
import json, sys
# the cases' total; "hidden-ok": it may be hidden in every table
total, need = int(sys.argv[1].split(",")[0]), not sys.argv[1].endswith(",hidden-ok")
m = json.load(open(sys.argv[2]))
ins = [json.load(open(f)) for f in sys.argv[3:]]
assert m["schema"] == "casevault-stats-merge-1" and m["version"] == 3, m["schema"]
assert m["merged_from"] == len(ins)
assert m["k"] == ins[0]["k"] and m["period"] == ins[0]["period"]
assert m["input_epsilons"] is None
k = m["k"]
for t, mt in enumerate(m["tables"]):
    its = [i["tables"][t] for i in ins]
    assert mt["name"] == its[0]["name"]
    fold = mt["folded_into"]
    assert all(i["folded_into"] == fold for i in its), mt["name"]
    if fold is None:
        assert all(i["columns"] == mt["columns"] for i in its), mt["name"]
    else:
        # the columns every school published as its own, then the fold column
        own = [c for c in its[0]["columns"] if c != fold and all(c in i["columns"] for i in its)]
        assert mt["columns"] == own + [fold], (mt["columns"], own)
    if not all(i["published"] for i in its):
        assert not mt["published"], mt["name"]
        continue
    for cell in mt["cells"]:
        # the schools' cells this district cell sums: its own column, or,
        # for the fold column, every column the district does not have
        src = [s for i in its for s in i["cells"] if s["row"] == cell["row"] and
               (s["column"] if s["column"] in mt["columns"] + ["total"] else fold) == cell["column"]]
        assert len(src) >= len(its), (mt["name"], cell)
        if any(s["suppressed"] for s in src):
            assert cell["suppressed"] and cell["count"] is None, (mt["name"], cell)
        if not cell["suppressed"]:
            n = cell["count"]
            assert n == sum(s["count"] for s in src), (mt["name"], cell)
            assert n == 0 or n >= k, (mt["name"], cell)
grand = [t["cells"][-1]["count"] for t in m["tables"] if t["published"] and t["population"] == "cases"]
grand = [g for g in grand if g is not None]
assert (grand or not need) and all(g == total for g in grand), grand
PY
check "sums of published cells, hidden where any school hides, none in 1..k-1" \
	python3 "$T/check.py" 29 "$T/m.json" "$A" "$B"

# School g has 4 cases of emotion, under k: its export folds them into
# "other", so its category columns are not school h's.  The district keeps
# the columns both published as their own (academic) and sums the rest
# into "other".
check "schools g and h publish different category columns" python3 - "$G" "$H" <<'PY'
import json, sys
g, h = ([t for t in json.load(open(f))["tables"] if t["name"] == "category"][0] for f in sys.argv[1:])
assert g["columns"] == ["academic", "other"], g["columns"]
assert h["columns"] == ["academic", "emotion", "other"], h["columns"]
assert g["folded_into"] == h["folded_into"] == "other"
assert [c["count"] for c in g["cells"]] == [9, 5, 14], g["cells"]
assert [c["count"] for c in h["cells"]] == [6, 10, 0, 16], h["cells"]
PY
merge "$G" "$H" --format json
cp "$T/out" "$T/gh.json"
check "two schools whose small categories differ are merged" \
	eval 'rc_is 0 && python3 "$T/check.py" 30 "$T/gh.json" "$G" "$H"'
check "  ... the district's categories: academic 15, other 15 (h's emotion in it)" python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
cat = [t for t in m["tables"] if t["name"] == "category"][0]
assert cat["columns"] == ["academic", "other"] and cat["folded_into"] == "other", cat
assert [c["count"] for c in cat["cells"]] == [15, 15, 30], cat["cells"]' "$T/gh.json"
merge "$G" "$H" --format csv
check "  ... in CSV too, and emotion is not named" \
	eval 'rc_is 0 && grep -q "^category,all,other,15" "$T/out" && ! grep -q "^category,all,emotion," "$T/out"'
merge "$A" "$G" --format json
check "a hidden cell of a school (a's categories) hides what it is summed into" \
	eval 'rc_is 0 && python3 "$T/check.py" 29,hidden-ok "$T/out" "$A" "$G"'
check "  ... and the district of a and g passes the check in every table" python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
cat = [t for t in m["tables"] if t["name"] == "category"][0]
assert cat["columns"] == ["academic", "other"], cat
assert all(c["suppressed"] for c in cat["cells"][:2]), cat["cells"]' "$T/out"

merge "$A" "$B" --format csv -o "$T/m.csv"
check "CSV to a file" eval 'rc_is 0 && err_has "written to" && [ -s "$T/m.csv" ]'
check "the file is private (0600)" [ "$(stat -c %a "$T/m.csv")" = 600 ]
check "the CSV has the export's header" [ "$(head -n 1 "$T/m.csv" | tr -d "\r")" = "table,row,column,count" ]
check "the CSV says it merges two files, and their period and k" \
	eval 'grep -q "^export,merged,,2.\$" "$T/m.csv" && grep -q "^export,k,,5.\$" "$T/m.csv" &&
		grep -q "^export,period,from,$M.\$" "$T/m.csv"'
merge "$A" "$B" --format html
check "HTML names the merge and how many schools" \
	eval 'rc_is 0 && grep -q "合并学校数 Schools merged" "$T/out" && grep -q "(merged)" "$T/out"'
merge "$A" "$B" --format csv -o "$T/m.csv"
check "-o never overwrites" eval 'rc_is 2 && err_has "never overwritten"'

# ---- refusals: exit 2, nothing written --------------------------------------

refused() { # DESCRIPTION TEXT ARGS...
	r_d=$1
	r_t=$2
	shift 2
	merge "$@" --format json -o "$T/refused.json"
	check "$r_d" eval 'rc_is 2 && err_has "$r_t" && [ ! -e "$T/refused.json" ]'
}
refused "one file only" "at least two" "$A"
refused "the same file twice" "comes from the same vault" "$A" "$A"
cp "$A" "$T/copy.json"
refused "a copy of a file under another name" "comes from the same vault" "$A" "$T/copy.json"
check "two schools with the same cells: the same cells_hash, two sources" \
	python3 - "$A" "$C" <<'PY'
import json, sys
a, c = (json.load(open(f)) for f in sys.argv[1:])
assert a["tables"] == c["tables"] and a["cells_hash"] == c["cells_hash"], "not the same cells"
assert len(a["source"]) == 64 and a["source"] != c["source"], "the same source"
PY
merge "$A" "$C" --format json
check "two schools with the same cells are merged, each counted" \
	eval 'rc_is 0 && python3 -c "
import json, sys
m, a = (json.load(open(f)) for f in sys.argv[1:])
assert m[\"merged_from\"] == 2
assert m[\"tables\"][0][\"cells\"][-1][\"count\"] == 2 * a[\"tables\"][0][\"cells\"][-1][\"count\"]
" "$T/out" "$A"'

refused "a merged file given again" "already a merged table" "$T/m.json" "$A"
python3 - "$B" "$T" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
t = sys.argv[2]
def out(name, d):
    with open(t + "/" + name, "w") as f:
        f.write(d if isinstance(d, str) else json.dumps(d))
d = dict(b); d["k"] = 7; out("k7.json", d)
d = json.loads(json.dumps(b)); d["period"] = {"from": "2001-01", "to": "2001-01"}; out("period.json", d)
d = json.loads(json.dumps(b)); d["tables"][0]["columns"][0] = "1999-12"; out("layout.json", d)
d = dict(b); d["schema"] = "casevault-stats-2"; out("schema.json", d)
d = json.loads(json.dumps(b)); d["tables"][0]["cells"][0]["count"] = -3
d["tables"][0]["cells"][0]["suppressed"] = False; out("negative.json", d)
d = json.loads(json.dumps(b)); d["tables"][0]["cells"][0]["count"] = "12"
d["tables"][0]["cells"][0]["suppressed"] = False; out("type.json", d)
d = json.loads(json.dumps(b)); d["tables"] = [b["tables"][0]] * 17; out("huge.json", d)
d = json.loads(json.dumps(b)); d["tables"][1]["columns"] = ["c%d" % i for i in range(200000)]; out("wide.json", d)
out("truncated.json", json.dumps(b)[:200])
d = json.loads(json.dumps(b))
c = [c for c in d["tables"][0]["cells"] if not c["suppressed"]][0]
c["count"] += 1; out("altered.json", d)
out("escape.json", json.dumps(dict(b, schema="\x1b]0;pwned\x07")))
PY
refused "a different k" "thresholds k differ" "$A" "$T/k7.json"
refused "a different period" "periods differ" "$A" "$T/period.json"
refused "a different layout" "column labels differ" "$A" "$T/layout.json"
refused "another schema" "schema is not" "$A" "$T/schema.json"
refused "a negative count" "not a whole number" "$A" "$T/negative.json"
refused "a count of the wrong type" "not a whole number" "$A" "$T/type.json"
refused "too many tables" "1..16 tables" "$A" "$T/huge.json"
refused "a huge array of labels" "1..1000 labels" "$A" "$T/wide.json"
refused "truncated JSON" "not valid JSON" "$A" "$T/truncated.json"
refused "a count altered so that the margins do not add up" "altered.json': the published cells" \
	"$A" "$T/altered.json"
merge "$A" "$B" --format pdf -o "$T/refused.json"
check "an unknown format" eval 'rc_is 2 && err_has "--format" && [ ! -e "$T/refused.json" ]'
merge "$A" "$T/escape.json" --format json
check "a hostile file is refused and nothing from it drives the terminal" \
	eval 'rc_is 2 && nothing_out && ! grep -q "$(printf "\033")" "$T/err"'
merge "$A" "$T/missing.json" --format json
check "a missing file is not found (exit 6), nothing written" \
	eval 'rc_is 6 && err_has "missing.json" && nothing_out'
# ---- in Chinese, and the reason codes under --json -----------------------------

if [ -n "${CASEVAULT_LOCALEDIR:-}" ] &&
	[ -f "$CASEVAULT_LOCALEDIR/zh_CN/LC_MESSAGES/casevault.mo" ]; then
	export CASEVAULT_LOCALEDIR
	if locale -a 2>/dev/null | grep -qix 'zh_CN.utf-\?8'; then
		ZH="LC_ALL=zh_CN.UTF-8"
	else
		ZH="LANG=C.UTF-8 LANGUAGE=zh_CN"
	fi
	# zh FILE...: the merge under zh_CN; its message must hold no English
	# phrase (the file names are ASCII and without spaces).
	zh() {
		# shellcheck disable=SC2086
		(cd "$T/empty" && env -u LC_ALL -u LANG -u LANGUAGE $ZH "$CASEVAULT" stats merge \
			"$@" --format json </dev/null >"$T/out" 2>"$T/err")
		rc=$?
	}
	all_chinese() { ! grep -Eq "(its|the|is|not|a) [a-z]" "$T/err" && grep -q "错误" "$T/err"; }
	for f in layout.json wide.json huge.json schema.json k7.json period.json type.json copy.json; do
		zh "$A" "$T/$f"
		check "zh_CN: $f refused with every phrase in Chinese" eval 'rc_is 2 && all_chinese'
	done
	zh "$A" "$T/layout.json"
	check "zh_CN: the label mismatch is said in Chinese" eval 'rc_is 2 && err_has "其列标签不同"'
else
	echo "e2e_merge: no built catalog (CASEVAULT_LOCALEDIR); the Chinese checks are not run" >&2
	nfail=$((nfail + 1))
fi

# jerr EXIT CODE FILE...: under --json, the merge fails with that exit
# status and reason code, in one error object on stderr, nothing written.
jerr() {
	j_exit=$1
	j_code=$2
	shift 2
	(cd "$T/empty" && "$CASEVAULT" --json stats merge "$@" </dev/null >"$T/out" 2>"$T/err")
	rc=$?
	rc_is "$j_exit" && nothing_out && python3 -c '
import json, sys
e = json.loads(open(sys.argv[1]).read())["error"]
sys.exit(0 if e["code"] == sys.argv[2] and e["exit"] == int(sys.argv[3]) else 1)' \
		"$T/err" "$j_code" "$j_exit"
}
check "--json: a missing file is merge.file-missing" jerr 6 merge.file-missing "$A" "$T/missing.json"
check "--json: a directory is merge.not-a-file" jerr 2 merge.not-a-file "$A" "$T/empty"
head -c 5000000 /dev/zero >"$T/big.json"
check "--json: a file over 4 MiB is merge.file-too-large" \
	jerr 2 merge.file-too-large "$A" "$T/big.json"
check "--json: an output that exists is output.exists" \
	jerr 2 output.exists "$A" "$B" -o "$T/m.csv"
check "  ... and it is left as it was" [ -s "$T/m.csv" ]
check "--json: a mismatch is stats.merge" jerr 2 stats.merge "$A" "$T/layout.json"

"$CASEVAULT" help stats merge >"$T/out" 2>"$T/err" </dev/null
rc=$?
check "help shows the usage" eval 'rc_is 0 && grep -q "stats merge FILE" "$T/out"'

echo "e2e_merge: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
