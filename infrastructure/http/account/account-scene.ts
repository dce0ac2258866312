/**
 * What every account-page handler works with: the signed-in person, their language, the CSRF token
 * of their session and the context their writes are recorded with.
 */
import type { CommandContext } from '../../../application/kernel/command-handler.js';
import type { UserView } from '../../../application/user/user-queries.js';
import type { Locale } from '../pages/i18n.js';
import type { AccountStrings } from './account-i18n.js';
import type { AccountSession } from './account-session.js';

/** What a handler gets: the signed-in person and how to answer them. */
export interface AccountScene {
  readonly session: AccountSession;
  readonly user: UserView;
  readonly locale: Locale;
  readonly t: AccountStrings;
  readonly csrf: string;
  readonly ctx: CommandContext;
  readonly ip: string;
}

/** A refusal shown on the account page itself, with a status. */
export class AccountPageError extends Error {
  constructor(
    readonly status: number,
    readonly pick: (t: AccountStrings) => string,
  ) {
    super('account page error');
  }
}

/** A form field as text, cut at `max` characters; missing or non-text fields read as ''. */
export const field = (body: unknown, name: string, max = 1024): string => {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value.slice(0, max) : '';
};
