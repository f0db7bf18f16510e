/**
 * Time-ordered ids (UUIDv7) made in the application, for rows whose id the caller needs before
 * the insert. The random bits come from a pooled buffer refilled 4 KiB at a time: one
 * randomFillSync per id costs a few microseconds, which a million-row CSV notices.
 */
import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

const pool = Buffer.alloc(4096);
let offset = pool.length;

function randomBytes16(): Uint8Array {
  if (offset + 16 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + 16);
  offset += 16;
  return bytes;
}

// Ids made in the same millisecond count up (as uuid's own v7 state does), so they sort in the
// order they were made.
let lastMs = -1;
let seq = 0;

export function newId(): string {
  const random = randomBytes16();
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    // A random start that leaves room to count up (31 bits, top bit clear).
    seq = ((random[6]! << 23) | (random[7]! << 15) | (random[8]! << 7) | (random[9]! >>> 1)) & 0x3fffffff;
  } else {
    seq = (seq + 1) | 0;
    if (seq < 0 || seq > 0x7fffffff) {
      lastMs++;
      seq = 0;
    }
  }
  return v7({ random, msecs: lastMs, seq });
}
