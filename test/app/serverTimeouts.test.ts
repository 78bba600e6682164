/**
 * The server's bounded waits (src/app.ts SERVER_TIMEOUTS): a client that stops sending its body is cut off
 * about when the request timeout says, not up to Node's 30 s checking interval later.
 */
import { connect } from 'node:net';
import type { Server } from 'node:http';
import { SERVER_TIMEOUTS } from '../../src/app.js';
import { buildTestApp } from '../support/testApp.js';

const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

async function listening(timeouts?: Parameters<ReturnType<typeof buildTestApp>['app']['listen']>[3]): Promise<{ server: Server; port: number }> {
  const { app } = buildTestApp();
  const server = app.listen(0, '127.0.0.1', undefined, timeouts);
  servers.push(server);
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0 };
}

test('by default: 10 s for a request, 5 s for its headers and for an idle kept-alive connection', async () => {
  const { server } = await listening();
  expect(SERVER_TIMEOUTS).toEqual({ requestMs: 10_000, headersMs: 5_000, keepAliveMs: 5_000, checkEveryMs: 1_000 });
  expect([server.requestTimeout, server.headersTimeout, server.keepAliveTimeout]).toEqual([10_000, 5_000, 5_000]);
});

test('a body that stalls is answered 408 and the connection closed within the request timeout plus one check', async () => {
  const { port } = await listening({ requestMs: 500, headersMs: 400, keepAliveMs: 400, checkEveryMs: 200 });
  const started = Date.now();
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      // Ten bytes promised, two sent: the body never completes.
      socket.write('POST /cds-services/nkr-pain-order-select HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{"');
    });
    let got = '';
    socket.setEncoding('utf8').on('data', (d: string) => (got += d));
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
    setTimeout(() => reject(new Error('still open after 5 s')), 5_000).unref();
  });
  const tookMs = Date.now() - started;
  expect(answer).toMatch(/^HTTP\/1\.1 408/);
  expect(tookMs).toBeGreaterThanOrEqual(400);
  expect(tookMs).toBeLessThan(2_000);
});
