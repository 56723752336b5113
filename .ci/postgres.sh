#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the PostgreSQL store's tests
# (runtime/store/pgstore, cmd/wf) and prints, on stdout, the shell lines
# that point the tests at it:
#
#	eval "$(bash .ci/postgres.sh)"   # sets WF_TEST_POSTGRES (and WF_PG_DATA if it started one)
#	bash .ci/postgres.sh stop        # stops the server named by WF_PG_DATA and deletes its files
#
# It installs postgresql with apt-get when no /usr/lib/postgresql/*/bin/initdb
# is there, creates a cluster in a fresh temporary directory (trust
# authentication, listening on 127.0.0.1 only, port $WF_PG_PORT or 54329,
# fsync on, the unix socket in that directory), starts it, and creates the
# database wf_test. Idempotent: when a server already answers on the port,
# it only prints the export line (without WF_PG_DATA, so that stop leaves
# a server it did not start alone). Progress goes to stderr.
set -euo pipefail

port=${WF_PG_PORT:-54329}
url="postgres://postgres@127.0.0.1:$port/wf_test?sslmode=disable"

sudo=""
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
	as_pg=(runuser -u postgres --) # the server refuses to run as root
else
	sudo="sudo"
fi

pgbin() {
	ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

if [ "${1:-}" = "stop" ]; then
	if [ -z "${WF_PG_DATA:-}" ]; then
		echo "postgres.sh stop: WF_PG_DATA is not set: no server started by postgres.sh to stop" >&2
		exit 0
	fi
	bin=$(pgbin)
	"${as_pg[@]}" "$bin/pg_ctl" -D "$WF_PG_DATA" -m fast -w stop >&2 || true
	rm -rf "$(dirname "$WF_PG_DATA")"
	exit 0
fi

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "postgres.sh: PostgreSQL is not installed and there is no apt-get to install it with" >&2
		exit 1
	fi
	echo "postgres.sh: installing postgresql" >&2
	export DEBIAN_FRONTEND=noninteractive
	log=$(mktemp)
	if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq postgresql; } >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		echo "postgres.sh: installing postgresql failed" >&2
		exit 1
	fi
	rm -f "$log"
fi
bin=$(pgbin)

if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
	echo "postgres.sh: a server already answers on 127.0.0.1:$port" >&2
	if [ -z "$("$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt -c "SELECT 1 FROM pg_database WHERE datname = 'wf_test'" 2>/dev/null)" ]; then
		"$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt -c "CREATE DATABASE wf_test" >&2 || true
	fi
	echo "export WF_TEST_POSTGRES='$url'"
	exit 0
fi

dir=$(mktemp -d /tmp/wf-postgres.XXXXXX)
chmod 755 "$dir"
if [ "$(id -u)" -eq 0 ]; then
	chown postgres: "$dir"
fi
data="$dir/data"
"${as_pg[@]}" "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
	{ cat "$dir/initdb.log" >&2; exit 1; }
cat >>"$data/postgresql.conf" <<EOF
# .ci/postgres.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = on
synchronous_commit = on
max_connections = 200
EOF
"${as_pg[@]}" "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >&2 ||
	{ cat "$dir/server.log" >&2; exit 1; }
"$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 \
	-c "CREATE DATABASE wf_test" >&2
echo "postgres.sh: $("$bin/postgres" --version) on 127.0.0.1:$port, files in $dir" >&2
echo "export WF_TEST_POSTGRES='$url'"
echo "export WF_PG_DATA='$data'"
