import { z } from 'zod';
import {
  ClientNameSchema,
  ClientTypeSchema,
  DisableReasonSchema,
  GrantTypeListSchema,
  HttpsUriSchema,
  RedirectUriListSchema,
  ScopeListSchema,
} from '../../domain/catalog/client-values.js';
import type { ClientView } from '../../application/catalog/client-queries.js';

/**
 * Request and response shapes of the clients admin API. Bodies are checked with the same value
 * schemas the decider uses, so every field problem is listed at once with its path; rules that tie
 * fields together (a public client with client_credentials, ...) come back from the decider.
 * Unknown body fields are refused, not ignored.
 */

export const ClientIdParams = z.object({ clientId: z.uuid('must be a client id (UUID)') });

const Limit = z
  .string()
  .regex(/^\d{1,3}$/, 'must be an integer from 1 to 100')
  .transform(Number)
  .pipe(z.int().min(1, 'must be at least 1').max(100, 'must be at most 100'));

export const ClientListQuery = z.object({
  limit: Limit.optional(),
  cursor: z.string().min(1).max(1024).optional(),
});

export const NewClientBody = z.strictObject({
  clientType: ClientTypeSchema,
  name: ClientNameSchema,
  logoUri: HttpsUriSchema.optional(),
  redirectUris: RedirectUriListSchema.optional(),
  postLogoutRedirectUris: RedirectUriListSchema.optional(),
  backchannelLogoutUri: HttpsUriSchema.optional(),
  scopes: ScopeListSchema,
  grantTypes: GrantTypeListSchema.optional(),
});
export type NewClientBody = z.infer<typeof NewClientBody>;

export const UpdateClientBody = z
  .strictObject({
    name: ClientNameSchema.optional(),
    logoUri: HttpsUriSchema.nullable().optional(),
    redirectUris: RedirectUriListSchema.optional(),
    postLogoutRedirectUris: RedirectUriListSchema.optional(),
    backchannelLogoutUri: HttpsUriSchema.nullable().optional(),
    scopes: ScopeListSchema.optional(),
    grantTypes: GrantTypeListSchema.optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'give at least one field to change');

export const DisableClientBody = z.strictObject({ reason: DisableReasonSchema.optional() });
/** Bodies of actions that take no parameters: empty or `{}`. */
export const EmptyBody = z.strictObject({});

/**
 * A client as the admin API shows it. Fields are listed one by one so that nothing else (above all
 * the secret digest) can slip into a response.
 */
export function toClientResource(view: ClientView) {
  return {
    clientId: view.id,
    providerId: view.providerId,
    clientType: view.clientType,
    name: view.name,
    logoUri: view.logoUri,
    redirectUris: view.redirectUris,
    postLogoutRedirectUris: view.postLogoutRedirectUris,
    backchannelLogoutUri: view.backchannelLogoutUri,
    scopes: view.scopes,
    grantTypes: view.grantTypes,
    status: view.status,
    secretIssuedAt: view.secretIssuedAt,
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
    disabledAt: view.disabledAt,
  };
}
