#!/bin/sh
# e2e_import.sh - onboarding existing records from CSV files through the
# built binary: cases (with the consent on file) and notes imported in one
# go; a file with bad rows refused whole, every bad row reported with its
# line, nothing written, the exit code of the first refusal; RFC 4180
# quoting (commas, line breaks, quotes), a byte order mark, CRLF, Chinese
# columns and values, a large note; a counselor importing notes into a
# case not theirs refused; --json output and errors that parse.
#
# Run: CASEVAULT=/abs/path/to/casevault sh tests/e2e_import.sh
# Every check counts: one that fails fails the run.

set -u

if [ -z "${CASEVAULT:-}" ] || [ ! -x "$CASEVAULT" ]; then
	echo "e2e_import: set CASEVAULT to the built casevault binary" >&2
	exit 2
fi
for tool in sqlite3 python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "e2e_import: $tool is needed" >&2
		exit 2
	fi
done
unset CASEVAULT_VAULT CASEVAULT_USER EDITOR VISUAL LANGUAGE LC_MESSAGES
export LC_ALL=C.UTF-8

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
	alice) printf '%s' 'alice-admin-passphrase' ;;
	bob) printf '%s' 'bob-counselor-pass-1' ;;
	carol) printf '%s' 'carol-counselor-pass' ;;
	sue) printf '%s' 'sue-supervisor-pass' ;;
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
		sed -n '1,4s/^/    stderr: /p' "$T/err" >&2
	fi
}
rc_is() { [ "$rc" -eq "$1" ]; }
out_has() { grep -qF -- "$1" "$T/out"; }
err_has() { grep -qF -- "$1" "$T/err"; }
err_lacks() { ! grep -qF -- "$1" "$T/err"; }
same() { [ "$1" = "$2" ]; }
q() { sqlite3 "$V" "$1"; }
ncases() { q 'select count(*) from cases'; }
nnotes() { q "select count(*) from records where type = 'note'"; }
rows_of() { q "select count(*) from audit where actor = '$1' and action = '$2' and outcome = '$3'"; }

# ---- the vault and its people -------------------------------------------

say "$(pass_of alice)"
"$CASEVAULT" --vault "$V" --passphrase-fd 0 init --admin alice $KDF <"$T/in" >"$T/out" 2>"$T/err"
rc=$?
RC=$(cat "$T/out")
check "init" rc_is 0
for u in bob:counselor carol:counselor sue:supervisor; do
	name=${u%%:*}
	say "$(pass_of alice)"
	cv alice user add "$name" --role "${u#*:}" <"$T/in"
	say "$(tail -n 1 "$T/out")" "$(pass_of "$name")"
	cv "$name" enrol <"$T/in"
	check "$name enrols" rc_is 0
done
say "$(pass_of alice)" "$RC"
cv alice vault keys --deliver <"$T/in"
check "vault keys delivered" rc_is 0

# ---- cases ---------------------------------------------------------------

# A byte order mark, CRLF line ends, Chinese column names and values, a
# quoted name holding a comma, the consent on file for two of the rows.
printf '\357\273\277' >"$T/cases.csv"
printf '%s\r\n' \
	'学号,姓名,性别,年级,班级,类别,出生日期,监护人,监护人电话,consent_by,consent_method,consent_date,consent_scope' \
	'2019001,林雪,女,8,8-3,情绪,2012-05-06,林国强,13800001111,"学生,监护人",书面,2024-09-02,"个体辅导,联系监护人"' \
	'2019002,"Li, Ming",M,9,9-1,academic,,,,"student,guardian",oral,2024-09-03,individual' \
	'2019003,Wang Fang,F,7,7-2,family,,,,,,,' >>"$T/cases.csv"
as bob import cases "$T/cases.csv"
check "import cases: exit 0, one id per row with its line" \
	eval 'rc_is 0 && [ "$(grep -Ec "^line [234]: C-[0-9A-Z]{5}$" "$T/out")" -eq 3 ]'
check "import cases: three cases, three case.open rows, four consent.record rows" \
	eval 'same "$(ncases)" 3 && same "$(rows_of bob case.open ok)" 3 &&
		same "$(rows_of bob consent.record ok)" 4'
check "import cases: no progress bar when stderr is not a terminal" \
	eval 'err_lacks "importing [" && err_has "imported 3 case(s)"'
C1=$(sed -n 's/^line 2: //p' "$T/out")
C2=$(sed -n 's/^line 3: //p' "$T/out")
C3=$(sed -n 's/^line 4: //p' "$T/out")
as bob case show "$C1"
check "the Chinese row: its name, gender and category as the library stores them" \
	eval 'rc_is 0 && out_has "林雪" && out_has "2019001" && out_has "emotion"'
check "the Chinese row: the student's and the guardian's consent" \
	eval 'out_has "student: individual,guardian-contact; guardian: individual,guardian-contact"'
as bob case show "$C2"
check "a quoted name with a comma is one field" eval 'rc_is 0 && out_has "Li, Ming"'
check "the student's identity is not in the vault file in clear" \
	eval '! LC_ALL=C grep -a -q -F "林雪" "$V" && ! LC_ALL=C grep -a -q -F "2019001" "$V"'

# A file with bad rows: each reported with its line, nothing written.
cat >"$T/bad.csv" <<'CSV'
student_id,name,gender,grade,class,category,born
2020001,Zhao Lei,M,7,7-1,other,
2020002,Qian,M,13,7-1,other,
2020003,Sun,Q,7,7-1,other,
2020004,"Zhou
Yan",F,7,7-1,other,
2020005,Wu,F,7,7-1,other,,extra
2020006,Zheng,F,7,7-1,other,2010-02-30
CSV
as bob import cases "$T/bad.csv"
check "bad rows: exit 2 (the first refusal's), nothing imported" \
	eval 'rc_is 2 && err_has "5 of 6 rows refused; nothing was imported" && same "$(ncases)" 3'
check "bad rows: each reported with its line (a quoted line break counted)" \
	eval 'err_has "line 3: grade must be a number from 1 to 12" &&
		err_has "line 4: gender must be F, M or X" &&
		err_has "line 5: name has a control character" &&
		err_has "line 7: 8 fields, but the header has 7" && err_has "line 8: "'
check "bad rows: the good row among them is not written either" \
	eval 'same "$(q "select count(*) from audit where action = '"'"'case.open'"'"' and outcome = '"'"'ok'"'"'")" 3'
check "bad rows: the refusals the library checks are logged as typed ones are" \
	eval 'same "$(q "select count(*) from audit where action = '"'"'case.open'"'"' and outcome = '"'"'failed'"'"'")" 4'
as bob --json import cases "$T/bad.csv"
check "bad rows under --json: one JSON error object on stderr with every refused line" \
	eval 'rc_is 2 && [ ! -s "$T/out" ] && python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
e = d[\"error\"]
assert d[\"ok\"] is False and e[\"exit\"] == 2, d
assert e[\"code\"] == \"import.refused\" and e[\"status\"] == \"usage\", e
assert [r[\"line\"] for r in e[\"refused\"]] == [3, 4, 5, 7, 8], e[\"refused\"]
assert e[\"refused\"][0][\"code\"] == \"case.grade-invalid\"
" "$T/err"'

# The same report in Chinese, under a Chinese locale, when the catalogs
# are built (make e2e sets CASEVAULT_LOCALEDIR).
if [ -n "${CASEVAULT_LOCALEDIR:-}" ] &&
	[ -f "$CASEVAULT_LOCALEDIR/zh_CN/LC_MESSAGES/casevault.mo" ]; then
	export CASEVAULT_LOCALEDIR
	if locale -a 2>/dev/null | grep -qix 'zh_CN.utf-\?8'; then
		ZH="LC_ALL=zh_CN.UTF-8"
	else
		ZH="LC_ALL= LANG=C.UTF-8 LANGUAGE=zh_CN"
	fi
	say "$(pass_of bob)"
	env $ZH "$CASEVAULT" --vault "$V" --user bob --passphrase-fd 0 import cases "$T/bad.csv" \
		<"$T/in" >"$T/out" 2>"$T/err"
	rc=$?
	check "under zh_CN the report is in Chinese, with the lines" \
		eval 'rc_is 2 && err_has "第 3 行：" && err_has "6 行中有 5 行被拒绝；没有导入任何内容" &&
			same "$(ncases)" 3'
fi

# The header: what the program cannot map is refused before anything.
printf 'student_id,name,gender,grade,class,catgory\n1,a,F,7,7-1,other\n' >"$T/h1.csv"
cv bob import cases "$T/h1.csv" </dev/null
check "an unknown column is named, before any passphrase is asked" \
	eval 'rc_is 2 && err_has "line 1: unknown column '"'"'catgory'"'"'"'
printf 'student_id,name,gender,grade,class\n1,a,F,7,7-1\n' >"$T/h2.csv"
cv bob import cases "$T/h2.csv" </dev/null
check "a missing required column is named" \
	eval 'rc_is 2 && err_has "has no column '"'"'category'"'"'"'
printf 'case,text\nC-AAAAA,"never closed\n' >"$T/h3.csv"
as bob import notes "$T/h3.csv"
check "an unclosed quote is refused with its line" \
	eval 'rc_is 2 && err_has "line 2: a quoted field is never closed" && same "$(nnotes)" 0'
as sue import cases "$T/cases.csv"
check "a supervisor imports nothing (denied, exit 4)" eval 'rc_is 4 && same "$(ncases)" 3'

# ---- notes -----------------------------------------------------------------

# Quotes, commas and line breaks in the text; Chinese; a large note; a
# kind in Chinese; one stored final at once.
python3 - "$T/notes.csv" "$C1" "$C2" <<'PY'
import sys
path, c1, c2 = sys.argv[1:4]
big = "学生谈到考试压力，" * 20000
rows = [
    ("case", "kind", "text", "finalize"),
    (c1.lower(), "会谈", 'She said "I can\'t sleep", then:\nline two, with a comma', ""),
    (c1, "analysis", big, "是"),
    (c2, "", "第一次会谈：学生情绪稳定。", "no"),
]
def q(s):
    return '"' + s.replace('"', '""') + '"'
with open(path, "w", encoding="utf-8", newline="") as f:
    for r in rows:
        f.write(",".join(q(x) for x in r) + "\r\n")
open(path + ".big", "w", encoding="utf-8").write(big)
PY
as bob import notes "$T/notes.csv"
check "import notes: exit 0, three notes" \
	eval 'rc_is 0 && same "$(nnotes)" 3 && [ "$(grep -Ec "^line [0-9]+: N-[0-9A-Z]{6}$" "$T/out")" -eq 3 ]'
N1=$(sed -n 's/^line 2: //p' "$T/out")
NB=$(sed -n 's/^line 4: //p' "$T/out")
N3=$(sed -n 's/^line 5: //p' "$T/out")
check "the lines of the notes after one with a line break count it" \
	eval '[ -n "$N1" ] && [ -n "$NB" ] && [ -n "$N3" ]'
check "import notes: note.add rows, and one note.finalize" \
	eval 'same "$(rows_of bob note.add ok)" 3 && same "$(rows_of bob note.finalize ok)" 1'
as bob note show "$N1"
check "quotes, comma and line break kept in the note's text" \
	eval 'rc_is 0 && out_has "She said \"I can'"'"'t sleep\", then:" && out_has "line two, with a comma"'
kind_status() { q "select kind || ' ' || status from records where id = '$1'"; }
check "kinds and statuses: a session draft, the analysis final (given as 是), a session draft" \
	eval 'same "$(kind_status "$N1")" "session draft" && same "$(kind_status "$NB")" "analysis final" &&
		same "$(kind_status "$N3")" "session draft"'
as bob note show "$NB"
check "the large Chinese note reads back whole" \
	eval 'rc_is 0 && python3 -c "
import sys
out = open(sys.argv[1], encoding=\"utf-8\").read()
assert open(sys.argv[2], encoding=\"utf-8\").read() in out
" "$T/out" "$T/notes.csv.big"'

# carol imports notes into bob's case: refused, nothing written, logged.
printf 'case,text\n%s,a note on a case that is not mine\n' "$C3" >"$T/other.csv"
as carol import notes "$T/other.csv"
check "a counselor importing notes into a case not theirs: denied (exit 4)" \
	eval 'rc_is 4 && err_has "line 2: case '"'"'$C3'"'"' is not shared with '"'"'carol'"'"'" && same "$(nnotes)" 3'
check "... and the refusal is logged as a typed note add's" \
	eval 'same "$(q "select count(*) from audit where actor = '"'"'carol'"'"' and action = '"'"'note.add'"'"' and outcome = '"'"'denied'"'"' and object = '"'"'case:$C3'"'"'")" 1'

# No consent on file: the note is refused as a typed one is (R1).
printf 'case,text,finalize\n%s,needs consent,\n%s,fine,maybe\n' "$C3" "$C1" >"$T/noconsent.csv"
as bob import notes "$T/noconsent.csv"
check "a note on a case without consent, and a bad finalize: both reported, exit 4" \
	eval 'rc_is 4 && err_has "line 2:" && err_has "consent" &&
		err_has "line 3: finalize is yes or no" && same "$(nnotes)" 3'

# By student number instead of case id (学号), or both, which must agree.
printf '学号,个案,内容\n2019002,,by student number\n2019-001,%s,both agree\n' "$C1" >"$T/bystudent.csv"
as bob import notes "$T/bystudent.csv"
S1=$(sed -n 's/^line 2: //p' "$T/out")
S2=$(sed -n 's/^line 3: //p' "$T/out")
check "notes by student number: written to that student's case" \
	eval 'rc_is 0 && same "$(q "select case_id from records where id = '"'"'$S1'"'"'")" "$C2" &&
		same "$(q "select case_id from records where id = '"'"'$S2'"'"'")" "$C1"'
printf 'student_id,case,text\n2019003,%s,disagree\n2099999,,nobody\n' "$C1" >"$T/bystudent2.csv"
as bob import notes "$T/bystudent2.csv"
check "notes by student number: a case that is not the student's, and an unknown student, refused" \
	eval 'rc_is 2 && err_has "line 2: case '"'"'$C1'"'"' is not the case of this student number" &&
		err_has "line 3: no case of yours has this student number" &&
		! grep -q 2099999 "$T/err"'
printf 'kind,text\nsession,no case named\n' >"$T/nocase.csv"
as bob import notes "$T/nocase.csv"
check "notes without a case or student_id column: a usage error" \
	eval 'rc_is 2 && err_has "has no column '"'"'case'"'"' or '"'"'student_id'"'"'"'

# --json on success: one object.
printf 'case,text\n%s,from standard input\n' "$C2" >"$T/stdin.csv"
say "$(pass_of bob)"
cat "$T/stdin.csv" >>"$T/in"
cv bob --json import notes - <"$T/in"
check "import notes - (standard input) under --json: one object with the ids" \
	eval 'rc_is 0 && python3 -c "
import json, sys
o = json.load(open(sys.argv[1]))
assert o[\"ok\"] is True and o[\"kind\"] == \"notes\" and o[\"imported\"] == 1, o
assert o[\"rows\"][0][\"line\"] == 2 and o[\"rows\"][0][\"id\"].startswith(\"N-\"), o
" "$T/out"'

# On a terminal, a progress bar on standard error (and nothing of it on
# standard output).
printf 'case,text\n%s,with a bar\n%s,and another\n' "$C2" "$C2" >"$T/bar.csv"
say "$(pass_of bob)"
python3 - "$CASEVAULT" "$V" "$T/bar.csv" "$T/in" "$T/out" "$T/err" <<'PY'
import os, pty, subprocess, sys
cv, vault, csv, pw, out, err = sys.argv[1:7]
master, slave = pty.openpty()
with open(pw) as stdin, open(out, "w") as stdout:
    p = subprocess.Popen([cv, "--vault", vault, "--user", "bob", "--passphrase-fd", "0",
                          "import", "notes", csv], stdin=stdin, stdout=stdout, stderr=slave)
    os.close(slave)
    data = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    rc = p.wait()
open(err, "wb").write(data)
sys.exit(rc)
PY
rc=$?
check "on a terminal: a progress bar on stderr, the ids alone on stdout" \
	eval 'rc_is 0 && err_has "importing [" && err_has "100%" && ! grep -q "importing" "$T/out" &&
		[ "$(grep -c "^line" "$T/out")" -eq 2 ]'

as sue audit verify
check "the log verifies after the imports and their refusals" rc_is 0

echo "e2e_import: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
