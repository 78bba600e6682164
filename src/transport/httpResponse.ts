import type { ServerResponse } from 'node:http';

/**
 * Writes a JSON answer with node's own response API. Hook calls and feedback are answered outside
 * Express (src/transport/hookPosts.ts), so this is how they answer; the error answers use it too.
 * Content-Length is node's: `end(body)` before any header is sent measures the body and sets it, so
 * measuring it here as well would encode every answer one extra time.
 */
export function sendJson(res: ServerResponse, status: number, json: string, headers: Record<string, string> = {}): void {
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(json);
}
