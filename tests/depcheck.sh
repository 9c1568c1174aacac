#!/bin/sh
# depcheck.sh - lib/ has no cycle between its files (issue 13.2).
#
#   tests/depcheck.sh [BUILD]      (BUILD: where make put lib/*.o; build)
#
# Two graphs, each checked with tsort(1), which reports any loop:
#   calls     lib/X.o -> lib/Y.o when X.o uses a symbol that Y.o defines
#             (nm: undefined in X, defined in Y): who calls whom, after
#             the preprocessor, as the linker sees it;
#   includes  lib/F -> lib/G when F (a .c or a .h) has #include "G" for a
#             G in lib/: every file its own node.
# Prints the edges of a graph with a loop and "depcheck: N passed, M
# failed"; exits 1 if any check failed.
set -u
build=${1:-build}
cd "$(dirname "$0")/.." || exit 2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "depcheck: ok: $*"; }
bad() { fail=$((fail + 1)); echo "depcheck: FAILED: $*"; }

# --- calls ---------------------------------------------------------------
objs=$(ls "$build"/lib/*.o 2>/dev/null)
if [ -z "$objs" ]; then
	bad "no $build/lib/*.o (run make first)"
else
	for o in $objs; do
		f=lib/$(basename "$o" .o)
		nm --defined-only -g "$o" | awk -v f="$f" 'NF == 3 { print $3, f }'
	done | sort >"$tmp/defs"
	for o in $objs; do
		f=lib/$(basename "$o" .o)
		nm -u "$o" | awk -v f="$f" '{ print $NF, f }'
	done | sort >"$tmp/uses"
	# symbol user definer -> "user definer" edges between two lib files
	join "$tmp/uses" "$tmp/defs" | awk '$2 != $3 { print $2, $3 }' |
	    sort -u >"$tmp/calls"
	# every file is a node, also one that calls none and none calls
	for o in $objs; do f=lib/$(basename "$o" .o); echo "$f $f"; done \
	    >>"$tmp/calls"
	if tsort "$tmp/calls" >/dev/null 2>"$tmp/calls.err"; then
		ok "calls: $(ls $objs | wc -l) objects, $(awk '$1 != $2' \
		    "$tmp/calls" | wc -l) edges, no cycle"
	else
		bad "calls: a cycle"
		sed 's/^/    /' "$tmp/calls.err"
	fi
fi

# --- includes ------------------------------------------------------------
for f in lib/*.c lib/*.h; do
	echo "$f $f"
	sed -n 's/^[ \t]*#[ \t]*include[ \t]*"\([^"]*\)".*/\1/p' "$f" |
	while read -r h; do
		h=${h#lib/}
		[ -f "lib/$h" ] && echo "$f lib/$h"
	done
done >"$tmp/incl"
if tsort "$tmp/incl" >/dev/null 2>"$tmp/incl.err"; then
	ok "includes: $(ls lib/*.c lib/*.h | wc -l) files, $(awk '$1 != $2' \
	    "$tmp/incl" | wc -l) edges, no cycle"
else
	bad "includes: a cycle"
	sed 's/^/    /' "$tmp/incl.err"
fi

echo "depcheck: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
