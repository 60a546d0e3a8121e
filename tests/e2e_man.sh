#!/bin/sh
# e2e_man.sh - the two man pages, docs/casevault.1.scd (English) and
# docs/casevault.zh_CN.1.scd (Chinese), against the program: both build
# with scdoc, every command that `casevault --help` lists has its section
# ("## user add") in both, so that neither can drift silently from the
# program or from the other; a page missing one is refused, naming it; and
# `make install` puts the Chinese page where `man -L zh_CN casevault`
# finds it.  The pages, README.md and SECURITY.md name the program's vault
# format.
#
# Run: CASEVAULT=/abs/path/to/casevault sh tests/e2e_man.sh from the top
# of the source tree.  Every check counts: one that fails fails the run.

set -u

if [ -z "${CASEVAULT:-}" ] || [ ! -x "$CASEVAULT" ]; then
	echo "e2e_man: set CASEVAULT to the built casevault binary" >&2
	exit 2
fi
for tool in scdoc make; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "e2e_man: $tool is needed" >&2
		exit 2
	fi
done

T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

EN=docs/casevault.1.scd
ZH=docs/casevault.zh_CN.1.scd
npass=0
nfail=0
check() {
	check_d=$1
	shift
	if "$@"; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $check_d" >&2
		sed -n '1,5s/^/    /p' "$T/why" >&2
	fi
}
: >"$T/why"

# The commands of --help: its command list, a command's words in the
# first 20 columns after the indent of two.
LC_ALL=C LANG=C LANGUAGE= "$CASEVAULT" --help >"$T/help" 2>&1
sed -n '/^commands:/,/^$/p' "$T/help" | sed '1d;/^$/d' | cut -c3-22 | sed 's/ *$//' \
	>"$T/commands"

# covers PAGE: every command has its "## COMMAND" section in PAGE; the
# missing ones in $T/why.
covers() {
	: >"$T/why"
	while IFS= read -r cmd; do
		grep -qxF "## $cmd" "$1" || echo "$1 has no section '## $cmd'" >>"$T/why"
	done <"$T/commands"
	[ ! -s "$T/why" ]
}

n=$(wc -l <"$T/commands")
check "--help lists the commands (at least 40 read: $n)" eval '[ "$n" -ge 40 ]'
check "--help's commands include 'case open' and 'due'" \
	eval 'grep -qx "case open" "$T/commands" && grep -qx "due" "$T/commands"'

scdoc <"$EN" >"$T/en.1" 2>"$T/why"
check "the English page builds with scdoc" eval '[ -s "$T/en.1" ] && [ ! -s "$T/why" ]'
scdoc <"$ZH" >"$T/zh.1" 2>"$T/why"
check "the Chinese page builds with scdoc" eval '[ -s "$T/zh.1" ] && [ ! -s "$T/why" ]'

check "every command of --help has its section in the English page" covers "$EN"
check "every command of --help has its section in the Chinese page" covers "$ZH"

# The two pages have the same command sections, in the same order.
grep '^## ' "$EN" >"$T/en.sections"
grep '^## ' "$ZH" >"$T/zh.sections"
diff "$T/en.sections" "$T/zh.sections" >"$T/why"
check "the two pages have the same command sections, in the same order" \
	eval '[ ! -s "$T/why" ]'

# The check itself refuses a page without one command's section.
grep -vx '## note finalize' "$ZH" >"$T/short.scd"
covers "$T/short.scd"
check "a page missing 'note finalize' is refused, naming it" \
	eval 'grep -qF "no section '"'"'## note finalize'"'"'" "$T/why"'
: >"$T/why"

# The vault format both pages name (FILES, --version) is the program's, so
# that a new format cannot leave the pages behind.
fmt=$(LC_ALL=C LANG=C LANGUAGE= "$CASEVAULT" --version | sed -n 's/.*(vault format \([0-9]*\))$/\1/p')
check "--version names the vault format ($fmt)" eval '[ -n "$fmt" ]'
check "the English page's FILES names vault format $fmt, and no other" \
	eval 'grep -q "in vault format $fmt\$" "$EN" &&
		[ "$(grep -o "vault format [0-9][0-9]*" "$EN" | sort -u)" = "vault format $fmt" ]'
check "the Chinese page's FILES names vault format $fmt, and no other" \
	eval 'grep -q "保险库格式 $fmt" "$ZH" &&
		[ "$(grep -o "保险库格式 [0-9][0-9]*" "$ZH" | sort -u)" = "保险库格式 $fmt" ]'
# So do the README and SECURITY.md, which say which version they describe.
check "README.md and SECURITY.md name vault format $fmt, and no other" \
	eval 'grep -q "(format version $fmt)" README.md && grep -q "(vault format $fmt)" SECURITY.md &&
		[ "$(cat README.md SECURITY.md | grep -o "\(vault format\|format version\) [0-9][0-9]*" |
			sed "s/.* //" | sort -u)" = "$fmt" ]'
# And docs/FORMAT.md: its title, and the user_version it says the file holds.
check "docs/FORMAT.md is the format of version $fmt, and the header it gives holds $fmt" \
	eval 'grep -qx "# casevault vault format, version $fmt" docs/FORMAT.md &&
		grep -q "^| \`PRAGMA user_version\` | \`$fmt\` (header bytes 60..63 = \`00 00 00 0$fmt\`)" docs/FORMAT.md'

# The Chinese page is Chinese: its section headings and the terms.
check "the Chinese page's headings and terms are Chinese" \
	eval 'grep -qx "# 名称" "$ZH" && grep -qx "# 退出状态" "$ZH" &&
		for w in 心理辅导 个案 知情同意 监护人 转介 危机干预 值班记录 重点学生 督导 归档; do
			grep -q "$w" "$ZH" || { echo "no $w" >"$T/why"; exit 1; }; done'

# make install puts it under share/man/zh_CN/man1, next to the English one.
# (The build directory is the one CASEVAULT was built in: nothing is
# rebuilt, under make asan too.)
make -s install BUILD="$(dirname "$CASEVAULT")" DESTDIR="$T/root" PREFIX=/usr >"$T/why" 2>&1
check "make install: the Chinese page in share/man/zh_CN/man1/casevault.1" \
	eval 'cmp -s "$T/zh.1" "$T/root/usr/share/man/zh_CN/man1/casevault.1" &&
		cmp -s "$T/en.1" "$T/root/usr/share/man/man1/casevault.1"'

# man-db finds it by the language (when man is installed).
if command -v man >/dev/null 2>&1; then
	found=$(MANPATH="$T/root/usr/share/man" man -L zh_CN -w casevault 2>"$T/why")
	check "man -L zh_CN casevault finds the Chinese page" \
		eval '[ "$found" = "$T/root/usr/share/man/zh_CN/man1/casevault.1" ]'
fi

echo "e2e_man: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
