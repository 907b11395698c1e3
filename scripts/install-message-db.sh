#!/usr/bin/env bash
# Install Message DB 1.3.1 (the official npm package's installer) into a PostgreSQL database.
#
#   scripts/install-message-db.sh [postgresql://user@host:port/dbname]
#
# Default URL: $CORTEX_TEST_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/cortex_test.
# Idempotent: does nothing when message_store_version() already answers. Creates the database
# when missing (CREATE_DATABASE=off is passed to Message DB's installer) and sets the
# message_store role's search_path to message_store,public in it.
# When PostgreSQL is unreachable it fails only if CORTEX_REQUIRE_SERVICES=1; otherwise it warns, and
# the integration tests skip with that reason.
set -euo pipefail

URL="${1:-${CORTEX_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/cortex_test}}"
VERSION="1.3.1"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="${CORTEX_VENDOR_DIR:-$ROOT/.cortex/vendor}"

give_up() {
  echo "install-message-db: $1" >&2
  if [ "${CORTEX_REQUIRE_SERVICES:-0}" = "1" ]; then exit 1; fi
  echo "install-message-db: continuing; integration tests will be skipped" >&2
  exit 0
}

eval "$(python3 - "$URL" <<'PY'
import shlex, sys
from urllib.parse import unquote, urlsplit
u = urlsplit(sys.argv[1])
if u.scheme not in ("postgresql", "postgres"):
    sys.exit(f"echo 'not a postgresql:// URL: {sys.argv[1]}' >&2; exit 2")
values = {
    "PGHOST": u.hostname or "127.0.0.1",
    "PGPORT": str(u.port or 5432),
    "PGUSER": unquote(u.username or "postgres"),
    "PGPASSWORD": unquote(u.password or ""),
    "DB": (u.path or "/cortex_test").lstrip("/") or "cortex_test",
}
for key, value in values.items():
    print(f"export {key}={shlex.quote(value)}")
PY
)"
[ -n "$PGPASSWORD" ] || unset PGPASSWORD

if ! psql -d postgres -tAc "SELECT 1" >/dev/null 2>&1; then
  if [ "$PGHOST" = "127.0.0.1" ] || [ "$PGHOST" = "localhost" ]; then
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
      echo "install-message-db: PostgreSQL is down; starting the local cluster" >&2
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start >&2 || true
      for _ in $(seq 1 30); do psql -d postgres -tAc "SELECT 1" >/dev/null 2>&1 && break; sleep 1; done
    fi
  fi
  psql -d postgres -tAc "SELECT 1" >/dev/null 2>&1 || give_up "PostgreSQL at $PGHOST:$PGPORT is unreachable"
fi

if [ "$(psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != "1" ]; then
  createdb "$DB" 2>/dev/null || [ "$(psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" = "1" ]
fi

if installed="$(psql -d "$DB" -tAc "SELECT message_store.message_store_version()" 2>/dev/null)"; then
  echo "install-message-db: Message DB $installed already installed in $DB"
  exit 0
fi

command -v npm >/dev/null 2>&1 || give_up "npm is needed to fetch @eventide/message-db@$VERSION"
PACKAGE="$VENDOR/message-db-$VERSION"
if [ ! -f "$PACKAGE/database/install.sh" ]; then
  mkdir -p "$VENDOR"
  TARBALL="$(cd "$VENDOR" && npm pack --silent "@eventide/message-db@$VERSION" | tail -1)"
  rm -rf "$PACKAGE" && mkdir -p "$PACKAGE"
  tar -xzf "$VENDOR/$TARBALL" -C "$PACKAGE" --strip-components=1
  rm -f "$VENDOR/$TARBALL"
fi

LOG="$(mktemp)"
if ! DATABASE_NAME="$DB" CREATE_DATABASE=off bash "$PACKAGE/database/install.sh" >"$LOG" 2>&1; then
  cat "$LOG" >&2
  give_up "Message DB's installer failed"
fi
rm -f "$LOG"
psql -q -d "$DB" -c "ALTER ROLE message_store IN DATABASE \"$DB\" SET search_path TO message_store, public"
echo "install-message-db: installed Message DB $(psql -d "$DB" -tAc "SELECT message_store.message_store_version()") into $DB"
