#!/bin/sh
# e2e_zh.sh - the Chinese interface through the built binary: the message
# catalog is complete (and a catalog missing one translation is refused);
# under zh_CN a library refusal comes out in Chinese with its arguments in
# place, the same exit code and the same reason code under --json; usage
# errors, --help and a command's usage in Chinese; the Chinese aliases of
# the fixed words (情绪, 女, 学生,监护人, 书面, 个体辅导, 会谈) accepted in any
# locale and stored as the vault's English words, shown in Chinese under
# zh_CN; an alias that is no word refused in Chinese; and English, word for
# word, under LANG=C.  The language follows LC_ALL, LC_MESSAGES, LANG and
# LANGUAGE as gettext has them (English in the C locale without LANGUAGE).  case show's labelled lines line up by display width
# in both languages; config get says an unset timezone as config list does;
# --csv on audit log names audit log's own option, in Chinese.  Every
# fixed value shown (statuses, outcomes, roles, parties) in Chinese under
# zh_CN; roles typed in Chinese; user add says 已添加; a value that is none
# of the words refused with the list in both languages; the tables (user
# list, config list, duty list, case show's notes) lined up by display
# width; Chinese lines in Chinese punctuation.
#
# The Chinese locale: zh_CN.UTF-8 when the system has it (`make check`
# generates it), else LANGUAGE=zh_CN over C.UTF-8, which gettext honours
# just the same.
#
# Run: CASEVAULT=/abs/path/to/casevault \
#      CASEVAULT_LOCALEDIR=/abs/path/to/build/locale sh tests/e2e_zh.sh
# from the top of the source tree.  Every check counts: one that fails
# fails the run.

set -u

if [ -z "${CASEVAULT:-}" ] || [ ! -x "$CASEVAULT" ]; then
	echo "e2e_zh: set CASEVAULT to the built casevault binary" >&2
	exit 2
fi
if [ -z "${CASEVAULT_LOCALEDIR:-}" ] ||
	[ ! -f "$CASEVAULT_LOCALEDIR/zh_CN/LC_MESSAGES/casevault.mo" ]; then
	echo "e2e_zh: set CASEVAULT_LOCALEDIR to the built catalogs (build/locale)" >&2
	exit 2
fi
export CASEVAULT_LOCALEDIR
for tool in sqlite3 python3 msgfmt; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "e2e_zh: $tool is needed" >&2
		exit 2
	fi
done
unset CASEVAULT_VAULT CASEVAULT_USER EDITOR VISUAL LC_ALL LC_MESSAGES LANGUAGE

T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM
V=$T/v.db
KDF="--kdf-t 2 --kdf-m 19456 --kdf-p 1"
mkdir -m 700 "$T/run"
XDG_RUNTIME_DIR=$T/run
export XDG_RUNTIME_DIR

if locale -a 2>/dev/null | grep -qix 'zh_CN.utf-\?8'; then
	ZH="LC_ALL=zh_CN.UTF-8"
else
	ZH="LANG=C.UTF-8 LANGUAGE=zh_CN"
fi
EN="LANG=C"

npass=0
nfail=0

# cv LOCALE USER ARGS... : the passphrase of USER on stdin.
cv() {
	cv_loc=$1
	cv_user=$2
	shift 2
	pass_of "$cv_user" >"$T/in"
	env $cv_loc "$CASEVAULT" --vault "$V" --user "$cv_user" --passphrase-fd 0 "$@" \
		<"$T/in" >"$T/out" 2>"$T/err"
	rc=$?
}
pass_of() {
	case $1 in
	alice) printf '%s\n' "$ALICEP" ;;
	bob) printf '%s\n' "$BOBP" ;;
	esac
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
out_has() { grep -qF -- "$1" "$T/out"; }
err_has() { grep -qF -- "$1" "$T/err"; }
err_lacks() { ! grep -qF -- "$1" "$T/err"; }
same() { [ "$1" = "$2" ]; }
q() { sqlite3 "$V" "$1"; }
# Every labelled line of case show ("  label  value") has its value at
# display column 12 (a Chinese character two columns wide), as the
# record lines do; at least five such lines.
values_aligned() {
	python3 - "$T/out" <<'EOF'
import re, sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"  \S+? +", line)
    if not m or line.startswith("   "):
        continue
    n += 1
    if width(m.group(0)) != 12:
        print("not aligned: " + line.rstrip(), file=sys.stderr)
        sys.exit(1)
sys.exit(0 if n >= 5 else 1)
EOF
}
json_field() { # FILE KEY... : the value at that path, or the empty string
	python3 - "$@" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    v = v[k]
print(v)
EOF
}

# The display column (a Chinese character two wide) where TEXT starts on
# the first line of FILE that holds it; -1 when none does.
column_of() {
	python3 - "$1" "$2" <<'EOF'
import sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
for line in open(sys.argv[1], encoding="utf-8"):
    i = line.find(sys.argv[2])
    if i >= 0:
        print(width(line[:i]))
        break
else:
    print(-1)
EOF
}
# A table in $T/out: its cells (runs of text apart by two blanks or more)
# start at the same display columns on every line (the first three at
# least; a last cell may hold two blanks itself), at least two lines.
aligned() {
	python3 - "$T/out" <<'EOF'
import re, sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
rows = []
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip()
    rows.append([width(line[:m.start()]) for m in re.finditer(r"(?:(?<=  )|^)\S", line)])
n = min(len(r) for r in rows) if rows else 0
ok = len(rows) >= 2 and n >= 3 and all(r[:n] == rows[0][:n] for r in rows)
if not ok:
    print("not aligned: %s" % rows, file=sys.stderr)
sys.exit(0 if ok else 1)
EOF
}
# No ASCII punctuation (, ; : ( ) [ ]) next to Chinese in FILE: a Chinese
# sentence takes Chinese punctuation.
no_mixed_punct() {
	python3 - "$1" <<'EOF'
import re, sys, unicodedata
def cjk(c):
    return unicodedata.east_asian_width(c) in "WF"
bad = 0
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    for m in re.finditer(r"[,;:()\[\]]", line):
        before = line[:m.start()].rstrip()[-1:]
        after = line[m.end():].lstrip()[:1]
        if (before and cjk(before)) or (after and cjk(after)):
            print("mixed punctuation: " + line, file=sys.stderr)
            bad = 1
            break
sys.exit(bad)
EOF
}
# Every message of $T/err that lists the words to use ("请使用 ...")
# names each with its Chinese word: every ASCII word after 请使用 is
# followed by （; at least two words listed.
lists_both() {
	python3 - "$T/err" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
segs = [l.split("请使用", 1)[1] for l in text.splitlines() if "请使用" in l]
words = [(m.group(0), s[m.end():m.end() + 1]) for s in segs
         for m in re.finditer(r"[A-Za-z][A-Za-z,-]*", s)]
bad = [w for w, nxt in words if nxt != "（"]
if bad or len(words) < 2:
    print("listed without their Chinese word: %s" % (bad or "none"), file=sys.stderr)
sys.exit(1 if bad or len(words) < 2 else 0)
EOF
}

# ---- 1. the catalog is complete --------------------------------------------

rc=0
sh tests/check_catalog.sh >"$T/out" 2>"$T/err" || rc=$?
check "check_catalog: every message of the sources is translated" rc_is 0
# The check itself fails when one translation is missing.
sed '/^msgid "wrong passphrase for/{n;s/^msgstr .*/msgstr ""/;}' po/zh_CN.po >"$T/bad.po"
rc=0
sh tests/check_catalog.sh --po "$T/bad.po" >"$T/out" 2>"$T/err" || rc=$?
check "check_catalog: a catalog missing one translation fails, naming it" \
	eval '! rc_is 0 && err_has "wrong passphrase for"'
rc=0
msgfmt --check -o /dev/null po/zh_CN.po 2>"$T/err" || rc=$?
check "msgfmt --check po/zh_CN.po" rc_is 0
# The statistics page's Chinese labels (stats.c label_zh) are the words the
# catalog gives the same values, which counselors see and type.
label_drift() { # PO : each value whose label is not the catalog's word
	python3 - "$1" <<'EOF'
import re, sys
src = open("src/lib/stats.c", encoding="utf-8").read()
table = src[src.index("label_zh[] = {"):]
table = table[:table.index("};")]
pairs = re.findall(r'\{"([^"]*)", "([^"]*)"\}', table)
po = dict(re.findall(r'^msgid "([^"]*)"\nmsgstr "([^"]*)"$',
                     open(sys.argv[1], encoding="utf-8").read(), re.M))
known = [(c, z) for c, z in pairs if c in po]
bad = ["%s: %s, not %s" % (c, z, po[c]) for c, z in known if po[c] != z]
print("\n".join(bad))
sys.exit(1 if bad or len(known) < 20 else 0)
EOF
}
rc=0
label_drift po/zh_CN.po >"$T/out" 2>"$T/err" || rc=$?
check "the statistics page's Chinese labels are the catalog's words" rc_is 0
sed '/^msgid "left-behind"$/{n;s/^msgstr .*/msgstr "留守儿童"/;}' po/zh_CN.po >"$T/drift.po"
rc=0
label_drift "$T/drift.po" >"$T/out" 2>"$T/err" || rc=$?
check "  ... and a catalog that says another word fails, naming it" \
	eval '! rc_is 0 && out_has "left-behind: 留守, not 留守儿童"'

# ---- 2. help and usage ------------------------------------------------------

rc=0
env $ZH "$CASEVAULT" --help >"$T/out" 2>"$T/err" || rc=$?
check "--help under zh_CN: Chinese, exit 0" \
	eval 'rc_is 0 && out_has "用法：casevault" && out_has "命令：" && out_has "开立个案"'
rc=0
env $EN "$CASEVAULT" --help >"$T/out" 2>"$T/err" || rc=$?
check "--help under LANG=C: English" \
	eval 'rc_is 0 && out_has "usage: casevault" && out_has "open a case (the identity"'
# The language is chosen as gettext chooses it: LC_ALL, else LC_MESSAGES,
# else LANG (an empty one skipped), and LANGUAGE over any locale but C;
# English in the C locale without LANGUAGE (where nothing is loaded).
help_in() { # LANGUAGE-OF-THE-HELP VAR=VALUE...: --help under those variables
	help_lang=$1
	shift
	rc=0
	env -u LC_ALL -u LC_MESSAGES -u LANG -u LANGUAGE "$@" "$CASEVAULT" --help \
		>"$T/out" 2>"$T/err" || rc=$?
	if [ "$help_lang" = zh ]; then
		rc_is 0 && out_has "用法：casevault" && out_has "开立个案"
	else
		rc_is 0 && out_has "usage: casevault" && out_has "open a case (the identity"
	fi
}
check "--help with no locale variable: English" help_in en
check "--help under LANG=C.UTF-8: English" help_in en LANG=C.UTF-8
check "--help under LANG=POSIX: English" help_in en LANG=POSIX
check "--help under LANG=C.UTF-8 LANGUAGE=zh_CN: Chinese" help_in zh LANG=C.UTF-8 LANGUAGE=zh_CN
check "--help under LANG=C LANGUAGE=zh_CN: English (gettext ignores LANGUAGE in C)" \
	help_in en LANG=C LANGUAGE=zh_CN
check "--help under LANG=C.UTF-8 LANGUAGE= (empty): English" \
	help_in en LANG=C.UTF-8 LANGUAGE=
if [ "$ZH" = "LC_ALL=zh_CN.UTF-8" ]; then
	check "--help under LANG=zh_CN.UTF-8: Chinese" help_in zh LANG=zh_CN.UTF-8
	check "--help under LC_ALL= (empty) LANG=zh_CN.UTF-8: Chinese" \
		help_in zh LC_ALL= LANG=zh_CN.UTF-8
	check "--help under LC_MESSAGES=C.UTF-8 LANG=zh_CN.UTF-8: English" \
		help_in en LC_MESSAGES=C.UTF-8 LANG=zh_CN.UTF-8
	check "--help under LC_MESSAGES=zh_CN.UTF-8 LANG=C.UTF-8: Chinese" \
		help_in zh LC_MESSAGES=zh_CN.UTF-8 LANG=C.UTF-8
	check "--help under LC_ALL=C.UTF-8 LC_MESSAGES=zh_CN.UTF-8: English" \
		help_in en LC_ALL=C.UTF-8 LC_MESSAGES=zh_CN.UTF-8
fi
rc=0
env $ZH "$CASEVAULT" case open -h >"$T/out" 2>"$T/err" || rc=$?
check "case open -h under zh_CN: the usage line and the summary in Chinese" \
	eval 'rc_is 0 && out_has "用法：casevault case open [--form FILE|-]" && out_has "开立个案"'
rc=0
env $ZH "$CASEVAULT" case opne >"$T/out" 2>"$T/err" || rc=$?
check "a misspelt sub-command under zh_CN: exit 2, in Chinese, the word in place" \
	eval 'rc_is 2 && err_has "错误：'"'"'case'"'"' 没有子命令 '"'"'opne'"'"'"'
rc=0
env $EN "$CASEVAULT" case opne >"$T/out" 2>"$T/err" || rc=$?
check "the same under LANG=C: exit 2, English" \
	eval 'rc_is 2 && err_has "error: '"'"'case'"'"' has no sub-command '"'"'opne'"'"'"'

# ---- 3. a vault, a counselor ------------------------------------------------

ALICEP='alice-admin-passphrase'
BOBP='bob-counselor-pass-1'
printf '%s\n' "$ALICEP" >"$T/in"
"$CASEVAULT" --vault "$V" --passphrase-fd 0 init --admin alice $KDF <"$T/in" >"$T/out" 2>"$T/err"
rc=$?
RC=$(cat "$T/out")
check "init" rc_is 0
cv "$EN" alice user add bob --role counselor
printf '%s\n%s\n' "$(tail -n 1 "$T/out")" "$BOBP" >"$T/in"
"$CASEVAULT" --vault "$V" --user bob --passphrase-fd 0 enrol <"$T/in" >"$T/out" 2>"$T/err"
rc=$?
check "bob enrols" rc_is 0
printf '%s\n%s\n' "$ALICEP" "$RC" >"$T/in"
"$CASEVAULT" --vault "$V" --user alice --passphrase-fd 0 vault keys --deliver <"$T/in" \
	>"$T/out" 2>"$T/err"
rc=$?
check "vault keys --deliver" rc_is 0

# ---- 4. refusals: Chinese sentence, arguments in place, same status ---------

cv "$ZH" bob case show C-ZZZZZ
check "no such case under zh_CN: exit 6, Chinese, the id in place" \
	eval 'rc_is 6 && err_has "错误：没有个案 '"'"'C-ZZZZZ'"'"'"'
cv "$EN" bob case show C-ZZZZZ
check "the same under LANG=C: exit 6, the English sentence" \
	eval 'rc_is 6 && err_has "error: no case '"'"'C-ZZZZZ'"'"'" && err_lacks "没有"'
cv "$EN" bob --json case show C-ZZZZZ 2>/dev/null
cv "$EN" alice case list
en_rc=$rc
cp "$T/err" "$T/err.en"
cv "$ZH" alice case list
check "a refusal by role under zh_CN: the same exit code (4) as in English" \
	eval 'rc_is 4 && same "$en_rc" 4'
check "  ... in Chinese, the user's name in place, the roles in Chinese too" \
	eval 'err_has "'"'"'alice'"'"' 是管理员" && err_has "只有心理辅导老师" && err_lacks "an admin"'
check "  ... in English under LANG=C" eval 'grep -qF "'"'"'alice'"'"' is" "$T/err.en"'
printf '%s\n' "$ALICEP" >"$T/in"
env $ZH "$CASEVAULT" --vault "$V" --user alice --passphrase-fd 0 --json case list <"$T/in" \
	>"$T/out" 2>"$T/err.json"
rc=$?
check "  ... under --json: the reason code is the same, the message Chinese" \
	eval 'rc_is 4 && same "$(json_field "$T/err.json" error code)" "policy.role" &&
		json_field "$T/err.json" error message | grep -qF "只有"'
check "  ... and the log stores codes, not sentences" \
	eval 'same "$(q "select count(*) from audit where detail like '"'"'%只有%'"'"'")" 0'

# ---- empty lists say so, in Chinese ----------------------------------------

# one_line TEXT : exit 0, stdout is the one line TEXT.
one_line() { rc_is 0 && [ "$(wc -l <"$T/out")" -eq 1 ] && same "$(cat "$T/out")" "$1"; }
cv "$ZH" bob case list
check "an empty case list under zh_CN: one Chinese line, exit 0" one_line "没有进行中的个案"
cv "$ZH" bob referral list
check "an empty referral list under zh_CN" one_line "没有转介"
cv "$ZH" bob watch list
check "an empty watch list under zh_CN" one_line "重点学生名册中没有学生"
cv "$ZH" bob duty list --week 2026-W02
check "an empty duty list under zh_CN, the week in place" one_line "2026-W02 周没有值班记录"
cv "$EN" bob referral list
check "  ... in English under LANG=C" one_line "no referrals"
cv "$ZH" bob --json referral list
check "  ... under --json, in any language: []" one_line "[]"

# ---- 5. the Chinese words of the fixed values -------------------------------

printf 'student-id: S2026-0917\nname: 王小红\nclass: 初二(3)班\ngender: 女\nguardian: 王大伟\n' >"$T/form"
cv "$EN" bob case open --form "$T/form" --grade 8 --category 情绪
C=$(cat "$T/out")
check "case open --category 情绪 (gender 女 in the form), under LANG=C: exit 0" \
	eval 'rc_is 0 && printf "%s\n" "$C" | grep -Eqx "C-[0-9A-Z]{5}"'
cv "$EN" bob --json case show "$C"
cp "$T/out" "$T/case.json"
check "  ... stored as the vault's words: category emotion, gender F" \
	eval 'same "$(json_field "$T/case.json" category)" emotion &&
		same "$(json_field "$T/case.json" gender)" F'
cv "$EN" bob case show "$C"
check "  ... shown in English under LANG=C" eval 'out_has "category  emotion"'
cv "$ZH" bob case show "$C"
check "  ... shown in Chinese under zh_CN" eval 'rc_is 0 && out_has "类别" && out_has "情绪"'
cv "$ZH" bob case list
check "case list under zh_CN: the category in Chinese" eval 'rc_is 0 && out_has "情绪"'

n0=$(q "select count(*) from records where type = 'consent'")
cv "$ZH" bob consent record "$C" --by 学生,监护人 --method 书面 --scope 个体辅导，心理测评
check "consent record --by 学生,监护人 --method 书面 --scope 个体辅导，心理测评: exit 0" rc_is 0
check "  ... two consent records" \
	same "$(q "select count(*) from records where type = 'consent'")" $((n0 + 2))
cv "$ZH" bob consent record "$C" --by 学生、监护人 --method 口头 --scope 个体辅导
check "consent record --by 学生、监护人 (the enumeration comma): exit 0, two more records" \
	eval 'rc_is 0 && same "$(q "select count(*) from records where type = '"'consent'"'")" $((n0 + 4))'
cv "$EN" bob case show "$C"
check "  ... stored as written, individual,testing by student and guardian" \
	eval 'out_has "by student, written, individual,testing" &&
		out_has "by guardian, written, individual,testing"'
check "case show under LANG=C: every label's value at the same column" values_aligned
cv "$ZH" bob case show "$C"
check "case show under zh_CN: the values line up by display width, as in English" \
	eval 'rc_is 0 && out_has "  学生      王小红" && out_has "  监护人    王大伟" &&
		out_has "  知情同意  学生：个体辅导" && values_aligned'

cv "$ZH" bob case open --form "$T/form" --grade 8 --category 情緒
check "an alias that is no word (情緒): exit 2, in Chinese, the choices named" \
	eval 'rc_is 2 && err_has "不是有效的问题类别" && err_has "emotion"'

printf 'The first session went well.\n' >"$T/note"
cv "$ZH" bob note add "$C" --kind 会谈 --file "$T/note"
N=$(cat "$T/out")
check "note add --kind 会谈: exit 0" rc_is 0
cv "$EN" bob note list "$C"
check "  ... a session note, shown in English under LANG=C" eval 'out_has "session"'
cv "$ZH" bob note finalize "$N"
check "note finalize under zh_CN: Chinese" eval 'rc_is 0 && out_has "已定稿 $N"'
cv "$ZH" bob note add "$C" --kind 会谈 --file "$T/nothing"
check "a file that is not there, under zh_CN: exit 6, in Chinese, the path in place" \
	eval 'rc_is 6 && err_has "$T/nothing"'

# ---- 6. a setting's value, as config list says it ---------------------------

cv "$EN" bob config get timezone
check "config get timezone, unset, under LANG=C: (system), as config list says" \
	eval 'rc_is 0 && same "$(cat "$T/out")" "(system)"'
cv "$EN" bob config list
check "  ... config list's line" eval 'grep -Eq "^timezone +\(system\) +\(default\)$" "$T/out"'
cv "$ZH" bob config get timezone
check "  ... under zh_CN, in Chinese" eval 'rc_is 0 && same "$(cat "$T/out")" "（系统时区）"'
cv "$EN" bob config get school
check "config get school, unset: (none)" eval 'rc_is 0 && same "$(cat "$T/out")" "(none)"'
cv "$EN" bob --json config get timezone
check "  ... under --json the value stays null" \
	eval 'rc_is 0 && same "$(json_field "$T/out" value)" None'

# ---- 7. --csv on audit log: its own option named, in Chinese -----------------

cv "$ZH" alice --csv audit log --limit 2
check "--csv audit log under zh_CN: usage (2), in Chinese, the option to use named" \
	eval 'rc_is 2 && err_has "不用 --csv" && err_has "casevault audit log --format csv"'

# ---- 8. every fixed value shown in Chinese under zh_CN ---------------------

printf 'student-id: S2026-0918\nname: 李明\nclass: 初二三班\ngender: 男\nguardian: 李强\n' >"$T/form2"
cv "$EN" bob case open --form "$T/form2" --grade 8 --category 学业
C2=$(cat "$T/out")
check "a second case (学业)" eval 'rc_is 0 && printf "%s\n" "$C2" | grep -Eqx "C-[0-9A-Z]{5}"'
cv "$EN" bob consent record "$C2" --by 学生,监护人 --method 口头 --scope 个体,测评,转介披露
check "  ... its consent" rc_is 0
cv "$EN" bob referral add "$C2" --to 市精神卫生中心 --to-type 精神卫生机构 --reason 学业 \
	--urgency 紧急 --disclosed 学业压力
R=$(cat "$T/out")
check "referral add with Chinese words" \
	eval 'rc_is 0 && printf "%s\n" "$R" | grep -Eqx "R-[0-9A-Z]{6}"'
cv "$ZH" bob referral update "$R" --status 已联系
check "referral update --status 已联系 under zh_CN: the status shown in Chinese" \
	eval 'rc_is 0 && same "$(cat "$T/out")" "转介 $R：已联系"'
cv "$EN" bob referral update "$R" --status accepted
check "  ... and in English under LANG=C" \
	eval 'rc_is 0 && same "$(cat "$T/out")" "referral $R: accepted"'
cv "$ZH" bob referral list
check "referral list under zh_CN: reason, urgency, status in Chinese, Chinese punctuation" \
	eval 'rc_is 0 && out_has "（学业，紧急）" && out_has "已接收" && no_mixed_punct "$T/out"'
cv "$EN" bob test add "$C2" --scale SCL-90 --score 1.2 --notes 良好
check "test add with notes" rc_is 0
cv "$EN" bob consent withdraw "$C2" --scope 测评
check "consent withdraw without --by (both parties)" rc_is 0
cv "$ZH" bob case show "$C2" --include-tests
cp "$T/out" "$T/show2"
check "case show under zh_CN: a withdrawal by both parties in Chinese" \
	eval 'rc_is 0 && out_has "撤回，由学生和监护人，心理测评" && ! out_has "both"'
check "  ... the consent lines in Chinese punctuation (由学生，口头，...)" \
	eval 'out_has "记录，由学生，口头，个体辅导、心理测评、转介披露（核实人 bob）" &&
		out_has "SCL-90：1.2，备注：良好" &&
		no_mixed_punct "$T/show2"'
cv "$EN" bob case show "$C2"
check "  ... in English under LANG=C" \
	eval 'out_has "withdraw by both, testing (verified by bob)" &&
		out_has "record by student, oral, individual,testing,referral-disclosure (verified by bob)"'

cv "$ZH" alice audit log --limit 30
cp "$T/out" "$T/log"
check "audit log under zh_CN: every row's outcome in Chinese" \
	eval 'rc_is 0 && [ -s "$T/log" ] &&
		! grep -Ev "^ *[0-9]+ [0-9-]+ [0-9:]+ [^ ]+ [^ ]+ [^ ]+ (成功|拒绝|失败)( --|$)" "$T/log"'
cv "$EN" alice audit log --outcome 拒绝
check "audit log --outcome 拒绝 (an alias) under LANG=C: denied rows, in English" \
	eval 'rc_is 0 && grep -q " denied" "$T/out" && ! grep -Eq " (ok|failed)( --|$)" "$T/out"'
cv "$ZH" alice --json audit log --limit 1
check "  ... under --json the outcome stays the vault's word" \
	eval 'rc_is 0 && grep -Eq "\"outcome\": ?\"(ok|denied|failed)\"" "$T/out"'

# ---- 9. roles: typed in Chinese; user add says what it did -----------------

cv "$ZH" alice user add carol --role 督导
check "user add --role 督导 under zh_CN: exit 0, 已添加 (not duty add's 已补记)" \
	eval 'rc_is 0 && out_has "已添加督导 '"'"'carol'"'"'，待注册" && ! out_has "已补记"'
cv "$EN" alice user add dave --role 心理辅导老师
check "user add --role 心理辅导老师 under LANG=C: exit 0, in English" \
	eval 'rc_is 0 && out_has "added counselor '"'"'dave'"'"', pending enrolment"'
cv "$EN" alice user add erin --role 管理员
check "user add --role 管理员: exit 0" rc_is 0
cv "$EN" alice --json user list
check "  ... stored as the vault's words: supervisor, counselor, admin" \
	eval 'rc_is 0 && python3 -c "
import json, sys
r = {u[\"name\"]: u[\"role\"] for u in json.load(open(sys.argv[1]))}
sys.exit(not (r[\"carol\"], r[\"dave\"], r[\"erin\"]) == (\"supervisor\", \"counselor\", \"admin\"))
" "$T/out"'
cv "$ZH" alice user add frank --role 督
check "a role that is none (督): exit 2, the roles listed in both languages" \
	eval 'rc_is 2 && err_has "counselor（心理辅导老师）、supervisor（督导）或 admin（管理员）"'
cv "$ZH" bob duty add --from "2026-01-05 08:00" --to "2026-01-05 10:00"
check "duty add under zh_CN keeps its own word (已补记)" eval 'rc_is 0 && out_has "已补记"'

# ---- 10. a value that is none of the words: listed in both languages --------

printf 'student-id: S3\nname: x\nclass: c\ngender: q\ngrade: 3\ncategory: 学业\n' >"$T/badform"
while IFS='|' read -r what args; do
	# shellcheck disable=SC2086
	eval "set -- $args"
	cv "$ZH" alice "$@"
	check "$what under zh_CN: usage (2), every word listed with its Chinese" \
		eval 'rc_is 2 && lists_both'
	cv "$EN" alice "$@"
	check "  ... under LANG=C: the English words alone" \
		eval 'rc_is 2 && err_lacks "（" && err_has " or "'
done <<EOF
note add --kind|note add $C --kind foo
case open --category|case open --category foo
case open --gender|case open --gender foo
a form's gender|case open --form "$T/badform"
consent record --by|consent record $C --by foo
consent record --method|consent record $C --method foo
consent record --scope|consent record $C --scope individual,foo
consent record --scope ,|consent record $C --scope ,
consent withdraw --scope|consent withdraw $C --scope foo
referral add --urgency|referral add $C --urgency foo
referral add --to-type|referral add $C --to-type foo
referral add --reason|referral add $C --reason foo
referral update --status|referral update $R --status foo
watch add --tag|watch add $C --tag foo
audit log --outcome|audit log --outcome foo
user add --role|user add x --role foo
EOF
printf '%s\n' \
	'student_id,name,gender,grade,class,category,consent_by,consent_method,consent_date,consent_scope' \
	'S4,张三,M,8,c1,emotion,student,written,2026-01-05,foo' \
	'S5,李四,M,8,c1,情緒,student,written,2026-01-05,individual' >"$T/bad.csv"
cv "$ZH" bob import cases "$T/bad.csv"
check "import: a bad scope, a bad category (the library's messages) in both languages" \
	eval '! rc_is 0 && err_has "第 2 行" && err_has "第 3 行" && lists_both'
printf '%s\n' 'student_id,name,gender,grade,class,category,consent_method' \
	'S6,王五,M,8,c1,emotion,written' >"$T/bad.csv"
cv "$ZH" bob import cases "$T/bad.csv"
check "import: consent without consent_by, the parties in both languages" \
	eval '! rc_is 0 &&
		err_has "student（学生）、guardian（监护人）或 student,guardian（学生,监护人）"'
printf '%s\n' 'case,kind,text,finalize' "$C,session,text,perhaps" >"$T/bad.csv"
cv "$ZH" bob import notes "$T/bad.csv"
check "import: a bad finalize value, yes and no in both languages" \
	eval '! rc_is 0 && err_has "yes（是）或 no（否）"'

# ---- 11. tables line up by display width ------------------------------------

cv "$ZH" alice user list
check "user list under zh_CN: the columns line up (心理辅导老师 is 12 columns wide)" \
	eval 'rc_is 0 && out_has "心理辅导老师" && out_has "管理员" && aligned'
cv "$EN" alice user list
check "  ... and under LANG=C" eval 'rc_is 0 && aligned'
cv "$ZH" alice config list
check "config list under zh_CN: the columns line up, Chinese punctuation" \
	eval 'rc_is 0 && out_has "（默认）" && aligned && no_mixed_punct "$T/out"'
cv "$EN" alice config list
check "  ... and under LANG=C" eval 'rc_is 0 && out_has "(default)" && aligned'
cv "$EN" bob duty start
cv "$EN" bob duty list
en_col=$(column_of "$T/out" " bob ")
cv "$ZH" bob duty list
check "duty list: an open shift's counselor at the same column in both languages" \
	eval 'rc_is 0 && out_has "（进行中）" && [ "$en_col" -gt 0 ] &&
		same "$(column_of "$T/out" " bob ")" "$en_col"'
Y=$(date +%Y)
cv "$EN" bob case show "$C"
grep '^  note ' "$T/out" >"$T/notes.en"
cv "$ZH" bob case show "$C"
grep '^  记录 ' "$T/out" >"$T/notes.zh"
check "case show: a note line's date at the same column in both languages" \
	eval '[ -s "$T/notes.zh" ] && [ "$(column_of "$T/notes.en" " $Y-")" -gt 0 ] &&
		same "$(column_of "$T/notes.zh" " $Y-")" "$(column_of "$T/notes.en" " $Y-")"'

echo "e2e_zh: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
