import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

// Card and suggestion uuids are time-ordered (UUID version 7, RFC 9562: 48 bits of time, 74 random): the
// card log keys on them, and random (version 4) keys put every new row on another page of the store's
// indexes — about three times the write cost per card on SQLite (bench/README.md).
//
// The random bits come from a pool: the uuid package's own source asks WebCrypto for 16 bytes per uuid,
// ~5 µs a call (a card with two suggestions: ~15 µs). Node's randomUUID keeps such a cache for the same
// reason. 4 KiB are drawn at once; each uuid takes 16 bytes that no other uuid gets.
const POOL_BYTES = 4096;
let pool = new Uint8Array(0);
let next = 0;

function random16(): Uint8Array {
  if (next + 16 > pool.length) {
    pool = randomFillSync(new Uint8Array(POOL_BYTES));
    next = 0;
  }
  const bytes = pool.subarray(next, next + 16);
  next += 16;
  return bytes;
}

/** A fresh version 7 uuid for a card or a suggestion. */
export function newCardUuid(): string {
  return v7({ rng: random16 });
}
