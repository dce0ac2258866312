import { type Algorithm, hash, verify } from '@node-rs/argon2';
import { DomainError } from '../../domain/kernel/decider.js';

/**
 * Password hashing with argon2id at the OWASP Password Storage Cheat Sheet's baseline
 * (m = 19 MiB, t = 2, p = 1). Only the PHC string is stored (in a PasswordSet event).
 */
export const ARGON2ID_OPTIONS = {
  algorithm: 2 as Algorithm, // Argon2id (a const enum, which isolated modules cannot reference)
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/** NIST SP 800-63B: at least 8 characters, long passphrases allowed, no composition rules. */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

export function checkPasswordPolicy(password: string): void {
  const length = typeof password === 'string' ? [...password].length : 0;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw new DomainError(
      'invalid',
      'invalid_password',
      `password: must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long`,
      'password',
    );
  }
}

export async function hashPassword(password: string): Promise<string> {
  checkPasswordPolicy(password);
  return hash(password.normalize('NFC'), ARGON2ID_OPTIONS);
}

let decoy: Promise<string> | undefined;

/**
 * Checks a password against a PHC string. With no hash (no such user, or no password set) it
 * verifies against a decoy hash instead, so the answer takes as long either way and timing does not
 * tell whether an account or a password exists.
 */
export async function verifyPasswordHash(phc: string | null, password: string): Promise<boolean> {
  if (typeof password !== 'string' || password.length === 0 || password.length > PASSWORD_MAX_LENGTH * 4) {
    return false;
  }
  if (phc === null) {
    decoy ??= hash('decoy password that never matches', ARGON2ID_OPTIONS);
    await verify(await decoy, password.normalize('NFC'));
    return false;
  }
  try {
    return await verify(phc, password.normalize('NFC'));
  } catch {
    return false;
  }
}
