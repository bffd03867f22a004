#!/usr/bin/env bash
# Starts a local PostgreSQL for the dual-write tests (Debian's postgresql, loopback only) and
# prints the URL to export as LAB_TEST_POSTGRES_URL. Installs the package when missing (root).
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
fi
version="$(ls /usr/lib/postgresql | sort -n | tail -1)"
if ! pg_lsclusters -h | grep -q "^$version main"; then pg_createcluster "$version" main >&2; fi
pg_ctlcluster "$version" main start >&2 2>/dev/null || true
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 0.5; done
su postgres -c "psql -qc \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lab') THEN CREATE ROLE lab LOGIN SUPERUSER PASSWORD 'lab'; END IF; END \\\$\\\$\"" >&2
su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname = 'lab'\"" | grep -q 1 || su postgres -c "createdb -O lab lab" >&2
echo "postgres://lab:lab@127.0.0.1:5432/lab"
