import type { RecordedEvent } from '../domain/kernel/event.js';
import type { ConsentEvent, RevokedBy } from '../domain/consent/events.js';
import { defineProjection, type ProjectionTx } from './projection.js';

/**
 * One user's consent to one client (collection `consents`, id `<sub>:<clientId>`). Only the
 * client's id is kept: a projection reads nothing but its own collections, so the query side joins
 * the client's display name from the clients read model.
 */
export type ConsentDoc = {
  readonly id: string;
  readonly sub: string;
  readonly clientId: string;
  readonly providerId: string;
  readonly status: 'active' | 'revoked' | 'denied';
  /** What the client holds while active; empty otherwise. */
  readonly scopes: readonly string[];
  readonly claims: readonly string[];
  /** When the current consent was first given; null when not active. */
  readonly grantedAt: string | null;
  readonly updatedAt: string;
  readonly revokedAt: string | null;
  readonly revokedBy: RevokedBy | null;
  /** The user's most recent "no" to this client, if any. */
  readonly lastDeniedAt: string | null;
  /** Stream revision of the last event applied. */
  readonly revision: number;
};

export const CONSENTS_PROJECTION = 'consents';

export function consentDocId(sub: string, clientId: string): string {
  return `${sub}:${clientId}`;
}

type DataOf<T extends ConsentEvent['type']> = Extract<ConsentEvent, { type: T }>['data'];

async function applyConsentEvent(event: RecordedEvent<ConsentEvent>, tx: ProjectionTx): Promise<void> {
  const at = event.occurredAt;
  const { sub, clientId } = event.data as { sub: string; clientId: string };
  const id = consentDocId(sub, clientId);
  const doc = await tx.get<ConsentDoc>('consents', id);
  const touched = { updatedAt: at, revision: event.revision };
  switch (event.type) {
    case 'ConsentGranted': {
      const d = event.data as DataOf<'ConsentGranted'>;
      const next: ConsentDoc = {
        id,
        sub,
        clientId,
        providerId: d.providerId,
        status: 'active',
        scopes: d.scopes,
        claims: d.claims ?? [],
        grantedAt: at,
        revokedAt: null,
        revokedBy: null,
        lastDeniedAt: doc?.lastDeniedAt ?? null,
        ...touched,
      };
      tx.upsert('consents', next);
      return;
    }
    case 'ConsentScopesAdded': {
      if (doc?.status !== 'active') return;
      const d = event.data as DataOf<'ConsentScopesAdded'>;
      tx.upsert('consents', {
        ...doc,
        scopes: [...new Set([...doc.scopes, ...d.scopes])],
        claims: [...new Set([...doc.claims, ...(d.claims ?? [])])],
        ...touched,
      });
      return;
    }
    case 'ConsentDenied': {
      const d = event.data as DataOf<'ConsentDenied'>;
      const base: ConsentDoc = doc ?? {
        id,
        sub,
        clientId,
        providerId: d.providerId,
        status: 'denied',
        scopes: [],
        claims: [],
        grantedAt: null,
        revokedAt: null,
        revokedBy: null,
        lastDeniedAt: null,
        ...touched,
      };
      // A denial leaves an active consent in place; otherwise the user's last word is "no".
      const status = base.status === 'active' ? 'active' : 'denied';
      tx.upsert('consents', { ...base, status, lastDeniedAt: at, ...touched });
      return;
    }
    case 'ConsentRevoked': {
      if (doc?.status !== 'active') return;
      const d = event.data as DataOf<'ConsentRevoked'>;
      tx.upsert('consents', {
        ...doc,
        status: 'revoked',
        scopes: [],
        claims: [],
        grantedAt: null,
        revokedAt: at,
        revokedBy: d.by,
        ...touched,
      });
      return;
    }
  }
}

/**
 * Consents as readers see them: per user (connected services on the account page and API) and per
 * client (which users a provider may read by `sub`, and with which scopes).
 */
export const consentsProjection = defineProjection<ConsentEvent>({
  name: CONSENTS_PROJECTION,
  version: 1,
  handles: ['ConsentGranted', 'ConsentScopesAdded', 'ConsentDenied', 'ConsentRevoked'],
  collections: {
    consents: {
      indexes: [{ fields: ['sub', 'status', 'grantedAt'] }, { fields: ['clientId', 'status'] }],
    },
  },
  apply: applyConsentEvent,
});
