#!/bin/sh
# e2e_hostile.sh - what a hostile vault file can make the program print,
# run through the built binary.  Terminal escape sequences (clear the
# screen, retitle the window, move the cursor up and erase the line that
# says SIGNATURE DOES NOT VERIFY) and bidi overrides are planted in note
# text written through the program (the note check lets escape sequences
# through) and, with sqlite3, in clear columns (audit details, record
# dates, a case id quoted by an error message).  Every command that shows
# them is run, in text and --json, and its raw output bytes -- stdout and
# stderr -- must hold no control character but newline and tab, and no
# bidi control or invisible format character: only their escaped forms.
# Bidi controls typed into a name or a note are refused.  `user list`
# marks a record whose role was edited; a damaged student index is exit
# 5, not "no cases".
#
# Run: CASEVAULT=/abs/path/to/casevault sh tests/e2e_hostile.sh
# Prints "FAIL: ..." for each failed check and ends with one line
# "e2e_hostile: N passed, M failed"; exits 1 if any check failed.

set -u

if [ -z "${CASEVAULT:-}" ] || [ ! -x "$CASEVAULT" ]; then
	echo "e2e_hostile: set CASEVAULT to the built casevault binary" >&2
	exit 2
fi
if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "e2e_hostile: the sqlite3 command-line tool is needed" >&2
	exit 2
fi
unset CASEVAULT_VAULT CASEVAULT_USER EDITOR VISUAL

T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM
V=$T/v.db
KDF="--kdf-t 2 --kdf-m 19456 --kdf-p 1"

npass=0
nfail=0
rc=0

# ---- helpers -------------------------------------------------------------

ALICEP='alice-admin-passphrase'
CAROLP='carol-counselor-pass'
SUEP='sue-supervisor-pass'

pass_of() {
	case $1 in
	alice) printf '%s' "$ALICEP" ;;
	carol) printf '%s' "$CAROLP" ;;
	sue) printf '%s' "$SUEP" ;;
	esac
}

# as USER ARGS... : runs casevault as USER, the passphrase alone on stdin;
# leaves rc, $T/out and $T/err, and appends both to $T/all.
as() {
	as_user=$1
	shift
	pass_of "$as_user" >"$T/in"
	printf '\n' >>"$T/in"
	"$CASEVAULT" --vault "$V" --user "$as_user" --passphrase-fd 0 "$@" <"$T/in" \
		>"$T/out" 2>"$T/err"
	rc=$?
	cat "$T/out" "$T/err" >>"$T/all"
}

# as_text USER TEXTFILE ARGS... : the passphrase, then the file's bytes.
as_text() {
	as_user=$1
	as_file=$2
	shift 2
	{
		pass_of "$as_user"
		printf '\n'
		cat "$as_file"
	} >"$T/in"
	"$CASEVAULT" --vault "$V" --user "$as_user" --passphrase-fd 0 "$@" <"$T/in" \
		>"$T/out" 2>"$T/err"
	rc=$?
	cat "$T/out" "$T/err" >>"$T/all"
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
err_has() { grep -qF -- "$1" "$T/err"; }
q() { sqlite3 "$V" "$1"; }

# The bytes that must never reach a terminal from the file: every C0
# control but newline and tab, DEL, C1 controls (as UTF-8), and the bidi
# controls and invisible format characters, as UTF-8.
ESC=$(printf '\033')
BIDI_LIST="$T/bidi"
for cp in '\330\234' '\342\200\216' '\342\200\217' '\342\200\252' '\342\200\253' \
	'\342\200\254' '\342\200\255' '\342\200\256' '\342\201\246' '\342\201\247' \
	'\342\201\250' '\342\201\251' '\342\200\250' '\342\200\251' '\357\273\277'; do
	printf "$cp\\n"
done >"$BIDI_LIST"
C1_LIST="$T/c1"
i=128
while [ "$i" -le 159 ]; do
	printf "\\302\\$(printf '%o' "$i")\\n"
	i=$((i + 1))
done >"$C1_LIST"

# clean FILE : no control byte but newline and tab, no C1 control, no bidi
# or invisible format character.
clean() {
	if LC_ALL=C tr -d '\n\t' <"$1" | LC_ALL=C grep -q '[[:cntrl:]]'; then
		echo "    control byte in $1:" >&2
		LC_ALL=C tr -d '\n\t' <"$1" | LC_ALL=C grep -a -o '.\{0,20\}[[:cntrl:]].\{0,20\}' |
			head -3 | od -c | head -4 >&2
		return 1
	fi
	if LC_ALL=C grep -q -a -F -f "$BIDI_LIST" "$1"; then
		echo "    bidi or format character in $1" >&2
		return 1
	fi
	if LC_ALL=C grep -q -a -F -f "$C1_LIST" "$1"; then
		echo "    C1 control in $1" >&2
		return 1
	fi
	return 0
}
out_clean() { clean "$T/out" && clean "$T/err"; }

# ---- the vault and its people -------------------------------------------

printf '%s\n' "$ALICEP" >"$T/in"
"$CASEVAULT" --vault "$V" --passphrase-fd 0 init --admin alice $KDF <"$T/in" \
	>"$T/out" 2>"$T/err"
rc=$?
check "init exits 0" rc_is 0
RCODE=$(cat "$T/out")
for u in carol:counselor sue:supervisor; do
	printf '%s\n' "$ALICEP" >"$T/in"
	"$CASEVAULT" --vault "$V" --user alice --passphrase-fd 0 user add "${u%%:*}" \
		--role "${u#*:}" <"$T/in" >"$T/out" 2>"$T/err"
	rc=$?
	check "user add ${u%%:*}" rc_is 0
	printf '%s\n%s\n' "$(tail -n 1 "$T/out")" "$(pass_of "${u%%:*}")" >"$T/in"
	"$CASEVAULT" --vault "$V" --user "${u%%:*}" --passphrase-fd 0 enrol <"$T/in" \
		>"$T/out" 2>"$T/err"
	rc=$?
	check "enrol ${u%%:*}" rc_is 0
done
printf '%s\n%s\n' "$ALICEP" "$RCODE" >"$T/in"
"$CASEVAULT" --vault "$V" --user alice --passphrase-fd 0 vault keys --deliver <"$T/in" \
	>"$T/out" 2>"$T/err"
rc=$?
check "vault keys --deliver" rc_is 0

SCOPES=individual,group,testing,guardian-contact,referral-disclosure
new_case() { # SID NAME : a case with full consent; its id in $C
	printf 'student-id: %s\nname: %s\nclass: 8-3\n' "$1" "$2" >"$T/form"
	as carol case open --form "$T/form" --gender F --grade 8 --category emotion
	C=$(cat "$T/out")
	as carol consent record "$C" --by student --method written --date 2024-09-02 \
		--scope "$SCOPES"
	as carol consent record "$C" --by guardian --method written --date 2024-09-02 \
		--scope "$SCOPES"
}
new_case S-0001 'Li Mei'
C1=$C
check "a case with consent" eval '[ -n "$C1" ] && rc_is 0'
new_case S-0002 'Wang Lei'
C2=$C

# ---- 1. bidi controls typed are refused -----------------------------------

RLO=$(printf '\342\200\256')
printf 'student-id: S-0003\nname: Li Mei%slanif\nclass: 8-3\n' "$RLO" >"$T/form"
as carol case open --form "$T/form" --gender F --grade 8 --category emotion
check "case open with U+202E in the form's name exits 2, naming the line" \
	eval 'rc_is 2 && err_has "line 2: '"'"'\\u202e'"'"' at byte 13"'
same_count() { [ "$(q 'select count(*) from cases')" -eq 2 ]; }
check "  ... and opens no case" same_count
printf 'seen today\n%shidden text\n' "$RLO" >"$T/bidi-note"
as_text carol "$T/bidi-note" note add "$C1" --kind session
check "note add with U+202E exits 2" eval 'rc_is 2 && err_has "byte offset 11"'
check "  ... and adds no note" \
	eval '[ "$(q "select count(*) from records where type = '"'note'"'")" -eq 0 ]'

# ---- 2. escape sequences in note text -------------------------------------

# Clear the screen; retitle the window; move up and erase the lines above
# (where "SIGNATURE DOES NOT VERIFY" stands), then print a reassurance; a
# carriage return; the C1 CSI (U+009B, valid UTF-8).
printf 'Session notes \033[2J cleared\n\033]0;owned\007retitled\n\033[1A\033[2K\033[1A\033[2Ksigned: signature verified\rback\n\302\2332Jc1\n' \
	>"$T/evil-note"
as_text carol "$T/evil-note" note add "$C1" --kind session
N1=$(cat "$T/out")
check "note add with escape sequences is accepted (newlines and tabs pass too)" rc_is 0
as carol note finalize "$N1"
check "note finalize" rc_is 0
as carol note show "$N1"
check "note show exits 0 and shows the text's sequences escaped" \
	eval 'rc_is 0 && out_has "Session notes \\x1b[2J cleared" &&
	out_has "\\x1b]0;owned\\x07retitled" &&
	out_has "\\x1b[1A\\x1b[2K\\x1b[1A\\x1b[2Ksigned: signature verified\\x0dback" &&
	out_has "\\u009b2Jc1"'
check "  ... and no control byte or bidi character reaches the terminal" out_clean
as carol --json note show "$N1"
check "note show --json: the sequences escaped by JSON, no raw byte" \
	eval 'rc_is 0 && out_has "\\u001B[2J" && out_clean'
# The attacker with the file breaks the signature: every read of the
# record is now refused (exit 5), and the refusal is clean too.
q "update records set sig = zeroblob(64) where id = '$N1'"
as carol note show "$N1"
check "note show of a forged record exits 5, naming it, cleanly" \
	eval 'rc_is 5 && err_has "$N1" && out_clean'
as carol case show "$C1"
check "case show of its case exits 5, cleanly" eval 'rc_is 5 && out_clean'

# ---- 3. escape sequences and bidi controls in clear columns ---------------

BAD="'x' || char(27) || '[2J' || char(27) || ']0;t' || char(7) || char(8238) || 'y'"
BAD="$BAD || char(8294) || char(1564) || char(65279) || char(13) || char(10) || 'z'"
q "update audit set detail = $BAD where seq = (select max(seq) from audit
	where action = 'note.add')"
q "update audit set object = 'note:' || char(27) || '[8m' || char(8237)
	where seq = (select max(seq) from audit where action = 'note.finalize')"
# Bytes that are not UTF-8 (jansson refuses them: the row must not vanish
# from the JSON output).
q "update audit set detail = cast(x'41ff42' as text) where seq = 2"
q "update records set created_at = '2024-' || char(27) || '[2J' || char(8238) || '01'
	where id = '$N1'"

as sue audit log
check "audit log exits 0 and shows the planted detail escaped" \
	eval 'rc_is 0 && out_has "x\\x1b[2J\\x1b]0;t\\x07\\u202ey\\u2066\\u061c\\ufeff\\x0d\\x0az"'
check "  ... and the planted object" out_has 'note:\x1b[8m\u202d'
check "  ... a planted newline forges no line of its own" \
	eval '! grep -q "^z" "$T/out"'
check "  ... no control byte or bidi character" out_clean
check "  ... and the bytes that are not UTF-8" out_has ' checkpoint audit ok -- A\xffB'
as sue --json audit log
check "audit log --json escapes them as JSON" \
	eval 'rc_is 0 && out_has "\\u001B[2J" && out_has "\\u202E" && out_clean'
check "  ... shows the row that is not UTF-8, escaped, instead of dropping it" \
	out_has '{"seq":2,"time":'
check "  ... with its bytes escaped" out_has '"detail":"A\\xffB"'
check "  ... one array with every row, 1 to the last" \
	eval 'python3 -c "import json, sys; a = json.load(open(sys.argv[1])); assert [r[\"seq\"] for r in a] == list(range(1, len(a) + 1))" "$T/out"'
as sue audit verify
check "audit verify finds the altered rows (exit 5), cleanly" eval 'rc_is 5 && out_clean'
as carol note list "$C1"
check "note list of the case with the planted date: refused, cleanly" \
	eval 'rc_is 5 && out_clean'
as carol case list
check "case list skips the tampered case (exit 5), cleanly" eval 'rc_is 5 && out_clean'

# An error message that quotes a stored value: a case id made hostile,
# with its index tag damaged, is named by the integrity error.
q "pragma foreign_keys = off; update cases set id = 'C-' || char(27) || '[2J' || char(8238),
	index_tag = x'01' where id = '$C2'"
out_lacks_case() { ! out_has "$C1"; }
printf 'S-0001\n' >"$T/sid"
as_text carol "$T/sid" case find
check "case find with a damaged index exits 5 (not 'no cases')" \
	eval 'rc_is 5 && err_has "is malformed" && out_lacks_case'
check "  ... the error names the hostile case id escaped" \
	eval 'err_has "C-\\x1b[2J\\u202e" && out_clean'
as_text carol "$T/sid" --json case find
check "  ... and under --json" \
	eval 'rc_is 5 && err_has "case.index-malformed" && err_has "\\u001B[2J" && out_clean'

# Everything printed by this run, in one file.
check "the whole run printed no raw control byte or bidi character" clean "$T/all"

# ---- 4. user list marks what fails verification ---------------------------

as alice user list
check "user list: every record verified in an intact vault" \
	eval 'rc_is 0 && ! out_has UNVERIFIED'
q "update users set role = 'admin' where name = 'sue'"
as alice user list
check "user list with a tampered role exits 0" rc_is 0
check "  ... and marks sue UNVERIFIED" eval 'grep "^sue " "$T/out" | grep -qF UNVERIFIED'
check "  ... and only her" eval '[ "$(grep -c UNVERIFIED "$T/out")" -eq 1 ]'
as alice --json user list
check "user list --json says \"verified\": false for her" \
	eval 'rc_is 0 && python3 -c "import json, sys; a = json.load(open(sys.argv[1])); assert [u[\"name\"] for u in a if not u[\"verified\"]] == [\"sue\"]" "$T/out"'
check "  ... and true for the others" \
	eval 'python3 -c "import json, sys; assert sum(u[\"verified\"] is True for u in json.load(open(sys.argv[1]))) == 2" "$T/out"'

echo "e2e_hostile: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
