#!/bin/sh
# e2e_zh_journeys.sh - the three journeys of tests/demo.sh (the
# counselor's day, the supervisor's audit, the term statistics) run under
# zh_CN.UTF-8, with each step's output asserted Chinese: the messages, the
# headings, the prompts at a terminal (a pty), the refusals with their rule
# and the statistics page's headings.  A Chinese crisis justification is
# accepted for break-glass; one too short is refused with the rule stated
# in Chinese.  Last, every line the journeys printed is searched for an
# English sentence: only data may be ASCII (ids, dates, codes, the CSV).
#
# The Chinese locale: zh_CN.UTF-8 when the system has it (`make check`
# generates it), else LANGUAGE=zh_CN over C.UTF-8, which gettext honours
# just the same.
#
# Run: CASEVAULT=/abs/path/to/casevault \
#      CASEVAULT_LOCALEDIR=/abs/path/to/build/locale sh tests/e2e_zh_journeys.sh
# from the top of the source tree.  Every check counts: one that fails
# fails the run.

set -u

if [ -z "${CASEVAULT:-}" ] || [ ! -x "$CASEVAULT" ]; then
	echo "e2e_zh_journeys: set CASEVAULT to the built casevault binary" >&2
	exit 2
fi
if [ -z "${CASEVAULT_LOCALEDIR:-}" ] ||
	[ ! -f "$CASEVAULT_LOCALEDIR/zh_CN/LC_MESSAGES/casevault.mo" ]; then
	echo "e2e_zh_journeys: set CASEVAULT_LOCALEDIR to the built catalogs (build/locale)" >&2
	exit 2
fi
export CASEVAULT_LOCALEDIR
for tool in sqlite3 python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "e2e_zh_journeys: $tool is needed" >&2
		exit 2
	fi
done
unset CASEVAULT_VAULT CASEVAULT_USER EDITOR VISUAL LC_ALL LC_MESSAGES LANGUAGE LANG

T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM
V=$T/school.db
KDF="--kdf-t 2 --kdf-m 19456 --kdf-p 1"
mkdir -m 700 "$T/run"
XDG_RUNTIME_DIR=$T/run
export XDG_RUNTIME_DIR

if locale -a 2>/dev/null | grep -qix 'zh_CN.utf-\?8'; then
	export LANG=zh_CN.UTF-8
else
	export LANG=C.UTF-8 LANGUAGE=zh_CN
fi

ADMIN='office keeps the safe key'
BOB='river stone window lamp'
SUE='quiet orchard morning bell'

npass=0
nfail=0
rc=0
: >"$T/all"

# cv USER ARGS... : one command, the passphrase of USER (then the lines of
# $EXTRA, if set) on file descriptor 0; the output kept for the checks and
# added to $T/all for the last search.
cv() {
	cv_user=$1
	shift
	{
		pass_of "$cv_user"
		[ -n "${EXTRA:-}" ] && printf '%s\n' "$EXTRA"
	} >"$T/in"
	"$CASEVAULT" --vault "$V" --user "$cv_user" --passphrase-fd 0 "$@" \
		<"$T/in" >"$T/out" 2>"$T/err"
	rc=$?
	EXTRA=
	{
		echo "### $*"
		cat "$T/out" "$T/err"
	} >>"$T/all"
}
pass_of() {
	case $1 in
	office) printf '%s\n' "$ADMIN" ;;
	bob) printf '%s\n' "$BOB" ;;
	sue) printf '%s\n' "$SUE" ;;
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
		sed -n '1,4s/^/    stdout: /p' "$T/out" >&2
		sed -n '1,4s/^/    stderr: /p' "$T/err" >&2
	fi
}
rc_is() { [ "$rc" -eq "$1" ]; }
out_has() { grep -qF -- "$1" "$T/out"; }
err_has() { grep -qF -- "$1" "$T/err"; }
# No run of three English words in FILE: the sentence of a message would
# have them; ids, dates, codes and commands to type do not.
no_english() { ! grep -E '[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}' "$1" | grep -qv -e 'casevault ' -e '--'; }
out_chinese() { no_english "$T/out"; }
err_chinese() { no_english "$T/err"; }
q() { sqlite3 "$V" "$1"; }
same_count() { [ "$(q "select count(*) from records")" = "$1" ]; }

# ---- setting up: the office, a counselor, a supervisor ----------------------

printf '%s\n' "$ADMIN" >"$T/in"
"$CASEVAULT" --vault "$V" --passphrase-fd 0 init --admin office $KDF <"$T/in" \
	>"$T/out" 2>"$T/err"
rc=$?
CODE=$(grep -E '^[0-9a-f]{4}(-[0-9a-f]{4}){8}$' "$T/out")
check "init under zh_CN: the recovery code's warning in Chinese" \
	eval 'rc_is 0 && err_has "已创建保险库" && err_has "恢复码" && err_chinese'
for u in bob:counselor:"$BOB" sue:supervisor:"$SUE"; do
	name=${u%%:*}
	rest=${u#*:}
	role=${rest%%:*}
	pass=${rest#*:}
	cv office user add "$name" --role "$role"
	ecode=$(tail -n 1 "$T/out")
	check "user add $name: Chinese" eval 'rc_is 0 && out_has "注册码"'
	printf '%s\n%s\n' "$ecode" "$pass" >"$T/in"
	"$CASEVAULT" --vault "$V" --user "$name" --passphrase-fd 0 enrol <"$T/in" \
		>"$T/out" 2>"$T/err"
	rc=$?
	check "$name enrols: Chinese" eval 'rc_is 0 && out_has "已注册 '"'$name'"'"'
done
EXTRA=$CODE cv office vault keys --deliver
check "vault keys --deliver: Chinese" eval 'rc_is 0 && out_has "分发 2 份密钥副本"'
cv office user list
check "user list: the roles and the status in Chinese" \
	eval 'rc_is 0 && out_has "心理辅导老师" && out_has "督导" && out_has "管理员" &&
		out_has "正常" && out_has "签发人 office" && out_chinese'

# A counselor enrolled after the delivery has no index key until a
# colleague logs in: the refusal names the key in Chinese.
CAROL='carol chooses her own words'
cv office user add carol --role counselor
printf '%s\n%s\n' "$(tail -n 1 "$T/out")" "$CAROL" >"$T/in"
"$CASEVAULT" --vault "$V" --user carol --passphrase-fd 0 enrol <"$T/in" >/dev/null 2>&1
printf '%s\n' "$CAROL" 'student-id: 2023-500' 'name: 王芳' 'class: 初一1班' >"$T/in"
"$CASEVAULT" --vault "$V" --user carol --passphrase-fd 0 case open --form - --gender 女 \
	--grade 7 --category 学业 <"$T/in" >"$T/out" 2>"$T/err"
rc=$?
check "case open without the index key: refused (4), the key named in Chinese" \
	eval 'rc_is 4 && err_has "尚未持有索引密钥的副本" && err_chinese'

# ---- journey 1: the counselor's day -----------------------------------------

# The identity asked at a terminal (a pty): the prompts in Chinese.
cat >"$T/term.py" <<'EOF'
import os, pty, select, sys, time
answers = sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], [sys.argv[1]] + os.environ["CV_ARGS"].split("\x1f"))
out = b""
deadline = time.time() + 20
i = 0
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    # One answer each time a prompt (a line ending in a colon) waits.
    tail = out.decode("utf-8", "replace").rstrip(" ")
    if i < len(answers) and (tail.endswith("：") or tail.endswith(":")):
        n = out.count("：".encode()) + out.count(b": ")
        if n > i:
            time.sleep(0.05)
            os.write(fd, (answers[i] + "\n").encode())
            i += 1
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(status))
EOF
CV_ARGS=$(printf '%s\037' --vault "$V" --user bob case open | sed 's/\x1f$//')
export CV_ARGS
python3 "$T/term.py" "$CASEVAULT" "$BOB" 2023-017 李明 初二3班 男 8 情绪 2012-03-01 李华 \
	13800138000 >"$T/out" 2>"$T/err"
rc=$?
C=$(grep -Eo 'C-[0-9A-Z]{5}' "$T/out" | tail -n 1)
cat "$T/out" >>"$T/all"
check "case open at a terminal: the passphrase and every field asked in Chinese" \
	eval 'rc_is 0 && out_has "bob 的口令：" && out_has "学号：" && out_has "姓名：" &&
		out_has "监护人" && [ -n "$C" ]'
unset CV_ARGS

EXTRA="第一次会谈。"
cv bob note add "$C"
check "a note before consent: refused (4), the rule in Chinese, the command to type" \
	eval 'rc_is 4 && err_has "没有学生和监护人（学生未成年）对个体心理辅导的知情同意记录" &&
		err_has "casevault consent record $C --by 学生,监护人 --method 书面|口头" &&
		err_has "危机干预" && err_chinese'
cv bob consent record "$C" --by 学生,监护人 --method 书面 --scope 个体辅导,心理测评
check "consent record for student and guardian: Chinese, the parties in Chinese" \
	eval 'rc_is 0 && out_has "已在 $C 上记录 学生、监护人 的知情同意"'
cv bob consent show "$C"
check "consent show: the headings, the scopes and the action in Chinese" \
	eval 'rc_is 0 && out_has "知情同意" && out_has "学生：个体辅导、心理测评" &&
		out_has "记录，由监护人，书面，个体辅导、心理测评" && out_chinese'
EXTRA="考试压力大，睡眠不好。计划：每周一次会谈，练习呼吸放松。"
cv bob note add "$C"
N=$(cat "$T/out")
check "note add: the note's id" eval 'rc_is 0 && printf "%s\n" "$N" | grep -Eqx "N-[0-9A-Z]{6}"'
# The editor's file: the context lines under the scissors line in Chinese.
printf '#!/bin/sh\ncp "$1" "%s/edited"\nprintf "在编辑器中写的记录。\\n" >"$1"\n' "$T" >"$T/ed.sh"
VISUAL="sh $T/ed.sh"
export VISUAL
cv bob note add "$C" --edit
E=$(cat "$T/out")
unset VISUAL
check "note add --edit: the editor's context lines in Chinese, the scissors line as it is" \
	eval 'rc_is 0 && grep -qF "# ------------------------ >8 ------------------------" "$T/edited" &&
		grep -qF "# 个案 $C，记录类型 会谈" "$T/edited" &&
		grep -qF "# 知情同意：已生效：个体辅导（学生和监护人）" "$T/edited" &&
		no_english "$T/edited"'
cv bob note finalize "$N"
check "note finalize: Chinese" eval 'rc_is 0 && out_has "已定稿 $N" && out_chinese'
cv bob note show "$N"
check "note show: the heading in Chinese, the text as written" \
	eval 'rc_is 0 && out_has "个案 $C" && out_has "会谈" && out_has "定稿" &&
		out_has "签名已验证" && out_has "考试压力大"'
cv bob case show "$C" --notes
check "case show --notes: the headings in Chinese" \
	eval 'rc_is 0 && out_has "学生" && out_has "类别      情绪" && out_has "监护人" &&
		out_has "记录" && out_has "| 考试压力大" && out_chinese'
cv bob case list
check "case list: Chinese, the opening date whole" \
	eval 'rc_is 0 && out_has "进行中" && out_has "8 年级" &&
		grep -Eq "开案于 [0-9]{4}-[0-9]{2}-[0-9]{2}$" "$T/out"'
cv bob due
check "due: the headings and the empty lists in Chinese" \
	eval 'rc_is 0 && out_has "需要处理的事项" && out_has "没有逾期的转介" && out_chinese'
cv bob duty add --from "2026-13-28 08:00" --to "2026-11-28 18:30"
check "duty add with a time that is no time: usage (2), in Chinese, the time in place" \
	eval 'rc_is 2 && err_has "本地时间 '"'"'2026-13-28 08:00'"'"' 无效" && err_chinese'
cv bob duty list --week 2026-W99
check "duty list of a week that is none: usage (2), in Chinese" \
	eval 'rc_is 2 && err_has "周 '"'"'2026-W99'"'"' 无效" && err_chinese'

# A student at risk, before any consent: break-glass with a Chinese
# justification.
printf '%s\n' "$BOB" 'student-id: 2023-099' 'name: 张伟' 'class: 初三2班' >"$T/in"
"$CASEVAULT" --vault "$V" --user bob --passphrase-fd 0 case open --form - --gender 女 \
	--grade 9 --category 自伤风险 <"$T/in" >"$T/out" 2>"$T/err"
D=$(cat "$T/out")
n0=$(q "select count(*) from records")
EXTRA="已与学生制定安全计划，已电话联系监护人。"
cv bob note add "$D" --crisis 有风险
check "a crisis justification too short: refused (2), the rule in Chinese" \
	eval 'rc_is 2 && err_has "至少需要 8 个字符" && err_has "现有 3 个" && err_chinese'
check "  ... and nothing written" same_count "$n0"
EXTRA="已与学生制定安全计划，已电话联系监护人。"
cv bob note add "$D" --crisis 学生在课堂上表达了强烈的自伤念头，需要立即联系监护人并进行危机干预评估
CN=$(cat "$T/out")
check "a Chinese crisis justification (no spaces): accepted, the note written" \
	eval 'rc_is 0 && printf "%s\n" "$CN" | grep -Eqx "N-[0-9A-Z]{6}"'
check "  ... logged as a break-glass event" \
	eval '[ "$(q "select count(*) from audit where action = '"'"'crisis'"'"'")" -ge 1 ]'

# Three weeks on, what needs doing: every word of the lines in Chinese,
# the kind and the tag as case show gives them, the dates labelled.
day() { date -d "$1 days" +%Y-%m-%d; }
cv bob consent record "$C" --by 学生,监护人 --method 书面 --scope 转介披露
cv bob referral add "$C" --to 市精神卫生中心 --to-type mental-health --reason emotion \
	--urgency routine --disclosed 考试焦虑，睡眠差
R=$(cat "$T/out")
cv bob watch add "$C" --tag 家庭变故 --every 14d
check "a referral and a register entry" eval 'rc_is 0 && [ -n "$R" ]'
cv bob case show "$C"
check "case show: the referral's label in Chinese, as wide as the others" \
	eval 'rc_is 0 && out_has "  转介      $R $C" && out_has "  重点学生  家庭变故"'
cv bob due --as-of "$(day +21)"
check "due in three weeks: the drafts, their kind and deadline in Chinese" \
	eval 'rc_is 0 && out_has "  $C  李明  $E  会谈  归档期限 $(day +7)  逾期 14 天" &&
		out_has "  $D  张伟  $CN  会谈  归档期限 $(day +7)  逾期 14 天"'
check "  ... the referral, its follow-up date labelled in Chinese" \
	out_has "  $C  李明  $R  市精神卫生中心  随访截止 $(day +14)  逾期 7 天"
check "  ... the register entry, its tag and date in Chinese" \
	eval 'grep -Eq "^  $C  李明  W-[0-9A-Z]{6}  家庭变故  下次随访 $(day +14)  逾期 7 天$" "$T/out"'
check "  ... and no English word" \
	eval 'out_chinese && ! grep -Eq "deadline|due|session|family-change" "$T/out"'

# ---- journey 2: the supervisor's audit --------------------------------------

cv sue case show "$C"
check "a supervisor reading a case: refused (4), the roles in Chinese" \
	eval 'rc_is 4 && err_has "'"'"'sue'"'"' 是督导" && err_has "只有" && err_chinese'
cv sue audit log --since 2000-01-01
check "audit log: the rows (codes, as stored)" \
	eval 'rc_is 0 && out_has "consent.missing" && out_has "case.show"'
cv sue audit verify
check "audit verify: the verdict in Chinese" \
	eval 'rc_is 0 && out_has "审计日志完好" && out_chinese'
cv sue audit checkpoint -o "$T/checkpoint.txt"
check "audit checkpoint: Chinese" eval 'rc_is 0 && err_has "检查点已写入" && err_chinese'
cv sue audit alerts
X=$(awk '$1 == "alert.crisis-unreviewed" { print $2; exit }' "$T/out")
check "audit alerts: the unreviewed crisis in Chinese" \
	eval 'rc_is 0 && out_has "危机干预事件" && out_has "尚未督导" && [ -n "$X" ]'
cv sue due
check "due for a supervisor, before the review: the event, its date labelled in Chinese" \
	eval 'rc_is 0 && out_has "  $D    $X  bob  记录于 $(day 0)  今天" && out_chinese &&
		! grep -q "written" "$T/out"'
EXTRA="已与 bob 核实：风险属实，计划当即制定。"
cv sue audit review "$X" --note -
check "audit review: Chinese" eval 'rc_is 0 && err_has "已督导" && err_chinese'
cv sue audit review --show "$X"
check "audit review --show: the headings in Chinese, the note as written" \
	eval 'rc_is 0 && out_has "事件：" && out_has "督导人：" && out_has "风险属实"'
cv sue due
check "due for a supervisor: Chinese" \
	eval 'rc_is 0 && out_has "没有未督导的危机干预事件" && out_chinese'

# ---- journey 3: the term statistics -----------------------------------------

i=0
for row in "7 女 学业" "7 男 学业" "8 女 情绪" "8 男 情绪" "9 女 家庭" "9 男 学业" \
	"7 女 人际" "8 女 情绪" "9 男 行为" "7 男 学业" "8 男 家庭" "9 女 情绪"; do
	set -- $row
	i=$((i + 1))
	printf '%s\n' "$BOB" "student-id: 2023-1$i" "name: 学生$i" "class: $1-1" >"$T/in"
	"$CASEVAULT" --vault "$V" --user bob --passphrase-fd 0 case open --form - \
		--gender "$2" --grade "$1" --category "$3" <"$T/in" >/dev/null 2>&1 ||
		echo "e2e_zh_journeys: case $i not opened" >&2
done
month=$(date -u +%Y-%m)
cv sue stats export --from "$month" --to "$month" --epsilon 99 --format csv
check "stats export with an epsilon over the maximum: usage (2), in Chinese" \
	eval 'rc_is 2 && err_has "epsilon '"'"'99'"'"' 超过上限" && err_chinese'
cv sue stats export --from "$month" --to "$month" --format html -o "$T/stats.html"
check "stats export --format html: written, said in Chinese" \
	eval 'rc_is 0 && err_chinese && [ -s "$T/stats.html" ]'
check "  ... the page's headings in Chinese" \
	eval 'grep -q "<html lang=\"zh-CN\"" "$T/stats.html" && grep -q "<h1>[^<]*统计" "$T/stats.html" &&
		grep -q "<h2[^>]*>[^<]*问题类别" "$T/stats.html" &&
		grep -q "<h2[^>]*>[^<]*知情同意情况" "$T/stats.html"'
cv sue stats export --from "$month" --to "$month" --format csv
check "a second export of the period: refused (4), the rule in Chinese" \
	eval 'rc_is 4 && err_has "一个时期只发布一次" && err_chinese'
cv sue stats export --from "$month" --to "$month" --k 2 --format csv
check "a threshold k under the minimum: refused, in Chinese" \
	eval '! rc_is 0 && err_chinese && grep -q "k" "$T/err"'

# The term's work summary: the compliance report's text page in Chinese.
cv sue report compliance --from "$month-01" --to "$(date -u +%Y-%m-%d)"
check "report compliance: the heading, the verdicts and the figures in Chinese" \
	eval 'rc_is 0 && out_has "心理辅导室工作合规报告" && grep -Eq "^1\. (未达标|达标|不适用)：" "$T/out" &&
		out_has "危机干预事件 1 次，已督导 1 次" && out_has "bob：读取" && out_chinese'

cv sue report compliance --term 2026-winter
check "a term that is none: usage (2), the library's phrase in Chinese too" \
	eval 'rc_is 2 && err_has "学期不是 YYYY-autumn 或 YYYY-spring" && err_chinese'

# ---- tampering --------------------------------------------------------------

q "UPDATE audit SET detail = 'nothing to see' WHERE seq = 3"
cv sue audit verify --checkpoint "$T/checkpoint.txt"
check "an edited log row: integrity (5), in Chinese" \
	eval 'rc_is 5 && err_has "已被修改" && err_chinese'

# ---- no English sentence anywhere --------------------------------------------

# The lines a person reads; the log's rows, the CSV and the passphrases
# typed are data.
grep -v -e '^###' -e '^ *[0-9]* [0-9-]* [0-9][0-9]:[0-9][0-9] ' -e '^[a-z_]*,' -e '^table,row' "$T/all" \
	>"$T/read"
check "no English sentence in what the journeys printed" no_english "$T/read"
if ! no_english "$T/read"; then
	grep -E '[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}' "$T/read" | grep -v -e 'casevault ' \
		-e '--' | head -5 | sed 's/^/    /' >&2
fi

echo "e2e_zh_journeys: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
