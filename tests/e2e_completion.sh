#!/bin/sh
# e2e_completion.sh - the bash completion (src/cli/casevault.bash), driven
# as bash drives it: the script sourced, COMP_WORDS and COMP_CWORD set,
# _casevault called, COMPREPLY read.
#
#   1. commands and sub-commands: exactly the commands of 'casevault
#      --help' (and help), the sub-commands of each group; the global
#      options: every one of --help's usage lines (--csv, --version, -V),
#      none given already;
#   2. options: for every command, exactly the options its usage line
#      shows (so the parser's table, which completion reads, and the usage
#      the user reads cannot drift), options given once are not offered
#      again;
#   3. fixed values from the library's words: note kinds, consent parties,
#      methods and scopes (a comma list), urgencies, referral states and
#      institution types, categories, genders, register tags, roles, log
#      outcomes and actions, formats, terms, setting names; --opt=value;
#      every alternative a usage line names; the Chinese aliases for a
#      word begun in Chinese (roles and log outcomes too);
#   4. file names where a file is wanted (--form, -o, stats merge, --vault);
#   5. case ids only from the user's unlock agent: none without one (and
#      nothing asked, nothing logged), the user's own open cases with one,
#      closed ones for reopen, none for another user; none after lock; an
#      agent that does not answer gives nothing within the deadline;
#   6. help: 'casevault help COMMAND [SUB]' for every command, 'help
#      help', unknown commands.
#
# Run: CASEVAULT=/abs/path/to/casevault sh tests/e2e_completion.sh
# Needs: bash, python3, sqlite3, setsid (util-linux), timeout (coreutils).

set -u

for tool in bash python3 sqlite3 setsid timeout; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "e2e_completion: '$tool' is needed" >&2
		exit 2
	fi
done
if [ -z "${CASEVAULT:-}" ] || [ ! -x "$CASEVAULT" ]; then
	echo "e2e_completion: set CASEVAULT to the built casevault binary" >&2
	exit 2
fi
unset CASEVAULT_VAULT CASEVAULT_USER EDITOR VISUAL
SCRIPT=$(cd "$(dirname "$0")/.." && pwd)/src/cli/casevault.bash

T=$(mktemp -d) || exit 2
cleanup() {
	if [ -f "$T/pids" ]; then
		while read -r p; do
			kill -KILL "$p" 2>/dev/null
		done <"$T/pids"
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
V=$T/v.db
KDF="--kdf-t 2 --kdf-m 19456 --kdf-p 1"
XDG_RUNTIME_DIR=$T/run
export XDG_RUNTIME_DIR
mkdir -m 700 "$XDG_RUNTIME_DIR"
: >"$T/pids"
: >"$T/stdin"

npass=0
nfail=0
rc=0

check() {
	check_d=$1
	shift
	if "$@"; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $check_d (last rc=$rc)"
		sed -n '1,4s/^/    stderr: /p' "$T/err"
		sed -n '1,6s/^/    got: /p' "$T/out"
	fi
}

rc_is() { [ "$rc" -eq "$1" ]; }
out_has() { grep -qF -- "$1" "$T/out"; }
err_has() { grep -qF -- "$1" "$T/err"; }
same() { [ "$1" = "$2" ]; }

# comp WORD... : completes the last word (give '' for a new one) of
# "casevault WORD..." as bash would; the candidates, one a line, in
# $T/out, and all on one line in $got.  CASEVAULT_USER and
# CASEVAULT_VAULT come from the environment, as for the user.
comp() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _casevault
		[ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$SCRIPT" "$CASEVAULT" "$@" </dev/null >"$T/out" 2>"$T/err"
	rc=$?
	got=$(tr '\n' ' ' <"$T/out" | sed 's/ $//')
}
# gives EXPECTED WORD... : comp WORD..., then the candidates must be
# exactly EXPECTED (space-separated, in order).
gives() {
	gv_want=$1
	shift
	comp "$@"
	check "complete '$*' gives '$gv_want'" eval 'rc_is 0 && same "$got" "$gv_want"'
}
# Sorted, for comparing sets.
sorted() { printf '%s\n' $1 | sort -u | tr '\n' ' ' | sed 's/ $//'; }

# ---- 1. commands and sub-commands ----------------------------------------

"$CASEVAULT" --help >"$T/help" 2>&1
GROUPS_=$(sed -n '/^commands:/,/^$/p' "$T/help" | awk 'NF && !/^commands:/ { print $1 }' | uniq |
	tr '\n' ' ')
comp ''
check "every command of --help, and help, is offered" \
	same "$(sorted "$got")" "$(sorted "$GROUPS_ help")"
gives "config case consent" c
gives "open list show find close reopen share handover shred" case ''
gives "add amend" note a
gives "--help" note -
gives "add edit finalize amend show list" help note ''
gives "" help note add ''
gives "--vault --user --passphrase-fd --json --csv --help --version" --
# Every option of --help's own usage lines, -V too.
want=$(sed -n '1,/^$/p' "$T/help" | grep -Eo -- '(^|[[ |])--?[A-Za-z][a-z-]*' | tr -d '[ |' | sort -u | tr '\n' ' ')
comp -
check "'-': every option of --help's usage lines (--csv and -V too)" \
	same "$(sorted "$got")" "$(sorted "$want --help")"
gives "--user --passphrase-fd --help --version -V" --vault "$V" --csv -
gives "--vault --user --passphrase-fd --json --csv --help --version -V" -
gives "add edit finalize amend show list" --vault "$V" --user bob note ''
gives "" nosuch ''

# ---- 2. options, from the parser, equal to the usage line's ---------------

sed -n '/^commands:/,/^$/p' "$T/help" | awk 'NF && !/^commands:/ {
	if ($2 ~ /^[a-z]+$/ && index($0, "  " $1 " " $2 " ") == 1) print $1 " " $2; else print $1 }' \
	>"$T/commands"
check "the command list is read" eval '[ "$(wc -l <"$T/commands")" -gt 40 ]'
while read -r cmd; do
	# shellcheck disable=SC2086
	"$CASEVAULT" help $cmd >"$T/usage" 2>&1
	want=$(sed -n '/^usage:/,$p' "$T/usage" | grep -o -- '--[a-z][a-z-]*' | sort -u | tr '\n' ' ')
	# shellcheck disable=SC2086
	comp $cmd --
	check "'$cmd': the options offered are its usage line's" \
		same "$(sorted "$got")" "$(sorted "$want --help")"
done <"$T/commands"
gives "--file --crisis --edit --finalize --help" note add C-1 --kind session --
gives "--kind" note add C-1 --k

# ---- 3. fixed values --------------------------------------------------------

gives "session analysis outcome contact" note add C-1 --kind ''
gives "session" note add C-1 --kind = s
gives "session" note add C-1 --kind=s
gives "student guardian student,guardian guardian,student" consent record C-1 --by ''
gives "written oral" consent record C-1 --method ''
gives "individual group testing guardian-contact referral-disclosure" \
	consent record C-1 --scope ''
gives "individual,group individual,testing individual,guardian-contact individual,referral-disclosure" \
	consent record C-1 --scope individual,
gives "individual,testing,guardian-contact" consent record C-1 --scope individual,testing,gu
gives "routine urgent emergency" referral add C-1 --urgency ''
gives "contacted accepted declined completed" referral update R-1 --status ''
gives "mental-health hospital counseling social-services other" referral add C-1 --to-type ''
gives "academic emotion relationships family adolescence behavior self-harm-risk other" \
	referral add C-1 --reason ''
gives "academic emotion relationships family adolescence behavior self-harm-risk other" \
	case open --category ''
gives "F M X" case open --gender ''
gives "single-parent left-behind family-change other" watch add C-1 --tag ''
gives "counselor supervisor admin" user add x --role ''
gives "ok denied failed" audit log --outcome ''
comp audit log --action ''
check "audit log --action: every action of the log" \
	eval 'out_has case.open && out_has note.finalize && out_has login && out_has report.compliance'
gives "case.open" audit log --action case.o
gives "text json csv" audit log --format ''
gives "csv json html" stats export --format ''
gives "text json html" report compliance --format ''
Y=$(date +%Y)
gives "$Y-autumn $Y-spring $((Y - 1))-autumn $((Y - 1))-spring" stats export --term ''
gives "$Y-autumn" duty hours --term "$Y-a"
comp config get ''
check "config get: every setting" \
	eval 'out_has adult_age && out_has timezone && out_has alert_hours && out_has school'
gives "alert_denials alert_denial_minutes alert_logins alert_cases alert_hours" config set alert_
gives "" config set adult_age ''
gives "" case show --as-of ''
# A word begun in Chinese completes from the Chinese aliases.
gives "情绪" case open --category 情
gives "个体辅导,团体辅导 个体辅导,团体" consent record C-1 --scope 个体辅导,团
gives "学生 学生,监护人" consent record C-1 --by 学
gives "口头" consent record C-1 --method 口
gives "" stats export --term 秋
gives "督导" user add x --role 督
gives "心理辅导老师" user add x --role 心
gives "成功" audit log --outcome 成
# Every value a usage line names as an alternative (--kind session|analysis
# ...) is offered for its option.
: >"$T/missing"
while read -r cmd; do
	# shellcheck disable=SC2086
	"$CASEVAULT" help $cmd 2>&1 | sed -n '/^usage:/,/^$/p' |
		grep -o -- '--[a-z][a-z-]* [a-z0-9,-]*|[a-z0-9|,-]*' >"$T/alts"
	while read -r opt vals; do
		# shellcheck disable=SC2086
		comp $cmd "$opt" ''
		for v in $(printf '%s\n' "$vals" | tr '|' ' '); do
			grep -qxF -- "$v" "$T/out" || echo "$cmd $opt $v" >>"$T/missing"
		done
	done <"$T/alts"
done <"$T/commands"
check "every alternative value of every usage line is offered" \
	eval '[ ! -s "$T/missing" ] || { cat "$T/missing"; false; }'

# ---- 4. file names ------------------------------------------------------------

mkdir "$T/files"
: >"$T/files/form-one.txt"
: >"$T/files/form-two.txt"
: >"$T/files/other"
comp case open --form "$T/files/form"
check "case open --form: file names" \
	same "$(sorted "$got")" "$(sorted "$T/files/form-one.txt $T/files/form-two.txt")"
gives "$T/files/other" stats export --output "$T/files/o"
gives "$T/files/other" stats export -o "$T/files/o"
gives "$T/files/other" stats merge "$T/files/o"
gives "$T/files/other" audit verify --checkpoint "$T/files/ot"
gives "$T/files/other" --vault "$T/files/ot"
gives "$T/files/other" --vault = "$T/files/ot"

# ---- 5. case ids, only from an unlocked agent -----------------------------

ALICEP='alice-admin-passphrase'
BOBP='bob-counselor-pass-1'
CAROLP='carol-counselor-pass'
say() { printf '%s\n' "$@" >"$T/in"; }
with_pass() {
	wp_user=$1
	shift
	"$CASEVAULT" --vault "$V" --user "$wp_user" --passphrase-fd 0 "$@" <"$T/in" >"$T/out" \
		2>"$T/err"
	rc=$?
}
# No terminal and no --passphrase-fd: only an agent logs in.
bare() {
	bare_user=$1
	shift
	setsid -w "$CASEVAULT" --vault "$V" --user "$bare_user" "$@" <"$T/stdin" >"$T/out" \
		2>"$T/err"
	rc=$?
}
agent_pid() {
	"$CASEVAULT" --vault "$V" --user "$1" --json status >"$T/status.json" 2>/dev/null
	python3 -c 'import json,sys
try:
    a = json.load(open(sys.argv[1]))
except ValueError:
    a = []
print(a[0]["pid"] if a else "")' "$T/status.json"
}
unlock() {
	say "$2"
	with_pass "$1" unlock --max 10m
	u_pid=$(agent_pid "$1")
	[ -n "$u_pid" ] && echo "$u_pid" >>"$T/pids"
}
rows() { sqlite3 "$V" 'SELECT count(*) FROM audit'; }

say "$ALICEP"
"$CASEVAULT" --vault "$V" --passphrase-fd 0 init --admin alice $KDF <"$T/in" >"$T/out" 2>"$T/err"
RC=$(cat "$T/out")
for u in bob:"$BOBP" carol:"$CAROLP"; do
	say "$ALICEP"
	with_pass alice user add "${u%%:*}" --role counselor
	say "$(tail -n 1 "$T/out")" "${u#*:}"
	with_pass "${u%%:*}" enrol
done
say "$ALICEP" "$RC"
with_pass alice vault keys --deliver
check "vault, counselors and keys set up" rc_is 0

printf 'student-id: S-1\nname: Li Lei\nclass: 7A\n' >"$T/form"
say "$BOBP"
with_pass bob case open --form "$T/form" --gender F --grade 7 --category other
C1=$(cat "$T/out")
printf 'student-id: S-2\nname: Han Mei\nclass: 7B\n' >"$T/form"
say "$BOBP"
with_pass bob case open --form "$T/form" --gender F --grade 7 --category family
C2=$(cat "$T/out")
printf 'student-id: S-3\nname: Zhou Bo\nclass: 8A\n' >"$T/form"
say "$CAROLP"
with_pass carol case open --form "$T/form" --gender M --grade 8 --category academic
C3=$(cat "$T/out")
check "three cases opened" eval 'echo "$C1 $C2 $C3" | grep -Eqx "C-[0-9A-Z]{5} C-[0-9A-Z]{5} C-[0-9A-Z]{5}"'

export CASEVAULT_VAULT="$V" CASEVAULT_USER=bob
# No agent: no ids, nothing asked (no terminal: a prompt would show on
# stderr), nothing logged.
BEFORE=$(rows)
gives "" note add ''
# The query itself, with no terminal: a prompt would be an error on stderr.
setsid -w "$CASEVAULT" __complete note add '' </dev/null >"$T/out" 2>"$T/err"
rc=$?
check "  ... the query asks nothing and says nothing but ':words'" \
	eval 'rc_is 0 && [ ! -s "$T/err" ] && same "$(cat "$T/out")" ":words"'
gives "" case show C-
check "  ... and nothing logged" same "$(rows)" "$BEFORE"

unlock bob "$BOBP"
check "bob unlocked" eval '[ -n "$u_pid" ]'
SOCK=$(ls "$XDG_RUNTIME_DIR"/casevault/*-bob.sock)
BEFORE=$(rows)
setsid -w "$CASEVAULT" __complete note add '' </dev/null >"$T/out" 2>"$T/err"
rc=$?
check "with bob's agent, the query asks nothing" eval 'rc_is 0 && [ ! -s "$T/err" ] && out_has "$C1"'
comp note add ''
check "with bob's agent: bob's open cases, not carol's" \
	same "$(sorted "$got")" "$(sorted "$C1 $C2")"
LOWER=$(printf '%s' "$C1" | cut -c1-4 | tr 'A-Z' 'a-z')
comp case show "$LOWER"
check "an id typed in lower case still completes" out_has "$C1"
gives "$C1" --user bob consent record --scope individual "$C1"
comp --user carol note add ''
check "carol has no agent: no ids for carol" same "$got" ""
gives "" case reopen ''
check "completion logged nothing" same "$(rows)" "$BEFORE"

# A closed case is offered to reopen, not to note add.
for by in student guardian; do
	bare bob consent record "$C2" --by "$by" --method written --date 2025-03-03 \
		--scope individual
done
printf 'analysis text\n' >"$T/stdin"
bare bob note add "$C2" --kind analysis --finalize
printf 'outcome text\n' >"$T/stdin"
bare bob note add "$C2" --kind outcome --finalize
: >"$T/stdin"
bare bob case close "$C2"
check "bob closed a case" rc_is 0
gives "$C1" note add ''
gives "$C2" case reopen ''
comp case show ''
check "case show offers open and closed cases" same "$(sorted "$got")" "$(sorted "$C1 $C2")"

"$CASEVAULT" lock >/dev/null 2>&1
gives "" note add ''

# An agent that takes the connection and never answers: nothing, within
# the deadline (the bound here is generous; completion gives up at 2 s).
python3 -c 'import os, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o600); s.listen(4)
open(sys.argv[2], "w").close()
time.sleep(60)' "$SOCK" "$T/listening" &
echo $! >>"$T/pids"
n=0
while [ ! -f "$T/listening" ] && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
timeout 20 "$CASEVAULT" __complete note add '' >"$T/out" 2>"$T/err"
rc=$?
check "a silent agent: the query ends at its deadline (SIGALRM), nothing printed" \
	eval 'rc_is 142 && [ ! -s "$T/out" ]'
unset CASEVAULT_VAULT CASEVAULT_USER

# ---- 6. help ------------------------------------------------------------------

while read -r cmd; do
	# shellcheck disable=SC2086
	"$CASEVAULT" help $cmd >"$T/out" 2>"$T/err"
	rc=$?
	check "help $cmd: its usage and description" \
		eval 'rc_is 0 && out_has "usage: casevault $cmd" && [ "$(wc -l <"$T/out")" -ge 2 ]'
done <"$T/commands"
"$CASEVAULT" help help >"$T/out" 2>"$T/err"
rc=$?
check "help help" eval 'rc_is 0 && out_has "usage: casevault help [COMMAND [SUB-COMMAND]]"'
"$CASEVAULT" help nosuch >"$T/out" 2>"$T/err"
rc=$?
check "help of an unknown command: exit 2, says so" \
	eval 'rc_is 2 && err_has "unknown command '"'nosuch'"'" && err_has "casevault help"'
"$CASEVAULT" help nte >"$T/out" 2>"$T/err"
rc=$?
check "help of a misspelled command suggests one" eval 'rc_is 2 && err_has "did you mean '"'note'"'"'
"$CASEVAULT" help note add extra >"$T/out" 2>"$T/err"
rc=$?
check "help with an extra word: exit 2" eval 'rc_is 2 && err_has "unexpected argument '"'extra'"'"'
"$CASEVAULT" --help >"$T/out" 2>"$T/err"
check "--help lists --version and -V" eval 'out_has "--version" && out_has "-V"'

echo "e2e_completion: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
