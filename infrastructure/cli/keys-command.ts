import type { SigningKeyInfo, SigningKeyStore } from '../oidc/signing-keys.js';
import type { CliOutput } from './clients-command.js';

export const KEYS_USAGE = `Usage:
  tessera keys list     the signing keys: current first, then retiring ones with their end
  tessera keys rotate   make a new current key; the old one stays published until its tokens expire
  tessera keys prune    delete retiring keys past their end

Running servers check their keys every minute: they sign with a new key within a minute of a
rotation, and rotate by themselves once a key is SIGNING_KEY_ROTATION_DAYS old (default 90).
`;

/** A mistake in the command line itself; the message includes the usage text. */
export class KeysUsageError extends Error {
  constructor(problem: string) {
    super(`${problem}\n\n${KEYS_USAGE}`);
    this.name = 'KeysUsageError';
  }
}

function line(key: SigningKeyInfo): string {
  const end = key.retireAfter === null ? '' : `  published until ${key.retireAfter}`;
  return `${key.kid}  ${key.alg}  ${key.status.padEnd(8)}  created ${key.createdAt}${end}\n`;
}

/** `tessera keys list|rotate|prune`: manages the OpenID Connect signing keys. */
export async function keysCommand(
  keys: SigningKeyStore,
  args: readonly string[],
  out: CliOutput,
): Promise<void> {
  const [action, ...rest] = args;
  if (rest.length > 0) throw new KeysUsageError(`Unexpected argument "${rest[0]}".`);
  switch (action) {
    case 'list':
      for (const key of await keys.list()) out.write(line(key));
      return;
    case 'rotate': {
      const current = await keys.rotate();
      out.write(`New current key${current.length > 1 ? 's' : ''}:\n`);
      for (const key of current) out.write(line(key));
      out.write(
        'Running servers sign with it within a minute; the previous key stays in the JWKS until its tokens expire.\n',
      );
      return;
    }
    case 'prune':
      out.write(`Deleted ${await keys.prune()} expired key(s).\n`);
      return;
    default:
      throw new KeysUsageError(action === undefined ? 'Name an action.' : `Unknown action "${action}".`);
  }
}
