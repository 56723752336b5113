#!/usr/bin/env bash
# Installs Chromium for the dashboard's browser test
# (runtime/dashboard/browser_test.go) when it is missing. Idempotent and
# quiet: nothing happens, and nothing is printed, when /usr/bin/chromium is
# there already. Debian/Ubuntu only (apt-get); elsewhere it says so and
# fails, and the test fails in CI (CI=true) for want of a browser.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "chromium.sh: no chromium and no apt-get to install it with" >&2
	exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; } >"$log" 2>&1; then
	cat "$log" >&2
	echo "chromium.sh: installing chromium failed" >&2
	exit 1
fi
echo "chromium.sh: installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
