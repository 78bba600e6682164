/**
 * Where feedback goes. Today an in-memory, bounded store; the next step is SQLite (one instance) and
 * PostgreSQL (several), behind this same interface, for override analytics and card suppression.
 */
export interface FeedbackRecord {
  serviceId: string;
  card: string;
  outcome: 'accepted' | 'overridden';
  acceptedSuggestions: string[];
  overrideReason?: { system?: string; code: string };
  hasUserComment: boolean;
  outcomeTimestamp: string;
  receivedAt: string;
}

export interface FeedbackStore {
  /** Idempotent: the same (card, outcome, timestamp, suggestions) twice is stored once. Returns how many were new. */
  record(items: readonly FeedbackRecord[]): Promise<number>;
}

export class InMemoryFeedbackStore implements FeedbackStore {
  private readonly items = new Map<string, FeedbackRecord>();

  constructor(private readonly maxItems = 10_000) {}

  async record(items: readonly FeedbackRecord[]): Promise<number> {
    let added = 0;
    for (const item of items) {
      const key = [item.serviceId, item.card, item.outcome, item.outcomeTimestamp, item.acceptedSuggestions.join(','), item.overrideReason?.code ?? ''].join('|');
      if (this.items.has(key)) continue;
      if (this.items.size >= this.maxItems) {
        const oldest = this.items.keys().next().value;
        if (oldest !== undefined) this.items.delete(oldest);
      }
      this.items.set(key, item);
      added++;
    }
    return added;
  }

  all(): FeedbackRecord[] {
    return [...this.items.values()];
  }
}
