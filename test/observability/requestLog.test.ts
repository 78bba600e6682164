import { Writable } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { createLogger } from '../../src/observability/logger.js';
import { requestLog } from '../../src/observability/requestLog.js';

function capture(level = 'info'): { logger: ReturnType<typeof createLogger>; lines: () => Array<Record<string, any>> } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      cb();
    },
  });
  return {
    logger: createLogger({ level, destination }),
    lines: () => chunks.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, any>),
  };
}

function app(logger: ReturnType<typeof createLogger>): express.Express {
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
    expect(written[0]).toMatchObject({ msg: 'request completed', req: { method: 'POST', path: '/cds-services/x' }, res: { statusCode: 201 } });
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
});
