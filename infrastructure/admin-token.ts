import type { Config } from './config.js';
import { resolveSecretFile } from './secret-file.js';

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
 * in DATA_DIR/admin-token, created on first start with 256 random bits (see resolveSecretFile).
 */
export function resolveAdminToken(config: Config): AdminToken {
  if (config.adminToken !== null)
    return { token: config.adminToken, source: 'env', file: null, generated: false };
  if (config.mode !== 'embedded') throw new Error('ADMIN_TOKEN is required in distributed mode');
  const secret = resolveSecretFile(config.dataDir, ADMIN_TOKEN_FILE);
  return { token: secret.value, source: 'file', file: secret.file, generated: secret.generated };
}
