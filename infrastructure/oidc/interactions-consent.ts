/**
 * The consent step of an OpenID Connect interaction: what the client asks for, the user's decision
 * recorded as a Consent event, and the provider Grant that lets a yes take effect. A grant holds
 * exactly what the prompt reported missing, on top of what the user granted this client before, so
 * a second request for the same scopes needs no new consent.
 */
import type Provider from 'oidc-provider';
import { errors, type InteractionResults } from 'oidc-provider';
import type { ConsentCommands } from '../../application/consent/consent-commands.js';

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

export type ConsentDecision = 'allow' | 'deny';

/** Where decisions are recorded (ConsentCommands). */
export type ConsentRecorder = Pick<ConsentCommands, 'allow' | 'deny'>;

/** The consent prompt's `details`, as oidc-provider fills them. */
interface ConsentDetails {
  readonly missingOIDCScope?: readonly string[];
  readonly missingOIDCClaims?: readonly string[];
  readonly missingResourceScopes?: Readonly<Record<string, readonly string[]>>;
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

function consentDetails(interaction: Interaction): ConsentDetails {
  const details = interaction.prompt.details as Record<string, unknown>;
  const resources = details.missingResourceScopes;
  return {
    missingOIDCScope: strings(details.missingOIDCScope),
    missingOIDCClaims: strings(details.missingOIDCClaims),
    missingResourceScopes:
      typeof resources === 'object' && resources !== null
        ? Object.fromEntries(Object.entries(resources).map(([k, v]) => [k, strings(v)]))
        : {},
  };
}

/** The scopes the page asks the user about: the OIDC ones and any resource server's, each once. */
export function requestedScopes(interaction: Interaction): string[] {
  const details = consentDetails(interaction);
  const all = [
    ...(details.missingOIDCScope ?? []),
    ...Object.values(details.missingResourceScopes ?? {}).flat(),
  ];
  return [...new Set(all)];
}

const words = (value: unknown): string[] =>
  typeof value === 'string' ? value.split(' ').filter((w) => w.length > 0) : [];

/**
 * The interaction result for the user's decision, recorded first as a Consent event (the user is
 * the actor). Allow then saves (or extends) the client's Grant for this account: recording before
 * saving means no grant ever exists without its consent in the log, and a failure in between
 * leaves a consent the next authorization completes with a grant. Deny ends the request with
 * `access_denied` at the client's redirect URI.
 */
export async function finishConsent(
  provider: Provider,
  interaction: Interaction,
  decision: ConsentDecision,
  recorder: ConsentRecorder,
  correlationId: string,
): Promise<InteractionResults> {
  const accountId = interaction.session?.accountId;
  const clientId = interaction.params.client_id;
  if (accountId === undefined || typeof clientId !== 'string') {
    throw new errors.SessionNotFound('interaction without a signed-in account');
  }
  const ctx = { actor: { kind: 'user' as const, id: accountId }, correlationId };
  if (decision === 'deny') {
    const asked = requestedScopes(interaction);
    await recorder.deny(accountId, clientId, asked.length > 0 ? asked : words(interaction.params.scope), ctx);
    return { error: 'access_denied', error_description: 'The user denied the request.' };
  }
  const existing =
    interaction.grantId === undefined ? undefined : await provider.Grant.find(interaction.grantId);
  const grant = existing ?? new provider.Grant({ accountId, clientId });
  const details = consentDetails(interaction);
  if (details.missingOIDCScope?.length) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims?.length) grant.addOIDCClaims([...details.missingOIDCClaims]);
  for (const [resource, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
    if (scopes.length > 0) grant.addResourceScope(resource, scopes.join(' '));
  }
  // Everything the grant now holds: a consent recorded earlier keeps its scopes and gains the rest.
  const scopes = [
    ...words(grant.getOIDCScope()),
    ...Object.keys(grant.resources ?? {}).flatMap((resource) => words(grant.getResourceScope(resource))),
  ];
  const claims = grant.getOIDCClaims();
  await recorder.allow(accountId, clientId, { scopes, ...(claims.length > 0 ? { claims } : {}) }, ctx);
  const grantId = await grant.save();
  return { consent: { grantId } };
}
