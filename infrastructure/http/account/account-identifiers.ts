/**
 * Phones and emails on the account page: adding one sends a code to it and shows the code form;
 * the right code verifies it (and claims it: a phone or email belongs to one account only).
 */
import type { Request, Response } from 'express';
import {
  type CountryCode,
  IdentifierError,
  parseIdentifier,
} from '../../../application/signin/identifier.js';
import type { OneTimeCodes } from '../../../application/signin/one-time-codes.js';
import type { UserCommands } from '../../../application/user/user-commands.js';
import { MessageDeliveryError } from '../../../application/ports/message-sender.js';
import { sendPage } from '../pages/render.js';
import { strings } from '../pages/i18n.js';
import { AccountPageError, type AccountScene, field } from './account-scene.js';
import type { IdentifierKind } from './account-views.js';
import { verifyPage } from './account-views.js';

export interface IdentifierPagesDeps {
  readonly users: Pick<UserCommands, 'addIdentifier' | 'verifyIdentifier'>;
  readonly codes: Pick<OneTimeCodes, 'request' | 'verify'>;
  readonly defaultCountry: CountryCode;
  readonly visible: (position: number | null) => Promise<void>;
}

export class IdentifierPages {
  constructor(private readonly deps: IdentifierPagesDeps) {}

  /** The kind and normalised value a form names; an unreadable one is refused on the page. */
  parse(req: Request): { kind: IdentifierKind; value: string } {
    const kind = field(req.body, 'kind', 10);
    if (kind !== 'phone' && kind !== 'email') throw new AccountPageError(400, (t) => t.errors.unexpected);
    const wrongKind = new AccountPageError(422, (t) =>
      kind === 'phone' ? t.errors.invalid_phone : t.errors.invalid_email,
    );
    try {
      const parsed = parseIdentifier(field(req.body, 'value', 320), this.deps.defaultCountry, 'value');
      if (parsed.kind !== kind) throw wrongKind;
      return { kind, value: parsed.value };
    } catch (err) {
      if (err instanceof IdentifierError) throw wrongKind;
      throw err;
    }
  }

  async add(req: Request, res: Response, s: AccountScene): Promise<void> {
    const { kind, value } = this.parse(req);
    const result = await this.deps.users.addIdentifier(s.session.sub, { kind, value }, s.ctx);
    await this.deps.visible(result.position);
    await this.sendCode(res, s, kind, value);
  }

  async resend(req: Request, res: Response, s: AccountScene): Promise<void> {
    const { kind, value } = this.parse(req);
    const list = kind === 'phone' ? s.user.phones : s.user.emails;
    if (!list.some((i) => i.value === value && !i.verified)) {
      throw new AccountPageError(404, (t) => t.errors.unexpected);
    }
    await this.sendCode(res, s, kind, value);
  }

  async verify(req: Request, res: Response, s: AccountScene): Promise<void> {
    const { kind, value } = this.parse(req);
    const challengeId = field(req.body, 'challenge', 100);
    const again = (status: number, error: string) =>
      sendPage(res, status, verifyPage({ locale: s.locale, csrf: s.csrf, kind, value, challengeId, error }));
    const outcome = await this.deps.codes.verify(challengeId, field(req.body, 'code', 12), { ip: s.ip });
    if (!outcome.ok) {
      switch (outcome.reason) {
        case 'wrong_code':
          return again(400, s.t.errors.wrong_code);
        case 'locked':
        case 'rate_limited':
          res.setHeader('Retry-After', String(outcome.retryAfterSeconds));
          return again(429, s.t.errors.throttled(strings(s.locale).wait(outcome.retryAfterSeconds)));
        default:
          return again(400, s.t.errors.code_expired);
      }
    }
    // The code proves control of what it was sent to; that must be what this form verifies.
    if (outcome.identifier.kind !== kind || outcome.identifier.value !== value) {
      return again(400, s.t.errors.wrong_code);
    }
    const result = await this.deps.users.verifyIdentifier(s.session.sub, { kind, value }, s.ctx);
    await this.deps.visible(result.position);
    res.redirect(303, '/account?notice=identifier_verified');
  }

  private async sendCode(res: Response, s: AccountScene, kind: IdentifierKind, value: string): Promise<void> {
    let sent;
    try {
      sent = await this.deps.codes.request({ kind, value }, { ip: s.ip, locale: s.locale });
    } catch (err) {
      if (err instanceof MessageDeliveryError)
        throw new AccountPageError(503, (t) => t.errors.delivery_failed);
      throw err;
    }
    if (!sent.ok) {
      res.setHeader('Retry-After', String(sent.retryAfterSeconds));
      throw new AccountPageError(429, (t) =>
        t.errors.throttled(strings(s.locale).wait(sent.retryAfterSeconds)),
      );
    }
    sendPage(
      res,
      200,
      verifyPage({ locale: s.locale, csrf: s.csrf, kind, value, challengeId: sent.challengeId }),
    );
  }
}
