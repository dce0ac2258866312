import { z } from 'zod';
import type { IdentifierView, UserView } from '../../application/user/user-queries.js';
import type { CodeRequestResult } from '../../application/signin/results.js';
import { DomainError } from '../../domain/kernel/decider.js';
import {
  type IdentifierKind,
  LocaleSchema,
  normaliseEmail,
  normalisePhone,
  PersonNameSchema,
} from '../../domain/user/values.js';
import { HttpProblem } from './problem.js';
import type { InputLocation } from './validation.js';

/** Request and response shapes of the user-data API. Unknown body fields are refused, not ignored. */

export const PatchMeBody = z
  .strictObject({
    name: PersonNameSchema.nullable().optional(),
    locale: LocaleSchema.nullable().optional(),
  })
  .refine((b) => b.name !== undefined || b.locale !== undefined, 'give a new name, a new locale, or both');

export const NewPhoneBody = z.strictObject({ phone: z.string().min(1, 'must not be empty').max(40) });
export const NewEmailBody = z.strictObject({ email: z.string().min(1, 'must not be empty').max(320) });

export const VerifyCodeBody = z.strictObject({
  challengeId: z.string().min(1, 'must not be empty').max(128),
  code: z.string().min(1, 'must not be empty').max(32),
});

export const PhoneParams = z.object({ phone: z.string().min(1).max(40) });
export const EmailParams = z.object({ email: z.string().min(1).max(320) });
export const SubParams = z.object({ sub: z.uuid('must be a user id (the OIDC `sub`, a UUID)') });

/** The parts of an account a token (or a consent) may reveal, besides the always-present `sub`. */
export type UserSection = 'profile' | 'email' | 'phone';

const ALL_SECTIONS: readonly UserSection[] = ['profile', 'email', 'phone'];

/**
 * Which parts of an account the given scopes reveal. `id.user.read` is "read my account data" and
 * reveals all of it; otherwise each OpenID Connect scope reveals what it does at userinfo:
 * `profile` the name and locale, `email` the email addresses, `phone` the phone numbers.
 */
export function visibleSections(scopes: readonly string[]): ReadonlySet<UserSection> {
  if (scopes.includes('id.user.read')) return new Set(ALL_SECTIONS);
  return new Set(ALL_SECTIONS.filter((section) => scopes.includes(section)));
}

export function toIdentifierResource(identifier: IdentifierView) {
  return { value: identifier.value, verified: identifier.verified, primary: identifier.primary };
}

/** An account as the API shows it, limited to the sections the caller may see. */
export function toUserResource(view: UserView, sections: ReadonlySet<UserSection>) {
  return {
    sub: view.sub,
    ...(sections.has('profile') ? { name: view.name, locale: view.locale } : {}),
    ...(sections.has('phone') ? { phones: view.phones.map(toIdentifierResource) } : {}),
    ...(sections.has('email') ? { emails: view.emails.map(toIdentifierResource) } : {}),
  };
}

/** The state of the code sent to verify a newly added phone or email. */
export type VerificationResource =
  | {
      readonly status: 'sent';
      readonly challengeId: string;
      readonly channel: 'sms' | 'email';
      readonly expiresAt: string;
      readonly resendAfterSeconds: number;
    }
  | { readonly status: 'throttled'; readonly retryAfterSeconds: number }
  /** This server sends no verification codes. */
  | { readonly status: 'unavailable' }
  /** The SMS or email gateway refused or failed; ask for a new code later. */
  | { readonly status: 'delivery_failed' };

export function toVerificationResource(result: CodeRequestResult | null): VerificationResource {
  if (result === null) return { status: 'unavailable' };
  if (!result.ok) return { status: 'throttled', retryAfterSeconds: result.retryAfterSeconds };
  return {
    status: 'sent',
    challengeId: result.challengeId,
    channel: result.channel,
    expiresAt: result.expiresAt.toISOString(),
    resendAfterSeconds: result.resendAfterSeconds,
  };
}

/**
 * Normalises a phone (E.164) or email as the account stores it, so responses and `Location` show
 * the canonical value. A bad value is reported at its place in the request: 422 for the body, 400
 * for a path segment.
 */
export function normaliseIdentifierInput(
  kind: IdentifierKind,
  value: string,
  location: Extract<InputLocation, 'body' | 'params'>,
  defaultCountry: string | undefined,
): string {
  try {
    return kind === 'phone' ? normalisePhone(value, defaultCountry) : normaliseEmail(value);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    const message = err.message.replace(/^\w+: /, '');
    const errors = [{ path: `${location}.${kind}`, message }];
    throw location === 'body'
      ? new HttpProblem(
          422,
          'validation_failed',
          'The request body is not valid; see `errors` for each field.',
          {
            errors,
          },
        )
      : new HttpProblem(
          400,
          'invalid_request',
          'Some path parameters are not valid; see `errors` for each field.',
          {
            errors,
          },
        );
  }
}
