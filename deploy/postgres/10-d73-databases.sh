#!/bin/sh
# First start of PostgreSQL (docker-entrypoint-initdb.d): one database per D73 service, owned by
# a login role of the same name that only it may use, so no service can read another's store.
#   d73_registration, d73_approval, d73_reporting  (prefix = D73_DB_PREFIX, default d73_)
# Passwords come from PG_REGISTRATION_PASSWORD, PG_APPROVAL_PASSWORD, PG_REPORTING_PASSWORD;
# all are checked before anything is created. Works executed or sourced by the image's
# entrypoint; psql reaches the server through the PG* variables or the local socket.
set -e

d73_services="registration approval reporting"

for d73_service in $d73_services; do
    d73_variable="PG_$(printf '%s' "$d73_service" | tr '[:lower:]' '[:upper:]')_PASSWORD"
    eval "d73_password=\${$d73_variable:-}"
    if [ -z "$d73_password" ]; then
        echo "10-d73-databases.sh: $d73_variable is not set; nothing created" >&2
        exit 1
    fi
done

for d73_service in $d73_services; do
    d73_variable="PG_$(printf '%s' "$d73_service" | tr '[:lower:]' '[:upper:]')_PASSWORD"
    eval "d73_password=\${$d73_variable}"
    d73_name="${D73_DB_PREFIX:-d73_}$d73_service"
    psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
        -v name="$d73_name" -v password="$d73_password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
    echo "10-d73-databases.sh: created database and role $d73_name"
done
unset d73_services d73_service d73_variable d73_password d73_name
