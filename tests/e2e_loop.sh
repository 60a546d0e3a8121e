#!/bin/sh
# e2e_loop.sh - a counselor's daily loop through the built binary: the
# student's identity from a form (never on the command line) with every
# wrong line refused by number; consent of student and guardian in one
# command, dated today by default, a future date or one before the
# student's birth refused; a note written in the editor ($EDITOR run
# through the shell, arguments allowed) whose file opens with context
# lines that are stripped, permission checked before the editor opens, an
# empty note aborting, a text kept when the write fails afterwards (and
# resumed from where it was kept), the editor's file gone even when
# casevault is killed with SIGKILL, and stale editing directories swept;
# note add --finalize, note finalize of several notes (all or none), ids
# in any letter case, case show --notes; a crisis justification in
# Chinese counted in characters; free text read with "-" from standard
# input; `casevault due`; tables aligned by display width.
#
# Run: CASEVAULT=/abs/path/to/casevault sh tests/e2e_loop.sh
# Every check counts: one that fails fails the run.

set -u

if [ -z "${CASEVAULT:-}" ] || [ ! -x "$CASEVAULT" ]; then
	echo "e2e_loop: set CASEVAULT to the built casevault binary" >&2
	exit 2
fi
if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "e2e_loop: the sqlite3 command-line tool is needed" >&2
	exit 2
fi
unset CASEVAULT_VAULT CASEVAULT_USER EDITOR VISUAL

T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM
V=$T/v.db
KDF="--kdf-t 2 --kdf-m 19456 --kdf-p 1"
# The private directory (the editor's files, kept texts) lives in $T.
mkdir -m 700 "$T/run"
XDG_RUNTIME_DIR=$T/run
export XDG_RUNTIME_DIR
PRIV=$T/run/casevault

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
# as USER ARGS... : the passphrase alone on stdin.
as() {
	as_user=$1
	shift
	say "$(pass_of "$as_user")"
	cv "$as_user" "$@" <"$T/in"
}
# with USER TEXT ARGS... : the passphrase, then TEXT, on stdin.
with() {
	w_user=$1
	w_text=$2
	shift 2
	say "$(pass_of "$w_user")" "$w_text"
	cv "$w_user" "$@" <"$T/in"
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
out_has() { grep -qF -- "$1" "$T/out"; }
out_lacks() { ! grep -qF -- "$1" "$T/out"; }
err_has() { grep -qF -- "$1" "$T/err"; }
same() { [ "$1" = "$2" ]; }
q() { sqlite3 "$V" "$1"; }
ncases() { q 'select count(*) from cases'; }
nrecords() { q "select count(*) from records where type = '$1'"; }
naudit() { q 'select count(*) from audit'; }
json_valid() {
	jv_esc=$(sed "s/'/''/g" "$1")
	[ "$(sqlite3 :memory: "select json_valid('$jv_esc')")" = 1 ]
}
# nothing_private: no editing directory and no file but kept texts left.
no_edit_dirs() { ! ls "$PRIV" 2>/dev/null | grep -q '^edit-'; }

ALICEP='alice-admin-passphrase'
BOBP='bob-counselor-pass-1'
CAROLP='carol-counselor-pass'
SUEP='sue-supervisor-pass'

say "$ALICEP"
"$CASEVAULT" --vault "$V" --passphrase-fd 0 init --admin alice $KDF <"$T/in" >"$T/out" 2>"$T/err"
rc=$?
RC=$(cat "$T/out")
check "init" rc_is 0
for u in bob:counselor carol:counselor sue:supervisor; do
	name=${u%%:*}
	as alice user add "$name" --role "${u#*:}"
	say "$(tail -n 1 "$T/out")" "$(pass_of "$name")"
	cv "$name" enrol <"$T/in"
	check "$name enrols" rc_is 0
done
say "$ALICEP" "$RC"
cv alice vault keys --deliver <"$T/in"
check "vault keys --deliver" rc_is 0

# ---- 1. the identity from a form, never from the command line ---------------

TODAY=$(date -u +%Y-%m-%d)
c0=$(ncases)
as bob case open --gender F --grade 8 --category emotion
check "case open with neither a form nor a terminal: exit 2, and why" \
	eval 'rc_is 2 && err_has "never go on the command line"'
as bob case open --student-id S-1 --name Someone --gender F --grade 8 --category emotion
check "case open --student-id is no option any more (exit 2)" \
	eval 'rc_is 2 && err_has "unknown option '"'"'--student-id'"'"'"'

form_error() { # DESCRIPTION MESSAGE LINE... : a form that is refused
	fe_d=$1
	fe_m=$2
	shift 2
	printf '%s\n' "$@" >"$T/form"
	n0=$(naudit)
	as bob case open --form "$T/form"
	check "form with $fe_d: exit 2, the line named" eval 'rc_is 2 && err_has "$fe_m"'
	check "  ... no case, and no passphrase asked (no audit row)" \
		eval 'same "$(ncases)" "$c0" && same "$(naudit)" "$n0"'
}
form_error "an unknown key" "$T/form, line 3: unknown key 'nmae'" \
	'student-id: S2026-001' '# a comment line' 'nmae: 李华' 'class: 初一(2)班'
form_error "a key given twice" "$T/form, line 3: 'student-id' is given twice" \
	'student-id: S2026-001' 'name: 李华' 'student-id: S2026-002'
form_error "an invalid gender" "$T/form, line 4: 'female' is not a gender; use F, M or X" \
	'student-id: S2026-001' 'name: 李华' 'class: 初一(2)班' 'gender: female'
form_error "an invalid grade" "$T/form, line 5: the grade is a number from 1 to 12, not '13'" \
	'student-id: S2026-001' 'name: 李华' 'class: 1' 'gender: F' 'grade: 13'
form_error "an invalid birth date" "$T/form, line 2: '2012-02-30' is not a date" \
	'student-id: S2026-001' 'born: 2012-02-30'
form_error "a line that is not key: value" "$T/form, line 2: not a 'key: value' line" \
	'student-id: S2026-001' 'just some words'
form_error "a missing name" "has no 'name'" \
	'student-id: S2026-001' 'class: 1' 'gender: F' 'grade: 7' 'category: family'
printf 'student-id: S2026-001\nname: \344\270\255\nclass: 1\ngender: \377\n' >"$T/form"
as bob case open --form "$T/form" --grade 7 --category family
check "form with bytes that are not UTF-8: exit 2, line 4 named" \
	eval 'rc_is 2 && err_has "line 4: '"'"'\\xff'"'"'"'
printf 'student-id: S2026-001\nname: 李华\nclass: 1\ngender: F\n' >"$T/form"
as bob case open --form "$T/form" --gender M --grade 7 --category family
check "a field in the form and as an option: exit 2" \
	eval 'rc_is 2 && err_has "line 4: '"'"'gender'"'"' is given by --gender too"'
check "no case was opened by any of these" same "$(ncases)" "$c0"

# A good form on standard input, after the passphrase there.
say "$BOBP" 'student-id: S2026-0917' 'name: 王小红' 'class: 初二(3)班' 'gender: F' 'grade: 8' \
	'category: emotion' 'born: 2012-05-01' 'guardian: 王大伟' 'guardian-phone: 13912345678'
cv bob case open --form - <"$T/in"
C=$(cat "$T/out")
check "case open --form - (UTF-8, on standard input): exit 0, the id" \
	eval 'rc_is 0 && printf "%s\n" "$C" | grep -Eqx "C-[0-9A-Z]{5}"'
as bob case show "$C"
check "  ... the identity as given" eval 'out_has "王小红 (S2026-0917)" && out_has "王大伟"'
with bob S2026-0917 case find
check "case find reads the number from standard input" eval 'rc_is 0 && out_has "$C"'

# ---- 2. consent of both in one command; dates -----------------------------

as bob consent record "$C" --by student,guardian --method written --scope individual \
	--date 2099-01-01
check "consent dated in the future: exit 2, and why" \
	eval 'rc_is 2 && err_has "--date 2099-01-01 is in the future"'
as bob consent record "$C" --by student,guardian --method written --scope individual \
	--date 2012-04-30
check "consent dated before the student was born: exit 2, and why" \
	eval 'rc_is 2 && err_has "before the student was born (2012-05-01)"'
as bob consent record "$C" --by student,student --method written --scope individual
check "--by student,student: exit 2" rc_is 2
check "no consent stored by the refusals" same "$(nrecords consent)" 0
check "  ... and the refusals are logged by reason code" \
	eval 'same "$(q "select count(*) from audit where action = '"'"'consent.record'"'"' and detail in ('"'"'consent.date-future'"'"', '"'"'consent.date-before-birth'"'"')")" 2'
as bob consent record "$C" --by student,guardian --method written --scope individual,testing
check "consent record --by student,guardian (no --date): exit 0" rc_is 0
check "  ... two consent records" same "$(nrecords consent)" 2
check "  ... one row each, then one checkpoint (one transaction)" \
	same "$(q "select group_concat(action || ' ' || detail, '|') from (select * from audit order by seq desc limit 3)")" \
	"checkpoint |consent.record by=guardian scope=individual,testing|consent.record by=student scope=individual,testing"
as bob consent show "$C"
check "  ... both dated today" \
	eval '[ "$(grep -c "$TODAY record by" "$T/out")" -eq 2 ]'

# ---- 3. the editor --------------------------------------------------------

# ed.sh: the editor.  It keeps a copy of what it was given, checks that
# its first argument is the one EDITOR carried, then writes the note above
# what was there.
cat >"$T/ed.sh" <<'EOF'
#!/bin/sh
[ "$1" = --wait ] || exit 9
shift
cp "$1" "$EDIT_SEEN"
printf '%s' "$1" >"$EDIT_PATH"
{
	printf '# Background\n小红说最近晚上总是睡不着。\n\n'
	cat "$EDIT_SEEN"
} >"$1"
EOF
chmod 700 "$T/ed.sh"
EDIT_SEEN=$T/seen
EDIT_PATH=$T/path
export EDIT_SEEN EDIT_PATH
EDITOR="$T/ed.sh --wait"
export EDITOR
as bob note add "$C" --edit
N1=$(cat "$T/out")
check "note add --edit with EDITOR carrying an argument: exit 0" rc_is 0
check "  ... the file opened with the context: case, kind, consent in force" \
	eval 'grep -qxF "# case $C, note kind session" "$T/seen" &&
	grep -qxF "# consent: in force for individual (student and guardian)" "$T/seen"'
check "  ... the file was in the private directory, mode 0600 inside 0700" \
	eval 'case $(cat "$T/path") in "$PRIV"/edit-*/note.txt) true ;; *) false ;; esac'
check "  ... and is gone" eval '[ ! -e "$(cat "$T/path")" ] && no_edit_dirs'
as bob note show "$N1"
check "  ... the text kept, '#' lines of the note's own included" \
	eval 'out_has "# Background" && out_has "小红说最近晚上总是睡不着。"'
check "  ... the context lines stripped" eval 'out_lacks "# case " && out_lacks ">8"'

# note edit in the editor starts from the draft's text.
cat >"$T/append.sh" <<'END'
#!/bin/sh
cp "$1" "$EDIT_SEEN"
{
	sed '/^# -* >8 -*$/,$d' "$EDIT_SEEN"
	printf 'Added in the edit.\n'
	sed -n '/^# -* >8 -*$/,$p' "$EDIT_SEEN"
} >"$1"
END
chmod 700 "$T/append.sh"
EDITOR=$T/append.sh as bob note edit "$(printf '%s' "$N1" | tr 'A-Z' 'a-z')" --edit
check "note edit --edit (the id in lower case): exit 0" rc_is 0
check "  ... the editor opened on the draft, then the context" \
	eval 'grep -qxF "小红说最近晚上总是睡不着。" "$T/seen" && grep -qxF "# case $C, note kind session" "$T/seen"'
as bob note show "$N1"
check "  ... the draft now ends with the addition, the context stripped again" \
	eval 'out_has "小红说最近晚上总是睡不着。" && out_has "Added in the edit." && out_lacks ">8"'

# An editor that is not allowed to open: carol has no grant.
cat >"$T/mark.sh" <<EOF
#!/bin/sh
touch "$T/editor-ran"
printf 'text\n' >"\$1"
EOF
chmod 700 "$T/mark.sh"
EDITOR=$T/mark.sh as carol note add "$C" --edit
check "note add by a counselor without a grant: exit 4" rc_is 4
check "  ... refused before the editor opened" eval '[ ! -e "$T/editor-ran" ]'
EDITOR=$T/mark.sh as carol note edit "$N1" --edit
check "note edit of another's note without a grant: exit 4, no editor" \
	eval 'rc_is 4 && [ ! -e "$T/editor-ran" ]'

# An empty note (the editor leaves only the context) aborts.
n0=$(nrecords note)
EDITOR=true as bob note add "$C" --edit
check "an empty note aborts: exit 1, and says so" \
	eval 'rc_is 1 && err_has "the note is empty: aborted, nothing was saved"'
check "  ... nothing stored, nothing left" eval 'same "$(nrecords note)" "$n0" && no_edit_dirs'
EDITOR='exit 3;' as bob note add "$C" --edit
check "an editor that fails: exit 1, nothing saved" \
	eval 'rc_is 1 && err_has "the editor failed" && same "$(nrecords note)" "$n0"'
check "  ... and, having saved nothing, nothing is kept" eval '! err_has "is kept"'
# An editor that saves text, then fails: the text is kept, not lost.
EDITOR='f() { printf "Typed before the crash.\n" >"$1"; exit 4; }; f' as bob note add "$C" --edit
KEPT=$(sed -n 's/.* it is kept in \([^ ]*\) .*/\1/p' "$T/err")
case $(stat -f -c %T "$T/run") in tmpfs | ramfs) WHERE="memory only" ;; *) WHERE="on a disk" ;; esac
check "an editor that fails after saving: exit 1, nothing stored, the text kept" \
	eval 'rc_is 1 && same "$(nrecords note)" "$n0" && [ -f "$KEPT" ] &&
		grep -qxF "Typed before the crash." "$KEPT" && err_has "give it with --file $KEPT"'
check "  ... saying whether it is in memory or on a disk" err_has "$WHERE"
check "  ... 0600, and no editing directory left" \
	eval '[ "$(stat -c %a "$KEPT")" = 600 ] && no_edit_dirs'
rm -f "$KEPT"

# A write that fails after the text was typed: the consent is withdrawn
# while the editor is open.  The text is kept, and resumes.
cat >"$T/withdraw.sh" <<EOF
#!/bin/sh
printf 'A session that must not be lost.\n' >"\$1"
printf '%s\n' '$BOBP' | '$CASEVAULT' --vault '$V' --user bob --passphrase-fd 0 \
	consent withdraw '$C' --by guardian >/dev/null 2>&1
EOF
chmod 700 "$T/withdraw.sh"
EDITOR=$T/withdraw.sh as bob note add "$C" --edit
check "consent withdrawn while editing: the note is refused (exit 4)" rc_is 4
KEPT=$(sed -n 's/^your text is kept in \([^ ]*\) .*/\1/p' "$T/err")
check "  ... the text is kept, and the message says how to resume" \
	eval '[ -f "$KEPT" ] && err_has "resume with '"'"'casevault note add $C --file $KEPT'"'"'"'
check "  ... in the private directory, 0600" \
	eval 'case $KEPT in "$PRIV"/kept-*) true ;; *) false ;; esac &&
	[ "$(stat -c %a "$KEPT")" = 600 ]'
check "  ... with the text" grep -qxF 'A session that must not be lost.' "$KEPT"
case $(stat -f -c %T "$T/run") in tmpfs | ramfs) WHERE="memory only" ;; *) WHERE="on a disk" ;; esac
check "  ... and says whether it is held in memory or on a disk" err_has "$WHERE"
check "  ... and no editing directory is left" no_edit_dirs
as bob consent record "$C" --by guardian --method oral --scope individual
as bob note add "$C" --file "$KEPT"
N2=$(cat "$T/out")
check "resumed from the kept file" rc_is 0
rm -f "$KEPT"
rmdir "$PRIV"
check "the private directory is empty once the kept text is removed" \
	eval '[ ! -e "$PRIV" ]'

# SIGKILL of casevault while the editor is open: its file is wiped all the
# same (by the watcher), and nothing of the text remains.
cat >"$T/kill.sh" <<'EOF'
#!/bin/sh
printf 'TEXT-OF-A-KILLED-EDIT\n' >"$1"
printf '%s' "$1" >"$EDIT_PATH"
# The casevault process this editor runs under: up the parents.
p=$PPID
while [ "$p" -gt 1 ] && [ "$(cat /proc/$p/comm)" != casevault ]; do
	p=$(cut -d' ' -f4 /proc/$p/stat)
done
kill -KILL "$p"
EOF
chmod 700 "$T/kill.sh"
EDITOR=$T/kill.sh as bob note add "$C" --edit
check "casevault killed (SIGKILL) in the editor" rc_is 137
# The watcher wipes it as soon as casevault is gone: wait for that (up to
# 10 seconds; nothing waits once it is done).
timeout 10 sh -c 'while [ -e "$1" ]; do :; done' sh "$(cat "$T/path")"
check "  ... the editor's file is wiped anyway" eval '[ ! -e "$(cat "$T/path")" ]'
check "  ... no trace of its text under the private directory" \
	eval '! grep -rqF TEXT-OF-A-KILLED-EDIT "$T/run"'
check "  ... nor in the vault" eval '! grep -qaF TEXT-OF-A-KILLED-EDIT "$V"'

# A stale editing directory of a process that is gone is swept by the
# next start of casevault (whatever the command).
dead=$(sh -c 'echo $$')
mkdir -p -m 700 "$PRIV/edit-$dead-AbCdEf"
printf 'stale text\n' >"$PRIV/edit-$dead-AbCdEf/note.txt"
mkdir -m 700 "$PRIV/edit-$$-live00"
"$CASEVAULT" --version >/dev/null
check "a dead process's editing directory is swept at the next start" \
	eval '[ ! -e "$PRIV/edit-$dead-AbCdEf" ]'
check "  ... a live one's is left alone" eval '[ -d "$PRIV/edit-$$-live00" ]'
rmdir "$PRIV/edit-$$-live00" "$PRIV"

# ---- 4. finalize, several notes, ids in any case --------------------------

with bob "Plan: weekly sessions." note add "$C" --kind analysis --finalize
N3=$(cat "$T/out")
check "note add --finalize: exit 0, one id" eval 'rc_is 0 && [ "$(wc -l <"$T/out")" -eq 1 ]'
check "  ... and it says, on stderr, that the note is final" \
	err_has "finalized $(cat "$T/out"): signed, and immutable from now on"
check "  ... final at once" same "$(q "select status from records where id = '$N3'")" final
check "  ... a note.add then a note.finalize row" \
	same "$(q "select group_concat(action, ' ') from (select action from audit where object = 'note:$N3' order by seq)")" \
	"note.add note.finalize"
EDITOR="$T/ed.sh --wait" as bob note amend "$N3" --edit
check "note amend --edit: the context names the addendum's kind" \
	eval 'rc_is 0 && grep -qxF "# case $C, note kind addendum" "$T/seen"'
LOW1=$(printf '%s' "$N1" | tr 'A-Z' 'a-z')
as bob note finalize "$LOW1" N-ZZZZZZ
check "note finalize of two, one unknown: exit 6, and which" \
	eval 'rc_is 6 && err_has "note N-ZZZZZZ could not be finalized, so none of the 2 notes was"'
check "  ... the first is still a draft" same "$(q "select status from records where id = '$N1'")" draft
as bob note finalize "$LOW1" "$N3"
check "note finalize of a draft and a final one: denied (exit 4), nothing finalized" \
	eval 'rc_is 4 && err_has "$N3" && same "$(q "select status from records where id = '"'"'$N1'"'"'")" draft'
as bob note finalize "$LOW1" "$(printf '%s' "$N2" | tr 'A-Z' 'a-z')"
check "note finalize of two (ids typed in lower case): exit 0" rc_is 0
check "  ... both final" \
	same "$(q "select count(*) from records where id in ('$N1', '$N2') and status = 'final'")" 2
check "  ... one finalized line each" eval '[ "$(grep -c "^finalized N-" "$T/out")" -eq 2 ]'
# Crockford look-alikes: O for 0, I and L for 1 (as far as the id has them),
# and lower case, name the same case.
LOOK=$(printf '%s' "$C" | tr 'A-Z01' 'a-zoi')
as bob case show "$LOOK" --notes
check "case show with the id in lower case and look-alikes: exit 0" rc_is 0
check "case show --notes shows the notes' text" \
	eval 'out_has "| 小红说最近晚上总是睡不着。" && out_has "| A session that must not be lost."'
check "  ... and the log says the text was shown" \
	same "$(q "select detail from audit where action = 'case.show' order by seq desc limit 1")" notes=1
as bob --json case show "$C" --notes
check "case show --notes --json: valid JSON with the text" \
	eval 'json_valid "$T/out" && out_has "Plan: weekly sessions."'

# ---- 5. crisis in characters; free text from standard input ---------------

say "$BOBP" 'student-id: S2026-0918' 'name: 李明' 'class: 初二(3)班' 'gender: M' 'grade: 8' \
	'category: self-harm-risk'
cv bob case open --form - <"$T/in"
C2=$(cat "$T/out")
printf 'crisis note\n' >"$T/note"
as bob note add "$C2" --file "$T/note" --crisis '有风险'
check "a crisis justification of 3 characters: exit 2, the rule stated" \
	eval 'rc_is 2 && err_has "at least 8 characters, not counting spaces (it has 3)"'
with bob '学生说今晚想跳楼' note add "$C2" --file "$T/note" --crisis -
check "a Chinese justification of 8 characters, from standard input: exit 0" rc_is 0
check "  ... a crisis record and row" \
	eval 'same "$(nrecords crisis)" 1 && same "$(q "select count(*) from audit where action = '"'"'crisis'"'"'")" 1'
with bob 'notes and the justification' note add "$C2" --crisis -
check "--crisis - with the note on standard input too: exit 2" \
	eval 'rc_is 2 && err_has "give the note with --file or --edit"'
with bob '转介时告知了主要情况' referral add "$C2" --to 'City Clinic' --to-type mental-health --reason emotion \
	--urgency urgent --disclosed - --crisis '学生有明确的自伤计划'
R=$(cat "$T/out")
check "referral add --disclosed - (from standard input): exit 0" rc_is 0
with bob '已联系家长' referral update "$R" --status contacted --note -
check "referral update --note - : refused without consent to disclose (exit 4)" rc_is 4
as bob consent record "$C2" --by student,guardian --method oral --scope referral-disclosure
with bob '已联系家长' referral update "$R" --status contacted --note -
check "referral update --note - (from standard input): exit 0" rc_is 0
as bob case show "$C2"
check "  ... what was read from standard input is stored" \
	eval 'out_has "disclosed: 转介时告知了主要情况" && out_has "已联系家长"'
say "$BOBP" 'x' 'y'
cv bob referral add "$C2" --to X --to-type other --reason emotion --urgency routine --disclosed - --crisis - \
	<"$T/in"
check "two options reading standard input: exit 2" \
	eval 'rc_is 2 && err_has "only one option may read standard input"'

# case shred --reason -: the passphrase, the recovery code, then the reason.
say "$ALICEP" "$RC" 'end of retention: the family moved away'
cv alice case shred "$C2" --reason - <"$T/in"
check "case shred --reason - (after the passphrase and the recovery code): exit 0" rc_is 0
check "  ... the case is a tombstone" same "$(q "select status from cases where id = '$C2'")" shredded
check "  ... the reason, sealed, in the log (not in clear)" \
	eval '[ "$(q "select count(*) from audit where action = '"'"'case.shred'"'"' and detail like '"'"'reason=%'"'"'")" -eq 1 ] &&
	! grep -qaF "the family moved away" "$V"'

# ---- 6. due: what needs doing today ----------------------------------------

day() { date -u -d "$1 days" +%Y-%m-%d; }
printf 'student-id: S2026-0920\nname: Li Mingming\nclass: 7-1\n' >"$T/form"
as carol case open --form "$T/form" --gender M --grade 7 --category family
C3=$(cat "$T/out")
as carol consent record "$C3" --by student,guardian --method written \
	--scope individual,referral-disclosure
with carol "A draft of carol's." note add "$C3"
N4=$(cat "$T/out")
as carol referral add "$C3" --to 'District Center' --to-type other --reason family --urgency routine \
	--disclosed 'the family situation'
R2=$(cat "$T/out")
as carol watch add "$C3" --tag left-behind --every 3d
as bob case share "$C" carol
with bob "Bob's own draft." note add "$C"
N5=$(cat "$T/out")
n0=$(naudit)
as carol due
check "due today: exit 0" rc_is 0
check "  ... every section says it is empty" \
	eval 'out_has "no drafts near the archive deadline" && out_has "no overdue referrals" &&
	out_has "no register follow-ups due"'
check "  ... logged as the lists are: a due row, then one case.read per case" \
	same "$(q "select group_concat(action || ' ' || detail, '|') from (select * from audit where seq > $n0 and action != 'checkpoint' order by seq)")" \
	"due cases=2|case.read |case.read "
as carol due --as-of "$(day +3)"
check "in 3 days: the register follow-up, due that day" \
	eval 'out_has "$C3  Li Mingming  W-" && out_has "left-behind  due $(day +3)  today"'
check "  ... no draft yet (4 days before its deadline)" out_has "no drafts near the archive deadline"
as carol due --as-of "$(day +5)"
check "in 5 days: carol's draft, 2 days before the deadline" \
	eval 'out_has "$N4  session  deadline $(day +7)  in 2 days"'
check "  ... not bob's draft on a case shared with her (only its author finalizes it)" \
	eval 'out_lacks "$N5"'
check "  ... the register follow-up, 2 days overdue" out_has "2 days overdue"
as carol due --as-of "$(day +14)"
check "in 14 days: the referral awaits its follow-up" \
	eval 'out_has "$R2  District Center  follow-up due $(day +14)  today"'
check "  ... and the draft is 7 days past its deadline" out_has "7 days overdue"
as carol --json due --as-of "$(day +14)"
check "due --json: one valid object with the three lists" \
	eval 'rc_is 0 && json_valid "$T/out" && [ "$(wc -l <"$T/out")" -eq 1 ] &&
	grep -Eq "\"drafts\": ?\[\{" "$T/out" && grep -Eq "\"register\": ?\[\{" "$T/out" &&
	grep -Eq "\"referrals\": ?\[\{" "$T/out"'
as sue due
check "due as a supervisor: the break-glass section alone, empty, no case read" \
	eval 'rc_is 0 && out_has "no unreviewed break-glass events" && ! out_has "Drafts"'
as alice due
check "due as an admin: refused by role (exit 4)" rc_is 4
as carol due --as-of 2026-02-30
check "due --as-of a day that does not exist: exit 2" rc_is 2

# ---- 7. tables aligned by display width -----------------------------------

as carol case list
check "case list: exit 0" rc_is 0
# 王小红 is 3 characters and 6 columns; Li Mingming 11 columns: the name
# column is 11 wide, and the columns after it line up.
check "case list aligns a Chinese name by its display width" \
	eval 'out_has "$C  open  王小红       grade 8  emotion  opened $TODAY" &&
	out_has "$C3  open  Li Mingming  grade 7  family   opened $TODAY"'
as carol watch list
check "watch list aligned the same way" out_has "$C3  Li Mingming  left-behind"

# ---- the end --------------------------------------------------------------

check "nothing of the editor is left in the private directory" eval '[ ! -e "$PRIV" ]'
echo "e2e_loop: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
