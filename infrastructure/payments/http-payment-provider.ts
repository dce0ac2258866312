import type { z } from 'zod';
import type { Logger } from '../../application/ports/logger.js';
import {
  type AuthorizeRequest,
  type AuthorizeResult,
  type DeclineCode,
  type PaymentMethodKind,
  type PaymentProvider,
  PaymentProviderUnavailable,
  PaymentRequestRejected,
  type ProviderPayment,
  type RefundResult,
  type RejectionCode,
  type RetrieveQuery,
} from '../../application/ports/payment-provider.js';
import type { Money } from '../../domain/shared/money.js';
import { fetchSend, type HttpSend, nodeHttpSend } from './http-send.js';
import { WireError, WirePayment, WireRefund, type WireAuthorizeBody } from './wire.js';

/**
 * The Tessera side of a processor's REST API (see sandbox-kit/api-router.ts for the paths): one
 * HTTP call per port operation, each with a timeout, and a strict reading of the answer.
 *
 * Failure mapping, the part that matters for money: a timeout, a refused or dropped connection, a
 * 5xx or 429, or an answer that does not parse all throw PaymentProviderUnavailable (outcome
 * unknown), since the processor may have acted. A 4xx with an error body is the processor refusing
 * the request and throws PaymentRequestRejected. There are no automatic retries: the caller owns
 * the idempotency key and decides when to repeat or reconcile.
 *
 * Logs carry operation, status, reference and processor ids only; never tokens or phone numbers.
 */

export interface HttpPaymentProviderOptions {
  /**
   * The processor's API base, e.g. `http://127.0.0.1:3000/sandbox/card`; a function when it is only
   * known once the server listens (an embedded sandbox on an ephemeral port).
   */
  readonly baseUrl: string | (() => string);
  readonly secretKey: string;
  /** Per call; default 10 s. */
  readonly timeoutMs?: number;
  /** Injectable for tests; defaults to node:http over a keep-alive pool (see http-send.ts). */
  readonly fetch?: typeof fetch;
  readonly logger?: Logger;
}

const DECLINE_CODES: readonly DeclineCode[] = [
  'card_declined',
  'insufficient_funds',
  'expired_card',
  'invalid_token',
  'authentication_failed',
  'spend_limit',
  'carrier_declined',
];

const REJECTION_CODES: readonly RejectionCode[] = [
  'amount_too_large',
  'invalid_state',
  'not_found',
  'idempotency_conflict',
  'invalid_request',
  'authentication',
];

export abstract class HttpPaymentProvider implements PaymentProvider {
  abstract readonly id: string;
  abstract readonly methodKinds: readonly PaymentMethodKind[];
  /** The collection in the processor's paths (`payments`, `charges`). */
  protected abstract readonly resource: string;
  /** The method as the processor's API names it; throws for a kind this provider does not take. */
  protected abstract wireMethod(method: AuthorizeRequest['method']): WireAuthorizeBody['method'];

  private readonly send: HttpSend;
  private readonly timeoutMs: number;

  constructor(protected readonly options: HttpPaymentProviderOptions) {
    this.send = options.fetch ? fetchSend(options.fetch) : nodeHttpSend;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async authorize(request: AuthorizeRequest): Promise<AuthorizeResult> {
    const body: WireAuthorizeBody = {
      amount: request.amount,
      method: this.wireMethod(request.method),
      reference: request.reference,
      description: request.description,
      return_url: request.returnUrl,
      ...(request.captureMethod === 'automatic' ? { capture_method: 'automatic' as const } : {}),
    };
    const wire = await this.call('POST', `/v1/${this.resource}`, WirePayment, body, request.idempotencyKey);
    this.options.logger?.info(
      {
        provider: this.id,
        op: 'authorize',
        reference: request.reference,
        processorRef: wire.id,
        status: wire.status,
      },
      'payment authorize',
    );
    if (wire.status === 'declined') {
      return {
        status: 'declined',
        processorRef: wire.id,
        code: toDeclineCode(wire.decline_code),
        message: wire.decline_message ?? 'Declined',
      };
    }
    if (wire.status === 'requires_action') {
      if (!wire.next_action) throw this.unavailable('server_error', 'requires_action without a redirect');
      return { status: 'requires_action', processorRef: wire.id, actionUrl: wire.next_action.redirect_url };
    }
    if (wire.status === 'captured' && request.captureMethod === 'automatic') {
      return { status: 'captured', processorRef: wire.id };
    }
    if (wire.status !== 'authorized')
      throw this.unavailable('server_error', `authorize answered ${wire.status}`);
    return { status: 'authorized', processorRef: wire.id };
  }

  async capture(processorRef: string, amount: Money, idempotencyKey: string): Promise<ProviderPayment> {
    const path = `/v1/${this.resource}/${encodeURIComponent(processorRef)}/capture`;
    const wire = await this.call('POST', path, WirePayment, { amount }, idempotencyKey);
    this.options.logger?.info(
      { provider: this.id, op: 'capture', processorRef, status: wire.status },
      'payment capture',
    );
    return toPayment(wire);
  }

  async refund(processorRef: string, amount: Money, idempotencyKey: string): Promise<RefundResult> {
    const path = `/v1/${this.resource}/${encodeURIComponent(processorRef)}/refunds`;
    const wire = await this.call('POST', path, WireRefund, { amount }, idempotencyKey);
    this.options.logger?.info(
      { provider: this.id, op: 'refund', processorRef, refundRef: wire.id },
      'payment refund',
    );
    return { refundRef: wire.id, amount: wire.amount, payment: toPayment(wire.payment) };
  }

  async cancel(processorRef: string, idempotencyKey: string): Promise<ProviderPayment> {
    const path = `/v1/${this.resource}/${encodeURIComponent(processorRef)}/cancel`;
    const wire = await this.call('POST', path, WirePayment, {}, idempotencyKey);
    this.options.logger?.info(
      { provider: this.id, op: 'cancel', processorRef, status: wire.status },
      'payment cancel',
    );
    return toPayment(wire);
  }

  async retrieve(query: RetrieveQuery): Promise<ProviderPayment | null> {
    const path =
      'processorRef' in query
        ? `/v1/${this.resource}/${encodeURIComponent(query.processorRef)}`
        : `/v1/${this.resource}?idempotency_key=${encodeURIComponent(query.idempotencyKey)}`;
    try {
      return toPayment(await this.call('GET', path, WirePayment));
    } catch (error) {
      if (error instanceof PaymentRequestRejected && error.code === 'not_found') return null;
      throw error;
    }
  }

  /** One call to the processor, mapped to the port's errors. */
  protected async call<S extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    schema: S,
    body?: unknown,
    idempotencyKey?: string,
  ): Promise<z.infer<S>> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.secretKey}`,
      accept: 'application/json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    let response: { readonly status: number; readonly text: string };
    try {
      response = await this.send(this.baseUrl() + path, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        timeoutMs: this.timeoutMs,
      });
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      const timedOut = name === 'TimeoutError' || name === 'AbortError';
      this.options.logger?.warn(
        { provider: this.id, path: redactPath(path), error: name },
        'payment provider call failed',
      );
      throw this.unavailable(
        timedOut ? 'timeout' : 'connection',
        timedOut ? `no answer within ${this.timeoutMs} ms` : name,
      );
    }
    if (response.status >= 500 || response.status === 429) {
      throw this.unavailable('server_error', `HTTP ${response.status}`);
    }
    const json = parseJson(response.text);
    if (response.status >= 400) {
      const error = WireError.safeParse(json);
      if (!error.success)
        throw this.unavailable('server_error', `HTTP ${response.status} without an error body`);
      const code = (REJECTION_CODES as readonly string[]).includes(error.data.error.code)
        ? (error.data.error.code as RejectionCode)
        : response.status === 404
          ? 'not_found'
          : 'invalid_request';
      throw new PaymentRequestRejected(this.id, code, error.data.error.message);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw this.unavailable('server_error', 'the answer did not match the API');
    return parsed.data;
  }

  protected baseUrl(): string {
    const base = this.options.baseUrl;
    return (typeof base === 'string' ? base : base()).replace(/\/+$/, '');
  }

  protected unavailable(
    reason: PaymentProviderUnavailable['reason'],
    detail: string,
  ): PaymentProviderUnavailable {
    return new PaymentProviderUnavailable(this.id, reason, detail);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Query strings may carry idempotency keys; logs keep the path only. */
function redactPath(path: string): string {
  return path.split('?')[0] ?? path;
}

function toDeclineCode(code: string | null): DeclineCode {
  return (DECLINE_CODES as readonly (string | null)[]).includes(code)
    ? (code as DeclineCode)
    : 'card_declined';
}

export function toPayment(wire: z.infer<typeof WirePayment>): ProviderPayment {
  const currency = wire.amount.currency;
  return {
    processorRef: wire.id,
    status: wire.status,
    reference: wire.reference,
    authorized: wire.amount,
    captured: { amount: wire.amount_captured, currency },
    refunded: { amount: wire.amount_refunded, currency },
    ...(wire.decline_code === null ? {} : { declineCode: toDeclineCode(wire.decline_code) }),
    ...(wire.next_action === null ? {} : { actionUrl: wire.next_action.redirect_url }),
  };
}
