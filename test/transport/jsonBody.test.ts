import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import request from 'supertest';
import { answerError } from '../../src/transport/errorHandler.js';
import { HEAP_PER_BODY_BYTE, heapAdmits, type HeapUse } from '../../src/transport/heapAdmission.js';
import { jsonBody, MAX_BODY_DEPTH, nestsDeeperThan } from '../../src/transport/jsonBody.js';
import { HttpError } from '../../src/transport/operationOutcome.js';
import { buildTestApp, expectValidResponse } from '../support/testApp.js';
import { silentLogger } from '../../src/observability/logger.js';

const deep = (levels: number): string => '{"x":['.repeat(levels / 2) + '1' + ']}'.repeat(levels / 2);

describe('nestsDeeperThan', () => {
  test.each([
    [1, 0, false],
    [{}, 1, false],
    [{}, 0, true],
    [{ a: [{ b: 1 }] }, 3, false],
    [{ a: [{ b: 1 }] }, 2, true],
    [[[], [[[]]]], 3, true],
  ])('%j within %i levels → deeper: %s', (value, max, deeper) => {
    expect(nestsDeeperThan(value, max)).toBe(deeper);
  });
  test('a body 200,000 levels deep: found without recursing past the limit (no stack overflow)', () => {
    expect(nestsDeeperThan(JSON.parse(deep(200_000)), MAX_BODY_DEPTH)).toBe(true);
  });
});

describe('request bodies nested deeper than MAX_BODY_DEPTH', () => {
  const RX = 'http://www.nlm.nih.gov/research/umls/rxnorm';
  function orderSign(extensionDepth: number): string {
    const draft = {
      resourceType: 'MedicationRequest',
      id: 'ami',
      status: 'draft',
      intent: 'order',
      extension: ['DEEP'],
      medicationCodeableConcept: { text: 'Amitriptyline 25 mg', coding: [{ system: RX, code: '856834' }] },
      dosageInstruction: [{ timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } } }],
    };
    const condition = { resourceType: 'Condition', id: 'c1', clinicalStatus: 'active', code: { coding: [{ system: 'http://snomed.info/sct', code: '203082005' }] } };
    const body = {
      hook: 'order-sign',
      hookInstance: '1f0a9a7e-61f5-4b38-8a1a-333333333333',
      context: { patientId: 'p1', userId: 'Practitioner/x', draftOrders: { resourceType: 'Bundle', entry: [{ resource: draft }] } },
      prefetch: { conditions: { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: condition }] }, medications: { resourceType: 'Bundle', type: 'searchset', entry: [] } },
    };
    return JSON.stringify(body).replace('"DEEP"', deep(extensionDepth));
  }
  const post = (body: string) =>
    request(buildTestApp().app).post('/cds-services/nkr-pain-order-sign').set('Content-Type', 'application/json').send(body);

  test('a draft with a 10,000-level extension (its copy for the update suggestion overflowed the stack: 500) → 400 OperationOutcome', async () => {
    const res = await post(orderSign(10_000));
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].diagnostics).toContain(`deeper than ${MAX_BODY_DEPTH} levels`);
  });
  test('the same draft with a shallow extension still gets its card and update suggestion', async () => {
    const res = await post(orderSign(10));
    expect(res.status).toBe(200);
    const card = expectValidResponse(res.body).cards[0];
    expect(card?.suggestions?.[0]?.actions?.[0]?.type).toBe('update');
  });
  test('feedback bodies are limited the same way', async () => {
    const res = await request(buildTestApp().app)
      .post('/cds-services/nkr-pain-patient-view/feedback')
      .set('Content-Type', 'application/json')
      .send(`{"feedback":[{"card":"52bbb69b-841f-44e5-8ee4-8a18ccbfabdc","outcome":"accepted","x":${deep(1000)}}]}`);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});

describe('jsonBody', () => {
  // The body must not outlive the call on `req`: an old-generation IncomingMessage kept each parsed body
  // through every young collection (src/transport/jsonBody.ts).
  async function read(contentType: string, text: string | null): Promise<{ req: IncomingMessage; outcome: unknown }> {
    // null: no body at all (no Content-Length, no Transfer-Encoding), as `curl -X POST` sends.
    const req = Object.assign(Readable.from(text === null ? [] : [Buffer.from(text)]), {
      headers: { 'content-type': contentType, ...(text === null ? {} : { 'content-length': String(Buffer.byteLength(text)) }) },
      method: 'POST',
      url: '/',
    }) as unknown as IncomingMessage;
    const outcome = await jsonBody(1024 * 1024)(req, {} as ServerResponse).catch((err: unknown) => err);
    return { req, outcome };
  }
  test('hands the parsed body over and leaves nothing of it on the request', async () => {
    const { req, outcome } = await read('application/json', '{"hook":"patient-view","context":{"patientId":"p1"}}');
    expect(outcome).toEqual({ hook: 'patient-view', context: { patientId: 'p1' } });
    expect(req.body).toBeUndefined();
  });
  test('a body too deep is refused, and not left on the request either', async () => {
    const { req, outcome } = await read('application/json', deep(MAX_BODY_DEPTH + 2));
    expect(outcome).toBeInstanceOf(HttpError);
    expect((outcome as HttpError).status).toBe(400);
    expect(req.body).toBeUndefined();
  });
  test('a body that is not JSON is refused with 415', async () => {
    const { outcome } = await read('text/plain', 'hello');
    expect((outcome as HttpError).status).toBe(415);
  });
  test('no body, declared JSON, is a 400 that says the body is missing, not a 415 about its type', async () => {
    for (const type of ['application/json', 'application/fhir+json; charset=utf-8']) {
      const { outcome } = await read(type, null);
      expect([type, (outcome as HttpError).status, (outcome as HttpError).message]).toEqual([type, 400, 'The request has no body: a JSON object is expected']);
    }
    expect(((await read('text/plain', null)).outcome as HttpError).status).toBe(415);
  });
});

describe('a body the heap has no room for', () => {
  const MB = 1024 * 1024;
  test('heapAdmits: room for the body at its worst (22 bytes of heap per byte of text) below 75 % of the heap limit', () => {
    const heap = (usedMb: number): HeapUse => ({ used_heap_size: usedMb * MB, heap_size_limit: 1000 * MB });
    expect(HEAP_PER_BODY_BYTE).toBe(22);
    expect(heapAdmits(5 * MB, heap(640))).toBe(true); // 640 + 110 = 750
    expect(heapAdmits(5 * MB, heap(641))).toBe(false);
    expect(heapAdmits(100 * 1024, heap(700))).toBe(true);
  });

  // A server that reads one body with jsonBody and answers errors as the service does.
  function serverWith(heapUse: () => HeapUse) {
    const read = jsonBody(MB, heapUse);
    return createServer((req, res) => {
      read(req, res).then(
        (body) => res.end(JSON.stringify({ got: body })),
        (err: unknown) => answerError(err, req, res, silentLogger(), MB),
      );
    });
  }
  test('is refused with 503, Retry-After and an OperationOutcome, before it is parsed; with room it is read', async () => {
    let used = 0;
    const server = serverWith(() => ({ used_heap_size: used, heap_size_limit: 100 * MB }));
    const body = JSON.stringify({ x: new Array(1000).fill({}) });
    used = 75 * MB - body.length * HEAP_PER_BODY_BYTE + 1;
    const refused = await request(server).post('/').set('Content-Type', 'application/json').send(body);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'transient' }] });
    used -= 1;
    const read = await request(server).post('/').set('Content-Type', 'application/json').send(body);
    expect(read.status).toBe(200);
    expect((JSON.parse(read.text) as { got: { x: unknown[] } }).got.x).toHaveLength(1000);
  });
});
