/**
 * The rules judge time by the call's clock only (docs/clinical-rules.md §2, §3.1: Danish days, the look-back,
 * the phases): every date of a body moved by the same number of days, and the clock with them, gives the same
 * cards — the dates they name moved too. A rule that read the machine's clock, or counted days in a way that
 * slips across a change to or from summer time, would answer otherwise. The shift keeps each time's offset.
 */
import fc from 'fast-check';
import request from 'supertest';
import { HOOK_ROUTES, SAMPLE_BODIES } from '../support/sampleBodies.js';
import { buildTestApp, expectValidResponse, FIXED_NOW } from '../support/testApp.js';

const DAY_MS = 86_400_000;
const DATE_TIME = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})?)?)?$/;

/** A FHIR date, dateTime or instant moved by `days`, written as precisely as it was (a year, a month, a day, a time with its offset). */
function moved(text: string, days: number): string {
  const m = DATE_TIME.exec(text);
  if (!m) return text;
  const [, y, mo, d, time, zone] = m;
  if (mo === undefined) return String(new Date(Date.UTC(Number(y), 6, 1) + days * DAY_MS).getUTCFullYear());
  if (d === undefined) return new Date(Date.UTC(Number(y), Number(mo) - 1, 15) + days * DAY_MS).toISOString().slice(0, 7);
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)) + days * DAY_MS).toISOString().slice(0, 10);
  return time === undefined ? day : `${day}${time}${zone ?? ''}`;
}

function shiftDates(value: unknown, days: number): unknown {
  if (Array.isArray(value)) return value.map((v) => shiftDates(v, days));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shiftDates(v, days)]));
  return typeof value === 'string' ? moved(value, days) : value;
}

/** Dates in a card, as ISO text or in its Danish or English words, masked: they moved with the body. */
function masked(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(masked);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== 'uuid')
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, masked(v)]),
    );
  }
  if (typeof value !== 'string') return value;
  return value.replace(/\d{4}-\d{2}(?:-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:\d{2})?)?)?/g, 'DATE').replace(/\d{1,2}\.\s?\d{1,2}\.\s?\d{4}/g, 'DATE').replace(/\d{1,2}\.? \p{L}+ \d{4}/gu, 'DATE');
}

describe('moving the record and the clock together changes no card', () => {
  test.each(SAMPLE_BODIES)('%s', async (_name, body) => {
    const route = HOOK_ROUTES[String(body.hook)]!;
    // One app, its clock set before each call (an app per call would load the terminology each time).
    let clock = FIXED_NOW;
    const { app } = buildTestApp({ clock: () => clock });
    const cards = async (b: unknown, now: number, lang: string): Promise<string[]> => {
      clock = now;
      const res = await request(app).post(route).set('Accept-Language', lang).send(b as object);
      return res.status === 200 ? expectValidResponse(res.body).cards.map((c) => JSON.stringify(masked(c))).sort() : [`status ${res.status}`];
    };
    const asSent = { en: await cards(body, FIXED_NOW, 'en'), da: await cards(body, FIXED_NOW, 'da') };
    await fc.assert(
      // Whole weeks, so that a shifted time keeps its weekday; up to three years either way, across summer time.
      fc.asyncProperty(fc.integer({ min: -156, max: 156 }), fc.constantFrom('en' as const, 'da' as const), async (weeks, lang) => {
        expect(await cards(shiftDates(body, weeks * 7), FIXED_NOW + weeks * 7 * DAY_MS, lang)).toEqual(asSent[lang]);
      }),
      { numRuns: 4 },
    );
  });
});
