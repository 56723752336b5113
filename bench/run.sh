#!/usr/bin/env bash
# Runs the bench module's benchmarks (wf, expr, cel-go and Go on the same
# rules) and writes BENCHMARKS.md at the top of the repository from their
# output. COUNT (default 10) samples per benchmark, BENCHTIME (default 1s)
# each.
set -euo pipefail
cd "$(dirname "$0")"

count=${COUNT:-10}
benchtime=${BENCHTIME:-1s}
command="go test -run XXX -bench . -benchmem -count $count -benchtime $benchtime ./..."
out=$(mktemp)
trap 'rm -f "$out"' EXIT

$command | tee "$out"

go run ./report \
	-date "$(date -u '+%Y-%m-%d %H:%M UTC')" \
	-nproc "$(nproc)" \
	-cpu "$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^model name[[:space:]]*:[[:space:]]*//')" \
	-go "$(go version)" \
	-expr "$(go list -m github.com/expr-lang/expr)" \
	-cel "$(go list -m cel.dev/cel-go)" \
	-command "cd bench && $command" \
	-rules rules.wf <"$out" >../BENCHMARKS.md.tmp
mv ../BENCHMARKS.md.tmp ../BENCHMARKS.md
echo "wrote BENCHMARKS.md"
