import { DomainError } from '../../domain/kernel/decider.js';
import { userDecider } from '../../domain/user/decider.js';
import type { ActiveUser, IdentifierEntry } from '../../domain/user/state.js';
import { userStreamId } from '../../domain/user/values.js';
import type { CommandHandler } from '../kernel/command-handler.js';

/**
 * The wallet's owner as the User aggregate knows them, read from the user's own stream (not a read
 * model): whether an account may save or be charged through a method must not lag behind an erasure
 * or a phone removed a moment ago.
 */
export async function loadActiveUser(handler: CommandHandler, sub: string): Promise<ActiveUser> {
  const { state } = await handler.load(userDecider, userStreamId(sub));
  if (state.status === 'unregistered') throw new DomainError('not_found', 'user_not_found', 'No such user.');
  if (state.status === 'erased')
    throw new DomainError('not_found', 'user_erased', 'This account has been deleted.');
  return state;
}

/** The account's verified phone with this keyed hash, if any. */
export function verifiedPhone(user: ActiveUser, phoneHash: string): IdentifierEntry | undefined {
  return user.phones.find((p) => p.hash === phoneHash && p.verified);
}
