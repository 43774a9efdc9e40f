#!/usr/bin/env bash
# Starts or stops the stand-in container engine that provision.sh installed: podman's Docker-compatible API
# service on /run/podman/podman.sock, linked as /var/run/docker.sock (where docker compose and the generated
# ComposeStackIT look by default) unless a Docker engine already has that socket, and the healthcheck scheduler.
# No systemd here, so both run as plain background processes; their PIDs and logs are in the state directory.
#
# Usage: engine.sh start | stop | status
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
STATE=${CLICKLOG_ENGINE_STATE:-/var/tmp/clicklog-engine}
SOCKET=/run/podman/podman.sock
mkdir -p "$STATE" /run/podman
running() { [ -f "$STATE/$1.pid" ] && kill -0 "$(cat "$STATE/$1.pid")" 2>/dev/null; }
ping() { curl -sf --max-time 2 --unix-socket "$1" http://engine/_ping 2>/dev/null; }

case "${1:-}" in
start)
  if ! running api; then
    rm -f $SOCKET
    nohup podman system service --time=0 unix://$SOCKET > "$STATE/api.log" 2>&1 &
    echo $! > "$STATE/api.pid"
  fi
  for _ in $(seq 100); do [ "$(ping $SOCKET)" = OK ] && break; sleep 0.1; done
  [ "$(ping $SOCKET)" = OK ] || { echo "podman's API did not answer on $SOCKET:"; tail -20 "$STATE/api.log"; exit 1; }
  if [ -S /var/run/docker.sock ] && [ ! -L /var/run/docker.sock ]; then
    echo "a Docker engine owns /var/run/docker.sock: leaving it; use DOCKER_HOST=unix://$SOCKET for podman"
  else
    ln -sfn $SOCKET /var/run/docker.sock
  fi
  if ! running health-scheduler; then
    nohup "$HERE/health-scheduler.sh" "$STATE/health-scheduler.log" > /dev/null 2>&1 &
    echo $! > "$STATE/health-scheduler.pid"
  fi
  echo "podman API on $SOCKET (and /var/run/docker.sock), healthchecks by health-scheduler.sh (log: $STATE/health-scheduler.log)"
  ;;
stop)
  for service in health-scheduler api; do
    running $service && kill "$(cat "$STATE/$service.pid")" && echo "stopped $service"
    rm -f "$STATE/$service.pid"
  done
  [ -L /var/run/docker.sock ] && rm -f /var/run/docker.sock
  ;;
status)
  for service in api health-scheduler; do
    running $service && echo "$service: running (pid $(cat "$STATE/$service.pid"))" || echo "$service: not running"
  done
  ;;
*) echo "usage: $0 start | stop | status" >&2; exit 2 ;;
esac
