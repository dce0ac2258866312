import type { Checkpoint } from '../application/ports/read-model-store.js';
import type { ProjectionDefinition } from './projection.js';

/**
 * How a projection's read models are laid out in the ReadModelStore.
 *
 * Every build of a projection is a numbered *generation*: its own physical collections
 * (`<projection>__<logical>__g<generation>`) and its own checkpoint (`projection:<name>:g<generation>`),
 * so a rebuild can fill a fresh generation while the previous one keeps serving reads. A small
 * *pointer* checkpoint (`projection:<name>`) names the generation that serves reads; switching
 * generations is one write to it. Because each generation has its own checkpoint, a process still
 * writing to a generation that another process retired hits a CheckpointConflictError (the old
 * checkpoint is deleted at the swap) instead of silently writing into collections nobody reads.
 */

/** Store limit on collection names. */
const MAX_COLLECTION_NAME = 64;
/** Room reserved for the generation number when validating names up front. */
const MAX_GENERATION_DIGITS = 6;

/** The generation that serves reads, as recorded in the pointer checkpoint. */
export interface ActivePointer {
  readonly generation: number;
  /** Definition version the generation was built with. */
  readonly version: number;
  /** Log position the generation had reached when it was swapped in (the pointer's compare-and-set key). */
  readonly position: number;
  /** Logical collections of that generation, so they can be dropped even after a definition removes one. */
  readonly collections: readonly string[];
}

export function pointerCheckpointName(projection: string): string {
  return `projection:${projection}`;
}

export function generationCheckpointName(projection: string, generation: number): string {
  return `projection:${projection}:g${generation}`;
}

export function physicalCollectionName(projection: string, logical: string, generation: number): string {
  const name = `${projection}__${logical}__g${generation}`;
  if (name.length > MAX_COLLECTION_NAME) {
    throw new Error(`Collection name "${name}" is longer than ${MAX_COLLECTION_NAME} characters`);
  }
  return name;
}

/**
 * Checks a set of definitions before anything is stored: unique names, names that cannot collide once
 * joined with `__`, and physical names that stay within the store's limit for any realistic generation.
 */
export function validateDefinitions(definitions: readonly ProjectionDefinition[]): void {
  const seen = new Set<string>();
  for (const d of definitions) {
    if (seen.has(d.name)) throw new Error(`Projection "${d.name}" is defined twice`);
    seen.add(d.name);
    if (!/^[a-z0-9_]+$/.test(d.name) || d.name.includes('__')) {
      throw new Error(`Projection name "${d.name}" must match [a-z0-9_]+ without "__"`);
    }
    if (!Number.isInteger(d.version) || d.version < 1) {
      throw new Error(`Projection ${d.name}: version must be a positive integer`);
    }
    if (d.handles.length === 0) throw new Error(`Projection ${d.name} handles no event types`);
    const logicals = Object.keys(d.collections);
    if (logicals.length === 0) throw new Error(`Projection ${d.name} declares no collections`);
    for (const logical of logicals) {
      if (!/^[a-z0-9_]+$/.test(logical) || logical.includes('__')) {
        throw new Error(`Projection ${d.name}: collection "${logical}" must match [a-z0-9_]+ without "__"`);
      }
      const longest = `${d.name}__${logical}__g${'9'.repeat(MAX_GENERATION_DIGITS)}`;
      if (longest.length > MAX_COLLECTION_NAME) {
        throw new Error(
          `Projection ${d.name}: collection "${logical}" gives physical names longer than ${MAX_COLLECTION_NAME} characters; shorten the names`,
        );
      }
    }
  }
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

/** Reads the pointer checkpoint; a malformed one is an error rather than a silent rebuild. */
export function parsePointer(projection: string, checkpoint: Checkpoint | null): ActivePointer | null {
  if (!checkpoint) return null;
  const { generation, version, collections } = checkpoint.state;
  if (
    !isPositiveInt(generation) ||
    !isPositiveInt(version) ||
    !Array.isArray(collections) ||
    !collections.every((c): c is string => typeof c === 'string')
  ) {
    throw new Error(
      `Projection ${projection}: pointer checkpoint has an unexpected state ${JSON.stringify(checkpoint.state)}`,
    );
  }
  return { generation, version, position: checkpoint.position, collections };
}

/** The pointer's stored state (the position travels in the checkpoint itself). */
export function pointerState(pointer: ActivePointer): Record<string, unknown> {
  return { generation: pointer.generation, version: pointer.version, collections: [...pointer.collections] };
}
