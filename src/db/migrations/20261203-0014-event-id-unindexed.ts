import type { Migration } from './migration';

/**
 * Nothing looks an event up by its id (consumers walk the log by position; dead letters name the
 * seq), so its unique index only cost every event one more index insert: about a tenth of a
 * level event's WAL. The id stays what consumers deduplicate by; a version 7 UUID (48 bits of
 * milliseconds, 74 random) does not repeat in practice.
 */
export const eventIdUnindexed: Migration = {
  id: '20261203-0014-event-id-unindexed',
  up: `ALTER TABLE oms.events DROP CONSTRAINT events_id_key;`,
  down: `ALTER TABLE oms.events ADD CONSTRAINT events_id_key UNIQUE (id);`,
};
