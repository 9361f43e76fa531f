#!/bin/sh
# Runs once, when the postgres container creates its data directory (docker-entrypoint-initdb.d):
# lets the optional postgres-replica service stream WAL as the oms user (docker-compose.yml).
set -e
echo "host replication ${POSTGRES_USER:-oms} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
