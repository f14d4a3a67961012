#!/usr/bin/env bash
# Starts Debian's RabbitMQ 3.10 with its MQTT plugin for `imspec run --target-cmd`, in the
# foreground, with MQTT on 127.0.0.1:PORT and its data in DIR, so a restart (the same command
# again) finds the durable queues (persistent MQTT sessions) and messages it stored. The kit kills
# the process group for crash cases; exec keeps the broker's pid.
#
#   scripts/targets/rabbitmq.sh PORT DIR ['rabbitmq.conf line' …]
#   imspec run suites/servers --driver mqtt --target 'mqtt://127.0.0.1:18840?version=3.1.1&anonymous=1' \
#     --target-cmd 'exec scripts/targets/rabbitmq.sh 18840 /tmp/imspec-rabbitmq' --start-timeout 60s
#
# The config is RabbitMQ's defaults where delivery is concerned, made reachable on loopback: the
# MQTT plugin enabled offline (an enabled_plugins file in DIR, as `rabbitmq-plugins enable
# rabbitmq_mqtt` writes it), no AMQP listener, anonymous MQTT logins as the default user (guest,
# which may log in from loopback only) — the kit's users are fresh per case and RabbitMQ has no
# accounts for them, hence `anonymous=1` in the target URL. Extra arguments are appended as
# rabbitmq.conf lines ('mqtt.prefetch = 1'). The node runs as the package's `rabbitmq` user when
# started as root, with HOME, config, database, logs and plugins all under DIR: nothing of the
# system's RabbitMQ is read or written.
#
# Erlang: RabbitMQ is an Erlang node, and a node registers its name with epmd, the port mapper,
# which Erlang starts on its own as a daemon on port 4369, on every interface, outliving the node.
# Here epmd runs in the foreground of this process group instead, on a free port on 127.0.0.1, so
# the kit's kill of the group ends it too and nothing is left behind; the node's distribution port
# is a free loopback port as well. A start takes 13 s on an idle 2-core machine and up to 50 s on a
# loaded one (the Erlang VM boots, and on the first start the MQTT plugin waits 3–6 s for cluster
# peers before electing itself leader of its client-id tracker): give the kit `--start-timeout 2m`.
set -euo pipefail
if [ "$#" -lt 2 ]; then
  echo "usage: $0 PORT DIR ['rabbitmq.conf line' ...]" >&2
  exit 2
fi
port=$1
dir=$2
shift 2
server=/usr/lib/rabbitmq/bin/rabbitmq-server
if [ ! -x "$server" ]; then
  echo "$server is missing: apt-get install rabbitmq-server (or run .ci/run)" >&2
  exit 2
fi
erts=$(ls -d /usr/lib/erlang/erts-*/bin | tail -n 1)

# A free TCP port on 127.0.0.1 (the kernel picks it; node is there, since the kit runs on it).
free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

mkdir -p "$dir/mnesia" "$dir/log" "$dir/home"
conf=$dir/rabbitmq.conf
{
  echo 'listeners.tcp = none'
  echo "mqtt.listeners.tcp.1 = 127.0.0.1:$port"
  echo 'mqtt.allow_anonymous = true'
  echo 'log.console = true'
  echo 'log.console.level = info'
  echo 'log.file = rabbitmq.log'
  echo 'log.file.level = info'
  for line in "$@"; do echo "$line"; done
} >"$conf"
echo '[rabbitmq_mqtt].' >"$dir/enabled_plugins"
: >"$dir/rabbitmq-env.conf"

run=()
if [ "$(id -u)" = 0 ]; then
  if ! id rabbitmq >/dev/null 2>&1; then
    echo 'the rabbitmq user is missing: apt-get install rabbitmq-server' >&2
    exit 2
  fi
  chown -R rabbitmq: "$dir"
  run=(setpriv --reuid rabbitmq --regid rabbitmq --clear-groups --)
fi

epmd_port=$(free_port)
export ERL_EPMD_PORT=$epmd_port
"${run[@]}" "$erts/epmd" -port "$epmd_port" -address 127.0.0.1 &
# The node must find this epmd listening, or it starts a daemon of its own.
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$epmd_port") 2>/dev/null && break
  sleep 0.05
done

export HOME=$dir/home
export RABBITMQ_CONF_ENV_FILE=$dir/rabbitmq-env.conf
export RABBITMQ_NODENAME=imspec$port@localhost
export RABBITMQ_CONFIG_FILE=$conf
export RABBITMQ_ADVANCED_CONFIG_FILE=$dir/advanced.config
export RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins
export RABBITMQ_PLUGINS_EXPAND_DIR=$dir/plugins-expand
export RABBITMQ_MNESIA_BASE=$dir/mnesia
export RABBITMQ_LOG_BASE=$dir/log
export RABBITMQ_PID_FILE=$dir/rabbitmq.pid
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_DIST_PORT
RABBITMQ_DIST_PORT=$(free_port)
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
exec "${run[@]}" "$server"
