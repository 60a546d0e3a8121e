#!/bin/sh
# e2e_zh.sh - the Chinese interface through the built binary: the message
# catalog is complete (and a catalog missing one translation is refused);
# under zh_CN a library refusal comes out in Chinese with its arguments in
# place, the same exit code and the same reason code under --json; usage
# errors, --help and a command's usage in Chinese; the Chinese aliases of
# the fixed words (情绪, 女, 学生,监护人, 书面, 个体辅导, 会谈) accepted in any
# locale and stored as the vault's English words, shown in Chinese under
# zh_CN; an alias that is no word refused in Chinese; and English, word for
# word, under LANG=C.  case show's labelled lines line up by display width
# in both languages; config get says an unset timezone as config list does;
# --csv on audit log names audit log's own option, in Chinese.
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

# ---- 2. help and usage ------------------------------------------------------

rc=0
env $ZH "$CASEVAULT" --help >"$T/out" 2>"$T/err" || rc=$?
check "--help under zh_CN: Chinese, exit 0" \
	eval 'rc_is 0 && out_has "用法：casevault" && out_has "命令：" && out_has "开立个案"'
rc=0
env $EN "$CASEVAULT" --help >"$T/out" 2>"$T/err" || rc=$?
check "--help under LANG=C: English" \
	eval 'rc_is 0 && out_has "usage: casevault" && out_has "open a case (the identity"'
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
check "  ... config list's line" eval 'grep -Eq "^timezone +\(system\)  \(default\)$" "$T/out"'
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

echo "e2e_zh: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
