import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Requests one connection may have waiting for their answers at once (HTTP/1.1 pipelining). */
export const MAX_PIPELINED_REQUESTS = 16;

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The listener, behind a bound on pipelining: a connection with more than `max` requests not yet answered is
 * closed. Node parses every request of a received chunk at once, so one 64 KB packet of pipelined
 * `GET /metrics` is ~1,800 requests; four connections sending them without reading the answers held hook
 * calls for 6–20 s and put ~500 MB of answers in memory. An EHR or a load balancer sends one request at a
 * time on a connection, or a few.
 */
export function limitPipelining(listener: Listener, max: number = MAX_PIPELINED_REQUESTS): Listener {
  const waiting = new WeakMap<Socket, number>();
  return (req, res) => {
    const socket = req.socket;
    const count = (waiting.get(socket) ?? 0) + 1;
    if (count > max) {
      socket.destroy();
      return;
    }
    waiting.set(socket, count);
    res.once('close', () => waiting.set(socket, (waiting.get(socket) ?? 1) - 1));
    listener(req, res);
  };
}
