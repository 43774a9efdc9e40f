#!/usr/bin/env bash
# Runs the containers' healthchecks on their own schedule, as Docker's engine does, for podman without systemd:
# podman 4.3 schedules healthchecks with systemd timers, and where PID 1 is not systemd (this CI machine, most
# containers) they never run, so a service with a healthcheck stays "starting" and `docker compose up` waits on
# it for ever.
#
# Each running container with a healthcheck gets `podman healthcheck run` (its own command, from the compose
# file) every `interval` from its start, never two at once. podman's bookkeeping does the rest as Docker's does:
# a failure inside `start_period` does not count, `retries` failures in a row make it unhealthy, a success makes
# it healthy. `timeout`: podman 4.3 counts a check that took longer as failed, but only once it ends; Docker
# kills it at the timeout. So does this scheduler: a check still running half a second after its timeout has its
# process in the container killed, and podman records the failure ("exceeded timeout").
#
# Usage: health-scheduler.sh [log file]     (engine.sh starts and stops it)
set -uo pipefail
LOG=${1:-/dev/stderr}
declare -A interval timeout command due busy began
log() { echo "$(date +%T.%3N) $*" >> "$LOG"; }
nanos() { awk -v s="$1" -v d="$2" 'BEGIN { n = s * 1e9; if (n <= 0) n = d * 1e9; printf "%.0f", n }'; }

# Kills the processes of a healthcheck still running in a container: processes running the healthcheck's command
# in the container's PID namespace whose parent is outside it (exec sessions, not the container's own tree).
kill_check() { # container-id
  local init ns pid parent pattern
  init=$(podman inspect --format '{{.State.Pid}}' "$1" 2>/dev/null) || return
  ns=$(readlink /proc/$init/ns/pid) || return
  pattern=$(printf '%s' "${command[$1]}" | sed 's/[][\\.*^$+?(){}|/]/\\&/g')
  for pid in $(pgrep -f -- "$pattern"); do
    [ "$(readlink /proc/$pid/ns/pid 2>/dev/null)" = "$ns" ] || continue
    parent=$(awk '{print $4}' /proc/$pid/stat 2>/dev/null) || continue
    [ "$(readlink /proc/$parent/ns/pid 2>/dev/null)" = "$ns" ] && continue
    kill -KILL "$pid" 2>/dev/null && log "${1:0:12}: check still running after its timeout: killed pid $pid"
  done
}

while true; do
  now=$(date +%s%N)
  live=" "
  for id in $(podman ps -q --no-trunc --filter status=running 2>/dev/null); do
    live+="$id "
    if [ -z "${interval[$id]+set}" ]; then
      # Interval and timeout in seconds (floats), the command's last word, the start; "-" without a healthcheck.
      config=$(podman inspect --format '{{if .Config.Healthcheck}}{{.Config.Healthcheck.Interval.Seconds}} {{.Config.Healthcheck.Timeout.Seconds}} {{.State.StartedAt.UnixNano}} {{range .Config.Healthcheck.Test}}{{.}}{{"\x1f"}}{{end}}{{else}}-{{end}}' \
          "$id" 2>/dev/null) || continue
      if [ "$config" = - ]; then interval[$id]=0; continue; fi
      read -r seconds limit started _ <<< "$config"
      interval[$id]=$(nanos "$seconds" 30)   # Docker's defaults: 30 s each
      timeout[$id]=$(nanos "$limit" 30)
      command[$id]=$(printf '%s' "${config#* * * }" | tr '\037' '\n' | grep -v '^$' | tail -1)
      due[$id]=$((started + interval[$id]))
      log "${id:0:12}: every $seconds s, timeout $limit s: ${command[$id]}"
    fi
    [ "${interval[$id]}" = 0 ] && continue
    if [ -n "${busy[$id]:-}" ] && kill -0 "${busy[$id]}" 2>/dev/null; then
      (( now > began[$id] + timeout[$id] + 500000000 )) && kill_check "$id"
      continue
    fi
    if (( now >= due[$id] )); then
      # The next one is due an interval after this one started (Docker's ticker), not after it ended.
      due[$id]=$((now + interval[$id]))
      began[$id]=$now
      ( out=$(podman healthcheck run "$id" 2>&1 | grep -v 'systemd'); rc=$?; log "${id:0:12}: exit $rc ${out}" ) &
      busy[$id]=$!
    fi
  done
  for id in "${!interval[@]}"; do
    [[ "$live" == *" $id "* ]] || unset "interval[$id]" "timeout[$id]" "command[$id]" "due[$id]" "busy[$id]" "began[$id]"
  done
  sleep 1
done
