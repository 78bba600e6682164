/**
 * The order hooks agree with themselves (docs/clinical-rules.md §4): a selected draft's card is the same whether
 * it is selected alone or with others, and order-sign, which judges every draft, gives each of them the card
 * order-select gives it. A card that depended on what else was selected, or on the hook, would differ.
 */
import request from 'supertest';
import { cardsOf, HOOK_ROUTES, SAMPLE_BODIES } from '../support/sampleBodies.js';
import { buildTestApp } from '../support/testApp.js';

interface OrderSelectContext {
  selections: string[];
  draftOrders: unknown;
}

const withSelections = SAMPLE_BODIES.filter(([, b]) => b.hook === 'order-select' && Array.isArray((b.context as Partial<OrderSelectContext>).selections));

const { app } = buildTestApp();

async function cards(hook: 'order-select' | 'order-sign', body: unknown): Promise<string[]> {
  const res = await request(app).post(HOOK_ROUTES[hook]!).send(body as object);
  expect(res.status).toBe(200);
  return cardsOf(res.status, res.body);
}

describe('the order hooks agree with themselves', () => {
  test.each(withSelections)('%s: each draft selected alone gets the card it gets among the others, and the same at order-sign', async (_name, body) => {
    const context = body.context as OrderSelectContext;
    const together = await cards('order-select', body);
    const alone: string[] = [];
    for (const selection of context.selections) alone.push(...(await cards('order-select', { ...body, context: { ...context, selections: [selection] } })));
    expect(alone.sort()).toEqual(together);
    const { selections: _selections, ...signContext } = context;
    const atSign = await cards('order-sign', { ...body, hook: 'order-sign', context: signContext });
    expect(together.filter((c) => !atSign.includes(c))).toEqual([]);
  });
});
