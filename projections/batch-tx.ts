import type { Change, Doc } from '../application/ports/read-model-store.js';
import type { RecordedEvent } from '../domain/kernel/event.js';
import type { ProjectionDefinition, ProjectionTx } from './projection.js';

/** Loads a document the batch has not written yet (from the store, or from a rebuild's cache). */
export type DocLoader = (logical: string, id: string) => Promise<Doc | null>;

/** How one logical collection of a projection maps onto the physical collection being written. */
export interface CollectionLayout {
  readonly physical: string;
  /**
   * True when the collection has a unique index. Its changes are then written in the exact order they
   * were made: collapsing them to the last change per id could, for example, insert a document holding
   * a unique key before the write that releases the key from another document.
   */
  readonly ordered: boolean;
}

export type ProjectionLayout = ReadonlyMap<string, CollectionLayout>;

/** Maps a projection's logical collections onto one generation's physical collections. */
export function layoutFor(
  definition: ProjectionDefinition,
  physical: (logical: string) => string,
): ProjectionLayout {
  const layout = new Map<string, CollectionLayout>();
  for (const [logical, spec] of Object.entries(definition.collections)) {
    layout.set(logical, {
      physical: physical(logical),
      ordered: (spec.indexes ?? []).some((i) => i.unique === true),
    });
  }
  return layout;
}

interface Pending {
  readonly layout: CollectionLayout;
  /** Latest state per id written in this batch; null = deleted. */
  readonly latest: Map<string, Doc | null>;
  /** Every change in order (only for `ordered` collections). */
  readonly log: Change[];
}

/**
 * The ProjectionTx handed to `apply` for one batch of events. Writes are buffered; reads see the
 * batch's own writes and otherwise go to the loader. The runner commits `changes()` in one store
 * write together with the checkpoint.
 *
 * Documents returned by `get` may be shared with the buffer (and with a rebuild's cache), so a
 * projection must not mutate one it does not then `upsert`.
 */
export class BatchTx implements ProjectionTx {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly projection: string,
    private readonly layout: ProjectionLayout,
    private readonly load: DocLoader,
  ) {}

  get<T extends Doc = Doc>(collection: string, id: string): Promise<T | null> {
    const p = this.pending.get(collection);
    if (p !== undefined) {
      const doc = p.latest.get(id);
      if (doc !== undefined) return Promise.resolve(doc as T | null);
    } else {
      this.collectionLayout(collection);
    }
    return this.load(collection, id) as Promise<T | null>;
  }

  upsert(collection: string, doc: Doc): void {
    if (doc === null || typeof doc !== 'object' || typeof doc.id !== 'string' || doc.id === '') {
      throw new Error(
        `Projection ${this.projection}: upsert into "${collection}" needs a document with a string id`,
      );
    }
    const p = this.pendingFor(collection);
    p.latest.set(doc.id, doc);
    if (p.layout.ordered) p.log.push({ collection: p.layout.physical, op: 'upsert', doc });
  }

  delete(collection: string, id: string): void {
    const p = this.pendingFor(collection);
    p.latest.set(id, null);
    if (p.layout.ordered) p.log.push({ collection: p.layout.physical, op: 'delete', id });
  }

  /** True when nothing was written. */
  get empty(): boolean {
    return this.pending.size === 0;
  }

  /**
   * The store changes for this batch: for collections without a unique index only the final state of
   * each document (a busy document is written once per batch, not once per event); for the others the
   * full ordered log.
   */
  changes(): Change[] {
    const out: Change[] = [];
    for (const p of this.pending.values()) {
      if (p.layout.ordered) {
        for (const c of p.log) out.push(c);
        continue;
      }
      const collection = p.layout.physical;
      for (const [id, doc] of p.latest) {
        out.push(doc === null ? { collection, op: 'delete', id } : { collection, op: 'upsert', doc });
      }
    }
    return out;
  }

  /** Final state per logical collection and id, for a rebuild's cache once the batch is committed. */
  *written(): IterableIterator<[logical: string, id: string, doc: Doc | null]> {
    for (const [logical, p] of this.pending) {
      for (const [id, doc] of p.latest) yield [logical, id, doc];
    }
  }

  private collectionLayout(collection: string): CollectionLayout {
    const layout = this.layout.get(collection);
    if (!layout) {
      throw new Error(
        `Projection ${this.projection} has no collection "${collection}" (declared: ${[...this.layout.keys()].join(', ')})`,
      );
    }
    return layout;
  }

  private pendingFor(collection: string): Pending {
    let p = this.pending.get(collection);
    if (!p) {
      p = { layout: this.collectionLayout(collection), latest: new Map(), log: [] };
      this.pending.set(collection, p);
    }
    return p;
  }
}

/** A projection's `apply` threw; names the event so the failure can be traced in the log. */
export class ProjectionApplyError extends Error {
  constructor(
    readonly projection: string,
    readonly event: { readonly type: string; readonly globalPosition: number; readonly streamId: string },
    override readonly cause: unknown,
  ) {
    super(
      `Projection ${projection} failed on ${event.type} at position ${event.globalPosition} (${event.streamId}): ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
    );
    this.name = 'ProjectionApplyError';
  }
}

/**
 * Applies events in order. `apply` is awaited only when it returns a promise, so synchronous
 * projections run without a microtask hop per event.
 */
export async function applyEvents(
  definition: ProjectionDefinition,
  events: readonly RecordedEvent[],
  tx: ProjectionTx,
): Promise<void> {
  for (const event of events) {
    try {
      const result = definition.apply(event, tx);
      if (result !== undefined) await result;
    } catch (err) {
      throw new ProjectionApplyError(definition.name, event, err);
    }
  }
}
