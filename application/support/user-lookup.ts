import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { DomainError } from '../../domain/kernel/decider.js';
import { type CountryCode, type Identifier, parseIdentifier } from '../signin/identifier.js';
import { USER_SETTINGS, type UserSettings } from '../user/settings.js';
import { UserQueries, type UserView } from '../user/user-queries.js';

/** Find a user by exactly one of these. */
export type UserSearch = { readonly sub: string } | { readonly phone: string } | { readonly email: string };

/**
 * An account as support sees it: personal data opened with the vault for display (never stored in
 * clear), and none at all once the account is erased.
 */
export type SupportUserSummary = UserView;

const Sub = z.uuid();

/**
 * Finds an account by `sub`, phone or email. Phones and emails are parsed by the sign-in rules
 * (national phone formats in the configured country), then found through the keyed-hash
 * uniqueness reservation the account holds for each verified one: no clear value is ever searched
 * for, or stored to be searched. Unverified phones and emails belong to no account yet, so they
 * find nothing.
 */
@injectable()
export class UserLookup {
  constructor(
    @inject(UserQueries) private readonly users: Pick<UserQueries, 'getUser' | 'findByIdentifier'>,
    @inject(USER_SETTINGS) private readonly settings: UserSettings,
  ) {}

  /** The account, or null when none matches. Throws DomainError('invalid') for malformed input. */
  async find(search: UserSearch): Promise<SupportUserSummary | null> {
    const sub = 'sub' in search ? this.checkedSub(search.sub) : await this.subOf(search);
    if (sub === null) return null;
    try {
      return redactErased(await this.users.getUser(sub));
    } catch (err) {
      if (err instanceof DomainError && err.kind === 'not_found') return null;
      throw err;
    }
  }

  private checkedSub(sub: string): string {
    if (!Sub.safeParse(sub).success) {
      throw new DomainError('invalid', 'invalid_sub', 'sub: must be a user id (a UUID).', 'sub');
    }
    return sub;
  }

  private async subOf(search: { phone: string } | { email: string }): Promise<string | null> {
    const field = 'phone' in search ? 'phone' : 'email';
    const typed = 'phone' in search ? search.phone : search.email;
    const identifier: Identifier = parseIdentifier(
      typed,
      (this.settings.defaultCountry ?? 'NO') as CountryCode,
      field,
    );
    if (identifier.kind !== field) {
      throw new DomainError('invalid', `invalid_${field}`, `${field}: this is not a ${field}.`, field);
    }
    return this.users.findByIdentifier(identifier);
  }
}

/** An erased account shows as erased and nothing else of its person. */
export function redactErased(user: UserView): SupportUserSummary {
  if (user.status !== 'erased') return user;
  return { ...user, phones: [], emails: [], name: null, locale: null, signInLock: null };
}
