import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.js';

export interface AdminToken {
  readonly token: string;
  /** Where the token came from: the ADMIN_TOKEN variable, or the file in DATA_DIR. */
  readonly source: 'env' | 'file';
  /** The token file (embedded mode without ADMIN_TOKEN). */
  readonly file: string | null;
  /** True when this start created the file. */
  readonly generated: boolean;
}

export const ADMIN_TOKEN_FILE = 'admin-token';

/**
 * The admin API's bearer token: ADMIN_TOKEN when set; otherwise (embedded mode only) the token kept
 * in DATA_DIR/admin-token, created on first start with 256 random bits and mode 0600 so only the
 * owner can read it. A file whose content is too short to be a real token is refused, not trusted.
 */
export function resolveAdminToken(config: Config): AdminToken {
  if (config.adminToken !== null)
    return { token: config.adminToken, source: 'env', file: null, generated: false };
  if (config.mode !== 'embedded') throw new Error('ADMIN_TOKEN is required in distributed mode');
  const file = join(config.dataDir, ADMIN_TOKEN_FILE);
  mkdirSync(config.dataDir, { recursive: true });
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length < 32)
      throw new Error(
        `${file} holds no usable admin token (at least 32 characters); delete it to have a new one made`,
      );
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return { token, source: 'file', file, generated: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(32).toString('base64url');
  try {
    // 'wx' fails if another process created the file in between; then use theirs.
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return resolveAdminToken(config);
    throw err;
  }
  return { token, source: 'file', file, generated: true };
}
