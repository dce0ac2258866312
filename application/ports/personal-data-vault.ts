/**
 * Personal data (phone numbers, emails, names) is stored in events only as values sealed by this
 * vault under a key that belongs to one subject (a user's `sub`). The keys live outside the event
 * log; erasing a subject destroys its key, after which everything ever sealed for it is unreadable
 * wherever it was copied (crypto-shredding, DESIGN.md "Money, time, personal data").
 */
export interface PersonalDataVault {
  /**
   * Seals `plaintext` for `subjectId`, creating the subject's key on first use. The result is an
   * opaque ASCII string (`[A-Za-z0-9._-]`); sealing the same text twice gives different results.
   * Throws SubjectErasedError once the subject's key has been destroyed.
   */
  encrypt(subjectId: string, plaintext: string): Promise<string>;
  /**
   * Opens a value sealed for `subjectId`. Returns null when the subject was erased (its key is
   * gone). Throws SealedValueError when the value was altered, is malformed, or was sealed for
   * another subject.
   */
  decrypt(subjectId: string, sealed: string): Promise<string | null>;
  /** Destroys the subject's key for good (idempotent); later encrypts for it are refused. */
  destroy(subjectId: string): Promise<void>;
  isErased(subjectId: string): Promise<boolean>;
  /**
   * A keyed hash (HMAC-SHA256 under a key derived from the vault's master key, base64url, 43
   * characters) for finding and de-duplicating values without storing them in clear: equal inputs
   * give equal outputs, and without the master key the output reveals nothing, not even by trying
   * every phone number. `purpose` separates uses, so the same text hashes differently per purpose.
   * Hashes outlive erasure (they are in reservations and events) but stay unlinkable to a person
   * without the master key.
   */
  keyedHash(purpose: string, value: string): string;
  close(): Promise<void>;
}

/** Injection token of the PersonalDataVault port. */
export const PERSONAL_DATA_VAULT = Symbol.for('tessera.port.PersonalDataVault');

/** The subject was erased: nothing more can be sealed for it. */
export class SubjectErasedError extends Error {
  constructor(readonly subjectId: string) {
    super(`Subject ${subjectId} has been erased; no personal data can be stored for it`);
    this.name = 'SubjectErasedError';
  }
}

/** A sealed value failed authentication: altered, malformed, or sealed for another subject. */
export class SealedValueError extends Error {
  constructor(
    readonly subjectId: string,
    reason: string,
  ) {
    super(`Cannot open a value sealed for subject ${subjectId}: ${reason}`);
    this.name = 'SealedValueError';
  }
}

/** The vault's keys were wrapped with a different master key than the one configured. */
export class VaultMasterKeyError extends Error {
  constructor(detail: string) {
    super(
      `The vault master key does not match the one its keys were stored with (${detail}); ` +
        'check VAULT_MASTER_KEY: with the wrong key, personal data cannot be read',
    );
    this.name = 'VaultMasterKeyError';
  }
}
