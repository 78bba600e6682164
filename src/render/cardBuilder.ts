import { BoundedMemo } from '../model/boundedMemo.js';
import type { CdsAction, CdsCard, CdsCoding, CdsLink, CdsSuggestion, Indicator } from '../model/cdsResponse.js';
import { newCardUuid } from './cardUuid.js';

/** Card kinds are `source.topic.code`; reports and feedback key on them. */
const CARD_KIND_SYSTEM = 'urn:nkr-pain-cds:card-kind';

/** The spec says "<140 characters"; count code points so æ, ø and å are one each. */
export const SUMMARY_MAX_CODE_POINTS = 139;

export interface SuggestionInput {
  label: string;
  isRecommended?: boolean;
  actions: CdsAction[];
}

/** What every card of a kind shares (made once per kind and language by `cardFrame`, and shared). */
export interface CardFrame {
  kind: string;
  kindDisplay: string;
  sourceLabel: string;
  sourceUrl: string;
  /**
   * The guideline's status (docs/clinical-rules.md §5): the last line of every card's detail, so a
   * clinician always sees that the Authority lists this 2018 guideline as no longer current.
   */
  guidelineStatus: string;
  links?: CdsLink[];
}

/**
 * A card to build. The shared part is a field of its own rather than spread into each input: on Node 20,
 * every property added to an object made by spreading costs ~0.5 µs (bench/README.md, fourth round).
 */
export interface CardInput {
  frame: CardFrame;
  summary: string;
  detail?: string;
  indicator: Exclude<Indicator, 'critical'>;
  suggestions?: SuggestionInput[];
  selectionBehavior?: 'at-most-one' | 'any';
  overrideReasons?: CdsCoding[];
}

export class CardInvariantError extends Error {
  constructor(message: string) {
    super(`card invariant: ${message}`);
    this.name = 'CardInvariantError';
  }
}

/** Code points in `s`, counted without an array of them (a long summary is measured on every call). */
export function codePointCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate followed by a low one is one code point (as Array.from counts; lone halves count alone).
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** The first `count` code points of `s` (Array.from(s).slice(0, count).join(''), without the array). */
export function firstCodePoints(s: string, count: number): string {
  let i = 0;
  for (let n = 0; n < count && i < s.length; n++) {
    const c = s.charCodeAt(i);
    i++;
    if (c >= 0xd800 && c <= 0xdbff && i < s.length) {
      const d = s.charCodeAt(i);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  return s.slice(0, i);
}

/** Shortens to the limit at a word boundary where possible, ending in an ellipsis. */
export function fitSummary(summary: string): string {
  const trimmed = summary.trim();
  // No more UTF-16 units than the limit: no more code points either (the usual case, no array of them).
  if (trimmed.length <= SUMMARY_MAX_CODE_POINTS) return trimmed;
  if (codePointCount(trimmed) <= SUMMARY_MAX_CODE_POINTS) return trimmed;
  const cut = firstCodePoints(trimmed, SUMMARY_MAX_CODE_POINTS - 1);
  const lastSpace = cut.lastIndexOf(' ');
  return `${(lastSpace > 80 ? cut.slice(0, lastSpace) : cut).replace(/[\s,;:–-]+$/, '')}…`;
}

/** URLs already checked: every card carries the same few (the guideline's, its links), and parsing one costs µs. */
const checkedUrls = new BoundedMemo<boolean>(256);

function isAbsoluteHttpUrl(u: string): boolean {
  return checkedUrls.get(u, () => {
    try {
      const p = new URL(u);
      return p.protocol === 'https:' || p.protocol === 'http:';
    } catch {
      return false;
    }
  });
}

function buildSuggestion(s: SuggestionInput): CdsSuggestion {
  if (s.label.trim() === '') throw new CardInvariantError('suggestion without label');
  if (s.actions.length === 0) throw new CardInvariantError(`suggestion "${s.label}" has no actions`);
  for (const a of s.actions) {
    if (a.description.trim() === '') throw new CardInvariantError('action without description');
    if (a.type === 'delete' && !/^[A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(a.resourceId)) {
      throw new CardInvariantError(`delete needs a relative resourceId, got "${a.resourceId}"`);
    }
  }
  const changesOrders = s.actions.some((a) => a.type === 'delete' || a.type === 'update');
  const out: CdsSuggestion = { label: s.label, uuid: newCardUuid(), actions: s.actions };
  // No suggestion that deletes or changes an order is marked recommended (docs/clinical-rules.md §5).
  if (s.isRecommended && !changesOrders) out.isRecommended = true;
  return out;
}

/**
 * The one place cards are made. It guarantees the CDS Hooks invariants: uuid on every card and
 * suggestion, summary under 140 code points, source with label, absolute URL and topic,
 * selectionBehavior with suggestions, no null or empty optional fields, no `critical` indicator, and
 * every detail ending with the guideline's status line.
 */
export function buildCard(input: CardInput): CdsCard {
  const frame = input.frame;
  if (!isAbsoluteHttpUrl(frame.sourceUrl)) throw new CardInvariantError(`source.url must be absolute: ${frame.sourceUrl}`);
  if (input.summary.trim() === '') throw new CardInvariantError('empty summary');
  const card: CdsCard = {
    uuid: newCardUuid(),
    summary: fitSummary(input.summary),
    indicator: input.indicator,
    source: {
      label: frame.sourceLabel,
      url: frame.sourceUrl,
      topic: { system: CARD_KIND_SYSTEM, code: frame.kind, display: frame.kindDisplay },
    },
  };
  if (frame.guidelineStatus.trim() === '') throw new CardInvariantError('empty guideline status line');
  card.detail = [input.detail?.trim(), frame.guidelineStatus.trim()].filter((p) => p !== undefined && p !== '').join('\n\n');
  if (input.suggestions && input.suggestions.length > 0) {
    card.suggestions = input.suggestions.map(buildSuggestion);
    card.selectionBehavior = input.selectionBehavior ?? 'at-most-one';
    if (card.selectionBehavior === 'at-most-one' && card.suggestions.filter((s) => s.isRecommended).length > 1) {
      throw new CardInvariantError('at-most-one allows one recommended suggestion');
    }
  }
  if (input.overrideReasons && input.overrideReasons.length > 0) {
    for (const r of input.overrideReasons) {
      if (!r.display || r.display.trim() === '') throw new CardInvariantError(`override reason ${r.code} without display`);
    }
    card.overrideReasons = input.overrideReasons;
  }
  if (frame.links && frame.links.length > 0) {
    for (const l of frame.links) {
      if (l.type === 'absolute' && !isAbsoluteHttpUrl(l.url)) throw new CardInvariantError(`link must be absolute: ${l.url}`);
    }
    card.links = frame.links;
  }
  return card;
}
