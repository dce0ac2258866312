import { createHash, randomBytes } from 'node:crypto';
import { inject, injectable } from 'inversify';
import { DomainError } from '../../domain/kernel/decider.js';
import type { Clock } from '../ports/clock.js';
import type { EphemeralStore } from '../ports/ephemeral-store.js';
import { PORTS } from '../tokens.js';
import { newId } from '../kernel/ids.js';
import { isStaff } from './staff-access.js';
import { STAFF_DIRECTORY, type StaffDirectory } from './staff-directory.js';

/**
 * Personal API tokens of staff (an auditor exporting with curl, a support tool): bearer tokens for
 * the /v1 staff APIs, minted by the operator and shown once. Tessera keeps only the SHA-256 digest
 * of each, with its owner and expiry, in the ephemeral store (its time to live is the token's), so
 * a leaked store holds no usable token and expired tokens disappear on their own.
 *
 * A token carries no roles: whoever checks it asks the StaffDirectory what its owner holds now, so
 * revoking a role takes effect on the next request.
 */

const NAMESPACE = 'staff-token';
/** Tags: find an account's tokens, find a token by its id, and list all tokens. */
const BY_SUB = 'sub';
const BY_ID = 'tokenId';
const ALL = 'kind';
const ALL_VALUE = 'staff-token';

/** Recognisable in logs and secret scanners; the rest is 256 random bits. */
export const STAFF_TOKEN_PREFIX = 'tst_';
const TOKEN_PATTERN = /^tst_[A-Za-z0-9_-]{43}$/;
export const MAX_TOKEN_DAYS = 365;

/** What is stored (and listed) about a token; never the token itself. */
export interface StaffTokenView {
  readonly id: string;
  readonly sub: string;
  readonly label: string | null;
  /** Who minted it: `operator`, or a staff `sub`. */
  readonly by: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export interface IssuedStaffToken {
  /** The token in clear, for the caller to show once. */
  readonly token: string;
  readonly view: StaffTokenView;
}

export interface IssueStaffTokenInput {
  readonly days: number;
  readonly by: string;
  readonly label?: string;
}

const digest = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

@injectable()
export class StaffTokens {
  constructor(
    @inject(PORTS.EphemeralStore) private readonly store: EphemeralStore,
    @inject(PORTS.Clock) private readonly clock: Clock,
    @inject(STAFF_DIRECTORY) private readonly directory: StaffDirectory,
  ) {}

  /** Mints a token for a staff account. Refuses accounts that hold neither a role nor provider access. */
  async issue(sub: string, input: IssueStaffTokenInput): Promise<IssuedStaffToken> {
    if (!Number.isInteger(input.days) || input.days < 1 || input.days > MAX_TOKEN_DAYS) {
      throw new DomainError(
        'invalid',
        'invalid_days',
        `days must be a whole number from 1 to ${MAX_TOKEN_DAYS}.`,
        'days',
      );
    }
    const label = input.label?.trim();
    if (label !== undefined && label.length > 100) {
      throw new DomainError('invalid', 'invalid_label', 'label must be at most 100 characters.', 'label');
    }
    const [roles, providerIds] = await Promise.all([
      this.directory.rolesOf(sub),
      this.directory.providersOf(sub),
    ]);
    if (!isStaff({ roles, providerIds })) {
      throw new DomainError('conflict', 'not_staff', 'The account holds no staff role or provider access.');
    }
    const now = this.clock.now();
    const ttlSeconds = input.days * 86_400;
    const view: StaffTokenView = {
      id: newId(),
      sub,
      label: label === undefined || label === '' ? null : label,
      by: input.by,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ttlSeconds * 1000).toISOString(),
    };
    const token = STAFF_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    await this.store.set(NAMESPACE, digest(token), view, {
      ttlSeconds,
      tags: { [BY_SUB]: sub, [BY_ID]: view.id, [ALL]: ALL_VALUE },
    });
    return { token, view };
  }

  /** The token's record while it is unexpired and not revoked; null for anything else. */
  async authenticate(token: string): Promise<StaffTokenView | null> {
    if (!TOKEN_PATTERN.test(token)) return null;
    const entry = await this.store.get<StaffTokenView>(NAMESPACE, digest(token));
    if (entry === null) return null;
    if (Date.parse(entry.value.expiresAt) <= this.clock.now().getTime()) return null;
    return entry.value;
  }

  /** Live tokens of one account, or of everyone; newest first. */
  async list(sub?: string): Promise<StaffTokenView[]> {
    const entries =
      sub === undefined
        ? await this.store.findByTag<StaffTokenView>(NAMESPACE, ALL, ALL_VALUE)
        : await this.store.findByTag<StaffTokenView>(NAMESPACE, BY_SUB, sub);
    const now = this.clock.now().getTime();
    return entries
      .map((e) => e.value)
      .filter((v) => Date.parse(v.expiresAt) > now)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  }

  /** Revokes a token by its id; false when there was no such live token. */
  async revoke(id: string): Promise<boolean> {
    return (await this.store.deleteByTag(NAMESPACE, BY_ID, id)) > 0;
  }

  /** Revokes every token of an account (e.g. when it leaves the staff); resolves to how many. */
  async revokeAll(sub: string): Promise<number> {
    return this.store.deleteByTag(NAMESPACE, BY_SUB, sub);
  }
}
