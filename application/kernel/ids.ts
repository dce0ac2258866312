import { v7 as uuidv7 } from 'uuid';

/** Time-ordered UUID v7, used for every id Tessera generates (streams, events, correlation ids). */
export function newId(): string {
  return uuidv7();
}
