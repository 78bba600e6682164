/**
 * Versioned schema. Each migration runs once, in order, in one transaction, and is recorded in
 * `schema_migrations`; PostgreSQL takes an advisory lock so instances starting together migrate once.
 * Append new versions; never edit an applied one.
 */
import type { StoreKind } from './store.js';

export interface Migration {
  version: number;
  name: string;
  statements: (dialect: StoreKind) => string[];
}

/** BIGINT holds epoch milliseconds in both dialects (SQLite's INTEGER is 64-bit). */
const big = (d: StoreKind): string => (d === 'postgres' ? 'BIGINT' : 'INTEGER');

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'card log, feedback, JWT replay cache',
    statements: (d) => [
      `CREATE TABLE card_log (
        card_uuid TEXT PRIMARY KEY,
        service_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        indicator TEXT NOT NULL,
        language TEXT NOT NULL,
        issued_at ${big(d)} NOT NULL,
        issued_week TEXT NOT NULL,
        patient_key TEXT NOT NULL,
        finding_key TEXT NOT NULL,
        order_key TEXT
      )`,
      'CREATE INDEX card_log_patient ON card_log (patient_key, issued_at)',
      'CREATE INDEX card_log_kind_week ON card_log (kind, language, issued_week)',
      `CREATE TABLE card_suggestion (
        suggestion_uuid TEXT PRIMARY KEY,
        card_uuid TEXT NOT NULL,
        name TEXT NOT NULL
      )`,
      `CREATE TABLE feedback (
        feedback_key TEXT PRIMARY KEY,
        card_uuid TEXT NOT NULL,
        service_id TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reason_system TEXT,
        reason_code TEXT,
        has_user_comment INTEGER NOT NULL,
        outcome_timestamp TEXT NOT NULL,
        received_at ${big(d)} NOT NULL
      )`,
      'CREATE INDEX feedback_card ON feedback (card_uuid)',
      `CREATE TABLE feedback_suggestion (
        feedback_key TEXT NOT NULL,
        suggestion_uuid TEXT NOT NULL,
        PRIMARY KEY (feedback_key, suggestion_uuid)
      )`,
      `CREATE TABLE jwt_replay (
        jti_key TEXT PRIMARY KEY,
        expires_at ${big(d)} NOT NULL
      )`,
      'CREATE INDEX jwt_replay_expires ON jwt_replay (expires_at)',
    ],
  },
  {
    version: 2,
    name: 'quiet by design: suppression state, suppressed cards in the card log',
    statements: (d) => [
      // One row per pseudonymous (patient, finding): a card finding key, or an answered flagged result's key.
      // quiet_until NULL = until the finding changes (no expiry). docs/clinical-rules.md §6.
      `CREATE TABLE quiet_state (
        patient_key TEXT NOT NULL,
        entry_key TEXT NOT NULL,
        kind TEXT NOT NULL,
        reason TEXT NOT NULL,
        quiet_until ${big(d)},
        set_at ${big(d)} NOT NULL,
        PRIMARY KEY (patient_key, entry_key)
      )`,
      'CREATE INDEX quiet_state_until ON quiet_state (quiet_until)',
      // A card the service made but did not send (quieted): counted in the report, never answered.
      'ALTER TABLE card_log ADD COLUMN suppressed INTEGER NOT NULL DEFAULT 0',
      // How an answer to the card quiets it, and the keyed hashes of its items (flagged results).
      'ALTER TABLE card_log ADD COLUMN quiet_policy TEXT',
      'ALTER TABLE card_log ADD COLUMN item_keys TEXT',
    ],
  },
  {
    version: 3,
    name: 'retention: the oldest cards and feedback found without a scan',
    statements: () => [
      'CREATE INDEX card_log_issued ON card_log (issued_at)',
      'CREATE INDEX card_suggestion_card ON card_suggestion (card_uuid)',
      'CREATE INDEX feedback_received ON feedback (received_at)',
    ],
  },
  {
    version: 4,
    name: 'quiet by design: feedback acts only on cards issued to the same caller (issuer and tenant)',
    statements: () => [
      // Keyed hashes of the verified issuer and tenant (NULL: caller verification off, or a row from before).
      'ALTER TABLE card_log ADD COLUMN caller_key TEXT',
      'ALTER TABLE feedback ADD COLUMN caller_key TEXT',
    ],
  },
  {
    version: 5,
    name: 'the pseudonym secret every instance must share, as a keyed hash',
    statements: () => [
      // One row per setting the instances on one store must agree on (src/store/secretCheck.ts).
      'CREATE TABLE store_setting (name TEXT PRIMARY KEY, value TEXT NOT NULL)',
    ],
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
