-- Distribute Cashmix's tables by terminal with Citus (docs/deploy.md, "Beyond one database").
--
-- Run once, with psql on the coordinator, after `kiosk-service db upgrade` has run migration
-- 0007 (every primary key, unique constraint and foreign key of these tables starts with the
-- terminal) and before the service processes start:
--     psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f docs/deploy/citus.sql
-- Checked only by tests/service/test_citus_keys.py: every table of the schema is here, and
-- the migrated schema follows Citus's key rule for what is distributed. It has not been run
-- on a Citus cluster.
--
-- Parents before children: Citus distributes a table whose foreign keys point at tables
-- already distributed (co-located) or reference tables. Tables holding rows are copied into
-- their shards; Citus then asks for truncate_local_data_after_distributing_table('<table>')
-- to free the coordinator's local copy. alembic_version stays a plain table on the
-- coordinator, where `kiosk-service db upgrade` connects. Each statement commits on its own:
-- after a failure (ON_ERROR_STOP stops there) undistribute_table('<table>') undoes one.

-- Small and global, read by any terminal's requests: a copy on every node.
SELECT create_reference_table('api_keys');
SELECT create_reference_table('auth_failures');

-- One terminal's rows on one worker: distributed by terminal id, all co-located with
-- terminals (the same VARCHAR(64) column type everywhere, as co-location needs).
SELECT create_distributed_table('terminals', 'id');
SELECT create_distributed_table('cassettes', 'terminal_id', colocate_with => 'terminals');
SELECT create_distributed_table('quotes', 'terminal_id', colocate_with => 'terminals');
SELECT create_distributed_table('quote_notes', 'terminal_id', colocate_with => 'terminals');
SELECT create_distributed_table('dispenses', 'terminal_id', colocate_with => 'terminals');
SELECT create_distributed_table('dispense_notes', 'terminal_id', colocate_with => 'terminals');
SELECT create_distributed_table('idempotency_keys', 'terminal_id', colocate_with => 'terminals');
SELECT create_distributed_table('used_authorizations', 'terminal_id',
                                colocate_with => 'terminals');
-- journal.id comes from the coordinator's sequence (journal_id_seq): every service connection
-- goes to the coordinator.
SELECT create_distributed_table('journal', 'terminal_id', colocate_with => 'terminals');
