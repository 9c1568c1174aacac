#!/bin/sh
# fuzz/run.sh BUILD TARGET SECONDS - replay the target's regression inputs,
# then fuzz it for SECONDS from its seeds (fuzz/corpus/TARGET) into a scratch
# corpus under BUILD.  Exit status non-zero on any finding (crash, leak,
# timeout, out-of-memory, sanitizer report).  Prints one summary line:
#   fuzz TARGET: N execs in S s, C corpus units, cov X ft Y: ok
set -u
b=$1 t=$2 s=$3
bin=$b/fuzz_$t
[ -x "$bin" ] || { echo "fuzz $t: $bin missing" >&2; exit 2; }
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
art=$b/artifacts/$t/
work=$b/corpus/$t
log=$b/log/$t.log
mkdir -p "$art" "$work" "$b/log"
dict=
[ -f fuzz/$t.dict ] && dict=-dict=fuzz/$t.dict

# 1. every finding so far stays fixed
reg=fuzz/regressions/$t
if [ -d "$reg" ] && [ -n "$(ls -A "$reg" 2>/dev/null)" ]; then
	if ! "$bin" -runs=1 $dict "$reg"/* >"$b/log/$t.regressions.log" 2>&1; then
		echo "FAIL fuzz $t: a regression input fails again:" >&2
		tail -n 40 "$b/log/$t.regressions.log" >&2
		exit 1
	fi
	echo "fuzz $t: $(ls "$reg" | wc -l) regression input(s) pass"
fi

# 2. fuzz
start=$(date +%s)
"$bin" -max_total_time="$s" -timeout=25 -rss_limit_mb=2048 -max_len=20000 \
    -print_final_stats=1 -artifact_prefix="$art" $dict \
    "$work" "fuzz/corpus/$t" >"$log" 2>&1
rc=$?
end=$(date +%s)
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.*\(cov: [0-9]* ft: [0-9]*\).*/\1/p')
units=$(ls "$work" | wc -l)
if [ $rc -ne 0 ]; then
	echo "FAIL fuzz $t: finding after ${execs:-?} execs (exit $rc); input in $art" >&2
	grep -E 'ERROR|SUMMARY|assertion|runtime error|==[0-9]+==' "$log" | head -n 20 >&2
	tail -n 30 "$log" >&2
	echo "keep it: cp $art<crash-file> fuzz/regressions/$t/ and fix the cause" >&2
	exit 1
fi
echo "fuzz $t: ${execs:-?} execs in $((end - start)) s, $units corpus units, ${cov:-cov ?}: ok"
