#!/usr/bin/env bash
# Starts Debian's Prosody 0.12 for `imspec run --target-cmd`, in the foreground, with one c2s
# listener on 127.0.0.1:PORT and its data in DIR, so a restart (the same command again) finds the
# accounts, offline messages and archive it stored. The kit kills the process group for crash
# cases; exec keeps Prosody's pid.
#
#   scripts/targets/prosody.sh PORT DIR ['lua line' …]
#   imspec run suites/core --driver xmpp --target 'xmpp://127.0.0.1:15222?domain=localhost&register=1' \
#     --target-cmd 'scripts/targets/prosody.sh 15222 /tmp/imspec-prosody'
#
# The config is Debian's shipped prosody.cfg.lua where delivery is concerned — mod_limits with
# c2s 10kb/s, mod_smacks (hibernation 600 s), mod_carbons, mod_offline (auto-loaded), internal
# storage — made reachable on loopback: no TLS (no certificate for the test domain), plain SASL
# over the unencrypted stream, in-band registration on (the kit registers fresh users with their
# tokens as passwords), no s2s or HTTP. mod_mam is added (XEP-0313, so `sync` works). Extra
# arguments are appended as Lua lines of the global section ('smacks_hibernation_time = 5').
# Prosody refuses to run as root: as root this runs it as the `prosody` user.
set -euo pipefail
if [ "$#" -lt 2 ]; then
  echo "usage: $0 PORT DIR ['lua line' ...]" >&2
  exit 2
fi
port=$1
dir=$2
shift 2
bin=/usr/bin/prosody
if [ ! -x "$bin" ]; then
  echo "$bin is missing: apt-get install prosody (or run .ci/run)" >&2
  exit 2
fi
mkdir -p "$dir/data" "$dir/certs"
conf=$dir/prosody.cfg.lua
{
  echo "c2s_ports = { $port }"
  echo 'interfaces = { "127.0.0.1" }'
  echo 'c2s_interfaces = { "127.0.0.1" }'
  echo 's2s_ports = {}'
  echo 'component_ports = {}'
  echo 'http_ports = {}'
  echo 'https_ports = {}'
  echo 'c2s_direct_tls_ports = {}'
  echo 'legacy_ssl_ports = {}'
  echo "pidfile = \"$dir/prosody.pid\""
  echo "data_path = \"$dir/data\""
  echo "certificates = \"$dir/certs\""
  echo "admin_socket = \"$dir/admin.sock\""
  echo "log = { { levels = { min = \"info\" }, to = \"console\" }, { levels = { min = \"info\" }, to = \"file\", filename = \"$dir/prosody.log\" } }"
  echo 'modules_enabled = { "disco", "roster", "saslauth", "carbons", "limits", "smacks", "ping", "time", "register", "posix", "mam" }'
  echo 'modules_disabled = { "s2s", "tls" }'
  echo 'limits = { c2s = { rate = "10kb/s" } }'
  echo 'authentication = "internal_hashed"'
  echo 'storage = "internal"'
  echo 'c2s_require_encryption = false'
  echo 'allow_unencrypted_plain_auth = true'
  echo 'allow_registration = true'
  echo 'archive_expires_after = "never"'
  for line in "$@"; do echo "$line"; done
  echo 'VirtualHost "localhost"'
} >"$conf"

run=()
if [ "$(id -u)" = 0 ]; then
  if ! id prosody >/dev/null 2>&1; then
    echo 'prosody will not run as root and the prosody user is missing: apt-get install prosody' >&2
    exit 2
  fi
  chown -R prosody: "$dir"
  run=(setpriv --reuid prosody --regid prosody --clear-groups --)
fi
# -F: stay in the foreground, so the pid the kit holds is Prosody's.
cd "$dir"
exec "${run[@]}" "$bin" --config "$conf" -F
