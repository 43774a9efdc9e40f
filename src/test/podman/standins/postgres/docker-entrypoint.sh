#!/usr/bin/env bash
# docker-entrypoint.sh of the postgres stand-in: what the real image's entrypoint does that a compose project relies
# on, written for the stand-in.
#   `postgres [options]` (the CMD; arguments starting with `-` get `postgres` put in front):
#   - started as root: PGDATA (0700) and /var/run/postgresql are created and handed to user postgres, then this
#     script runs again as postgres (setpriv; the real image uses gosu). Started as postgres (999): it just goes on.
#   - PGDATA without PG_VERSION: refuses to start without POSTGRES_PASSWORD unless POSTGRES_HOST_AUTH_METHOD=trust
#     (the real image's message), then initdb with POSTGRES_USER (default postgres) as the superuser, its password
#     POSTGRES_PASSWORD and POSTGRES_INITDB_ARGS; `host all all all <method>` appended to pg_hba.conf (the method:
#     POSTGRES_HOST_AUTH_METHOD, else the server's password_encryption, scram-sha-256); a server listening on the
#     socket only creates POSTGRES_DB (default: the user) and runs /docker-entrypoint-initdb.d/* (*.sh run if
#     executable, else sourced; *.sql, *.sql.gz, *.sql.xz, *.sql.zst through psql; anything else ignored), then
#     stops.
#   - PGDATA with PG_VERSION is used as it is: no initdb, the POSTGRES_* variables are not looked at.
#   - then postgres is exec'd: it is PID 1 and gets the stop signal (SIGINT, a fast shutdown) itself.
#   POSTGRES_PASSWORD, _USER, _DB and _INITDB_ARGS may also be given as files (POSTGRES_PASSWORD_FILE, ...).
#   The cluster's postgresql.conf sets unix_socket_directories = '/var/run/postgresql' (see initialise).
#   Not done: POSTGRES_INITDB_WALDIR, nss_wrapper for a --user with no passwd entry, docker-ensure-initdb.sh, the
#   PostgreSQL 18 layout checks.
# Any other command (bash, psql, ...) is exec'd as given.
set -Eeo pipefail

# VAR from VAR or from the file VAR_FILE names (not both), else the default.
env_or_file() {
  local var=$1 file=$1_FILE
  if [ -n "${!var:-}" ] && [ -n "${!file:-}" ]; then
    echo "error: both $var and $file are set (but are exclusive)" >&2
    exit 1
  fi
  if [ -n "${!file:-}" ]; then
    printf -v "$var" '%s' "$(< "${!file}")"
  elif [ -z "${!var:-}" ]; then
    printf -v "$var" '%s' "${2:-}"
  fi
  export "$var"
  unset "$file"
}

# Options after which postgres prints something and exits: nothing to set up for those.
informational() {
  local arg
  for arg; do
    case $arg in -'?'|--help|--describe-config|-V|--version) return 0 ;; esac
  done
  return 1
}

# psql as the superuser on the local socket, stopping at the first error. Usage: sql DB [psql options]
sql() {
  local db=$1; shift
  PGHOST= PGHOSTADDR= psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc --dbname "$db" "$@"
}

refuse_without_password() {
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    cat >&2 <<'EOF'
Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the
       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".

       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all
       connections without a password. This is *not* recommended.

       See PostgreSQL documentation about "trust":
       https://www.postgresql.org/docs/current/auth-trust.html
EOF
    exit 1
  fi
  if [ "$POSTGRES_HOST_AUTH_METHOD" = trust ]; then
    echo 'WARNING: POSTGRES_HOST_AUTH_METHOD has been set to "trust": anyone who reaches the port gets in without a password.' >&2
  fi
}

# Usage: initialise [postgres options]: the options go to the temporary server (and to `postgres -C`).
initialise() {
  local -a initdb_args
  eval "initdb_args=($POSTGRES_INITDB_ARGS)"
  # The password file ends in a newline, so that an empty password (trust) still makes a file initdb accepts.
  # Zonky's server would put its socket in /tmp (initdb writes that compiled-in default into postgresql.conf even
  # when the sample names another); Debian's psql and pg_isready, as the real image's server, use /var/run/postgresql.
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    -c unix_socket_directories=/var/run/postgresql "${initdb_args[@]}"

  local method=${POSTGRES_HOST_AUTH_METHOD:-$(postgres -C password_encryption "$@")}
  printf '\nhost all all all %s\n' "$method" >> "$PGDATA/pg_hba.conf"

  export PGPASSWORD=${PGPASSWORD:-$POSTGRES_PASSWORD}
  PGUSER=${PGUSER:-$POSTGRES_USER} pg_ctl -D "$PGDATA" -w start \
    -o "$(printf '%q ' "$@" -c listen_addresses= -p "${PGPORT:-5432}")"

  if [ -z "$(sql postgres --set db="$POSTGRES_DB" --tuples-only <<<"SELECT 1 FROM pg_database WHERE datname = :'db'")" ]; then
    sql postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db"'
  fi
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue
    case $f in
      *.sh) if [ -x "$f" ]; then echo "$0: running $f"; "$f"; else echo "$0: sourcing $f"; . "$f"; fi ;;
      *.sql) echo "$0: running $f"; sql "$POSTGRES_DB" -f "$f" ;;
      *.sql.gz) echo "$0: running $f"; gunzip -c "$f" | sql "$POSTGRES_DB" ;;
      *.sql.xz) echo "$0: running $f"; xzcat "$f" | sql "$POSTGRES_DB" ;;
      *.sql.zst) echo "$0: running $f"; zstd -dc "$f" | sql "$POSTGRES_DB" ;;
      *) echo "$0: ignoring $f" ;;
    esac
  done

  PGUSER=${PGUSER:-postgres} pg_ctl -D "$PGDATA" -m fast -w stop
  unset PGPASSWORD
  printf '\nPostgreSQL init process complete; ready for start up.\n\n'
}

[ "${1:0:1}" = - ] && set -- postgres "$@"

if [ "$1" = postgres ] && ! informational "$@"; then
  env_or_file POSTGRES_PASSWORD
  env_or_file POSTGRES_USER postgres
  env_or_file POSTGRES_DB "$POSTGRES_USER"
  env_or_file POSTGRES_INITDB_ARGS
  : "${POSTGRES_HOST_AUTH_METHOD:=}"

  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA" || :  # may be impossible (a bind mount of another owner); postgres then says so
  if [ "$(id -u)" = 0 ]; then
    mkdir -p /var/run/postgresql && chmod 3775 /var/run/postgresql
    find "$PGDATA" /var/run/postgresql \! -user postgres -exec chown postgres '{}' +
    export HOME=/var/lib/postgresql
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
  fi

  if [ -s "$PGDATA/PG_VERSION" ]; then
    printf '\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n'
  else
    refuse_without_password
    ls /docker-entrypoint-initdb.d/ > /dev/null  # unreadable init scripts: fail before initdb, not half-way
    initialise "${@:2}"
  fi
fi

exec "$@"
