#!/usr/bin/env bash
# Starts Debian's Mosquitto 2.0 for `imspec run --target-cmd`, in the foreground, on 127.0.0.1:PORT
# with its persistence file in DIR, so a restart (the same command again) finds the sessions and
# queues it saved. The kit kills the process group for crash cases; exec keeps the broker's pid.
#
#   scripts/targets/mosquitto.sh PORT DIR ['config line' …]
#   imspec run suites/core --driver mqtt --target mqtt://127.0.0.1:18830 \
#     --target-cmd 'scripts/targets/mosquitto.sh 18830 /tmp/imspec-mosquitto'
#
# The config is Mosquitto's defaults, reachable on loopback: anonymous clients (the kit's users
# are fresh per case, and the token it derives is ignored), `persistence true` (snapshot on
# SIGTERM and every autosave_interval, 1800 s by default — not per message), max_queued_messages
# left at 1000. Extra arguments are appended as config lines ('max_queued_messages 100').
set -euo pipefail
if [ "$#" -lt 2 ]; then
  echo "usage: $0 PORT DIR ['config line' ...]" >&2
  exit 2
fi
port=$1
dir=$2
shift 2
bin=/usr/sbin/mosquitto
if [ ! -x "$bin" ]; then
  echo "$bin is missing: apt-get install mosquitto (or run .ci/run)" >&2
  exit 2
fi
mkdir -p "$dir/data"
conf=$dir/mosquitto.conf
{
  echo "listener $port 127.0.0.1"
  echo 'per_listener_settings false'
  echo 'allow_anonymous true'
  echo 'persistence true'
  echo "persistence_location $dir/data/"
  # A pid file, so whoever started it can stop exactly this broker if the kit itself was killed.
  echo "pid_file $dir/mosquitto.pid"
  # stderr reaches the kit's log tail; the file keeps the whole log for the report's readings.
  echo 'log_dest stderr'
  echo "log_dest file $dir/mosquitto.log"
  echo 'log_type error'
  echo 'log_type warning'
  echo 'log_type notice'
  echo 'log_type information'
  echo 'connection_messages true'
  for line in "$@"; do echo "$line"; done
} >"$conf"

run=()
if [ "$(id -u)" = 0 ] && id mosquitto >/dev/null 2>&1; then
  # As root, run as the package's own user (mosquitto would switch itself, after opening files).
  chown -R mosquitto: "$dir"
  run=(setpriv --reuid mosquitto --regid mosquitto --clear-groups --)
fi
exec "${run[@]}" "$bin" -c "$conf"
