import request from 'supertest';
import { answerError } from '../../src/transport/errorHandler.js';
import { captureLogs } from '../support/captureLogs.js';

/** A bare Node handler that answers every request with `err`, and what it logged. */
function answering(err: unknown) {
  const logs = captureLogs();
  const handler = (req: Parameters<typeof answerError>[1], res: Parameters<typeof answerError>[2]) => answerError(err, req, res, logs.logger, 1024);
  return { handler, logs };
}

describe('answerError: the body reader\'s errors are the client\'s (4xx, nothing logged as unexpected); anything else is 500', () => {
  test.each([
    ['request.aborted', 400, 'incomplete'],
    ['entity.parse.failed', 400, 'structure'],
    ['entity.too.large', 413, 'too-long'],
    ['charset.unsupported', 415, 'not-supported'],
    ['encoding.unsupported', 415, 'not-supported'],
  ])('%s → %i %s', async (type, status, code) => {
    const { handler, logs } = answering(Object.assign(new Error(type), { type }));
    const res = await request(handler).post('/cds-services/x');
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code }] });
    expect(logs.text()).not.toContain('unexpected error');
  });

  test('an unexpected error → 500 without details, logged once at error level without the request data', async () => {
    const { handler, logs } = answering(new Error('boom at /secret/path'));
    const res = await request(handler).post('/cds-services/x?patient=123');
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toContain('boom');
    expect(logs.lines()).toHaveLength(1);
    expect(logs.lines()[0]).toMatchObject({ level: 50, msg: 'unexpected error', path: '/cds-services/x' });
    expect(logs.text()).not.toContain('patient=123');
  });
});
