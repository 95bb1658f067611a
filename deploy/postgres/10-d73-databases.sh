#!/bin/sh
# First start of PostgreSQL (docker-entrypoint-initdb.d): one database per D73 service, owned by
# a login role of the same name that only it may use, so no service can read another's store.
#   d73_registration, d73_approval, d73_reporting  (prefix = D73_DB_PREFIX, default d73_)
# Passwords come from PG_REGISTRATION_PASSWORD, PG_APPROVAL_PASSWORD, PG_REPORTING_PASSWORD, or
# from the file each PG_<SERVICE>_PASSWORD_FILE names (the generated secrets of docker-compose.yml);
# all are checked before anything is created. Works executed or sourced by the image's
# entrypoint; psql reaches the server through the PG* variables or the local socket.
set -e

d73_services="registration approval reporting"

# The password of one service's role: $PG_<SERVICE>_PASSWORD, else the file named by
# $PG_<SERVICE>_PASSWORD_FILE; both set is refused, as the image does for POSTGRES_PASSWORD.
d73_password_of() {
    d73_variable="PG_$(printf '%s' "$1" | tr '[:lower:]' '[:upper:]')_PASSWORD"
    eval "d73_value=\${$d73_variable:-}"
    eval "d73_file=\${${d73_variable}_FILE:-}"
    if [ -n "$d73_value" ] && [ -n "$d73_file" ]; then
        echo "10-d73-databases.sh: both $d73_variable and ${d73_variable}_FILE are set" >&2
        return 1
    fi
    if [ -n "$d73_file" ]; then
        if [ ! -r "$d73_file" ]; then
            echo "10-d73-databases.sh: cannot read ${d73_variable}_FILE=$d73_file" >&2
            return 1
        fi
        d73_value="$(cat "$d73_file")"
    fi
    if [ -z "$d73_value" ]; then
        echo "10-d73-databases.sh: $d73_variable is not set; nothing created" >&2
        return 1
    fi
    d73_password="$d73_value"
}

for d73_service in $d73_services; do
    d73_password_of "$d73_service" || exit 1
done

for d73_service in $d73_services; do
    d73_password_of "$d73_service"
    d73_name="${D73_DB_PREFIX:-d73_}$d73_service"
    psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
        -v name="$d73_name" -v password="$d73_password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
    echo "10-d73-databases.sh: created database and role $d73_name"
done
unset d73_services d73_service d73_variable d73_password d73_name d73_value d73_file
unset -f d73_password_of
