#!/bin/sh
# Creates Temporal's databases where missing and brings them to the schema
# of this temporal-sql-tool's version: safe to run at every start, and how a
# Temporal upgrade upgrades them. docker-compose.yml runs it in
# temporalio/admin-tools; the cluster test (test/chaos) runs it against its
# own PostgreSQL, so what is tested is what is deployed.
#
# The connection comes from temporal-sql-tool's variables: SQL_PLUGIN
# (postgres12), SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD. The database
# names are the Temporal server's: DBNAME (temporal) and VISIBILITY_DBNAME
# (temporal_visibility). The schemas are the ones embedded in the tool,
# schema/postgresql/v12 of go.temporal.io/server.
set -eu
for pair in "${DBNAME:-temporal}:postgresql/v12/temporal" "${VISIBILITY_DBNAME:-temporal_visibility}:postgresql/v12/visibility"; do
	db=${pair%%:*}
	schema=${pair#*:}
	temporal-sql-tool --db "$db" create
	temporal-sql-tool --db "$db" setup-schema -v 0.0
	temporal-sql-tool --db "$db" update-schema --schema-name "$schema"
done
echo "Temporal schemas are current"
