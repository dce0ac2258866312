import { randomFillSync } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

/*
 * The uuid package draws 16 fresh bytes from crypto.getRandomValues on every call, which costs
 * several microseconds; ids are made on every append, so random bytes come from a pool refilled in
 * bulk instead. The ids keep the UUID v7 layout (time-ordered).
 */
const POOL_BYTES = 16 * 512;
const pool = new Uint8Array(POOL_BYTES);
let offset = POOL_BYTES;

/** Time-ordered UUID v7, used for every id Tessera generates (streams, events, correlation ids). */
export function newId(): string {
  if (offset + 16 > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const random = pool.subarray(offset, offset + 16);
  offset += 16;
  return uuidv7({ random });
}
