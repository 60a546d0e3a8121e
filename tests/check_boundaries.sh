#!/bin/sh
# check_boundaries.sh - two boundaries of the source tree (STYLE.md):
#
#   (a) only the storage module speaks SQL: no file in SRC other than
#       lib/store*.c has a string literal with SQL in it;
#   (b) only the access layer touches cases, grants and records and
#       unseals case keys: no file other than lib/access.c and the storage
#       module's own files (lib/store*.c, lib/store*.h) uses a
#       cv_store_case_*, cv_store_grant_* or cv_store_record_* function or
#       cv_case_key_unseal.  Declarations and definitions do not count; any other
#       use (a call, or taking its address to call later) does.
#
# Comments are removed first (by the compiler's preprocessor, without
# expanding anything), so prose about SQL or these functions is allowed.
# SQL in a literal is an upper-case keyword as a word (SELECT, INSERT,
# UPDATE, DELETE, CREATE, PRAGMA, BEGIN, COMMIT, ROLLBACK) or, in any case,
# a statement's opening words ("select COLUMN, ...", "select COLUMN from",
# "select count(", "select *", "insert into",
# "delete from", "update NAME set", "create table|index|...",
# "pragma NAME", "begin immediate|exclusive|deferred|transaction", or a
# literal that is just "begin", "commit" or "rollback", or "END" or "end;":
# a literal that is just "end" is the word, as in `duty end`).
#
# Run: sh tests/check_boundaries.sh [SRC]      (SRC defaults to src)
#      sh tests/check_boundaries.sh --self-test
# Exit status: 0 when both hold; 1, with one line per offending use
# (FILE:LINE: what), when one does not; 2 on a usage error.

set -u

CC=${CC:-cc}

# strip FILE OUT: FILE without comments into OUT, as "LINE<tab>text" lines
# (line numbers of the original file); fails when the compiler does.
strip() {
	"$CC" -fpreprocessed -dD -E "$1" >"$2.pp" 2>"$2.err" || {
		cat "$2.err" >&2
		return 1
	}
	awk '
		/^# [0-9]+ "/ { line = $2; next }
		{ printf "%d\t%s\n", line, $0; line++ }' "$2.pp" >"$2"
}

# sql_literals: reads "LINE<tab>text" lines, prints "LINE<tab>literal" for
# every string literal that holds SQL.
sql_literals() {
	awk -F '\t' '
		function is_sql(s,   l) {
			if (s ~ /(^|[^A-Za-z0-9_])(SELECT|INSERT|UPDATE|DELETE|CREATE|PRAGMA|BEGIN|COMMIT|ROLLBACK)([^A-Za-z0-9_]|$)/)
				return 1
			l = tolower(s)
			if (l ~ /(^|[^a-z0-9_])select[ \t]+(distinct[ \t]|count[ \t]*\(|\*|[a-z_.]+[ \t]*,|[a-z_.()]+[ \t]+from[ \t])/ ||
			    l ~ /(^|[^a-z0-9_])insert[ \t]+(or[ \t]+[a-z]+[ \t]+)?into[ \t]/ ||
			    l ~ /(^|[^a-z0-9_])delete[ \t]+from[ \t]/ ||
			    l ~ /(^|[^a-z0-9_])update[ \t]+[a-z_][a-z0-9_]*[ \t]+set[ \t]/ ||
			    l ~ /(^|[^a-z0-9_])create[ \t]+(table|index|unique|temp|temporary|view|trigger|virtual)([^a-z0-9_]|$)/ ||
			    l ~ /(^|[^a-z0-9_])pragma[ \t]+[a-z_]+/ ||
			    l ~ /(^|[^a-z0-9_])begin[ \t]+(immediate|exclusive|deferred|transaction)([^a-z0-9_]|$)/ ||
			    l ~ /^[ \t]*(begin|commit|rollback)[ \t]*;?[ \t]*$/ ||
			    s ~ /^[ \t]*END[ \t]*;?[ \t]*$/ || l ~ /^[ \t]*end[ \t]*;[ \t]*$/)
				return 1
			return 0
		}
		{
			line = $1
			text = substr($0, length($1) + 2)
			# Character literals first, so that a quote in one does not
			# start a string.
			gsub(/\047(\\.|[^\047\\])*\047/, "\047\047", text)
			while (match(text, /"(\\.|[^"\\])*"/)) {
				lit = substr(text, RSTART, RLENGTH)
				if (is_sql(substr(lit, 2, RLENGTH - 2)))
					printf "%d\t%s\n", line, lit
				text = substr(text, RSTART + RLENGTH)
			}
		}'
}

# access_uses: reads "LINE<tab>text" lines, prints "LINE<tab>NAME" for every
# use of a case, grant or record store function or of cv_case_key_unseal that is
# not its declaration or definition.
access_uses() {
	awk -F '\t' '
		{
			line = $1
			text = substr($0, length($1) + 2)
			gsub(/\047(\\.|[^\047\\])*\047/, "\047\047", text)
			gsub(/"(\\.|[^"\\])*"/, "\"\"", text)
			pre = ""
			while (match(text, /(^|[^A-Za-z0-9_])(cv_store_(case|grant|record)_[A-Za-z0-9_]+|cv_case_key_unseal)([^A-Za-z0-9_]|$)/)) {
				name = substr(text, RSTART, RLENGTH)
				lead = name ~ /^[A-Za-z_]/ ? 0 : 1
				sub(/^[^A-Za-z_]/, "", name)
				sub(/[^A-Za-z0-9_]$/, "", name)
				before = pre substr(text, 1, RSTART - 1 + lead)
				# A declaration or definition has only a type (and
				# storage words) before the name on its line, as
				# the code is formatted; anything else is a use.
				if (before !~ /^[ \t]*((static|extern|inline|const)[ \t]+)*[A-Za-z_][A-Za-z0-9_]*[ \t*]+$/ ||
				    before ~ /^[ \t]*(return|else|case|goto|sizeof)[^A-Za-z0-9_]/)
					printf "%d\t%s\n", line, name
				pre = pre substr(text, 1, RSTART + RLENGTH - 1)
				text = substr(text, RSTART + RLENGTH)
			}
		}'
}

check() {
	src=$1
	if [ ! -d "$src" ]; then
		echo "check_boundaries: '$src' is not a directory" >&2
		return 2
	fi
	if ! command -v "$CC" >/dev/null 2>&1; then
		echo "check_boundaries: the C compiler '$CC' is needed to remove comments" >&2
		return 2
	fi
	work=$(mktemp -d) || return 2
	: >"$work/bad"
	find "$src" -type f \( -name '*.c' -o -name '*.h' \) | LC_ALL=C sort >"$work/files"
	n=0
	while IFS= read -r f; do
		n=$((n + 1))
		rel=${f#"$src"/}
		if ! strip "$f" "$work/stripped"; then
			echo "check_boundaries: cannot read '$f'" >&2
			rm -rf "$work"
			return 2
		fi
		case $rel in
		lib/store*.c) ;;
		*)
			sql_literals <"$work/stripped" |
				while IFS="$(printf '\t')" read -r line lit; do
					printf '%s:%s: SQL outside the storage module: %s\n' "$f" "$line" "$lit"
				done >>"$work/bad"
			;;
		esac
		case $rel in
		lib/access.c | lib/store*.c | lib/store*.h) ;;
		*)
			access_uses <"$work/stripped" |
				while IFS="$(printf '\t')" read -r line name; do
					printf '%s:%s: %s used outside the access layer (lib/access.c)\n' \
						"$f" "$line" "$name"
				done >>"$work/bad"
			;;
		esac
	done <"$work/files"
	if [ "$n" -eq 0 ]; then
		echo "check_boundaries: no C files in '$src'" >&2
		rm -rf "$work"
		return 2
	fi
	if [ -s "$work/bad" ]; then
		cat "$work/bad"
		echo "check_boundaries: $(wc -l <"$work/bad" | tr -d ' ') uses cross a boundary in '$src'"
		rm -rf "$work"
		return 1
	fi
	echo "check_boundaries: '$src' ($n files): SQL only in lib/store*.c; cases, grants," \
		"records and case keys only in lib/access.c"
	rm -rf "$work"
	return 0
}

# self_test: the check passes on a tree that keeps both boundaries and
# fails, naming the file and line, on trees that cross one.
self_test() {
	st=$(mktemp -d) || exit 2
	trap 'rm -rf "$st"' EXIT
	trap 'exit 1' HUP INT TERM
	pass=0
	fail=0
	expect() { # DESCRIPTION WANT-STATUS DIR [PATTERN]
		sh "$0" "$3" >"$st/out" 2>&1
		got=$?
		if [ "$got" -eq "$2" ] && { [ $# -lt 4 ] || grep -Eq -- "$4" "$st/out"; }; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "FAIL: $1: exit $got, expected $2${4:+ and output matching /$4/}"
			sed 's/^/    /' "$st/out"
		fi
	}

	t=$st/ok/src
	mkdir -p "$t/lib" "$t/cli"
	cat >"$t/lib/store.c" <<'EOF'
/* The storage module: SQL and the case functions live here. */
static const char *const sql[] = {
	"SELECT id, name FROM users WHERE id = ?1",
	"INSERT INTO cases (id) VALUES (?1)",
	"BEGIN IMMEDIATE", "COMMIT",
};
int cv_store_case_get(int id) { return id; }
EOF
	cat >"$t/lib/store.h" <<'EOF'
int cv_store_case_get(int id);
int cv_store_grant_put(int id);
int cv_store_record_each_case(int id, int (*cb)(int));
EOF
	cat >"$t/lib/access.c" <<'EOF'
#include "store.h"
int cv_case_key_unseal(int k);
static int walk(int r) { return r; }
int access_case(int id)
{
	return cv_store_case_get(id) + cv_store_grant_put(id) +
	       cv_store_record_each_case(id, walk) + cv_case_key_unseal(id);
}
EOF
	cat >"$t/lib/crypt.c" <<'EOF'
/* cv_case_key_unseal - unseal a case key; access.c calls it, as in
 * "SELECT sealed_key FROM grants" elsewhere: comments are prose. */
int cv_case_key_unseal(int k)
{
	return k;
}
EOF
	cat >"$t/lib/crypt.h" <<'EOF'
int cv_case_key_unseal(int k);
extern const char *cv_store_case_name;
EOF
	cat >"$t/cli/cmd.c" <<'EOF'
/* Messages that speak of selecting, updating and deleting are not SQL. */
static const char *const msg[] = {
	"select a case with 'case list', then update it",
	"delete the draft or finalize it", "begin with 'casevault init'",
	"use 'referral update ID --status S' to set its status",
	"end", "ended",
	"a quote \" inside, then select a case from the list",
};
static char q = '"';
EOF
	expect "a tree that keeps both boundaries passes" 0 "$st/ok/src" '^check_boundaries: .*\(6 files\)'

	cp -R "$st/ok" "$st/sql"
	printf 'static const char *q = "UPDATE cases"\n\t" SET status = ?1";\n' \
		>"$st/sql/src/lib/case.c"
	expect "an upper-case SQL literal outside store*.c fails" 1 "$st/sql/src" \
		'^.*/lib/case\.c:1: SQL outside the storage module: "UPDATE cases"$'

	cp -R "$st/ok" "$st/sql4"
	printf 'static const char *q = "END;";\n' >"$st/sql4/src/lib/case.c"
	expect "a literal that ends a transaction fails" 1 "$st/sql4/src" \
		'/lib/case\.c:1: SQL outside the storage module: "END;"'

	cp -R "$st/ok" "$st/sql2"
	printf '\n\nconst char *q =\n  "select seq, hash from audit";\n' >"$st/sql2/src/cli/main.c"
	expect "a lower-case SQL literal in the CLI fails" 1 "$st/sql2/src" \
		'/cli/main\.c:4: SQL outside the storage module'

	cp -R "$st/ok" "$st/sql3"
	printf 'const char *p = "PRAGMA foreign_keys = ON";\n' >"$st/sql3/src/lib/store.h"
	expect "SQL in store.h fails (only store*.c may hold it)" 1 "$st/sql3/src" \
		'/lib/store\.h:1: SQL outside'

	cp -R "$st/ok" "$st/call"
	cat >"$st/call/src/lib/note.c" <<'EOF'
#include "store.h"
int note_show(int id)
{
	int st = cv_store_record_each_case(id, 0);

	return st;
}
EOF
	expect "a record store call outside access.c fails" 1 "$st/call/src" \
		'/lib/note\.c:4: cv_store_record_each_case used outside the access layer'

	cp -R "$st/ok" "$st/unseal"
	printf 'int cv_case_key_unseal(int k);\nint f(int k) { return cv_case_key_unseal(k); }\n' \
		>"$st/unseal/src/lib/record.c"
	expect "unsealing a case key outside access.c fails" 1 "$st/unseal/src" \
		'/lib/record\.c:2: cv_case_key_unseal used outside'

	cp -R "$st/ok" "$st/ptr"
	printf 'static int (*get)(int) = cv_store_case_get;\n' >"$st/ptr/src/cli/x.c"
	expect "taking a case function's address outside access.c fails" 1 "$st/ptr/src" \
		'/cli/x\.c:1: cv_store_case_get used outside'

	cp -R "$st/ok" "$st/both"
	cp "$st/sql/src/lib/case.c" "$st/call/src/lib/note.c" "$st/both/src/lib/"
	expect "every crossing is listed" 1 "$st/both/src" '^check_boundaries: 2 uses cross'

	mkdir -p "$st/empty"
	expect "a tree without C files is a usage error" 2 "$st/empty"
	expect "a missing tree is a usage error" 2 "$st/missing"

	echo "check_boundaries self-test: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

case ${1:-} in
--self-test) self_test ;;
-h | --help) sed -n '2,26s/^# \{0,1\}//p' "$0" ;;
-*)
	echo "check_boundaries: unknown option '$1'" >&2
	exit 2
	;;
*)
	check "${1:-src}"
	exit $?
	;;
esac
