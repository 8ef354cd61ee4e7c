# Sourced by scripts/test and bench/run: `private_postgres NAME DATABASE` starts a private
# PostgreSQL server on a free loopback port for this run (installing Debian's `postgresql`
# package when missing, as root with apt-get), creates DATABASE and sets PRIVATE_POSTGRES_URL;
# the caller runs `stop_private_postgres` when it exits (in its own EXIT trap).
# Returns non-zero, with a message, when no PostgreSQL can be had.

private_postgres() {
    local name="$1" database="$2" bindir
    bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
    if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "$name: installing PostgreSQL from Debian's packages" >&2
            apt-get update -qq >/dev/null
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || {
                echo "$name: PostgreSQL is not installed and apt-get could not install it" >&2
                return 1
            }
            bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
        else
            echo "$name: PostgreSQL is not installed and cannot be installed here (needs root and apt-get)" >&2
            return 1
        fi
    fi
    PRIVATE_POSTGRES_BIN="$bindir"
    PRIVATE_POSTGRES_DIR="$(mktemp -d /tmp/dragoman-pg.XXXXXX)"
    [ "$(id -u)" = 0 ] && chown postgres "$PRIVATE_POSTGRES_DIR"
    local port
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 55432)"
    run_as_postgres "$bindir/initdb" -D "$PRIVATE_POSTGRES_DIR/data" -U dragoman --auth=trust -E UTF8 >"$PRIVATE_POSTGRES_DIR/initdb.log" 2>&1 || {
        cat "$PRIVATE_POSTGRES_DIR/initdb.log" >&2
        echo "$name: initdb failed" >&2
        return 1
    }
    run_as_postgres "$bindir/pg_ctl" -D "$PRIVATE_POSTGRES_DIR/data" -l "$PRIVATE_POSTGRES_DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $PRIVATE_POSTGRES_DIR -c max_connections=500" start >/dev/null || {
        cat "$PRIVATE_POSTGRES_DIR/server.log" >&2
        echo "$name: the private PostgreSQL server did not start" >&2
        return 1
    }
    run_as_postgres "$bindir/createdb" -h 127.0.0.1 -p "$port" -U dragoman "$database" || return 1
    PRIVATE_POSTGRES_URL="postgres://dragoman:dragoman@127.0.0.1:$port/$database?sslmode=disable"
    echo "$name: private PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
}

# initdb and postgres refuse to run as root: run them as the packages' postgres user.
run_as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

stop_private_postgres() {
    [ -n "${PRIVATE_POSTGRES_DIR:-}" ] || return 0
    run_as_postgres "$PRIVATE_POSTGRES_BIN/pg_ctl" -D "$PRIVATE_POSTGRES_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PRIVATE_POSTGRES_DIR"
    PRIVATE_POSTGRES_DIR=""
}
