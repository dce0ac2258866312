import { z } from 'zod';

/** Who caused a change. `id` is a user sub, a client id, a staff id or a system component name. */
export const ActorSchema = z.object({
  kind: z.enum(['user', 'client', 'support', 'system']),
  id: z.string().min(1),
});
export type Actor = z.infer<typeof ActorSchema>;

/** Metadata carried by every stored event (DESIGN.md: envelope and metadata). */
export const EventMetadataSchema = z.object({
  correlationId: z.string().min(1),
  causationId: z.string().min(1).nullable(),
  actor: ActorSchema,
  schemaVersion: z.number().int().positive(),
  idempotencyKey: z.string().min(1).optional(),
  /** Why the actor made the change, where one must be given (every support action). */
  reason: z.string().min(1).max(500).optional(),
});
export type EventMetadata = z.infer<typeof EventMetadataSchema>;

/** A domain event as deciders produce and evolve it: a type tag and its data. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
}

/** An event as stored in and read from the log. */
export interface RecordedEvent<E extends DomainEvent = DomainEvent> {
  readonly eventId: string;
  readonly type: E['type'];
  readonly streamId: string;
  /** 0-based position of the event inside its stream. */
  readonly revision: number;
  /** Position in the global log; strictly increasing (gap-free in the embedded store). */
  readonly globalPosition: number;
  /** ISO 8601 instant at which the event was appended. */
  readonly occurredAt: string;
  readonly data: E['data'];
  readonly metadata: EventMetadata;
}

/** Upgrades data written under schema version `n` to version `n + 1`. */
export type Upcaster = (data: unknown) => unknown;

export interface EventDefinition<Type extends string = string, Schema extends z.ZodType = z.ZodType> {
  readonly type: Type;
  readonly schema: Schema;
  /** Current schema version; new events are written with it. */
  readonly version: number;
  /** upcasters[n] turns version-n data into version n+1 data. */
  readonly upcasters: Readonly<Record<number, Upcaster>>;
  /** Builds a typed event (data is checked against the schema by the store, not here). */
  (data: z.infer<Schema>): DomainEvent<Type, z.infer<Schema>>;
}

/**
 * Declares an event type. The zod schema is the only source of its TypeScript type.
 *
 *   export const ProductAdded = defineEvent('ProductAdded', z.object({ sku: z.string() }));
 *   export type ProductAdded = EventOf<typeof ProductAdded>;
 */
export function defineEvent<Type extends string, Schema extends z.ZodType>(
  type: Type,
  schema: Schema,
  options: { version?: number; upcasters?: Record<number, Upcaster> } = {},
): EventDefinition<Type, Schema> {
  const version = options.version ?? 1;
  const upcasters = options.upcasters ?? {};
  for (let v = 1; v < version; v++) {
    if (!upcasters[v])
      throw new Error(`Event ${type}: version ${version} needs an upcaster from version ${v}`);
  }
  const make = (data: z.infer<Schema>) => ({ type, data });
  return Object.assign(make, { type, schema, version, upcasters: Object.freeze({ ...upcasters }) });
}

export type EventOf<D> = D extends EventDefinition<infer T, infer S> ? DomainEvent<T, z.infer<S>> : never;
