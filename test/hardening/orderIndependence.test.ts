/**
 * An EHR lists a searchset's entries, a code's codings and an object's keys in whatever order its server
 * returns them: the answer must not depend on it (docs/clinical-rules.md §7). Every request fixture, every
 * fixture patient, the bench's bodies and a few more (test/support/sampleBodies.ts: several drugs of each kind, ties)
 * are sent as they are and shuffled (UNORDERED's arrays — entries, codings, dosage instructions, reasons … —
 * and every object's keys); the cards must be the same apart from their uuids. The draft orders are not
 * shuffled: a drug card names the order's place in the draft ("order 3 of 5"), which is the EHR's own order.
 * And the same entries listed twice in a searchset (pages that overlap) give the same answer as once; and the
 * Danish answer is the English one in other words: the same cards, indicators, suggestions, actions and codes.
 */
import fc from 'fast-check';
import request from 'supertest';
import { canonical, cardsOf, HOOK_ROUTES as ROUTES, SAMPLE_BODIES as bodies } from '../support/sampleBodies.js';
import { buildTestApp, expectValidResponse } from '../support/testApp.js';

/**
 * Arrays whose order carries no meaning in FHIR (or in how this service reads them). Not a Medication's
 * `ingredient`: a combination is named as the EHR lists it ("oxycodon / naloxon"), as its label does.
 */
const UNORDERED = new Set(['entry', 'coding', 'contained', 'category', 'interpretation', 'referenceRange', 'result', 'dosageInstruction', 'dosage', 'reasonCode', 'reasonReference', 'component', 'identifier', 'note', 'when']);

/** A small seeded generator, so that a failing seed from fast-check reproduces the same shuffle. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function shuffled<T>(items: T[], next: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function shuffleDeep(value: unknown, next: () => number, key: string, path: string): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => shuffleDeep(v, next, '', `${path}[]`));
    return UNORDERED.has(key) && path !== 'context.draftOrders.entry' ? shuffled(items, next) : items;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of shuffled(Object.keys(value), next)) out[k] = shuffleDeep((value as Record<string, unknown>)[k], next, k, path ? `${path}.${k}` : k);
    return out;
  }
  return value;
}

/** One app for every call: no answer is sent, so nothing it stores changes a card (an app per test would load the terminology each time). */
const { app } = buildTestApp();

describe('the answer does not depend on the order the EHR lists things in', () => {
  test.each(bodies)('%s', async (_name, body) => {
    const route = ROUTES[String(body.hook)]!;
    const send = async (b: unknown, lang: string): Promise<string[]> => {
      const res = await request(app).post(route).set('Accept-Language', lang).send(b as object);
      return cardsOf(res.status, res.body);
    };
    const asSent = { en: await send(body, 'en'), da: await send(body, 'da') };
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.constantFrom('en' as const, 'da' as const), async (seed, lang) => {
        expect(await send(shuffleDeep(body, random(seed), '', ''), lang)).toEqual(asSent[lang]);
      }),
      { numRuns: 6 },
    );
  });
});

/** Every searchset's entries twice, as pages that overlap give them (a result written while the EHR paged). */
function listedTwice(body: Record<string, unknown>): Record<string, unknown> {
  const prefetch = body.prefetch as Record<string, unknown> | undefined;
  const twice = (v: unknown): unknown => {
    const bundle = v as { resourceType?: unknown; entry?: unknown } | null;
    return bundle?.resourceType === 'Bundle' && Array.isArray(bundle.entry) ? { ...bundle, entry: [...bundle.entry, ...structuredClone(bundle.entry)] } : v;
  };
  return prefetch ? { ...body, prefetch: Object.fromEntries(Object.entries(prefetch).map(([k, v]) => [k, twice(v)])) } : body;
}

describe('an entry listed twice is read once', () => {
  test.each(bodies)('%s', async (_name, body) => {
    const route = ROUTES[String(body.hook)]!;
    const send = async (b: unknown): Promise<string[]> => {
      const res = await request(app).post(route).send(b as object);
      return cardsOf(res.status, res.body);
    };
    expect(await send(listedTwice(body))).toEqual(await send(body));
  });
});

/** A card with its words taken out (what a language changes), and a resource's own text kept: the EHR's words. */
function withoutWords(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => withoutWords(v, key));
  if (value === null || typeof value !== 'object') return ['summary', 'detail', 'label', 'display', 'description'].includes(key) ? '…' : value;
  const o = value as Record<string, unknown>;
  // An action's resource: an order as the EHR wrote it, compared whole, or a new one, named in the card's language
  // (its `code.text`; a DSTU2 DiagnosticOrder's in its items).
  if (typeof o.resourceType === 'string') {
    const unnamed = (concept: unknown): unknown => {
      const c = concept as Record<string, unknown> | undefined;
      return c?.text === undefined ? c : { ...c, text: '…' };
    };
    const named = o.code === undefined ? o : { ...o, code: unnamed(o.code) };
    return canonical(Array.isArray(o.item) ? { ...named, item: o.item.map((i: Record<string, unknown>) => ({ ...i, code: unnamed(i.code) })) } : named);
  }
  return Object.fromEntries(
    Object.entries(o)
      .filter(([k]) => k !== 'uuid')
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => [k, withoutWords(v, k)]),
  );
}

describe('Danish and English answers differ only in their words', () => {
  test.each(bodies)('%s', async (_name, body) => {
    const route = ROUTES[String(body.hook)]!;
    const send = async (lang: string): Promise<string[]> => {
      const res = await request(app).post(route).set('Accept-Language', lang).send(body);
      if (res.status !== 200) return [`status ${res.status}`];
      return expectValidResponse(res.body)
        .cards.map((c) => JSON.stringify(withoutWords(c)))
        .sort();
    };
    expect(await send('da')).toEqual(await send('en'));
  });
});
