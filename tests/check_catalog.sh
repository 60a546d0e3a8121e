#!/bin/sh
# check_catalog.sh - the message catalog against the sources.
#
#   sh tests/check_catalog.sh --pot FILE   writes the template (make pot)
#   sh tests/check_catalog.sh              fails when po/casevault.pot is not
#                                          what the sources give, or when a
#                                          message of the sources has no
#                                          translation in po/zh_CN.po
#   sh tests/check_catalog.sh --po FILE    the second check for another .po
#
# What is extracted: in src/cli every _(), N_() and NC_() string and the
# messages given to cli_usage, cli_usage_code, cli_linef, cli_operands,
# cli_id_operand, cli_ask and cli_secret (which translate them); in
# src/lib the templates of cv_fail (argument 4: the CLI translates the
# template, then puts the arguments in) and those marked CV_TMPL (a table's
# templates, given to cv_fail through a variable) or CV_PHRASE (phrases
# given as arguments, which the CLI translates too) and the cv_err_set messages with
# no printf arguments (the CLI looks their text up as it is).
# Run from the top of the source tree.

set -u

for tool in xgettext msgcat msggrep msgcmp msgfmt msgattrib; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "check_catalog: $tool is needed (Debian: apt-get install gettext)" >&2
		exit 2
	fi
done

T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

XGT="xgettext --add-location=file --from-code=UTF-8 --add-comments=TRANSLATORS: --package-name=casevault -k"

# xgettext, without its warning about the "" given to cli_operands for
# "no operands" (never looked up: cli_tr leaves "" alone); the template's
# charset set to UTF-8 so that the other tools read it.
xgt() {
	out=$1
	shift
	$XGT -o "$out" "$@" 2>"$T/warn"
	xrc=$?
	grep -v -e 'Empty msgid' -e 'returns the header entry' -e 'meta information, not' \
		"$T/warn" >&2
	[ "$xrc" = 0 ] || return 1
	sed -i 's/charset=CHARSET/charset=UTF-8/' "$out"
}

make_pot() {
	xgt "$T/cli.pot" -k_ -kN_ -kNC_:1c,2 -kcli_usage:2 -kcli_usage_code:3 -kcli_linef:2 \
		-kcli_operands:5 -kcli_id_operand:4 -kcli_ask:2 -kcli_secret:2 -kdngettext:2,3 \
		--flag=cli_usage:2:c-format --flag=cli_usage_code:3:c-format \
		--flag=cli_linef:2:c-format src/cli/*.c || return 1
	xgt "$T/lib.pot" -kcv_fail:4 -kCV_TMPL -kCV_PHRASE --flag=cv_fail:4:no-c-format src/lib/*.c || return 1
	xgt "$T/set.pot" -kcv_err_set:3 src/lib/*.c || return 1
	# Only the messages with no printf directive: the others are
	# rendered with their arguments in the library.
	msggrep -v -K -e '%' -o "$T/set-plain.pot" "$T/set.pot" || return 1
	msgcat --use-first -o "$1" "$T/cli.pot" "$T/lib.pot" "$T/set-plain.pot" || return 1
	sed -i 's/charset=UTF-8/charset=CHARSET/' "$1"
}

# The msgids and their contexts of a .po or .pot, one entry a block, sorted.
ids() {
	msgattrib --no-location --no-wrap --sort-output --clear-fuzzy "$1" |
		grep -E '^(msgctxt|msgid) ' | grep -v '^msgid ""$'
}

case "${1:-}" in
--pot)
	make_pot "$2" || exit 1
	exit 0
	;;
--po)
	PO=$2
	POT_CHECK=0
	;;
"")
	PO=po/zh_CN.po
	POT_CHECK=1
	;;
*)
	echo "usage: sh tests/check_catalog.sh [--pot FILE | --po FILE]" >&2
	exit 2
	;;
esac

make_pot "$T/fresh.pot" || exit 1
rc=0
if [ "$POT_CHECK" = 1 ]; then
	ids "$T/fresh.pot" >"$T/fresh.ids"
	ids po/casevault.pot >"$T/kept.ids"
	if ! cmp -s "$T/fresh.ids" "$T/kept.ids"; then
		echo "check_catalog: po/casevault.pot is out of date; run 'make pot'" >&2
		diff "$T/kept.ids" "$T/fresh.ids" | head -20 >&2
		rc=1
	fi
fi
# Every message of the sources translated (untranslated and fuzzy entries
# count as missing), and the catalog itself well formed.
if ! msgcmp "$PO" "$T/fresh.pot" 2>"$T/cmp"; then
	msgattrib --translated --no-fuzzy -o "$T/done.po" "$PO" 2>/dev/null
	ids "$T/fresh.pot" | sort -u >"$T/want"
	ids "$T/done.po" | sort -u >"$T/have"
	echo "check_catalog: $PO lacks translations of:" >&2
	comm -23 "$T/want" "$T/have" | head -40 >&2
	rc=1
fi
if ! msgfmt --check --statistics -o /dev/null "$PO" 2>"$T/stat"; then
	cat "$T/stat" >&2
	rc=1
elif grep -Eq 'untranslated|fuzzy' "$T/stat"; then
	echo "check_catalog: $PO: $(cat "$T/stat")" >&2
	rc=1
fi
[ "$rc" = 0 ] && echo "check_catalog: $PO is complete ($(cat "$T/stat"))"
exit "$rc"
