import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type Request } from 'express';
import type { PaymentMethodView } from '../../application/payment-method/payment-method-queries.js';
import { silentLogger } from '../../application/ports/logger.js';
import type { TokenizedCard } from '../../application/ports/payment-provider.js';
import type { TokenVerifier, VerifiedToken } from '../../application/ports/token-verifier.js';
import type { UserView } from '../../application/user/user-queries.js';
import { SqliteEphemeralStore } from '../../infrastructure/ephemeral/sqlite-ephemeral-store.js';
import { type AccountSession, readCookie } from '../../infrastructure/http/account/account-session.js';
import { createAgreementsRouter } from '../../infrastructure/http/agreements-router.js';
import { correlation } from '../../infrastructure/http/correlation.js';
import { errorHandler, notFound } from '../../infrastructure/http/error-handler.js';
import { CsrfTokens } from '../../infrastructure/http/pages/csrf.js';
import { createAgreementPageRouter } from '../../infrastructure/http/pay/agreement-page-router.js';
import { createReadAfterWrite } from '../../infrastructure/http/read-after-write.js';
import { AgreementWorld, methodId, sub } from '../application/agreement/agreement-world.js';
import { Browser, formAction, hiddenField, type Visit } from '../support/browser.js';

export const SIGN_IN = 'https://id.example/oauth/authorize';
export const OK = 'https://shop.example/ok';
export const CANCEL = 'https://shop.example/cancel';
const WRITE = ['payment.transactions.write'];

/** What the provider API answered. */
export interface ApiAnswer {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

/**
 * The agreement confirmation page and the provider API (/v1/agreements) on one small app over an
 * AgreementWorld: the real routers, CSRF tokens, renewal machinery, SQLite stores and sandbox card
 * processor. The pay session is a stand-in keyed by the `tessera_pay` cookie (sign-in itself is the
 * payment page's); the token verifier knows `backend-a` (provider A's backend, client_credentials).
 */
export class AgreementApp {
  base = '';
  private readonly sessions = new Map<string, string>();

  private constructor(
    readonly w: AgreementWorld,
    private readonly server: Server,
    private readonly ephemeral: SqliteEphemeralStore,
    private readonly ephemeralDir: string,
  ) {}

  static async open(start: string): Promise<AgreementApp> {
    const w = await AgreementWorld.open(start);
    const ephemeralDir = mkdtempSync(join(tmpdir(), 'tessera-agreement-page-'));
    const ephemeral = SqliteEphemeralStore.open({ file: join(ephemeralDir, 'ephemeral.db'), clock: w.clock });
    const app = express();
    const server = createServer(app);
    const fixture = new AgreementApp(w, server, ephemeral, ephemeralDir);
    const tokens: Record<string, VerifiedToken> = {
      'backend-a': { clientId: 'client-a', sub: null, scopes: WRITE, expiresAt: 2e9 },
    };
    const verifier: TokenVerifier = { verify: async (token) => tokens[token] ?? null };
    app.use(correlation(silentLogger));
    app.use(
      '/v1',
      express.json(),
      createAgreementsRouter({
        commands: w.commands,
        queries: w.queries,
        issuer: () => fixture.base,
        verifier,
        providerOf: async (clientId) => (clientId === 'client-a' ? w.providerA : null),
        views: w.runner,
        awaitMinPosition: createReadAfterWrite({
          views: w.runner,
          headPosition: () => w.store.headPosition(),
          timeoutMs: 5000,
        }),
        writeVisibleTimeoutMs: 5000,
      }),
    );
    app.use(
      createAgreementPageRouter({
        issuer: () => fixture.base,
        sessions: {
          current: async (req: Request): Promise<AccountSession | null> => {
            const key = readCookie(req, 'tessera_pay');
            const owner = key === null ? undefined : fixture.sessions.get(key);
            return owner === undefined
              ? null
              : { key: key!, sub: owner, sessionUid: 's', freshUntil: null, acr: null };
          },
          begin: async (_res, _issuer, options) =>
            `${SIGN_IN}?return_to=${encodeURIComponent(options.returnTo ?? '')}`,
        },
        agreements: w.commands,
        methods: {
          list: async (owner: string): Promise<PaymentMethodView[]> =>
            owner === sub && w.card?.kind === 'card'
              ? [
                  {
                    methodId,
                    kind: 'card',
                    brand: 'visa',
                    last4: w.card.last4,
                    expMonth: 12,
                    expYear: 2030,
                    maskedPhone: null,
                    isDefault: true,
                    expired: false,
                    available: true,
                    createdAt: '2026-01-01T00:00:00.000Z',
                  },
                ]
              : [],
        },
        wallet: {
          saveCard: async (_owner: string, c: TokenizedCard) => {
            w.card = { kind: 'card', ...c };
            return { methodId, position: null, isDefault: true };
          },
        },
        users: { getUser: async (id: string) => ({ sub: id, locale: null }) as unknown as UserView },
        tokenizer: w.sandbox.provider(),
        store: ephemeral,
        csrf: new CsrfTokens(Buffer.alloc(32, 7)),
      }),
    );
    app.use(notFound());
    app.use(errorHandler());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fixture.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return fixture;
  }

  /** A browser signed in (on the pay session) as `who`. */
  browser(who: string, language = 'en'): Browser {
    const key = `session-${who}-${Math.random().toString(36).slice(2, 12)}`.replace(/[^A-Za-z0-9_-]/g, '');
    this.sessions.set(key, who);
    const b = new Browser(this.base, { 'accept-language': language });
    b.jar.store(`${this.base}/pay/x`, new Headers({ 'set-cookie': `tessera_pay=${key}; Path=/pay` }));
    return b;
  }

  /** Submits the page's form whose action ends with `action`, with its CSRF token. */
  submit(b: Browser, page: Visit, action: string, fields: Record<string, string> = {}): Promise<Visit> {
    return b.post(formAction(page.body, action), { csrf: hiddenField(page.body, 'csrf'), ...fields });
  }

  /** A call to the provider API as provider A's backend. */
  async api(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const res = await fetch(this.base + path, {
      method,
      headers: {
        authorization: 'Bearer backend-a',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? null : JSON.parse(text) };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    await this.ephemeral.close();
    rmSync(this.ephemeralDir, { recursive: true, force: true });
    await this.w.close();
  }
}
