import type { Clock } from '../../application/ports/clock.js';
import type { EphemeralStore } from '../../application/ports/ephemeral-store.js';
import type { EventStore } from '../../application/ports/event-store.js';
import type { PersonalDataVault } from '../../application/ports/personal-data-vault.js';
import type { ReadModelStore } from '../../application/ports/read-model-store.js';
import type { ProviderFeedStore } from '../../application/ports/provider-feed-store.js';
import type { Secrets } from '../secrets.js';
import type { EventRegistry } from '../../domain/kernel/registry.js';

/** The storage ports, opened together for one runtime mode. */
export interface Stores {
  readonly eventStore: EventStore;
  readonly readModels: ReadModelStore;
  readonly ephemeral: EphemeralStore;
  /** Per-user keys for personal data, kept outside the event log (crypto-shredding). */
  readonly vault: PersonalDataVault;
  /** Providers' change feed: queues, webhook deliveries and the feed's checkpoints. */
  readonly feed: ProviderFeedStore;
}

export interface StoreContext {
  readonly registry: EventRegistry;
  readonly clock: Clock;
  readonly secrets: Secrets;
}

/** Closes whatever was opened, ignoring close errors so the original failure is the one reported. */
export async function closeAll(
  closables: ReadonlyArray<{ close(): Promise<void> } | undefined>,
): Promise<void> {
  for (const c of closables) await c?.close().catch(() => undefined);
}
