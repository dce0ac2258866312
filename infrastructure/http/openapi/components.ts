import { z } from 'zod';
import { PROBLEM_TYPE_BASE, type ProblemBody } from '../problem.js';

/** The RFC 9457 problem document every Tessera error is sent as (see problem.ts). */
export const ProblemSchema = z
  .object({
    type: z
      .string()
      .describe(
        `Stable URI of the problem kind: \`${PROBLEM_TYPE_BASE}\` followed by the code in kebab case.`,
      ),
    title: z.string().describe('Short summary of the HTTP status.'),
    status: z.int().min(400).max(599).describe('The HTTP status code.'),
    detail: z.string().describe('What went wrong and what to do about it, for a person.'),
    instance: z.string().describe('The request path (never the query string).'),
    code: z.string().describe('Stable machine-readable code, e.g. `validation_failed`.'),
    correlationId: z
      .string()
      .optional()
      .describe('Id of the request in Tessera’s logs; quote it when asking for support.'),
    errors: z
      .array(
        z.object({
          path: z
            .string()
            .describe(
              'Where: `body.price.amount`, `query.limit`, `params.productId`, `headers.idempotency-key`.',
            ),
          message: z.string(),
        }),
      )
      .optional()
      .describe('Every field problem of a 400 or 422, each at its path.'),
  })
  .describe('An RFC 9457 problem document (`application/problem+json`).');

/** Keeps ProblemSchema and the ProblemBody the error handler writes in step (a compile-time check). */
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never]
  ? true
  : false;
const problemFieldsMatch: SameKeys<ProblemBody, z.infer<typeof ProblemSchema>> = true;
void problemFieldsMatch;

export const SECURITY_SCHEME_OIDC = 'tesseraOidc';
export const SECURITY_SCHEME_ADMIN = 'adminToken';

/** Where clients discover the authorization server (relative to the server's base URL). */
export const DISCOVERY_PATH = '/.well-known/openid-configuration';

export function securitySchemes(issuer: string | undefined): Record<string, object> {
  return {
    [SECURITY_SCHEME_OIDC]: {
      type: 'openIdConnect',
      openIdConnectUrl: `${issuer?.replace(/\/$/, '') ?? ''}${DISCOVERY_PATH}`,
      description:
        'An access token from Tessera’s OpenID Connect server, sent as `Authorization: Bearer <token>`: ' +
        'a provider backend’s client_credentials token, or a user’s token from the authorization code ' +
        'flow. Each operation lists the scope sets it accepts (any one set suffices).',
    },
    [SECURITY_SCHEME_ADMIN]: {
      type: 'http',
      scheme: 'bearer',
      description: 'The operator’s ADMIN_TOKEN, sent as `Authorization: Bearer <token>`.',
    },
  };
}
