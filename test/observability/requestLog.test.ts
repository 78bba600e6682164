import express from 'express';
import request from 'supertest';
import type { Logger } from '../../src/observability/logger.js';
import { requestLog, requestLogger } from '../../src/observability/requestLog.js';
import { captureLogs } from '../support/captureLogs.js';

/** The request log's lines at `level` (info unless a test says otherwise). */
function capture(level = 'info'): { logger: Logger; lines: () => Array<Record<string, any>> } {
  const logs = captureLogs(level);
  return { logger: logs.logger, lines: () => logs.lines<Record<string, any>>() };
}

function app(logger: Logger): express.Express {
  const a = express();
  a.use(requestLog(logger, { ignorePaths: ['/healthz'] }));
  a.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  a.post('/cds-services/:id', (_req, res) => {
    res.status(201).json({ cards: [] });
  });
  return a;
}

describe('requestLog', () => {
  it('writes one line per request with method, path without query, status and time, and no headers', async () => {
    const { logger, lines } = capture();
    await request(app(logger)).post('/cds-services/x?patient=secret').set('Authorization', 'Bearer abc.def.ghi').send({ a: 1 });
    const written = lines();
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ msg: 'request answered', req: { method: 'POST', path: '/cds-services/x' }, res: { statusCode: 201 } });
    expect(typeof written[0]?.responseTime).toBe('number');
    const text = JSON.stringify(written);
    expect(text).not.toContain('abc.def.ghi');
    expect(text).not.toContain('secret');
  });

  it('leaves out the ignored paths', async () => {
    const { logger, lines } = capture();
    await request(app(logger)).get('/healthz');
    expect(lines()).toEqual([]);
  });

  it('writes nothing below info', async () => {
    const { logger, lines } = capture('warn');
    await request(app(logger)).post('/cds-services/x').send({});
    expect(lines()).toEqual([]);
  });

  it('logs a 4xx at warn with the summary the app gives; the request logger\'s lines carry the request id', async () => {
    const { logger, lines } = capture();
    const a = express();
    a.use(requestLog(logger, { summary: () => ({ reason: 'why' }) }));
    a.get('/x', (req, res) => {
      requestLogger(req, logger).info({ step: 1 }, 'inside');
      res.status(404).end();
    });
    const res = await request(a).get('/x').set('X-Request-Id', 'call-7');
    expect(res.headers['x-request-id']).toBe('call-7');
    const written = lines();
    expect(written).toHaveLength(2);
    expect(written[0]).toMatchObject({ msg: 'inside', step: 1, req: { id: 'call-7', method: 'GET', path: '/x' } });
    expect(written[1]).toMatchObject({ level: 40, msg: 'request answered', reason: 'why', req: { id: 'call-7' }, res: { statusCode: 404 } });
  });

  it('the request logger is made once per request; a request the log has not seen gets the fallback', async () => {
    const { logger } = capture();
    const fallback = captureLogs('info').logger;
    const a = express();
    a.get('/unseen', (req, res) => {
      res.json({ fallback: requestLogger(req, fallback) === fallback });
    });
    a.use(requestLog(logger));
    a.get('/x', (req, res) => {
      const first = requestLogger(req, fallback);
      res.json({ same: first === requestLogger(req, fallback), fallback: first === fallback, ownLog: Object.getOwnPropertyNames(req).includes('log') });
    });
    expect((await request(a).get('/unseen')).body).toEqual({ fallback: true });
    expect((await request(a).get('/x')).body).toEqual({ same: true, fallback: false, ownLog: false });
  });

  it('a 5xx is an error line even when info is off', async () => {
    const { logger, lines } = capture('warn');
    const a = express();
    a.use(requestLog(logger));
    a.get('/x', (_req, res) => {
      res.status(503).end();
    });
    await request(a).get('/x');
    expect(lines()).toMatchObject([{ level: 50, msg: 'request failed', res: { statusCode: 503 } }]);
  });
});
