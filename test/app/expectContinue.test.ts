/**
 * `Expect: 100-continue` (src/app.ts `checkContinue`, src/transport/jsonBody.ts `waitsToSendTooMuch`): a client
 * that waits before sending its body is told to go on only when the body it declares is within the limit;
 * one declared larger is answered 413 before a byte of it is read, and the connection closed.
 */
import { connect } from 'node:net';
import type { Server } from 'node:http';
import { buildTestApp, patientViewRequest } from '../support/testApp.js';

const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

async function listening(): Promise<number> {
  const { app } = buildTestApp();
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

/** Sends the head, then the body only once "100 Continue" came; resolves with all the server sent until it closed or answered in full. */
function exchange(port: number, contentLength: number, body: string): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`POST /cds-services/nkr-pain-patient-view HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${contentLength}\r\nExpect: 100-continue\r\n\r\n`);
    });
    let text = '';
    socket.setEncoding('utf8').on('data', (d: string) => {
      text += d;
      if (/^HTTP\/1\.1 100 Continue\r\n\r\n$/.test(text)) socket.write(body);
      if (/\r\n\r\n[\s\S]*"cards"/.test(text) && text.trimEnd().endsWith('}')) resolve({ text, closed: false });
    });
    socket.on('close', () => resolve({ text, closed: true }));
    socket.on('error', reject);
    setTimeout(() => reject(new Error(`no answer after 5 s: ${text.slice(0, 200)}`)), 5_000).unref();
  });
}

test('a body declared over the limit: 413 (an OperationOutcome) at once, no "100 Continue", the connection closed', async () => {
  const port = await listening();
  const { text, closed } = await exchange(port, 1_000_000_000, '');
  expect(text).toMatch(/^HTTP\/1\.1 413 /);
  expect(text).not.toContain('100 Continue');
  expect(text).toMatch(/\r\nconnection: close\r\n/i);
  expect(text).toContain('"resourceType":"OperationOutcome"');
  expect(closed).toBe(true);
});

test('a body within the limit: "100 Continue", then the call is answered as any other', async () => {
  const port = await listening();
  const body = JSON.stringify(patientViewRequest('gsb-workup-missing'));
  const { text } = await exchange(port, Buffer.byteLength(body), body);
  expect(text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  expect(text).toContain('"cards"');
});
