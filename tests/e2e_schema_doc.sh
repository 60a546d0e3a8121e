#!/bin/sh
# e2e_schema_doc.sh - docs/FORMAT.md §3 gives the schema "verbatim": every
# CREATE statement of a new vault, in order, is the one the document shows
# (whitespace aside), and the document shows no other.
#
# Run: CASEVAULT=/abs/path/to/casevault sh tests/e2e_schema_doc.sh
# Ends with one line "e2e_schema_doc: N passed, M failed"; exits 1 if any
# check failed.

set -u

if [ -z "${CASEVAULT:-}" ] || [ ! -x "$CASEVAULT" ]; then
	echo "e2e_schema_doc: set CASEVAULT to the built casevault binary" >&2
	exit 2
fi
DOC=${DOC:-$(dirname "$0")/../docs/FORMAT.md}
T=$(mktemp -d) || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

npass=0
nfail=0

printf '%s\n' 'schema-doc-admin-pass' >"$T/in"
"$CASEVAULT" --vault "$T/v.db" --passphrase-fd 0 init --admin alice --kdf-t 2 --kdf-m 19456 \
	--kdf-p 1 <"$T/in" >/dev/null 2>"$T/err"
sqlite3 "$T/v.db" "select sql from sqlite_schema where sql is not null order by rowid" \
	>"$T/schema.txt"
if python3 - "$DOC" "$T/schema.txt" <<'PY'; then
import re, sys
doc = open(sys.argv[1], encoding="utf-8").read()
start = doc.index("The schema, verbatim")
block = doc[doc.index("```", start) + 3:]
block = block[block.index("\n") + 1:block.index("```")]
norm = lambda s: re.sub(r"\s+", " ", s).replace("( ", "(").strip().rstrip(";")
want = [norm(x) for x in block.split(";") if x.strip()]
# a statement may span lines in sqlite3's output: split before each CREATE
got = [norm(x) for x in re.split(r"\n(?=CREATE )", open(sys.argv[2], encoding="utf-8").read()) if x.strip()]
if want != got:
    for i, (a, b) in enumerate(zip(want, got)):
        if a != b:
            print("statement %d differs:\n  doc:   %s\n  vault: %s" % (i + 1, a, b))
            break
    print("doc has %d statements, the vault %d" % (len(want), len(got)))
    sys.exit(1)
PY
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: docs/FORMAT.md §3 shows the schema of a new vault verbatim"
fi

echo "e2e_schema_doc: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
