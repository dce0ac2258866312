import { randomFillSync } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

/*
 * Event ids for events appended without one. The uuid package draws 16 fresh bytes from
 * crypto.getRandomValues on every call, which costs several microseconds; on the append hot path
 * that is a noticeable share of a group commit. Random bytes are instead taken from a pool refilled
 * in bulk, and the ids keep the UUID v7 layout (time-ordered) that Tessera uses everywhere.
 */

const POOL_BYTES = 16 * 512;
const pool = new Uint8Array(POOL_BYTES);
let offset = POOL_BYTES;

export function newEventId(): string {
  if (offset + 16 > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const random = pool.subarray(offset, offset + 16);
  offset += 16;
  return uuidv7({ random });
}
