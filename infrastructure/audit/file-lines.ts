import { createReadStream } from 'node:fs';
import type { LineSource } from '../../application/audit/verify.js';

/**
 * Lines of a file split at `\n` only, each without its `\n` (a CSV line keeps its `\r`, so a quoted
 * field holding a line break is read back byte for byte). Read as a stream, in constant memory.
 */
export function fileLines(path: string): LineSource {
  return async function* lines() {
    let rest = '';
    for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 16 })) {
      const text = rest + (chunk as string);
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        yield text.slice(start, nl);
        start = nl + 1;
      }
      rest = text.slice(start);
    }
    if (rest !== '') yield rest;
  };
}
