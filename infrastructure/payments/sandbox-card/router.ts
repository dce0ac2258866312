import express, { type Request, type Router } from 'express';
import { apiHandler, createSandboxApiRouter } from '../sandbox-kit/api-router.js';
import type { SandboxCardProcessor } from './card-processor.js';
import { cardFormPage, challengePage, errorPage, sandboxLocale } from './pages.js';

/**
 * The sandbox card processor's HTTP surface, mounted on its own path (e.g. `/sandbox/card`):
 *
 *   Browser (hosted pages, no script):
 *     GET  /checkout?return_url=…&state=…&locale=nb   the card form
 *     POST /tokens                                     the form's target; 303 to
 *          return_url?token=pm_…&brand=…&last4=…&exp_month=…&exp_year=…&state=…, or the form again (422)
 *     GET  /challenge/<payment>?secret=…               the challenge page of a payment in requires_action
 *     POST /challenge/<payment>                        approve/deny; 303 to the payment's
 *          return_url?processor_ref=<payment>
 *   Server to server (JSON, `Authorization: Bearer <secret key>`):
 *     GET  /v1/tokens/<token>                          brand, last4, expiry of a token
 *     /v1/payments…                                    see sandbox-kit/api-router.ts
 */
export function createSandboxCardRouter(processor: SandboxCardProcessor): Router {
  const router = express.Router();
  const origins = processor.options.allowedReturnOrigins;
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 });
  const text = (value: unknown, max = 2000): string => (typeof value === 'string' ? value.slice(0, max) : '');

  router.use(
    createSandboxApiRouter({
      book: processor.book,
      secretKey: processor.options.secretKey,
      controls: processor.controls,
      resource: 'payments',
    }),
  );
  router.get(
    '/v1/tokens/:id',
    apiHandler({ secretKey: processor.options.secretKey, controls: processor.controls }, (req: Request) =>
      processor.token(String(req.params['id'])),
    ),
  );

  router.get('/checkout', (req, res) => {
    const locale = sandboxLocale(req.query['locale']);
    const returnUrl = text(req.query['return_url']);
    if (!processor.returnUrlAllowed(returnUrl)) return errorPage(res, 400, locale, 'badReturn');
    cardFormPage(res, { locale, returnUrl, state: text(req.query['state'], 500), formOrigins: origins });
  });

  router.post('/tokens', form, (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const locale = sandboxLocale(body['locale']);
    const returnUrl = text(body['return_url']);
    const state = text(body['state'], 500);
    if (!processor.returnUrlAllowed(returnUrl)) return errorPage(res, 400, locale, 'badReturn');
    const result = processor.tokenize({
      number: text(body['number'], 40),
      expiry: text(body['expiry'], 10),
      cvc: text(body['cvc'], 10),
    });
    if ('problem' in result) {
      return cardFormPage(res, { locale, returnUrl, state, problem: result.problem, formOrigins: origins });
    }
    const target = new URL(returnUrl);
    target.searchParams.set('token', result.id);
    target.searchParams.set('brand', result.brand);
    target.searchParams.set('last4', result.last4);
    target.searchParams.set('exp_month', String(result.exp_month));
    target.searchParams.set('exp_year', String(result.exp_year));
    target.searchParams.set('state', state);
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, target.toString());
  });

  router.get('/challenge/:id', (req, res) => {
    const locale = sandboxLocale(req.query['locale']);
    const secret = text(req.query['secret'], 100);
    const payment = processor.book.pendingChallenge(String(req.params['id']), secret);
    if (!payment) return errorPage(res, 404, locale, 'noChallenge');
    challengePage(res, {
      locale,
      paymentId: payment.id,
      secret,
      amount: payment.amount,
      description: payment.description,
      formOrigins: [new URL(payment.returnUrl).origin],
    });
  });

  router.post('/challenge/:id', form, (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const locale = sandboxLocale(body['locale']);
    const decision = body['decision'];
    if (decision !== 'approve' && decision !== 'deny') return errorPage(res, 400, locale, 'noChallenge');
    const payment = processor.book.completeChallenge(
      String(req.params['id']),
      text(body['secret'], 100),
      decision === 'approve',
    );
    if (!payment) return errorPage(res, 404, locale, 'noChallenge');
    const target = new URL(payment.returnUrl);
    target.searchParams.set('processor_ref', payment.id);
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, target.toString());
  });

  return router;
}
