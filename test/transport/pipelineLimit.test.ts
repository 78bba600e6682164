/**
 * Pipelining is bounded (src/transport/pipelineLimit.ts, wired in src/app.ts's listen): a client that
 * pipelines thousands of requests is cut off at once, and the calls of others are not held meanwhile (a
 * client that never reads the answers is cut off the same way: the service's probe showed it); a few
 * pipelined requests are all answered.
 */
import { connect } from 'node:net';
import type { Server } from 'node:http';
import { MAX_PIPELINED_REQUESTS } from '../../src/transport/pipelineLimit.js';
import { buildTestApp } from '../support/testApp.js';

let server: Server;
let port = 0;
beforeAll(async () => {
  const { app } = buildTestApp();
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Sends `count` pipelined GETs of `path` at once; resolves with what came back when the server closes the connection, or after `waitMs`. */
function pipelined(path: string, count: number, waitMs: number): Promise<{ closed: boolean; answers: number; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    let got = '';
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(count));
    });
    const answers = (): number => got.split('HTTP/1.1 200').length - 1;
    socket.setEncoding('utf8').on('data', (d: string) => (got += d));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ closed: true, answers: answers(), ms: Date.now() - started }));
    setTimeout(() => {
      resolve({ closed: false, answers: answers(), ms: Date.now() - started });
      socket.destroy();
    }, waitMs).unref();
  });
}

test(`a few pipelined requests (up to ${MAX_PIPELINED_REQUESTS}) are all answered on one connection`, async () => {
  const result = await pipelined('/healthz', MAX_PIPELINED_REQUESTS, 1_500);
  expect(result).toMatchObject({ closed: false, answers: MAX_PIPELINED_REQUESTS });
});

test('thousands pipelined: the connection is closed at once, after at most the bound of answers, and another client is answered meanwhile', async () => {
  const flood = pipelined('/metrics', 5_000, 4_000);
  await new Promise((r) => setTimeout(r, 50));
  const started = Date.now();
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4_000) });
  expect(res.status).toBe(200);
  expect(Date.now() - started).toBeLessThan(1_000);
  const result = await flood;
  expect(result.closed).toBe(true);
  expect(result.ms).toBeLessThan(2_000);
  expect(result.answers).toBeLessThanOrEqual(MAX_PIPELINED_REQUESTS);
});
