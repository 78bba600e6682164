/**
 * Prometheus metrics (prom-client), one registry per app so tests can build several. No label holds
 * patient data: labels are route names, known service ids, status codes, card kinds, prefetch keys.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the data stage reports per FHIR read (prefetch key, duration, success). */
export interface FhirReadRecorder {
  fhirRead(key: string, seconds: number, ok: boolean): void;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class Metrics implements FhirReadRecorder {
  readonly registry = new Registry();
  readonly requests: Counter<'route' | 'service' | 'status'>;
  readonly requestSeconds: Histogram<'route' | 'service' | 'status'>;
  readonly fhirReads: Counter<'key' | 'outcome'>;
  readonly fhirReadSeconds: Histogram<'key'>;
  readonly cards: Counter<'kind' | 'indicator'>;
  /** Quiet by design (docs/clinical-rules.md §6): cards made but not sent, by kind. */
  readonly cardsQuieted: Counter<'kind'>;
  readonly feedback: Counter<'outcome' | 'result'>;
  readonly storeErrors: Counter<'operation'>;
  readonly storeUp: Gauge;
  readonly cardLogPending: Gauge;
  readonly cardLogDropped: Counter;
  readonly logLinesDropped: Counter;
  /** Calls refused by caller verification, by the check that failed (a fixed set of names). */
  readonly callerRefusals: Counter<'check'>;

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'cds_http_requests_total', help: 'HTTP requests by route, service id and status', labelNames: ['route', 'service', 'status'], registers });
    this.requestSeconds = new Histogram({
      name: 'cds_http_request_duration_seconds',
      help: 'HTTP request latency by route, service id and status',
      labelNames: ['route', 'service', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.fhirReads = new Counter({ name: 'cds_fhir_reads_total', help: 'FHIR server reads by prefetch key and outcome (ok, failed)', labelNames: ['key', 'outcome'], registers });
    this.fhirReadSeconds = new Histogram({ name: 'cds_fhir_read_duration_seconds', help: 'FHIR server read latency by prefetch key', labelNames: ['key'], buckets: LATENCY_BUCKETS, registers });
    this.cards = new Counter({ name: 'cds_cards_issued_total', help: 'Cards issued by kind and indicator', labelNames: ['kind', 'indicator'], registers });
    this.cardsQuieted = new Counter({ name: 'cds_cards_quieted_total', help: 'Cards not sent because a clinician already answered them (quiet by design)', labelNames: ['kind'], registers });
    this.feedback = new Counter({
      name: 'cds_feedback_items_total',
      help: 'Feedback items by outcome (accepted, overridden) and result (stored, duplicate, failed)',
      labelNames: ['outcome', 'result'],
      registers,
    });
    this.storeErrors = new Counter({ name: 'cds_store_errors_total', help: 'Store operations that failed, by operation', labelNames: ['operation'], registers });
    this.storeUp = new Gauge({ name: 'cds_store_up', help: '1 when the last store operation succeeded, 0 after a failure', registers });
    this.storeUp.set(1);
    this.cardLogPending = new Gauge({ name: 'cds_card_log_pending', help: 'Issued cards waiting to be written to the card log', registers });
    this.cardLogDropped = new Counter({ name: 'cds_card_log_dropped_total', help: 'Card log entries dropped because the store was down and the buffer was full', registers });
    this.callerRefusals = new Counter({ name: 'cds_caller_refusals_total', help: 'Calls refused by caller (JWT) verification, by the check that failed', labelNames: ['check'], registers });
    this.logLinesDropped = new Counter({ name: 'cds_log_lines_dropped_total', help: 'Log lines dropped because stdout was not read fast enough and its buffer was full', registers });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  fhirRead(key: string, seconds: number, ok: boolean): void {
    this.fhirReads.inc({ key, outcome: ok ? 'ok' : 'failed' });
    this.fhirReadSeconds.observe({ key }, seconds);
  }
}
