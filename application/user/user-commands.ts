import { inject, injectable } from 'inversify';
import { DomainError } from '../../domain/kernel/decider.js';
import type { UserCommand } from '../../domain/user/commands.js';
import { userDecider, type UserState } from '../../domain/user/decider.js';
import type { UserEvent } from '../../domain/user/events.js';
import { heldReservationKeys } from '../../domain/user/state.js';
import {
  type IdentifierKind,
  identifierReservationKey,
  PersonNameSchema,
  USER_STREAM_PREFIX,
  userStreamId,
} from '../../domain/user/values.js';
import { ensureValid } from '../../domain/shared/validate.js';
import type { CommandContext, CommandHandler, HandleResult } from '../kernel/command-handler.js';
import { newId } from '../kernel/ids.js';
import { type EventStore, ReservationConflictError } from '../ports/event-store.js';
import { PERSONAL_DATA_VAULT, type PersonalDataVault } from '../ports/personal-data-vault.js';
import { PORTS } from '../tokens.js';
import {
  type IdentifierInput,
  type NormalisedIdentifier,
  normaliseIdentifier,
  sealIdentifier,
} from './identifiers.js';
import { hashPassword, verifyPasswordHash } from './passwords.js';
import { USER_SETTINGS, type UserSettings } from './settings.js';

export interface UserWriteResult {
  readonly sub: string;
  /** Global log position of the write (pass as `minPosition`); null when nothing changed. */
  readonly position: number | null;
}

export interface RegistrationResult extends UserWriteResult {
  /** False when the identifier already belonged to an account (sign-in rather than sign-up). */
  readonly created: boolean;
}

export interface ProfileInput {
  /** A new display name, or null to clear it. */
  readonly name?: string | null;
  /** A BCP 47 tag, or null to clear it. */
  readonly locale?: string | null;
}

/** Uniqueness claims of the user stream: verified phones and emails belong to one account only. */
export function userReservations(events: readonly UserEvent[], before: UserState) {
  const reserve: { key: string }[] = [];
  const release: string[] = [];
  const wasVerified = (kind: IdentifierKind, hash: string) =>
    before.status === 'active' &&
    (kind === 'phone' ? before.phones : before.emails).some((i) => i.hash === hash && i.verified);
  for (const e of events) {
    switch (e.type) {
      case 'UserRegistered':
        reserve.push({ key: identifierReservationKey(e.data.via, e.data.identifierHash) });
        break;
      case 'PhoneVerified':
        reserve.push({ key: identifierReservationKey('phone', e.data.phoneHash) });
        break;
      case 'EmailVerified':
        reserve.push({ key: identifierReservationKey('email', e.data.emailHash) });
        break;
      case 'PhoneRemoved':
        if (wasVerified('phone', e.data.phoneHash))
          release.push(identifierReservationKey('phone', e.data.phoneHash));
        break;
      case 'EmailRemoved':
        if (wasVerified('email', e.data.emailHash))
          release.push(identifierReservationKey('email', e.data.emailHash));
        break;
      case 'UserErased':
        release.push(...heldReservationKeys(before));
        break;
      default:
        break;
    }
  }
  return { reserve, release };
}

export function subFromStreamId(streamId: string): string | null {
  return streamId.startsWith(USER_STREAM_PREFIX) ? streamId.slice(USER_STREAM_PREFIX.length) : null;
}

function taken(identifier: NormalisedIdentifier): DomainError {
  return new DomainError(
    'conflict',
    `${identifier.kind}_taken`,
    `This ${identifier.kind} belongs to another account.`,
    identifier.kind,
  );
}

/**
 * Write side of user accounts. Personal data is normalised, then sealed with the user's vault key
 * before it reaches a command, so events never hold it in clear; erasure appends UserErased and then
 * destroys that key.
 */
@injectable()
export class UserCommands {
  constructor(
    @inject(PORTS.CommandHandler) private readonly handler: CommandHandler,
    @inject(PORTS.EventStore) private readonly store: EventStore,
    @inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    @inject(USER_SETTINGS) private readonly settings: UserSettings,
  ) {}

  private normalise(input: IdentifierInput): NormalisedIdentifier {
    return normaliseIdentifier(this.vault, input, this.settings.defaultCountry);
  }

  private async run(
    sub: string,
    command: UserCommand,
    ctx: CommandContext,
  ): Promise<HandleResult<UserState>> {
    return this.handler.handle(userDecider, userStreamId(sub), command, ctx, {
      reservations: userReservations,
    });
  }

  private async ownerOf(identifier: NormalisedIdentifier): Promise<string | null> {
    const held = await this.store.getReservation(identifier.reservationKey);
    return held ? subFromStreamId(held.streamId) : null;
  }

  /**
   * Sign-in = sign-up: called once the person proved control of the identifier (one-time code).
   * Returns the account holding it, or creates one with it verified and primary. Concurrent calls for
   * one identifier agree on a single account.
   */
  async registerWithIdentifier(
    input: IdentifierInput,
    ctx: CommandContext,
    options: { readonly locale?: string } = {},
  ): Promise<RegistrationResult> {
    const identifier = this.normalise(input);
    const existing = await this.ownerOf(identifier);
    if (existing) return { sub: existing, position: null, created: false };
    const sub = newId();
    try {
      const result = await this.run(
        sub,
        {
          type: 'RegisterUser',
          userId: sub,
          identifier: await sealIdentifier(this.vault, sub, identifier),
          ...(options.locale !== undefined ? { locale: options.locale } : {}),
        },
        ctx,
      );
      return { sub, position: result.position, created: true };
    } catch (err) {
      const lostRace = err instanceof ReservationConflictError && err.key === identifier.reservationKey;
      // Refused appends wrote nothing for `sub`, so its fresh key is shredded. After other failures the
      // append may have happened, so the key is left alone (an unused key is harmless).
      if (lostRace || err instanceof DomainError) await this.vault.destroy(sub);
      if (!lostRace) throw err;
      const winner = await this.ownerOf(identifier);
      if (!winner) throw err;
      return { sub: winner, position: null, created: false };
    }
  }

  /** Adds an unverified phone or email; it claims nothing until verified. */
  async addIdentifier(sub: string, input: IdentifierInput, ctx: CommandContext): Promise<UserWriteResult> {
    const identifier = this.normalise(input);
    await this.requireActive(sub);
    const sealed = await sealIdentifier(this.vault, sub, identifier);
    const result = await this.run(sub, { type: 'AddIdentifier', identifier: sealed }, ctx);
    return { sub, position: result.position };
  }

  /**
   * Marks an added identifier verified (the caller checked its one-time code) and claims it: if
   * another account verified it first, `phone_taken` / `email_taken`. Only someone who controls the
   * identifier gets this far, so the answer reveals nothing to anyone else.
   */
  async verifyIdentifier(sub: string, input: IdentifierInput, ctx: CommandContext): Promise<UserWriteResult> {
    const identifier = this.normalise(input);
    try {
      const result = await this.run(
        sub,
        { type: 'VerifyIdentifier', kind: identifier.kind, hash: identifier.hash },
        ctx,
      );
      return { sub, position: result.position };
    } catch (err) {
      if (err instanceof ReservationConflictError && err.key === identifier.reservationKey)
        throw taken(identifier);
      throw err;
    }
  }

  /** Removes a phone or email (never the last verified one); a verified one becomes free for others. */
  async removeIdentifier(sub: string, input: IdentifierInput, ctx: CommandContext): Promise<UserWriteResult> {
    const identifier = this.normalise(input);
    const result = await this.run(
      sub,
      { type: 'RemoveIdentifier', kind: identifier.kind, hash: identifier.hash },
      ctx,
    );
    return { sub, position: result.position };
  }

  async makePrimary(sub: string, input: IdentifierInput, ctx: CommandContext): Promise<UserWriteResult> {
    const identifier = this.normalise(input);
    const result = await this.run(
      sub,
      { type: 'MakeIdentifierPrimary', kind: identifier.kind, hash: identifier.hash },
      ctx,
    );
    return { sub, position: result.position };
  }

  /** Changes name and/or locale; a name equal to the current one is not written again. */
  async updateProfile(sub: string, input: ProfileInput, ctx: CommandContext): Promise<UserWriteResult> {
    let name: string | null | undefined = input.name;
    if (typeof name === 'string') {
      const clear = ensureValid(PersonNameSchema, name, 'name', 'invalid_name');
      const state = await this.requireActive(sub);
      const current = state.name === null ? null : await this.vault.decrypt(sub, state.name);
      name = current === clear ? undefined : await this.vault.encrypt(sub, clear);
    }
    const result = await this.run(
      sub,
      {
        type: 'ChangeProfile',
        ...(name !== undefined ? { name } : {}),
        ...(input.locale !== undefined ? { locale: input.locale } : {}),
      },
      ctx,
    );
    return { sub, position: result.position };
  }

  /** Sets or replaces the password (argon2id; the policy is checked first). */
  async setPassword(sub: string, password: string, ctx: CommandContext): Promise<UserWriteResult> {
    await this.requireActive(sub);
    const passwordHash = await hashPassword(password);
    const result = await this.run(sub, { type: 'SetPassword', passwordHash }, ctx);
    return { sub, position: result.position };
  }

  async removePassword(sub: string, ctx: CommandContext): Promise<UserWriteResult> {
    const result = await this.run(sub, { type: 'RemovePassword' }, ctx);
    return { sub, position: result.position };
  }

  /**
   * True when the account exists, is not erased, has a password, and it matches. Takes about as long
   * whichever of these fails. Sign-in locks are the caller's to check (UserQueries.getUser).
   */
  async verifyPassword(sub: string, password: string): Promise<boolean> {
    const { state } = await this.handler.load(userDecider, userStreamId(sub));
    const phc = state.status === 'active' ? state.passwordHash : null;
    return verifyPasswordHash(phc, password);
  }

  async lockSignIn(
    sub: string,
    lock: { readonly reason: string; readonly until: string | null },
    ctx: CommandContext,
  ): Promise<UserWriteResult> {
    const result = await this.run(sub, { type: 'LockSignIn', reason: lock.reason, until: lock.until }, ctx);
    return { sub, position: result.position };
  }

  async unlockSignIn(sub: string, reason: string, ctx: CommandContext): Promise<UserWriteResult> {
    const result = await this.run(sub, { type: 'UnlockSignIn', reason }, ctx);
    return { sub, position: result.position };
  }

  /**
   * Records a completed sign-in (the SignedIn event) on the account. Refused with `sign_in_locked`
   * (a conflict) while sign-in is locked, and `user_erased` for an erased account.
   */
  async recordSignIn(
    sub: string,
    signIn: {
      readonly method: 'sms' | 'email';
      readonly withPassword: boolean;
      readonly clientId: string | null;
    },
    ctx: CommandContext,
  ): Promise<UserWriteResult> {
    const result = await this.run(
      sub,
      {
        type: 'RecordSignIn',
        method: signIn.method,
        withPassword: signIn.withPassword,
        clientId: signIn.clientId,
      },
      ctx,
    );
    return { sub, position: result.position };
  }

  /**
   * Erases the account: appends UserErased (releasing its phones and emails), then destroys its vault
   * key so every sealed value in its events becomes unreadable. Repeating it finishes an erasure whose
   * key destruction was interrupted.
   */
  async erase(sub: string, ctx: CommandContext, reason?: string): Promise<UserWriteResult> {
    const result = await this.run(
      sub,
      { type: 'EraseUser', ...(reason !== undefined ? { reason } : {}) },
      ctx,
    );
    await this.vault.destroy(sub);
    return { sub, position: result.position };
  }

  private async requireActive(sub: string) {
    const { state } = await this.handler.load(userDecider, userStreamId(sub));
    if (state.status === 'unregistered')
      throw new DomainError('not_found', 'user_not_found', 'No such user.');
    if (state.status === 'erased')
      throw new DomainError('not_found', 'user_erased', 'This account has been deleted.');
    return state;
  }
}
