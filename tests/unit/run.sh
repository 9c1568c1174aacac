#!/bin/bash
# run.sh - run the unit test programs, all of them, and fail if any failed.
#
#   run.sh plain|valgrind FIXTURE_DIR WYCHEPROOF_DIR PROGRAM...
#
# ONLY (environment; make check-unit ONLY=...): a program's name (verify or
# test_verify) runs that program alone; anything else is a cmocka test-name
# pattern (* and ?, e.g. '*expired*') that every cmocka program applies
# (PJ_UNIT_FILTER, read by unit.c); test_wycheproof, which has no cmocka
# names, is then not run.  If ONLY selects nothing, run.sh fails.
#
# Every program gets nss_wrapper (fake accounts from FIXTURE_DIR/passwd and
# group: root 0, sysuser 2, alice 1001, bob 1002, Alice 1003) and
# FIXTURE_DIR as its argument; test_wycheproof gets WYCHEPROOF_DIR instead.
set -u
mode=$1 fixtures=$2 wycheproof=$3
shift 3

nss=
for d in /usr/lib/*-linux-gnu /usr/lib64 /usr/lib; do
	if [ -e "$d/libnss_wrapper.so" ]; then nss=$d/libnss_wrapper.so; break; fi
done
if [ -z "$nss" ]; then
	echo "run.sh: libnss_wrapper.so not found (apt-get install libnss-wrapper)" >&2
	exit 1
fi

case $mode in
plain) wrap=() ;;
valgrind)
	wrap=(valgrind -q --error-exitcode=99 --leak-check=full
	      --errors-for-leak-kinds=definite,indirect
	      --show-leak-kinds=definite,indirect) ;;
*) echo "run.sh: unknown mode $mode" >&2; exit 2 ;;
esac

ONLY=${ONLY:-}
filter=
if [ -n "$ONLY" ]; then
	picked=()
	for prog in "$@"; do
		name=${prog##*/}
		if [ "$name" = "$ONLY" ] || [ "$name" = "test_$ONLY" ]; then
			picked+=("$prog")
		fi
	done
	if [ ${#picked[@]} -ne 0 ]; then
		echo "unit tests: ONLY=$ONLY: ${picked[*]##*/}"
	else
		filter=$ONLY
		for prog in "$@"; do
			[ "${prog##*/}" = test_wycheproof ] || picked+=("$prog")
		done
		echo "unit tests: ONLY=$ONLY is no program's name: the cmocka tests" \
		    "matching it, in every program (not test_wycheproof)"
	fi
	set -- "${picked[@]}"
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
ran=0

failed=()
for prog in "$@"; do
	name=${prog##*/}
	arg=$fixtures
	[ "$name" = test_wycheproof ] && arg=$wycheproof
	echo "=== $prog ($mode)"
	env LD_PRELOAD="$nss" \
	    NSS_WRAPPER_PASSWD="$fixtures/passwd" \
	    NSS_WRAPPER_GROUP="$fixtures/group" \
	    ASAN_OPTIONS="verify_asan_link_order=0:detect_leaks=1:abort_on_error=0" \
	    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
	    PJ_UNIT_FILTER="$filter" \
	    "${wrap[@]}" "$prog" "$arg" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	n=$(sed -n 's/^\[==========\] \([0-9]*\) test(s) run\.$/\1/p' "$out" | tail -n 1)
	ran=$((ran + ${n:-0}))
	if [ $rc -ne 0 ]; then
		echo "=== $name FAILED (exit $rc)"
		failed+=("$name")
	fi
done
if [ ${#failed[@]} -ne 0 ]; then
	echo "unit tests ($mode): ${#failed[@]} of $# programs FAILED: ${failed[*]}"
	exit 1
fi
if [ -n "$filter" ] && [ "$ran" -eq 0 ]; then
	echo "unit tests ($mode): ONLY=$ONLY matched no program and no test: nothing ran"
	exit 1
fi
echo "unit tests ($mode): all $# programs passed"
