import { z } from 'zod';
import { ScopeSchema } from './client-scopes.js';
import { httpsUriProblem, redirectUriProblem, uriIdentity } from './client-uris.js';

/**
 * Value schemas of OAuth/OIDC clients, shared by the decider and the HTTP layer so a rule is
 * written once.
 */

/**
 * `confidential`: runs on a server and can keep a secret (authenticates at the token endpoint).
 * `public`: a browser or native app that cannot (PKCE only, no client_credentials).
 */
export const ClientTypeSchema = z.enum(['confidential', 'public'], {
  error: 'must be "confidential" or "public"',
});
export type ClientType = z.infer<typeof ClientTypeSchema>;

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export const GrantTypeSchema = z.enum(GRANT_TYPES, { error: `must be one of: ${GRANT_TYPES.join(', ')}` });
export type GrantType = z.infer<typeof GrantTypeSchema>;

/** What a client gets when registration does not say: sign users in and keep them signed in. */
export const DEFAULT_GRANT_TYPES: readonly GrantType[] = ['authorization_code', 'refresh_token'];

export type ClientStatus = 'active' | 'disabled';

/** The name users see on the consent page and among their connected services. */
export const ClientNameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters');

export const DisableReasonSchema = z.string().trim().min(1).max(500);

/** SHA-256 of a client secret, lowercase hex. The secret itself is never stored. */
export const SecretDigestSchema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 digest in lowercase hex');

export const MAX_REDIRECT_URIS = 20;

export const RedirectUriSchema = z.string().superRefine((uri, ctx) => {
  const problem = redirectUriProblem(uri);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const HttpsUriSchema = z.string().superRefine((uri, ctx) => {
  const problem = httpsUriProblem(uri);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Reports every element equal (by `identity`) to an earlier one, at its own index. */
function refineUnique<T>(identity: (value: T) => string, message: string) {
  return (values: readonly T[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    values.forEach((value, index) => {
      const id = identity(value);
      if (seen.has(id)) ctx.addIssue({ code: 'custom', message, path: [index] });
      seen.add(id);
    });
  };
}

/** Redirect (or post-logout redirect) URIs: valid each, no two the same, at most 20. */
export const RedirectUriListSchema = z
  .array(RedirectUriSchema)
  .max(MAX_REDIRECT_URIS, `must have at most ${MAX_REDIRECT_URIS} URIs`)
  .superRefine(refineUnique(uriIdentity, 'is a duplicate of an earlier URI'));

export const GrantTypeListSchema = z
  .array(GrantTypeSchema)
  .min(1, 'must name at least one grant type')
  .superRefine(refineUnique(String, 'is listed twice'));

/** Allowed scopes: known ones, at least one, each once. */
export const ScopeListSchema = z
  .array(ScopeSchema)
  .min(1, 'must name at least one scope')
  .superRefine(refineUnique(String, 'is listed twice'));

export const clientStreamId = (clientId: string) => `client-${clientId}`;
