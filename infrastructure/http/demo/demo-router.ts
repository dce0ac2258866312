/**
 * The demo shop: a small relying party served by Tessera's process but talking to Tessera only
 * over its public HTTP interfaces, as a provider's own web shop would. Mounted at /demo:
 *
 *   GET  /            the products with prices; signed in: a one-click buy button and the access
 *                     check for the film rental, with the API's JSON answer
 *   GET  /login       off to Tessera's authorization endpoint (PKCE S256, state, nonce)
 *   GET  /callback    the code redeemed at the token endpoint (client_secret_basic); a shop session
 *   POST /buy         the shop's backend creates the transaction (client_credentials), then pays it
 *                     in one click with the person's token and default saved method, or sends the
 *                     browser to Tessera's hosted payment page when nothing is saved yet
 *   GET  /return      back from paying: the transaction verified, the access check awaited briefly
 *   POST /logout      the shop session ended, then Tessera's end-session endpoint
 *
 * Its configuration (issuer, client id and secret, products) comes from the demo seed through
 * `config()`, which answers null until the seed ran; the shop answers 503 until then.
 */
import { randomBytes } from 'node:crypto';
import express, { type ErrorRequestHandler, type Request, type Response, Router } from 'express';
import type { EphemeralStore } from '../../../application/ports/ephemeral-store.js';
import { originOf, sendPage } from '../pages/render.js';
import type { DemoShopConfig, DemoShopProduct } from './demo-config.js';
import { type DemoSession, DemoSessions } from './demo-sessions.js';
import { homePage, messagePage, type AccessPanel, formatPrice } from './demo-views.js';
import { type ApiAnswer, DemoShopError, TesseraRelyingParty } from './tessera-rp.js';

export interface DemoShopRouterDeps {
  /** The shop's configuration once the demo seed made it; null before. */
  readonly config: () => DemoShopConfig | null;
  /** Where the shop keeps its sessions and pending sign-ins. */
  readonly store: EphemeralStore;
  /** How the shop reaches Tessera (default: the global fetch). */
  readonly fetch?: typeof fetch;
  /** How long the return page waits for a purchase's right to show in the access check (default 5 s). */
  readonly accessWaitMs?: number;
}

const ORDER_REF = /^demo-[A-Za-z0-9_-]{16,64}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const PAID = new Set(['captured', 'partially_refunded', 'refunded']);

interface Shop {
  readonly config: DemoShopConfig;
  readonly rp: TesseraRelyingParty;
  readonly sessions: DemoSessions;
  /** The shop's own path, e.g. /demo. */
  readonly base: string;
  readonly secure: boolean;
}

const field = (body: unknown, name: string): unknown =>
  typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;

const problemCode = (answer: ApiAnswer): unknown => field(answer.body, 'code');

const oneTimeProducts = (config: DemoShopConfig) =>
  config.products.filter((p): p is Extract<DemoShopProduct, { kind: 'one_time' }> => p.kind === 'one_time');

export function createDemoShopRouter(deps: DemoShopRouterDeps): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 });
  const accessWaitMs = deps.accessWaitMs ?? 5000;
  let built: Shop | null = null;

  /** The shop for the current configuration; null while the seed has not run. */
  function shop(): Shop | null {
    const config = deps.config();
    if (config === null) return null;
    if (built?.config !== config) {
      const base = new URL(config.shopUrl).pathname.replace(/\/+$/, '');
      built = {
        config,
        rp: new TesseraRelyingParty(config, deps.fetch),
        sessions: new DemoSessions(deps.store, base),
        base,
        secure: config.shopUrl.startsWith('https:'),
      };
    }
    return built;
  }

  /** Runs a page handler with the shop, or answers 503 while it is not configured. */
  const page =
    (handler: (shop: Shop, req: Request, res: Response) => Promise<void>) =>
    async (req: Request, res: Response) => {
      const current = shop();
      if (current === null) {
        sendPage(
          res,
          503,
          messagePage('/', 'Demo shop', 'The demo shop is starting; try again in a moment.'),
        );
        return;
      }
      await handler(current, req, res);
    };

  /** The signed-in session of the request, if its access token still lives. */
  async function signedIn(s: Shop, req: Request) {
    const current = await s.sessions.current(req);
    return current !== null && current.session.expiresAt > Date.now() ? current : null;
  }

  async function access(s: Shop, sub: string, sku: string): Promise<AccessPanel> {
    const answer = await s.rp.asBackend('GET', `/v1/users/${sub}/access?sku=${encodeURIComponent(sku)}`);
    return {
      sku,
      allowed: answer.status === 200 && field(answer.body, 'allowed') === true,
      answer: answer.body,
    };
  }

  const formOrigins = (s: Shop) => [originOf(s.config.issuer)].filter((o): o is string => o !== null);

  router.get(
    '/',
    page(async (s, req, res) => {
      const current = await signedIn(s, req);
      let notice: DemoSession['notice'];
      let who = null;
      if (current !== null) {
        const { session } = current;
        notice = session.notice;
        if (notice !== undefined) {
          const { notice: _shown, ...rest } = session;
          await s.sessions.update(current.key, rest);
        }
        const film = oneTimeProducts(s.config)[0];
        who = {
          sub: session.sub,
          phone: session.phone,
          csrf: session.csrf,
          orderRef: `demo-${randomBytes(18).toString('base64url')}`,
          access: film === undefined ? null : await access(s, session.sub, film.sku),
        };
      }
      sendPage(
        res,
        200,
        homePage({
          shopName: s.config.providerName,
          products: s.config.products,
          signedIn: who,
          ...(notice === undefined ? {} : { notice }),
          formOrigins: formOrigins(s),
          tessera: s.config.issuer,
          base: s.base,
        }),
      );
    }),
  );

  router.get(
    '/login',
    page(async (s, _req, res) => {
      const pending = await s.rp.beginSignIn();
      await s.sessions.beginLogin(res, s.secure, pending.state, {
        verifier: pending.verifier,
        nonce: pending.nonce,
      });
      res.redirect(303, pending.authorizationUrl);
    }),
  );

  router.get(
    '/callback',
    page(async (s, req, res) => {
      const login = await s.sessions.takeLogin(req, res, s.secure, req.query.state);
      if (login === null) {
        sendPage(
          res,
          400,
          messagePage(s.base, 'Sign-in', 'This sign-in is not valid any more; please start again.'),
        );
        return;
      }
      if (typeof req.query.error === 'string') {
        sendPage(
          res,
          200,
          messagePage(s.base, 'Sign-in', `The sign-in was not completed (${req.query.error}).`),
        );
        return;
      }
      const code = req.query.code;
      if (typeof code !== 'string' || code.length === 0 || code.length > 500) {
        sendPage(res, 400, messagePage(s.base, 'Sign-in', 'The sign-in came back without a code.'));
        return;
      }
      const person = await s.rp.finishSignIn(code, login);
      await s.sessions.open(
        res,
        s.secure,
        { sub: person.sub, phone: person.phone, accessToken: person.accessToken, idToken: person.idToken },
        person.expiresIn,
      );
      res.redirect(303, s.base);
    }),
  );

  router.post(
    '/buy',
    form,
    page(async (s, req, res) => {
      const current = await signedIn(s, req);
      if (current === null) {
        res.redirect(303, s.base);
        return;
      }
      const { session } = current;
      const order = field(req.body, 'order');
      const product = oneTimeProducts(s.config).find((p) => p.sku === field(req.body, 'sku'));
      if (
        !DemoSessions.csrfMatches(session, field(req.body, 'csrf')) ||
        typeof order !== 'string' ||
        !ORDER_REF.test(order) ||
        product === undefined
      ) {
        sendPage(
          res,
          400,
          messagePage(s.base, 'Buy', 'This form is not valid any more; please go back and try again.'),
        );
        return;
      }
      // The order reference doubles as the Idempotency-Key: a form sent twice buys once.
      const created = await s.rp.asBackend(
        'POST',
        '/v1/transactions',
        {
          orderId: order,
          description: product.name,
          amount: product.price,
          vatRate: product.vatRate,
          products: [
            {
              sku: product.sku,
              name: product.name,
              price: product.price,
              vatRate: product.vatRate,
              timeSpec: product.timeSpec,
            },
          ],
          successRedirect: `${s.config.shopUrl}/return`,
          cancelRedirect: s.config.shopUrl,
          sub: session.sub,
        },
        order,
      );
      const transactionId = field(created.body, 'transactionId');
      const paymentLink = field(field(created.body, 'links'), 'payment');
      if (
        (created.status !== 201 && created.status !== 202) ||
        typeof transactionId !== 'string' ||
        typeof paymentLink !== 'string'
      ) {
        throw new DemoShopError('Tessera did not create the transaction.', created.body);
      }
      const position = field(created.body, 'position');
      const wait = created.status === 202 && typeof position === 'number' ? `?minPosition=${position}` : '';
      const paid = await s.rp.asUser(
        session.accessToken,
        'POST',
        `/v1/transactions/${transactionId}/payment${wait}`,
        {},
        `${order}-one-click`,
      );
      if (paid.status === 401) {
        // The person's token was revoked (signed out elsewhere): a new sign-in, then buy again.
        await s.sessions.end(res, s.secure, current.key);
        res.redirect(303, `${s.base}/login`);
        return;
      }
      const status = field(paid.body, 'status');
      const returnTo = `${s.base}/return?transactionId=${transactionId}`;
      if (paid.status === 200 && (status === 'captured' || status === 'unknown')) {
        res.redirect(303, returnTo);
      } else if (
        paid.status === 200 &&
        status === 'requires_action' &&
        typeof field(paid.body, 'actionUrl') === 'string'
      ) {
        res.redirect(303, field(paid.body, 'actionUrl') as string);
      } else if (paid.status === 200 || paid.status === 409 || paid.status === 404) {
        // Declined, or nothing saved yet (409 no_default_payment_method): the hosted payment page
        // takes over, and sends the person back to /return once paid.
        res.redirect(303, paymentLink);
      } else {
        throw new DemoShopError(
          `One-click payment was refused (${String(problemCode(paid) ?? paid.status)}).`,
          paid.body,
        );
      }
    }),
  );

  router.get(
    '/return',
    page(async (s, req, res) => {
      const current = await signedIn(s, req);
      const transactionId = req.query.transactionId;
      if (current === null || typeof transactionId !== 'string' || !UUID.test(transactionId)) {
        res.redirect(303, s.base);
        return;
      }
      const tx = await s.rp.asBackend('GET', `/v1/transactions/${transactionId}`);
      if (tx.status !== 200 || field(tx.body, 'sub') !== current.session.sub) {
        throw new DemoShopError('The transaction could not be verified.', tx.body);
      }
      const status = String(field(tx.body, 'status'));
      const lines = field(tx.body, 'products');
      const sku = Array.isArray(lines) ? field(lines[0], 'sku') : undefined;
      const bought = oneTimeProducts(s.config).find((p) => p.sku === sku);
      let notice: NonNullable<DemoSession['notice']>;
      if (PAID.has(status)) {
        // The right is granted from the captured payment a moment later: wait for it briefly.
        if (bought !== undefined) await untilAllowed(s, current.session.sub, bought.sku);
        notice = {
          ok: true,
          text: `Thank you! ${bought === undefined ? 'The order' : `${bought.name} (${formatPrice(bought.price)})`} is paid: transaction ${transactionId}.`,
        };
      } else {
        notice = {
          ok: false,
          text: `The payment is not completed (transaction ${transactionId} is ${status}).`,
        };
      }
      await s.sessions.update(current.key, { ...current.session, notice });
      res.redirect(303, s.base);
    }),
  );

  router.post(
    '/logout',
    form,
    page(async (s, req, res) => {
      const current = await signedIn(s, req);
      if (current === null || !DemoSessions.csrfMatches(current.session, field(req.body, 'csrf'))) {
        res.redirect(303, s.base);
        return;
      }
      const url = await s.rp.signOutUrl(current.session.idToken);
      await s.sessions.end(res, s.secure, current.key);
      res.redirect(303, url);
    }),
  );

  async function untilAllowed(s: Shop, sub: string, sku: string): Promise<void> {
    const deadline = Date.now() + accessWaitMs;
    while (!(await access(s, sub, sku)).allowed && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Tessera's refusals and an unreachable Tessera are shown on a page of the shop. */
  const shopErrors: ErrorRequestHandler = (err, _req, res, next) => {
    if (!(err instanceof DemoShopError) && !(err instanceof TypeError && /fetch/i.test(err.message))) {
      next(err);
      return;
    }
    const detail = err instanceof DemoShopError ? err.detail : null;
    sendPage(res, 502, messagePage(built?.base ?? '/', 'Demo shop', err.message, detail));
  };
  router.use(shopErrors);

  return router;
}
