import { isoWeek } from './isoWeek.js';
import type { Db, JobLock, Row, SqlValue, Statement } from './db.js';
import type { CardLogEntry, FeedbackEntry, LoggedCard, QuietEntry, QuietPolicy, ReplayVerdict, ReportRows, StoredAnswer, Store } from './store.js';

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

const POLICIES: readonly string[] = ['patient', 'nonpharm', 'nonpharm-repeat', 'order-select'] satisfies QuietPolicy[];
const policyOf = (v: unknown): QuietPolicy | null => (typeof v === 'string' && POLICIES.includes(v) ? (v as QuietPolicy) : null);
const nullableNum = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));
/** `?, ?, ?` for an IN list. */
const marks = (n: number): string => Array.from({ length: n }, () => '?').join(', ');
/** Uuids per IN list (well below both drivers' parameter limits). */
const UUIDS_PER_SELECT = 500;

/** An accepted answer (feedback row `f`) that names at least one suggestion its card had. */
const acceptsKnown = (f: string): string => `${f}.outcome = 'accepted' AND EXISTS (SELECT 1 FROM feedback_suggestion fs
    JOIN card_suggestion s ON s.suggestion_uuid = fs.suggestion_uuid AND s.card_uuid = ${f}.card_uuid
    WHERE fs.feedback_key = ${f}.feedback_key)`;

/**
 * Per card: whether any answer accepted one of its suggestions, whether any accepted only ids it never had,
 * and whether any overrode it (a card counts once). An acceptance of an unknown id (a wrong uuid, another
 * card's suggestion) says nothing of what the clinician did with this card's advice: counting it as accepted
 * would raise the acceptance rate the owners steer by, so it is counted apart. Read at report time, when a
 * card and its suggestions are written together: feedback for a card not yet written is unmatched instead.
 */
// Feedback answers a card only when it came to the feedback endpoint of the service that issued the card
// (https://cds-hooks.hl7.org/2.0/#feedback: {baseUrl}/cds-services/{id}/feedback); any other is unmatched.
const ANSWERS = `SELECT f.card_uuid, f.service_id,
    MAX(CASE WHEN ${acceptsKnown('f')} THEN 1 ELSE 0 END) AS accepted,
    MAX(CASE WHEN f.outcome = 'accepted' THEN 1 ELSE 0 END) AS accepted_any,
    MAX(CASE WHEN f.outcome = 'overridden' THEN 1 ELSE 0 END) AS overridden
  FROM feedback f GROUP BY f.card_uuid, f.service_id`;

/**
 * The report's reads, in the order reportRows() takes them apart: cards per kind, language and week with
 * their answers; accepted suggestions (the card's own); override reasons of cards none of whose suggestions
 * was accepted; quieted cards; feedback for cards not in the card log (or sent to another service's endpoint).
 */
const REPORT_STATEMENTS: readonly Statement[] = [
  `SELECT c.kind, c.language, c.issued_week AS week, COUNT(*) AS issued,
     SUM(CASE WHEN a.accepted = 1 THEN 1 ELSE 0 END) AS accepted,
     SUM(CASE WHEN a.accepted = 0 AND a.overridden = 1 THEN 1 ELSE 0 END) AS overridden,
     SUM(CASE WHEN a.accepted = 0 AND a.overridden = 0 AND a.accepted_any = 1 THEN 1 ELSE 0 END) AS accepted_unknown,
     SUM(CASE WHEN a.card_uuid IS NULL THEN 1 ELSE 0 END) AS no_answer
   FROM card_log c LEFT JOIN (${ANSWERS}) a ON a.card_uuid = c.card_uuid AND a.service_id = c.service_id
   WHERE c.suppressed = 0
   GROUP BY c.kind, c.language, c.issued_week
   ORDER BY c.kind, c.language, c.issued_week`,
  `SELECT c.kind, c.language, s.name AS suggestion, COUNT(DISTINCT c.card_uuid) AS cards
   FROM feedback_suggestion fs
     JOIN feedback f ON f.feedback_key = fs.feedback_key
     JOIN card_log c ON c.card_uuid = f.card_uuid AND c.service_id = f.service_id
     JOIN card_suggestion s ON s.suggestion_uuid = fs.suggestion_uuid AND s.card_uuid = c.card_uuid
   WHERE f.outcome = 'accepted'
   GROUP BY c.kind, c.language, s.name`,
  `SELECT c.kind, c.language, COALESCE(f.reason_system, '') AS reason_system, COALESCE(f.reason_code, '') AS reason_code,
     COUNT(DISTINCT c.card_uuid) AS cards
   FROM feedback f JOIN card_log c ON c.card_uuid = f.card_uuid AND c.service_id = f.service_id
   WHERE f.outcome = 'overridden'
     AND NOT EXISTS (SELECT 1 FROM feedback f2 WHERE f2.card_uuid = f.card_uuid AND f2.service_id = f.service_id AND ${acceptsKnown('f2')})
   GROUP BY c.kind, c.language, COALESCE(f.reason_system, ''), COALESCE(f.reason_code, '')`,
  `SELECT kind, language, issued_week AS week, COUNT(*) AS cards FROM card_log WHERE suppressed = 1
   GROUP BY kind, language, issued_week ORDER BY kind, language, issued_week`,
  `SELECT COUNT(DISTINCT f.card_uuid) AS n FROM feedback f
   WHERE NOT EXISTS (SELECT 1 FROM card_log c WHERE c.card_uuid = f.card_uuid AND c.service_id = f.service_id)`,
].map((sql) => ({ sql, params: [] }));

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
    const cardRows = entries.map((e): SqlValue[] => [
      e.cardUuid, e.serviceId, e.kind, e.indicator, e.language, e.issuedAt, isoWeek(e.issuedAt), e.patientKey, e.findingKey, e.orderKey,
      e.suppressed ? 1 : 0, e.quietPolicy ?? null, e.itemKeys && e.itemKeys.length > 0 ? e.itemKeys.join(' ') : null, e.callerKey ?? null,
    ]);
    // A suppressed card was never sent: its suggestions cannot be answered.
    const suggestionRows = entries.flatMap((e) => (e.suppressed ? [] : e.suggestions.map((s): SqlValue[] => [s.uuid, e.cardUuid, s.name])));
    await this.db.batch([
      ...multiRowInserts(
        'INSERT INTO card_log (card_uuid, service_id, kind, indicator, language, issued_at, issued_week, patient_key, finding_key, order_key, suppressed, quiet_policy, item_keys, caller_key) VALUES',
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
        sql: `INSERT INTO feedback (feedback_key, card_uuid, service_id, outcome, reason_system, reason_code, has_user_comment, outcome_timestamp, received_at, caller_key)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (feedback_key) DO NOTHING`,
        params: [f.feedbackKey, f.cardUuid, f.serviceId, f.outcome, f.reason?.system ?? null, f.reason?.code ?? null, f.hasUserComment ? 1 : 0, f.outcomeTimestamp, f.receivedAt, f.callerKey],
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

  async checkAndStoreJtis(items: ReadonlyArray<{ key: string; expiresAt: number }>, now: number): Promise<ReplayVerdict[]> {
    // Inserted, or an expired entry taken over → its row comes back; a live entry → no row (a replay).
    // Each key once per statement (PostgreSQL refuses an upsert touching a row twice): a repeat is 'seen'.
    // Whole seconds: the verifier's clock has fractions, and the column is an integer.
    const first = new Map<string, number>();
    items.forEach((item, i) => {
      if (!first.has(item.key)) first.set(item.key, i);
    });
    const rows = [...first].map(([key, i]): SqlValue[] => [key, Math.ceil(items[i]?.expiresAt ?? 0)]);
    const taken = new Set<string>();
    const statements = multiRowInserts(
      'INSERT INTO jwt_replay (jti_key, expires_at) VALUES',
      rows,
      'ON CONFLICT (jti_key) DO UPDATE SET expires_at = excluded.expires_at WHERE jwt_replay.expires_at <= ? RETURNING jti_key',
    );
    for (const st of statements) {
      for (const r of await this.db.all(st.sql, [...st.params, Math.floor(now)])) taken.add(text(r.jti_key));
    }
    return items.map((item, i) => (first.get(item.key) === i && taken.has(item.key) ? 'new' : 'seen'));
  }

  async pruneJtis(now: number): Promise<number> {
    const [changes] = await this.db.batch([{ sql: 'DELETE FROM jwt_replay WHERE expires_at <= ?', params: [Math.floor(now)] }]);
    return changes ?? 0;
  }

  /** The report's reads in flight: a second request while they run shares them rather than start another. */
  private reportRead: Promise<Row[][]> | null = null;

  async reportRows(): Promise<ReportRows> {
    this.reportRead ??= this.db.readSnapshot(REPORT_STATEMENTS).finally(() => {
      this.reportRead = null;
    });
    const [weeks = [], suggestions = [], reasons = [], suppressed = [], unmatched = []] = await this.reportRead;
    return {
      weeks: weeks.map((r: Row) => ({
        kind: text(r.kind),
        language: text(r.language),
        week: text(r.week),
        issued: num(r.issued),
        accepted: num(r.accepted),
        overridden: num(r.overridden),
        acceptedUnknown: num(r.accepted_unknown),
        noAnswer: num(r.no_answer),
      })),
      suggestions: suggestions.map((r) => ({ kind: text(r.kind), language: text(r.language), name: text(r.suggestion), cards: num(r.cards) })),
      reasons: reasons.map((r) => ({ kind: text(r.kind), language: text(r.language), system: text(r.reason_system), code: text(r.reason_code), cards: num(r.cards) })),
      unmatchedCards: num(unmatched[0]?.n),
      suppressed: suppressed.map((r) => ({ kind: text(r.kind), language: text(r.language), week: text(r.week), cards: num(r.cards) })),
    };
  }

  // --- Quiet by design (issue 11; docs/clinical-rules.md §6) ---

  async quietEntries(patientKey: string, now: number): Promise<QuietEntry[]> {
    // Primary-key prefix lookup: one indexed statement, a handful of rows per patient.
    const rows = await this.db.all(
      'SELECT entry_key, kind, reason, quiet_until, set_at FROM quiet_state WHERE patient_key = ? AND (quiet_until IS NULL OR quiet_until > ?)',
      [patientKey, now],
    );
    return rows.map((r) => ({ patientKey, entryKey: text(r.entry_key), kind: text(r.kind), reason: text(r.reason), quietUntil: nullableNum(r.quiet_until), setAt: num(r.set_at) }));
  }

  async putQuiet(entries: readonly QuietEntry[]): Promise<void> {
    if (entries.length === 0) return;
    // One row per key (PostgreSQL refuses a multi-row upsert touching a row twice): the latest answer wins.
    const latest = new Map<string, QuietEntry>();
    for (const e of entries) {
      const id = `${e.patientKey} ${e.entryKey}`;
      const had = latest.get(id);
      if (!had || e.setAt >= had.setAt) latest.set(id, e);
    }
    const rows = [...latest.values()].map((e): SqlValue[] => [e.patientKey, e.entryKey, e.kind, e.reason, e.quietUntil, e.setAt]);
    await this.db.batch(
      multiRowInserts(
        'INSERT INTO quiet_state (patient_key, entry_key, kind, reason, quiet_until, set_at) VALUES',
        rows,
        `ON CONFLICT (patient_key, entry_key) DO UPDATE SET kind = excluded.kind, reason = excluded.reason,
           quiet_until = excluded.quiet_until, set_at = excluded.set_at
         WHERE excluded.set_at >= quiet_state.set_at`,
      ),
    );
  }

  async loggedCards(cardUuids: readonly string[]): Promise<LoggedCard[]> {
    const out: LoggedCard[] = [];
    for (let i = 0; i < cardUuids.length; i += UUIDS_PER_SELECT) {
      const chunk = cardUuids.slice(i, i + UUIDS_PER_SELECT);
      const rows = await this.db.all(
        `SELECT card_uuid, service_id, kind, patient_key, finding_key, quiet_policy, item_keys, caller_key FROM card_log
         WHERE suppressed = 0 AND card_uuid IN (${marks(chunk.length)})`,
        chunk,
      );
      for (const r of rows) {
        out.push({
          cardUuid: text(r.card_uuid),
          serviceId: text(r.service_id),
          kind: text(r.kind),
          patientKey: text(r.patient_key),
          findingKey: text(r.finding_key),
          quietPolicy: policyOf(r.quiet_policy),
          itemKeys: text(r.item_keys).split(' ').filter((k) => k !== ''),
          callerKey: typeof r.caller_key === 'string' ? r.caller_key : null,
        });
      }
    }
    return out;
  }

  async answersFor(cardUuids: readonly string[]): Promise<StoredAnswer[]> {
    const out: StoredAnswer[] = [];
    for (let i = 0; i < cardUuids.length; i += UUIDS_PER_SELECT) {
      const chunk = cardUuids.slice(i, i + UUIDS_PER_SELECT);
      const rows = await this.db.all(
        `SELECT card_uuid, service_id, outcome, reason_system, reason_code, outcome_timestamp, received_at, caller_key FROM feedback
         WHERE card_uuid IN (${marks(chunk.length)}) ORDER BY received_at, feedback_key`,
        chunk,
      );
      for (const r of rows) {
        out.push({
          cardUuid: text(r.card_uuid),
          serviceId: text(r.service_id),
          outcome: r.outcome === 'accepted' ? 'accepted' : 'overridden',
          reason: typeof r.reason_code === 'string' ? { system: typeof r.reason_system === 'string' ? r.reason_system : null, code: r.reason_code } : null,
          outcomeTimestamp: text(r.outcome_timestamp),
          receivedAt: num(r.received_at),
          callerKey: typeof r.caller_key === 'string' ? r.caller_key : null,
        });
      }
    }
    return out.sort((a, b) => a.receivedAt - b.receivedAt);
  }

  async clearQuiet(): Promise<number> {
    const [changes] = await this.db.batch([{ sql: 'DELETE FROM quiet_state', params: [] }]);
    return changes ?? 0;
  }

  async pruneQuiet(now: number): Promise<number> {
    const [changes] = await this.db.batch([{ sql: 'DELETE FROM quiet_state WHERE quiet_until IS NOT NULL AND quiet_until <= ?', params: [now] }]);
    return changes ?? 0;
  }

  async pruneBefore(cutoff: number, limit: number): Promise<number> {
    const n = Math.max(1, Math.min(limit, UUIDS_PER_SELECT));
    const cards = (await this.db.all('SELECT card_uuid FROM card_log WHERE issued_at < ? ORDER BY issued_at LIMIT ?', [cutoff, n])).map((r) => text(r.card_uuid));
    const keys = new Set((await this.db.all('SELECT feedback_key FROM feedback WHERE received_at < ? ORDER BY received_at LIMIT ?', [cutoff, n])).map((r) => text(r.feedback_key)));
    if (cards.length > 0) {
      for (const r of await this.db.all(`SELECT feedback_key FROM feedback WHERE card_uuid IN (${marks(cards.length)})`, cards)) keys.add(text(r.feedback_key));
    }
    const feedbackKeys = [...keys];
    if (cards.length === 0 && feedbackKeys.length === 0) return 0;
    const inList = (column: string, values: string[]) => ({ sql: `${column} IN (${marks(values.length)})`, params: values });
    const statements = [];
    for (let i = 0; i < feedbackKeys.length; i += UUIDS_PER_SELECT) {
      const chunk = inList('feedback_key', feedbackKeys.slice(i, i + UUIDS_PER_SELECT));
      statements.push({ sql: `DELETE FROM feedback_suggestion WHERE ${chunk.sql}`, params: chunk.params }, { sql: `DELETE FROM feedback WHERE ${chunk.sql}`, params: chunk.params });
    }
    if (cards.length > 0) {
      const chunk = inList('card_uuid', cards);
      statements.push({ sql: `DELETE FROM card_suggestion WHERE ${chunk.sql}`, params: chunk.params }, { sql: `DELETE FROM card_log WHERE ${chunk.sql}`, params: chunk.params });
    }
    await this.db.batch(statements);
    return cards.length + feedbackKeys.length;
  }

  runAlone(lock: JobLock, job: () => Promise<void>): Promise<boolean> {
    return this.db.runAlone(lock, job);
  }

  async claimSetting(name: string, value: string | null): Promise<string | null> {
    if (value === null) {
      await this.db.batch([{ sql: 'DELETE FROM store_setting WHERE name = ?', params: [name] }]);
      return null;
    }
    await this.db.batch([{ sql: 'INSERT INTO store_setting (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING', params: [name, value] }]);
    const rows = await this.db.all('SELECT value FROM store_setting WHERE name = ?', [name]);
    return rows.length > 0 ? text(rows[0]?.value) : null;
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
