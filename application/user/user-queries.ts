import { inject, injectable } from 'inversify';
import { DomainError } from '../../domain/kernel/decider.js';
import { type IdentifierEntry, lockInForce, type SignInLock } from '../../domain/user/state.js';
import { USERS_PROJECTION, type UserDoc } from '../../projections/users.js';
import type { Clock } from '../ports/clock.js';
import type { EventStore } from '../ports/event-store.js';
import { PERSONAL_DATA_VAULT, type PersonalDataVault } from '../ports/personal-data-vault.js';
import type { Views } from '../ports/views.js';
import { PORTS } from '../tokens.js';
import { type IdentifierInput, normaliseIdentifier } from './identifiers.js';
import { USER_SETTINGS, type UserSettings } from './settings.js';
import { subFromStreamId } from './user-commands.js';

export interface IdentifierView {
  /** The clear value; null once the account is erased (its key is gone). */
  readonly value: string | null;
  readonly verified: boolean;
  readonly primary: boolean;
}

/** An account as its owner (or a provider with consent) sees it. */
export interface UserView {
  readonly sub: string;
  readonly status: 'active' | 'erased';
  readonly phones: readonly IdentifierView[];
  readonly emails: readonly IdentifierView[];
  readonly name: string | null;
  readonly locale: string | null;
  readonly hasPassword: boolean;
  /** The lock in force now, if any. */
  readonly signInLock: SignInLock | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly erasedAt: string | null;
}

/**
 * Read side of user accounts, from the `users` projection. The projection holds personal data only
 * sealed; it is opened here, per request, with the vault, so no read model ever holds it in clear
 * and an erased account comes back without it.
 */
@injectable()
export class UserQueries {
  constructor(
    @inject(PORTS.Views) private readonly views: Views,
    @inject(PORTS.EventStore) private readonly store: EventStore,
    @inject(PORTS.Clock) private readonly clock: Clock,
    @inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    @inject(USER_SETTINGS) private readonly settings: UserSettings,
  ) {}

  private users() {
    return this.views.view<UserDoc>(USERS_PROJECTION, 'users');
  }

  private async open(sub: string, sealed: string | null): Promise<string | null> {
    return sealed === null ? null : this.vault.decrypt(sub, sealed);
  }

  private async identifiers(sub: string, entries: readonly IdentifierEntry[], primary: string | null) {
    return Promise.all(
      entries.map(async (e) => ({
        value: await this.open(sub, e.sealed),
        verified: e.verified,
        primary: e.hash === primary,
      })),
    );
  }

  /** Throws DomainError('not_found', 'user_not_found'); an erased account is returned, without personal data. */
  async getUser(sub: string): Promise<UserView> {
    const doc = await this.users().get(sub);
    if (!doc) throw new DomainError('not_found', 'user_not_found', 'No such user.');
    const lock = doc.status === 'active' && lockInForce(doc.lock, this.clock.now()) ? doc.lock : null;
    return {
      sub: doc.id,
      status: doc.status,
      phones: await this.identifiers(sub, doc.phones, doc.primaryPhone),
      emails: await this.identifiers(sub, doc.emails, doc.primaryEmail),
      name: await this.open(sub, doc.name),
      locale: doc.locale,
      hasPassword: doc.hasPassword,
      signInLock: lock,
      createdAt: doc.createdAt,
      updatedAt: doc.updatedAt,
      erasedAt: doc.erasedAt,
    };
  }

  /**
   * The `sub` of the account holding a verified phone or email, found by its keyed hash through the
   * uniqueness reservation (read-your-writes, no projection lag); null when none does.
   */
  async findByIdentifier(input: IdentifierInput): Promise<string | null> {
    const identifier = normaliseIdentifier(this.vault, input, this.settings.defaultCountry);
    const held = await this.store.getReservation(identifier.reservationKey);
    return held ? subFromStreamId(held.streamId) : null;
  }
}
