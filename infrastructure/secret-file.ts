import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SecretFile {
  /** base64url text of the secret. */
  readonly value: string;
  readonly file: string;
  /** True when this call created the file. */
  readonly generated: boolean;
}

/**
 * A secret kept in DATA_DIR for the embedded mode: read from `name` if present, else created with
 * `bytes` random bytes (base64url) and mode 0600 so only the owner can read it. Two processes starting
 * at once agree on one secret ('wx' refuses to overwrite the winner's file). A file whose content is too
 * short to be such a secret is refused, not trusted.
 */
export function resolveSecretFile(dataDir: string, name: string, bytes = 32): SecretFile {
  const file = join(dataDir, name);
  const minLength = Math.ceil((bytes * 4) / 3);
  mkdirSync(dataDir, { recursive: true });
  try {
    const value = readFileSync(file, 'utf8').trim();
    if (value.length < minLength || !/^[\x21-\x7E]+$/.test(value)) {
      throw new Error(`${file} holds no usable secret; delete it to have a new one made`);
    }
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return { value, file, generated: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const value = randomBytes(bytes).toString('base64url');
  try {
    writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return resolveSecretFile(dataDir, name, bytes);
    throw err;
  }
  return { value, file, generated: true };
}
