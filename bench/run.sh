#!/usr/bin/env bash
# Runs the bench module's benchmarks (wf, expr, cel-go and Go on the same
# rules) and the main module's engine benchmarks (ingest in memory and
# durable, the store's raw write rate, memory per waiting enrollment with
# 1,000,000 enrollments, timers, hot reload, compile speed), and writes
# BENCHMARKS.md at the top of the repository from their output. COUNT
# (default 10) samples per benchmark, BENCHTIME (default 1s) each;
# ENROLLMENTS (default 1000000) waiting enrollments for the memory figure,
# which is measured once per sample whatever BENCHTIME says.
set -euo pipefail
cd "$(dirname "$0")"

count=${COUNT:-10}
benchtime=${BENCHTIME:-1s}
enrollments=${ENROLLMENTS:-1000000}
command="go test -run XXX -bench . -benchmem -count $count -benchtime $benchtime ./..."
engine_command="WF_BENCH_ENROLLMENTS=$enrollments go test -p 1 -timeout 60m -run XXX -bench 'BenchmarkEngine|BenchmarkCompileSource\$|BenchmarkCommit' -benchmem -count $count -benchtime $benchtime ./compiler ./runtime/..."
# OUT, if set, keeps the raw `go test` output there.
if [ -n "${OUT:-}" ]; then
	out=$OUT
	: >"$out"
else
	out=$(mktemp)
	trap 'rm -f "$out"' EXIT
fi

$command | tee "$out"
(cd .. && eval "$engine_command") | tee -a "$out"

go run ./report \
	-date "$(date -u '+%Y-%m-%d %H:%M UTC')" \
	-nproc "$(nproc)" \
	-cpu "$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^model name[[:space:]]*:[[:space:]]*//')" \
	-go "$(go version)" \
	-expr "$(go list -m github.com/expr-lang/expr)" \
	-cel "$(go list -m cel.dev/cel-go)" \
	-command "cd bench && $command" \
	-engine-command "$engine_command" \
	-rules rules.wf <"$out" >../BENCHMARKS.md.tmp
mv ../BENCHMARKS.md.tmp ../BENCHMARKS.md
echo "wrote BENCHMARKS.md"
