import { z } from 'zod';
import { type Decider, DomainError } from '../kernel/decider.js';
import { ensureValid } from '../shared/validate.js';
import type { ConsentCommand, DenyConsent, GrantConsent, RevokeConsent } from './commands.js';
import {
  ConsentClaimSchema,
  ConsentDenied,
  type ConsentEvent,
  ConsentGranted,
  ConsentRevoked,
  ConsentScopeSchema,
  ConsentScopesAdded,
  RevokedBySchema,
} from './events.js';

/** The stream of one user's consent to one client. Both ids are UUIDs, so the name is unambiguous. */
export function consentStreamId(sub: string, clientId: string): string {
  return `consent-${sub}-${clientId}`;
}

interface ConsentFacts {
  readonly sub: string;
  readonly clientId: string;
  readonly providerId: string;
}

/**
 * `active`: the client holds `scopes` (and `claims`). `revoked`: a consent existed and was
 * withdrawn. `denied`: the user declined and has not allowed anything since. Only an active
 * consent holds scopes.
 */
export type ConsentState =
  | { readonly status: 'none' }
  | (ConsentFacts & {
      readonly status: 'active';
      readonly scopes: readonly string[];
      readonly claims: readonly string[];
    })
  | (ConsentFacts & { readonly status: 'revoked' | 'denied' });

const Uuid = z.uuid();
const Scopes = z.array(ConsentScopeSchema).max(100);
const Claims = z.array(ConsentClaimSchema).max(100);
const Reason = z.string().trim().min(1).max(500);

const unique = (values: readonly string[]): string[] => [...new Set(values)];

/** Checks the ids of a grant or denial, and that they name this stream's user and client. */
function checkParties(command: GrantConsent | DenyConsent, state: ConsentState): void {
  ensureValid(Uuid, command.sub, 'sub', 'invalid_sub');
  ensureValid(Uuid, command.clientId, 'clientId', 'invalid_client_id');
  ensureValid(Uuid, command.providerId, 'providerId', 'invalid_provider_id');
  if (state.status !== 'none' && (state.sub !== command.sub || state.clientId !== command.clientId)) {
    throw new DomainError(
      'conflict',
      'consent_parties_mismatch',
      'This consent belongs to another user or client.',
    );
  }
}

function decideGrant(command: GrantConsent, state: ConsentState): ConsentEvent[] {
  checkParties(command, state);
  const scopes = unique(ensureValid(Scopes, command.scopes, 'scopes', 'invalid_scope'));
  const claims = unique(ensureValid(Claims, command.claims ?? [], 'claims', 'invalid_claim'));
  const { sub, clientId, providerId } = command;
  if (state.status === 'active') {
    const newScopes = scopes.filter((s) => !state.scopes.includes(s));
    const newClaims = claims.filter((c) => !state.claims.includes(c));
    if (newScopes.length === 0 && newClaims.length === 0) return [];
    return [
      ConsentScopesAdded({
        sub,
        clientId,
        scopes: newScopes,
        ...(newClaims.length > 0 ? { claims: newClaims } : {}),
      }),
    ];
  }
  if (scopes.length === 0) {
    throw new DomainError('invalid', 'no_scopes', 'A consent must allow at least one scope.', 'scopes');
  }
  return [ConsentGranted({ sub, clientId, providerId, scopes, ...(claims.length > 0 ? { claims } : {}) })];
}

function decideDeny(command: DenyConsent, state: ConsentState): ConsentEvent[] {
  checkParties(command, state);
  const scopes = unique(ensureValid(Scopes, command.scopes, 'scopes', 'invalid_scope'));
  return [
    ConsentDenied({ sub: command.sub, clientId: command.clientId, providerId: command.providerId, scopes }),
  ];
}

function decideRevoke(command: RevokeConsent, state: ConsentState): ConsentEvent[] {
  if (state.status !== 'active') return [];
  const by = ensureValid(RevokedBySchema, command.by, 'by', 'invalid_revoked_by');
  const reason =
    command.reason === undefined
      ? undefined
      : ensureValid(Reason, command.reason, 'reason', 'invalid_reason');
  return [
    ConsentRevoked({
      sub: state.sub,
      clientId: state.clientId,
      by,
      ...(reason === undefined ? {} : { reason }),
    }),
  ];
}

/**
 * One user's consent to one client. Granting what is already granted records nothing; a denial is
 * always recorded (it is the user's decision) but leaves an active consent as it was; revoking
 * anything but an active consent records nothing; a grant after a revocation is a new grant.
 */
export const consentDecider: Decider<ConsentState, ConsentCommand, ConsentEvent> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    switch (event.type) {
      case 'ConsentGranted': {
        const d = event.data;
        return {
          status: 'active',
          sub: d.sub,
          clientId: d.clientId,
          providerId: d.providerId,
          scopes: d.scopes,
          claims: d.claims ?? [],
        };
      }
      case 'ConsentScopesAdded':
        if (state.status !== 'active') return state;
        return {
          ...state,
          scopes: unique([...state.scopes, ...event.data.scopes]),
          claims: unique([...state.claims, ...(event.data.claims ?? [])]),
        };
      case 'ConsentDenied': {
        if (state.status === 'active') return state;
        const d = event.data;
        return { status: 'denied', sub: d.sub, clientId: d.clientId, providerId: d.providerId };
      }
      case 'ConsentRevoked':
        if (state.status !== 'active') return state;
        return {
          status: 'revoked',
          sub: state.sub,
          clientId: state.clientId,
          providerId: state.providerId,
        };
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'GrantConsent':
        return decideGrant(command, state);
      case 'DenyConsent':
        return decideDeny(command, state);
      case 'RevokeConsent':
        return decideRevoke(command, state);
    }
  },
};
