import type { DomainEvent, RecordedEvent } from '../domain/kernel/event.js';
import type { CollectionSpec, Doc } from '../application/ports/read-model-store.js';

/**
 * The writes a projection makes while applying one batch of events. Reads see the batch's own
 * earlier writes. Nothing is stored until the runner commits the batch together with the checkpoint.
 */
export interface ProjectionTx {
  get<T extends Doc = Doc>(collection: string, id: string): Promise<T | null>;
  upsert(collection: string, doc: Doc): void;
  delete(collection: string, id: string): void;
}

/**
 * A read model definition (DESIGN.md: Projections). `collections` uses logical names; the runner maps
 * them onto physical collections per build, so a rebuild can fill fresh collections and then swap.
 * Bump `version` whenever `apply` or the document shape changes: the runner then rebuilds from zero.
 */
export interface ProjectionDefinition<E extends DomainEvent = DomainEvent> {
  /** [a-z0-9_]+ */
  readonly name: string;
  readonly version: number;
  /** Event types this projection applies; others are never delivered to it. */
  readonly handles: readonly E['type'][];
  readonly collections: Readonly<Record<string, CollectionSpec>>;
  apply(event: RecordedEvent<E>, tx: ProjectionTx): void | Promise<void>;
}

export function defineProjection<E extends DomainEvent>(
  definition: ProjectionDefinition<E>,
): ProjectionDefinition {
  if (!/^[a-z0-9_]+$/.test(definition.name))
    throw new Error(`Projection name "${definition.name}" must match [a-z0-9_]+`);
  for (const c of Object.keys(definition.collections)) {
    if (!/^[a-z0-9_]+$/.test(c))
      throw new Error(`Projection ${definition.name}: collection "${c}" must match [a-z0-9_]+`);
  }
  return definition as unknown as ProjectionDefinition;
}
