import { inject, injectable } from 'inversify';
import { DomainError } from '../../domain/kernel/decider.js';
import { type RightState, rightStateAt } from '../../domain/right/values.js';
import { RIGHTS_PROJECTION, type RightDoc } from '../../projections/rights.js';
import type { Clock } from '../ports/clock.js';
import type { FindOptions, Page, ReadCollection, Where } from '../ports/read-model-store.js';
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

function answer(doc: RightDoc | undefined, reason: AccessReason): AccessAnswer {
  if (!doc) return NO_RIGHT;
  return { allowed: reason === 'active', rightId: doc.id, validUntil: doc.validUntil, reason };
}

/** Whether `doc` should replace `best` as the deciding right of its state. */
function better(state: RightState, doc: RightDoc, best: RightDoc): boolean {
  // Not yet valid: the one starting soonest; every other state: the one ending last.
  if (state === 'CREATED') {
    return doc.validFrom < best.validFrom || (doc.validFrom === best.validFrom && doc.id < best.id);
  }
  return endsLater(doc, best) || (!endsLater(best, doc) && doc.id < best.id);
}

/**
 * Decides access from a user's rights for one SKU. Allowed by the active right that lasts longest.
 * Otherwise the answer names the right closest to being usable, in this order: suspended (valid
 * now but held back), not yet valid (the one starting soonest), expired (the one that ended last),
 * terminated. Ties go to the lowest right id, so the answer does not depend on the order listed.
 */
export function decideAccess(docs: readonly RightDoc[], at: Date): AccessAnswer {
  let active: RightDoc | undefined;
  let suspended: RightDoc | undefined;
  let created: RightDoc | undefined;
  let expired: RightDoc | undefined;
  let terminated: RightDoc | undefined;
  for (const doc of docs) {
    const state = rightStateAt(doc, at);
    switch (state) {
      case 'ACTIVE':
        if (active === undefined || better(state, doc, active)) active = doc;
        break;
      case 'SUSPENDED':
        if (suspended === undefined || better(state, doc, suspended)) suspended = doc;
        break;
      case 'CREATED':
        if (created === undefined || better(state, doc, created)) created = doc;
        break;
      case 'EXPIRED':
        if (expired === undefined || better(state, doc, expired)) expired = doc;
        break;
      case 'TERMINATED':
        if (terminated === undefined || better(state, doc, terminated)) terminated = doc;
        break;
    }
  }
  if (active) return answer(active, 'active');
  if (suspended) return answer(suspended, 'suspended');
  if (created) return answer(created, 'not_yet_valid');
  if (expired) return answer(expired, 'expired');
  if (terminated) return answer(terminated, 'terminated');
  return NO_RIGHT;
}

/** The rights for one SKU that have not ended by `at` (any state). */
function liveWhere(providerId: string, sub: string, sku: string, at: Date): Where {
  return { providerId, sub, sku, endsAt: { $gt: at.toISOString() } };
}

/** In the lookup index's own order, so the query needs no sorting step. */
const LIVE_ORDER = { field: 'endsAt', direction: 'asc' } as const;

/** The rights that end last come first: the one that allows is nearly always among the first few. */
const LATEST_FIRST = { field: 'endsAt', direction: 'desc' } as const;
const FIRST_LOOK = 16;

/**
 * The answer when the rights that end last decide it alone: an active right is among them, and so
 * is every right that could outrank it (ends no earlier, ties going to the lowest id). Undefined
 * when there is none active among them, or more rights could still end as late.
 */
function allowedByLatest(latest: Page<RightDoc>, at: Date): AccessAnswer | undefined {
  let best: RightDoc | undefined;
  for (const doc of latest.items) {
    if (rightStateAt(doc, at) === 'ACTIVE' && (best === undefined || better('ACTIVE', doc, best))) best = doc;
  }
  if (best === undefined) return undefined;
  if (latest.nextCursor !== null && latest.items.at(-1)!.endsAt >= best.endsAt) return undefined;
  return answer(best, 'active');
}

/**
 * Whether the rights that have not ended decide access without the rest of the history: every
 * right left out has ended (EXPIRED, or TERMINATED), and one active, suspended or not yet valid
 * right outranks all of those. Otherwise the answer names an expired or terminated right, which
 * takes the whole list.
 */
function decidesAlone(live: readonly RightDoc[], at: Date): boolean {
  return live.some((doc) => {
    const state = rightStateAt(doc, at);
    return state === 'ACTIVE' || state === 'SUSPENDED' || state === 'CREATED';
  });
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

  /** The view resolves the serving generation on every read, so one handle serves for good. */
  private rightsView: ReadCollection<RightDoc> | undefined;

  private rights(): ReadCollection<RightDoc> {
    return (this.rightsView ??= this.views.view<RightDoc>(RIGHTS_PROJECTION, 'rights'));
  }

  /** Every matching right. Nearly always one page, so that case takes no further steps. */
  private findAll(where: Where, sort?: FindOptions['sort']): Promise<RightDoc[]> {
    const options = { where, limit: PAGE, ...(sort ? { sort } : {}) };
    return this.rights()
      .find(options)
      .then((first) => (first.nextCursor === null ? first.items : this.remaining(options, first)));
  }

  private async remaining(options: FindOptions, first: Page<RightDoc>): Promise<RightDoc[]> {
    const docs = [...first.items];
    let cursor = first.nextCursor;
    while (cursor !== null) {
      const page = await this.rights().find({ ...options, cursor });
      docs.push(...page.items);
      cursor = page.nextCursor;
    }
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

  /**
   * access() without waiting, where the read-model store reads synchronously (embedded SQLite) and
   * the rights fit one page: the same query and the same decision. Undefined otherwise (Mongo, a
   * serving generation being re-read, more rights than a page): then ask access(). A failing read
   * throws, as the store does.
   */
  accessNow(sub: string, providerId: string, sku: string, at: Date): AccessAnswer | undefined {
    const rights = this.views.viewSync?.<RightDoc>(RIGHTS_PROJECTION, 'rights');
    if (rights === undefined) return undefined;
    const where = liveWhere(providerId, sub, sku, at);
    const allowed = allowedByLatest(rights.find({ where, sort: LATEST_FIRST, limit: FIRST_LOOK }), at);
    if (allowed !== undefined) return allowed;
    const live = rights.find({ where, sort: LIVE_ORDER, limit: PAGE });
    if (live.nextCursor === null && decidesAlone(live.items, at)) return decideAccess(live.items, at);
    const page = rights.find({ where: { providerId, sub, sku }, limit: PAGE });
    return page.nextCursor === null ? decideAccess(page.items, at) : undefined;
  }

  /** May the user use the provider's SKU at `at`? */
  async access(
    sub: string,
    providerId: string,
    sku: string,
    at: Date = this.clock.now(),
  ): Promise<AccessAnswer> {
    const where = liveWhere(providerId, sub, sku, at);
    const latest = await this.rights().find({ where, sort: LATEST_FIRST, limit: FIRST_LOOK });
    const allowed = allowedByLatest(latest, at);
    if (allowed !== undefined) return allowed;
    const live = await this.findAll(where, LIVE_ORDER);
    if (decidesAlone(live, at)) return decideAccess(live, at);
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
