import { inject, injectable } from 'inversify';
import { DomainError } from '../../domain/kernel/decider.js';
import { TransactionIdSchema } from '../../domain/payment/values.js';
import {
  EMPTY_TOTALS,
  LEDGER_PROJECTION,
  type LedgerBalanceDoc,
  type LedgerDayDoc,
  type LedgerEntryDoc,
} from '../../projections/ledger.js';
import { TRANSACTIONS_PROJECTION, type TransactionDoc } from '../../projections/transactions.js';
import type { Page } from '../ports/read-model-store.js';
import type { Views } from '../ports/views.js';
import { PORTS } from '../tokens.js';

export interface PageRequest {
  readonly cursor?: string;
  /** 1..100; default 20. */
  readonly limit?: number;
}

/** A half-open interval of instants, [from, to). */
export interface Period {
  readonly from: string;
  readonly to: string;
}

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

function pageOptions(request: PageRequest): { limit: number; cursor?: string } {
  const limit = request.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new DomainError(
      'invalid',
      'invalid_limit',
      `limit: must be an integer from 1 to ${MAX_LIMIT}.`,
      'limit',
    );
  }
  return { limit, ...(request.cursor ? { cursor: request.cursor } : {}) };
}

/** Normalises an ISO 8601 instant to the UTC form the read models store, so text order is time order. */
function instant(text: string, field: string): string {
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new DomainError('invalid', 'invalid_period', `${field}: must be an ISO 8601 instant.`, field);
  }
  return new Date(ms).toISOString();
}

function day(text: string, field: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(text))) {
    throw new DomainError('invalid', 'invalid_period', `${field}: must be a day, YYYY-MM-DD.`, field);
  }
  return text;
}

/**
 * Read side of payment transactions and the ledger, answered from the `transactions` and `ledger`
 * projections. Everything but `find` is scoped to a provider: another provider's transaction is
 * not found.
 */
@injectable()
export class TransactionQueries {
  constructor(@inject(PORTS.Views) private readonly views: Views) {}

  private transactions() {
    return this.views.view<TransactionDoc>(TRANSACTIONS_PROJECTION, 'transactions');
  }

  /**
   * The transaction by id regardless of provider, or null: for the hosted payment page and process
   * managers, which act for the transaction itself. Never hand this to a provider-facing route.
   */
  async find(transactionId: string): Promise<TransactionDoc | null> {
    if (!TransactionIdSchema.safeParse(transactionId).success) return null;
    return this.transactions().get(transactionId);
  }

  async get(providerId: string, transactionId: string): Promise<TransactionDoc> {
    const doc = await this.find(transactionId);
    if (!doc || doc.providerId !== providerId) {
      throw new DomainError('not_found', 'transaction_not_found', 'No such transaction.');
    }
    return doc;
  }

  /** The provider's transaction for an orderId, or null. */
  async findByOrderId(providerId: string, orderId: string): Promise<TransactionDoc | null> {
    const page = await this.transactions().find({ where: { providerId, orderId }, limit: 1 });
    return page.items[0] ?? null;
  }

  /** A user's transactions with this provider, newest first. */
  async listForUser(
    providerId: string,
    sub: string,
    request: PageRequest = {},
  ): Promise<Page<TransactionDoc>> {
    return this.transactions().find({
      where: { providerId, sub },
      sort: { field: 'createdAt', direction: 'desc' },
      ...pageOptions(request),
    });
  }

  /** The provider's transactions created in [from, to), oldest first. */
  async listByPeriod(
    providerId: string,
    period: Period,
    request: PageRequest = {},
  ): Promise<Page<TransactionDoc>> {
    const from = instant(period.from, 'from');
    const to = instant(period.to, 'to');
    if (from >= to) throw new DomainError('invalid', 'invalid_period', 'to: must be after from.', 'to');
    return this.transactions().find({
      where: { providerId, createdAt: { $gte: from, $lt: to } },
      sort: { field: 'createdAt', direction: 'asc' },
      ...pageOptions(request),
    });
  }

  /** Ledger totals per day for one currency, days in [fromDay, toDay] inclusive, oldest first. */
  async ledgerDays(
    providerId: string,
    currency: string,
    range: { readonly fromDay: string; readonly toDay: string },
    request: PageRequest = {},
  ): Promise<Page<LedgerDayDoc>> {
    const fromDay = day(range.fromDay, 'fromDay');
    const toDay = day(range.toDay, 'toDay');
    return this.views.view<LedgerDayDoc>(LEDGER_PROJECTION, 'ledger_days').find({
      where: { providerId, currency, day: { $gte: fromDay, $lte: toDay } },
      sort: { field: 'day', direction: 'asc' },
      ...pageOptions(request),
    });
  }

  /** Ledger entries (captured, refunded, failed movements) in [from, to), oldest first. */
  async ledgerEntries(
    providerId: string,
    currency: string,
    period: Period,
    request: PageRequest = {},
  ): Promise<Page<LedgerEntryDoc>> {
    const from = instant(period.from, 'from');
    const to = instant(period.to, 'to');
    return this.views.view<LedgerEntryDoc>(LEDGER_PROJECTION, 'ledger_entries').find({
      where: { providerId, currency, at: { $gte: from, $lt: to } },
      sort: { field: 'at', direction: 'asc' },
      ...pageOptions(request),
    });
  }

  /** The provider's totals in one currency since the beginning (zeros when nothing moved yet). */
  async ledgerBalance(providerId: string, currency: string): Promise<LedgerBalanceDoc> {
    const doc = await this.views
      .view<LedgerBalanceDoc>(LEDGER_PROJECTION, 'ledger_balances')
      .get(`${providerId}:${currency}`);
    return doc ?? { id: `${providerId}:${currency}`, providerId, currency, ...EMPTY_TOTALS };
  }
}
