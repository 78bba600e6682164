import { isoWeek } from './isoWeek.js';
import type { Db, Row, SqlValue, Statement } from './db.js';
import type { CardLogEntry, FeedbackEntry, ReplayVerdict, ReportRows, Store } from './store.js';

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));
const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

/** Rows per multi-row INSERT: well below both drivers' parameter limits (SQLite 32766, PostgreSQL 65535). */
const ROWS_PER_INSERT = 200;

function multiRowInserts(head: string, rows: readonly SqlValue[][], tail: string): Statement[] {
  const statements: Statement[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_INSERT);
    const tuple = `(${chunk[0]?.map(() => '?').join(', ')})`;
    statements.push({ sql: `${head} ${chunk.map(() => tuple).join(', ')} ${tail}`, params: chunk.flat() });
  }
  return statements;
}

/** Per card: whether any answer accepted it, and whether any overrode it (a card counts once). */
const ANSWERS = `SELECT card_uuid,
    MAX(CASE WHEN outcome = 'accepted' THEN 1 ELSE 0 END) AS accepted,
    MAX(CASE WHEN outcome = 'overridden' THEN 1 ELSE 0 END) AS overridden
  FROM feedback GROUP BY card_uuid`;

/** The Store over either SQL driver: the same statements for SQLite and PostgreSQL. */
export class SqlStore implements Store {
  /** `db` is public for tests and tools (e.g. a scan of every table). */
  constructor(readonly db: Db) {}

  get kind(): Store['kind'] {
    return this.db.dialect;
  }

  async appendCards(entries: readonly CardLogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    // Multi-row INSERTs: one statement per chunk, not per card (a round trip each on PostgreSQL).
    const cardRows = entries.map((e): SqlValue[] => [e.cardUuid, e.serviceId, e.kind, e.indicator, e.language, e.issuedAt, isoWeek(e.issuedAt), e.patientKey, e.findingKey, e.orderKey]);
    const suggestionRows = entries.flatMap((e) => e.suggestions.map((s): SqlValue[] => [s.uuid, e.cardUuid, s.name]));
    await this.db.batch([
      ...multiRowInserts(
        'INSERT INTO card_log (card_uuid, service_id, kind, indicator, language, issued_at, issued_week, patient_key, finding_key, order_key) VALUES',
        cardRows,
        'ON CONFLICT (card_uuid) DO NOTHING',
      ),
      ...multiRowInserts('INSERT INTO card_suggestion (suggestion_uuid, card_uuid, name) VALUES', suggestionRows, 'ON CONFLICT (suggestion_uuid) DO NOTHING'),
    ]);
  }

  async recordFeedback(items: readonly FeedbackEntry[]): Promise<boolean[]> {
    if (items.length === 0) return [];
    const statements: Statement[] = [];
    const firstOfItem: number[] = [];
    for (const f of items) {
      firstOfItem.push(statements.length);
      statements.push({
        sql: `INSERT INTO feedback (feedback_key, card_uuid, service_id, outcome, reason_system, reason_code, has_user_comment, outcome_timestamp, received_at)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (feedback_key) DO NOTHING`,
        params: [f.feedbackKey, f.cardUuid, f.serviceId, f.outcome, f.reason?.system ?? null, f.reason?.code ?? null, f.hasUserComment ? 1 : 0, f.outcomeTimestamp, f.receivedAt],
      });
      for (const s of f.acceptedSuggestions) {
        statements.push({
          sql: 'INSERT INTO feedback_suggestion (feedback_key, suggestion_uuid) VALUES (?, ?) ON CONFLICT (feedback_key, suggestion_uuid) DO NOTHING',
          params: [f.feedbackKey, s],
        });
      }
    }
    const changes = await this.db.batch(statements, { durable: true });
    // A key repeated inside one batch: the first is new, the rest are not (changes = 0 for them).
    return firstOfItem.map((i) => (changes[i] ?? 0) > 0);
  }

  async checkAndStoreJti(key: string, expiresAt: number, now: number): Promise<ReplayVerdict> {
    // Inserted, or an expired entry taken over → a row comes back; a live entry → no row (a replay).
    // Whole seconds: the verifier's clock has fractions, and the column is an integer.
    const rows = await this.db.all(
      `INSERT INTO jwt_replay (jti_key, expires_at) VALUES (?, ?)
       ON CONFLICT (jti_key) DO UPDATE SET expires_at = excluded.expires_at WHERE jwt_replay.expires_at <= ?
       RETURNING jti_key`,
      [key, Math.ceil(expiresAt), Math.floor(now)],
    );
    return rows.length > 0 ? 'new' : 'seen';
  }

  async pruneJtis(now: number): Promise<number> {
    const [changes] = await this.db.batch([{ sql: 'DELETE FROM jwt_replay WHERE expires_at <= ?', params: [Math.floor(now)] }]);
    return changes ?? 0;
  }

  async reportRows(): Promise<ReportRows> {
    const weeks = await this.db.all(
      `SELECT c.kind, c.language, c.issued_week AS week, COUNT(*) AS issued,
         SUM(CASE WHEN a.accepted = 1 THEN 1 ELSE 0 END) AS accepted,
         SUM(CASE WHEN a.accepted = 0 AND a.overridden = 1 THEN 1 ELSE 0 END) AS overridden,
         SUM(CASE WHEN a.card_uuid IS NULL THEN 1 ELSE 0 END) AS no_answer
       FROM card_log c LEFT JOIN (${ANSWERS}) a ON a.card_uuid = c.card_uuid
       GROUP BY c.kind, c.language, c.issued_week
       ORDER BY c.kind, c.language, c.issued_week`,
    );
    const suggestions = await this.db.all(
      `SELECT c.kind, c.language, COALESCE(s.name, '(unknown suggestion)') AS suggestion, COUNT(DISTINCT c.card_uuid) AS cards
       FROM feedback_suggestion fs
         JOIN feedback f ON f.feedback_key = fs.feedback_key
         JOIN card_log c ON c.card_uuid = f.card_uuid
         LEFT JOIN card_suggestion s ON s.suggestion_uuid = fs.suggestion_uuid
       WHERE f.outcome = 'accepted'
       GROUP BY c.kind, c.language, COALESCE(s.name, '(unknown suggestion)')`,
    );
    const reasons = await this.db.all(
      `SELECT c.kind, c.language, COALESCE(f.reason_system, '') AS reason_system, COALESCE(f.reason_code, '') AS reason_code,
         COUNT(DISTINCT c.card_uuid) AS cards
       FROM feedback f JOIN card_log c ON c.card_uuid = f.card_uuid
       WHERE f.outcome = 'overridden'
         AND NOT EXISTS (SELECT 1 FROM feedback f2 WHERE f2.card_uuid = f.card_uuid AND f2.outcome = 'accepted')
       GROUP BY c.kind, c.language, COALESCE(f.reason_system, ''), COALESCE(f.reason_code, '')`,
    );
    const unmatched = await this.db.all(
      `SELECT COUNT(DISTINCT f.card_uuid) AS n FROM feedback f
       WHERE NOT EXISTS (SELECT 1 FROM card_log c WHERE c.card_uuid = f.card_uuid)`,
    );
    return {
      weeks: weeks.map((r: Row) => ({
        kind: text(r.kind),
        language: text(r.language),
        week: text(r.week),
        issued: num(r.issued),
        accepted: num(r.accepted),
        overridden: num(r.overridden),
        noAnswer: num(r.no_answer),
      })),
      suggestions: suggestions.map((r) => ({ kind: text(r.kind), language: text(r.language), name: text(r.suggestion), cards: num(r.cards) })),
      reasons: reasons.map((r) => ({ kind: text(r.kind), language: text(r.language), system: text(r.reason_system), code: text(r.reason_code), cards: num(r.cards) })),
      unmatchedCards: num(unmatched[0]?.n),
    };
  }

  async ping(): Promise<void> {
    await this.db.all('SELECT 1 AS ok');
  }

  async schemaVersion(): Promise<number> {
    const rows = await this.db.all('SELECT MAX(version) AS v FROM schema_migrations');
    return num(rows[0]?.v);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
