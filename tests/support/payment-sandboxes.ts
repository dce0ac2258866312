import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Router } from 'express';
import type { Clock } from '../../application/ports/clock.js';
import type { Logger } from '../../application/ports/logger.js';
import type { PaymentMethodRef } from '../../application/ports/payment-provider.js';
import { ManualClock } from '../../infrastructure/clock.js';
import { SandboxCardProcessor } from '../../infrastructure/payments/sandbox-card/card-processor.js';
import { SandboxCardProvider } from '../../infrastructure/payments/sandbox-card/provider.js';
import { createSandboxCardRouter } from '../../infrastructure/payments/sandbox-card/router.js';
import { CarrierBillingProvider } from '../../infrastructure/payments/sandbox-carrier/provider.js';
import {
  SandboxCarrierOperator,
  type SandboxCarrierOptions,
} from '../../infrastructure/payments/sandbox-carrier/operator.js';
import { createSandboxCarrierRouter } from '../../infrastructure/payments/sandbox-carrier/router.js';
import type { ProviderFixture } from '../contracts/payment-provider.contract.js';

/** The origin the sandbox card form may send browsers back to in tests (never fetched). */
export const RETURN_ORIGIN = 'http://tessera.test';

interface Listening {
  readonly baseUrl: string;
  close(): Promise<void>;
}

/** Serves `router` under `path` on 127.0.0.1 at an ephemeral port. */
export async function listen(router: Router, path: string): Promise<Listening> {
  const app = express();
  app.use(path, router);
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}${path}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A base URL nothing listens on: a port that was free a moment ago. */
export async function closedBaseUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/gone`;
}

export interface CardSandbox extends Listening {
  readonly processor: SandboxCardProcessor;
  readonly secretKey: string;
  provider(options?: {
    timeoutMs?: number;
    logger?: Logger;
    secretKey?: string;
    baseUrl?: string;
  }): SandboxCardProvider;
  /** Posts the hosted form like a browser and returns the redirect's Location (or the page). */
  submitCard(card: { number: string; expiry?: string; cvc?: string }): Promise<Response>;
  /** Tokenises a test card through the hosted form; returns the token. */
  tokenize(number: string, cvc?: string): Promise<string>;
}

export async function startCardSandbox(
  clock: Clock = new ManualClock('2026-03-15T12:00:00Z'),
): Promise<CardSandbox> {
  const secretKey = `sk_test_${randomBytes(16).toString('hex')}`;
  let base = '';
  const processor = new SandboxCardProcessor({
    clock,
    secretKey,
    publicUrl: () => base,
    allowedReturnOrigins: [RETURN_ORIGIN],
  });
  const listening = await listen(createSandboxCardRouter(processor), '/sandbox/card');
  base = listening.baseUrl;
  const submitCard: CardSandbox['submitCard'] = (card) =>
    fetch(`${base}/tokens`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        number: card.number,
        expiry: card.expiry ?? '12/30',
        cvc: card.cvc ?? '735',
        return_url: `${RETURN_ORIGIN}/pay/return`,
        state: 's1',
        locale: 'en',
      }),
    });
  return {
    ...listening,
    processor,
    secretKey,
    provider: (options = {}) =>
      new SandboxCardProvider({
        baseUrl: options.baseUrl ?? base,
        secretKey: options.secretKey ?? secretKey,
        timeoutMs: options.timeoutMs ?? 2000,
        logger: options.logger,
      }),
    submitCard,
    tokenize: async (number, cvc) => {
      const response = await submitCard({ number, cvc });
      const location = response.headers.get('location');
      if (response.status !== 303 || !location) throw new Error(`tokenisation failed: ${response.status}`);
      return new URL(location).searchParams.get('token') ?? '';
    },
  };
}

export interface CarrierSandbox extends Listening {
  readonly operator: SandboxCarrierOperator;
  readonly secretKey: string;
  provider(options?: { timeoutMs?: number; secretKey?: string; baseUrl?: string }): CarrierBillingProvider;
}

export async function startCarrierSandbox(
  options: Partial<SandboxCarrierOptions> = {},
): Promise<CarrierSandbox> {
  const secretKey = `sk_test_${randomBytes(16).toString('hex')}`;
  const operator = new SandboxCarrierOperator({
    clock: new ManualClock('2026-03-15T12:00:00Z'),
    secretKey,
    ...options,
  });
  const listening = await listen(createSandboxCarrierRouter(operator), '/sandbox/carrier');
  return {
    ...listening,
    operator,
    secretKey,
    provider: (o = {}) =>
      new CarrierBillingProvider({
        baseUrl: o.baseUrl ?? listening.baseUrl,
        secretKey: o.secretKey ?? secretKey,
        timeoutMs: o.timeoutMs ?? 2000,
      }),
  };
}

/** A fresh Norwegian mobile number in E.164. */
export function randomMsisdn(): string {
  return `+479${String(randomBytes(4).readUInt32BE() % 10_000_000).padStart(7, '0')}`;
}

export async function cardFixture(timeoutMs: number): Promise<ProviderFixture> {
  const sandbox = await startCardSandbox();
  const unreachable = await closedBaseUrl();
  const token = async (number: string): Promise<PaymentMethodRef> => ({
    kind: 'card',
    token: await sandbox.tokenize(number),
  });
  return {
    provider: sandbox.provider({ timeoutMs: 10_000 }),
    impatient: sandbox.provider({ timeoutMs }),
    unreachable: sandbox.provider({ baseUrl: unreachable }),
    wrongKey: sandbox.provider({ secretKey: 'sk_test_wrong' }),
    currency: 'NOK',
    approved: () => token('4242 4242 4242 4242'),
    declines: [
      { code: 'card_declined', method: () => token('4000 0000 0000 0002') },
      { code: 'insufficient_funds', method: () => token('4000 0000 0000 9995') },
      { code: 'invalid_token', method: async () => ({ kind: 'card', token: 'pm_unknown' }) },
    ],
    otherKind: { kind: 'carrier', msisdn: randomMsisdn() },
    chargeCount: () => sandbox.processor.book.authorizedCount(),
    controls: sandbox.processor.controls,
    close: () => sandbox.close(),
  };
}

export async function carrierFixture(timeoutMs: number): Promise<ProviderFixture> {
  const barred = randomMsisdn();
  const sandbox = await startCarrierSandbox({ barred: [barred], monthlyLimit: 250_000 });
  const unreachable = await closedBaseUrl();
  return {
    provider: sandbox.provider({ timeoutMs: 10_000 }),
    impatient: sandbox.provider({ timeoutMs }),
    unreachable: sandbox.provider({ baseUrl: unreachable }),
    wrongKey: sandbox.provider({ secretKey: 'sk_test_wrong' }),
    currency: 'NOK',
    approved: async () => ({ kind: 'carrier', msisdn: randomMsisdn() }),
    declines: [
      {
        code: 'spend_limit',
        amount: 250_001,
        method: async () => ({ kind: 'carrier', msisdn: randomMsisdn() }),
      },
      { code: 'carrier_declined', method: async () => ({ kind: 'carrier', msisdn: barred }) },
    ],
    otherKind: { kind: 'card', token: 'pm_whatever' },
    chargeCount: () => sandbox.operator.book.authorizedCount(),
    controls: sandbox.operator.controls,
    close: () => sandbox.close(),
  };
}
