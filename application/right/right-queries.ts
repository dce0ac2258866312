import { inject, injectable } from 'inversify';
import { DomainError } from '../../domain/kernel/decider.js';
import { type RightState, rightStateAt } from '../../domain/right/values.js';
import { RIGHTS_PROJECTION, type RightDoc } from '../../projections/rights.js';
import type { Clock } from '../ports/clock.js';
import type { Where } from '../ports/read-model-store.js';
import type { Views } from '../ports/views.js';
import { PORTS } from '../tokens.js';

/** A right as a reader sees it, with its state at the instant asked about. */
export type RightView = RightDoc & {
  readonly state: RightState;
  /** The instant `state` refers to (ISO 8601). */
  readonly stateAt: string;
};

export interface ListRightsOptions {
  /** Only this provider's rights; undefined is the user's own view across providers. */
  readonly providerId?: string;
  /** Only rights ACTIVE at this instant (states are computed for it as well). */
  readonly activeAt?: Date;
  readonly sku?: string;
}

export type AccessReason = 'active' | 'no_right' | 'expired' | 'suspended' | 'not_yet_valid' | 'terminated';

/** The answer to "may this user use this SKU now?". */
export interface AccessAnswer {
  readonly allowed: boolean;
  /** The right that decides the answer (the best active one, or the closest to being usable). */
  readonly rightId: string | null;
  readonly validUntil: string | null;
  readonly reason: AccessReason;
}

export type SkuAccessAnswer = AccessAnswer & { readonly sku: string };

/** Documents read per page when collecting a user's rights. */
const PAGE = 1000;

const NO_RIGHT: AccessAnswer = Object.freeze({
  allowed: false,
  rightId: null,
  validUntil: null,
  reason: 'no_right',
});

/** Later ends first; a perpetual right (null) ends last of all. */
function endsLater(a: RightDoc, b: RightDoc): boolean {
  if (a.validUntil === null) return b.validUntil !== null;
  if (b.validUntil === null) return false;
  return a.validUntil > b.validUntil;
}

function latestEnding(docs: readonly RightDoc[]): RightDoc | undefined {
  return docs.reduce<RightDoc | undefined>(
    (best, d) => (best === undefined || endsLater(d, best) ? d : best),
    undefined,
  );
}

function answer(doc: RightDoc | undefined, reason: AccessReason): AccessAnswer {
  if (!doc) return NO_RIGHT;
  return { allowed: reason === 'active', rightId: doc.id, validUntil: doc.validUntil, reason };
}

/**
 * Decides access from a user's rights for one SKU. Allowed by the active right that lasts longest.
 * Otherwise the answer names the right closest to being usable, in this order: suspended (valid
 * now but held back), not yet valid (the one starting soonest), expired (the one that ended last),
 * terminated.
 */
export function decideAccess(docs: readonly RightDoc[], at: Date): AccessAnswer {
  const byState = new Map<RightState, RightDoc[]>();
  for (const doc of docs) {
    const state = rightStateAt(doc, at);
    const list = byState.get(state);
    if (list) list.push(doc);
    else byState.set(state, [doc]);
  }
  const of = (s: RightState) => byState.get(s) ?? [];
  if (of('ACTIVE').length > 0) return answer(latestEnding(of('ACTIVE')), 'active');
  if (of('SUSPENDED').length > 0) return answer(latestEnding(of('SUSPENDED')), 'suspended');
  if (of('CREATED').length > 0) {
    const soonest = of('CREATED').reduce((a, b) => (b.validFrom < a.validFrom ? b : a));
    return answer(soonest, 'not_yet_valid');
  }
  if (of('EXPIRED').length > 0) return answer(latestEnding(of('EXPIRED')), 'expired');
  if (of('TERMINATED').length > 0) return answer(latestEnding(of('TERMINATED')), 'terminated');
  return NO_RIGHT;
}

function view(doc: RightDoc, at: Date): RightView {
  return { ...doc, state: rightStateAt(doc, at), stateAt: at.toISOString() };
}

/**
 * Read side of rights, answered from the `rights` projection only (no event-stream reads), so
 * access checks stay cheap. States are derived for the instant asked about.
 */
@injectable()
export class RightQueries {
  constructor(
    @inject(PORTS.Views) private readonly views: Views,
    @inject(PORTS.Clock) private readonly clock: Clock,
  ) {}

  private rights() {
    return this.views.view<RightDoc>(RIGHTS_PROJECTION, 'rights');
  }

  private async findAll(where: Where): Promise<RightDoc[]> {
    const docs: RightDoc[] = [];
    let cursor: string | null = null;
    do {
      const page = await this.rights().find({ where, limit: PAGE, ...(cursor === null ? {} : { cursor }) });
      docs.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return docs;
  }

  /** One of the provider's rights; another provider's right is `right_not_found`, never a leak. */
  async get(providerId: string, rightId: string, at: Date = this.clock.now()): Promise<RightView> {
    const doc = await this.rights().get(rightId);
    if (!doc || doc.providerId !== providerId) {
      throw new DomainError('not_found', 'right_not_found', 'No such right.');
    }
    return view(doc, at);
  }

  /** A user's rights, oldest grant first (by validFrom), optionally only those active at an instant. */
  async listForUser(sub: string, options: ListRightsOptions = {}): Promise<RightView[]> {
    const where: Where = {
      ...(options.providerId === undefined ? {} : { providerId: options.providerId }),
      sub,
      ...(options.sku === undefined ? {} : { sku: options.sku }),
    };
    const at = options.activeAt ?? this.clock.now();
    const views = (await this.findAll(where)).map((d) => view(d, at));
    return views
      .filter((v) => options.activeAt === undefined || v.state === 'ACTIVE')
      .sort((a, b) =>
        a.validFrom === b.validFrom ? a.id.localeCompare(b.id) : a.validFrom < b.validFrom ? -1 : 1,
      );
  }

  /** May the user use the provider's SKU at `at`? */
  async access(
    sub: string,
    providerId: string,
    sku: string,
    at: Date = this.clock.now(),
  ): Promise<AccessAnswer> {
    return decideAccess(await this.findAll({ providerId, sub, sku }), at);
  }

  /** access() for several SKUs in one read; answers in the order asked, each SKU once. */
  async accessMany(
    sub: string,
    providerId: string,
    skus: readonly string[],
    at: Date = this.clock.now(),
  ): Promise<SkuAccessAnswer[]> {
    const unique = [...new Set(skus)];
    if (unique.length === 0) return [];
    const docs = await this.findAll({ providerId, sub, sku: { $in: unique } });
    const bySku = new Map<string, RightDoc[]>();
    for (const doc of docs) {
      const list = bySku.get(doc.sku);
      if (list) list.push(doc);
      else bySku.set(doc.sku, [doc]);
    }
    return unique.map((sku) => ({ sku, ...decideAccess(bySku.get(sku) ?? [], at) }));
  }
}
