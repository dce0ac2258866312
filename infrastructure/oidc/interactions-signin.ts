/**
 * The steps of signing in with a one-time code inside an OpenID Connect interaction, without HTTP:
 * take what the person typed, send a code, check the code, and find or create the account.
 *
 * Sign-in and sign-up are one flow: the code proves control of the phone or address, and the
 * account holding it is used, or created with it verified. Until the code is right nothing here
 * consults accounts, so every answer before that is the same whether an account exists or not.
 *
 * Between the steps, the pending challenge is kept in the EphemeralStore under the interaction's id
 * (never in the page), for as long as the code lives.
 *
 * When the relying party asks for acr "2" (`acr_values=2`, or an `acr` claim in the `claims`
 * parameter), the right code is not the end: the account's password is asked for as well. The
 * signed-in account waits for it in the store, and wrong passwords are counted twice: per
 * interaction, and per account across interactions. Reaching the account's limit locks its sign-in
 * for a while, recorded as a SignInLocked event on the User stream like a lockout for wrong codes,
 * and a locked account is refused at the password step as at the code step.
 *
 * Every completed sign-in is recorded as a SignedIn event on the account (method, whether a password
 * was given, and the client it was for): right after the code when no password is asked for, else
 * after the password step. A lock that lands in between still refuses the sign-in.
 */
import type { Clock } from '../../application/ports/clock.js';
import type { EphemeralStore } from '../../application/ports/ephemeral-store.js';
import type { Logger } from '../../application/ports/logger.js';
import type { Views } from '../../application/ports/views.js';
import type { Telemetry } from '../../application/ports/telemetry.js';
import { codeResult, passwordResult } from './signin-metrics.js';
import {
  type CountryCode,
  type Identifier,
  IdentifierError,
  type IdentifierProblem,
  maskIdentifier,
  parseIdentifier,
} from '../../application/signin/identifier.js';
import type { Locale } from '../../application/signin/messages.js';
import type { OneTimeCodes } from '../../application/signin/one-time-codes.js';
import type { CodeRejection } from '../../application/signin/results.js';
import type { UserCommands } from '../../application/user/user-commands.js';
import type { UserQueries } from '../../application/user/user-queries.js';
import { MessageDeliveryError } from '../../application/ports/message-sender.js';
import { DomainError } from '../../domain/kernel/decider.js';
import { USERS_PROJECTION } from '../../projections/users.js';
import { SystemClock } from '../clock.js';

export const SIGNIN_STEP_NAMESPACE = 'signin-step';
export const SIGNIN_PASSWORD_NAMESPACE = 'signin-password';
export const PASSWORD_ATTEMPTS_NAMESPACE = 'signin-password-attempts';
/** Password guesses allowed in one interaction; the next wrong one refuses the interaction. */
export const MAX_PASSWORD_ATTEMPTS = 5;
/** How long a signed-in account waits for its password (a person typing, not a session). */
const PASSWORD_STEP_TTL_SECONDS = 600;
/** The client a right code was for, kept for the password step that completes the sign-in. */
export const SIGNIN_CLIENT_NAMESPACE = 'signin-client';

/** Wrong passwords per account, across interactions, keyed by `sub`. */
export const ACCOUNT_PASSWORD_FAILURES_NAMESPACE = 'signin-password-failures';
/**
 * Wrong passwords an account takes within ACCOUNT_PASSWORD_WINDOW_SECONDS before its sign-in is
 * locked. Twice the per-interaction limit: a person who mistypes through one whole sign-in and
 * tries again is not locked out, while someone who holds the phone but not the password gets no
 * more than ten guesses before the account is locked and the lock is on record.
 */
export const MAX_ACCOUNT_PASSWORD_FAILURES = 10;
/**
 * The window the account's wrong passwords are counted in, from the first of them. An hour, like
 * the window for wrong one-time codes, so someone who stays under the limit to avoid the lock gets
 * fewer than ten guesses an hour.
 */
export const ACCOUNT_PASSWORD_WINDOW_SECONDS = 3600;
/**
 * How long the lock lasts. Fifteen minutes, like the first lockout for wrong codes: long enough
 * to stop guessing, short enough that the owner is not shut out for long by someone else's tries.
 */
export const PASSWORD_LOCKOUT_SECONDS = 900;
/** The reason a password lockout is recorded with on the account. */
export const PASSWORD_LOCK_REASON = 'too_many_wrong_passwords';

/**
 * How much the relying party wants acr "2": not at all, as a wish (`acr_values`, or a voluntary
 * `acr` claim), or as an essential `acr` claim that acr "1" does not satisfy.
 */
export type PasswordDemand = 'none' | 'voluntary' | 'essential';

/** The acceptable values of one `acr` claim request, and whether it is essential. */
function acrClaim(
  request: unknown,
): { readonly values: readonly string[]; readonly essential: boolean } | null {
  if (typeof request !== 'object' || request === null) return null;
  const { value, values, essential } = request as Record<string, unknown>;
  const list = Array.isArray(values)
    ? values.filter((v): v is string => typeof v === 'string')
    : typeof value === 'string'
      ? [value]
      : [];
  return { values: list, essential: essential === true };
}

/** Reads the password demand from an interaction's authorization parameters. */
export function passwordDemand(params: Readonly<Record<string, unknown>>): PasswordDemand {
  let claims: unknown = params.claims;
  if (typeof claims === 'string') {
    try {
      claims = JSON.parse(claims);
    } catch {
      claims = undefined;
    }
  }
  const members = typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : {};
  let demand: PasswordDemand = 'none';
  for (const target of ['id_token', 'userinfo']) {
    const section = members[target];
    const claim = acrClaim(
      typeof section === 'object' && section !== null ? (section as Record<string, unknown>).acr : null,
    );
    if (claim === null || !claim.values.includes('2')) continue;
    if (claim.essential && !claim.values.includes('1')) return 'essential';
    demand = 'voluntary';
  }
  const acrValues = typeof params.acr_values === 'string' ? params.acr_values.split(/\s+/) : [];
  return acrValues.includes('2') ? 'voluntary' : demand;
}

/** A signed-in account waiting for its password. */
export interface PasswordStep {
  readonly sub: string;
  /** The methods of the code step, `pwd` is added once the password is right. */
  readonly amr: readonly string[];
  readonly remember: boolean;
  readonly demand: Exclude<PasswordDemand, 'none'>;
  readonly hasPassword: boolean;
  /** The client the sign-in is for (recorded with it); null or absent when none. */
  readonly clientId?: string | null;
}

export type PasswordOutcome =
  | { readonly ok: true; readonly sub: string; readonly amr: readonly string[]; readonly remember: boolean }
  | { readonly ok: false; readonly reason: 'wrong_password'; readonly attemptsLeft: number }
  | { readonly ok: false; readonly reason: 'too_many_attempts' }
  /** The account's sign-in is locked; the password was not checked. */
  | { readonly ok: false; readonly reason: 'account_locked' }
  | { readonly ok: false; readonly reason: 'no_step' };

/** Going on without a password: acr "1" when that was only a wish, else refused. */
export type SkipOutcome =
  | { readonly ok: true; readonly sub: string; readonly amr: readonly string[]; readonly remember: boolean }
  | { readonly ok: false; readonly reason: 'password_required' | 'has_password' | 'no_step' };

interface PendingStep {
  readonly challengeId: string;
  readonly identifier: Identifier;
}

export interface StepContext {
  /** The client's IP address, for the per-IP limits. */
  readonly ip: string;
  readonly locale: Locale;
  readonly correlationId: string;
  /**
   * The OpenID Connect interaction the step belongs to: its `client_id` is recorded with the
   * sign-in, and its acr request tells whether the code completes the sign-in.
   */
  readonly interaction?: { readonly params: Readonly<Record<string, unknown>> };
}

/** A code is on its way; `masked` is what the page may show of where it went. */
export type StartOutcome =
  | { readonly ok: true; readonly masked: string }
  | { readonly ok: false; readonly reason: IdentifierProblem }
  | { readonly ok: false; readonly reason: 'throttled'; readonly retryAfterSeconds: number }
  | { readonly ok: false; readonly reason: 'delivery_failed' }
  /** No code was requested in this interaction (or it expired): start over. */
  | { readonly ok: false; readonly reason: 'no_step' };

export type FinishOutcome =
  | {
      readonly ok: true;
      readonly sub: string;
      /** Authentication methods (RFC 8176): `sms` for a code by text message, `otp` by email. */
      readonly amr: readonly string[];
    }
  | CodeRejection
  | { readonly ok: false; readonly reason: 'no_step' }
  | { readonly ok: false; readonly reason: 'account_locked' };

export interface SignInFlowDeps {
  readonly codes: Pick<OneTimeCodes, 'request' | 'verify' | 'policy'>;
  /** With `recordSignIn` (as UserCommands has), every completed sign-in is recorded. */
  readonly users: Pick<UserCommands, 'registerWithIdentifier' | 'verifyPassword' | 'lockSignIn'> &
    Partial<Pick<UserCommands, 'recordSignIn'>>;
  readonly accounts: Pick<UserQueries, 'getUser'>;
  readonly views: Pick<Views, 'waitFor'>;
  readonly store: EphemeralStore;
  readonly defaultCountry: CountryCode;
  readonly logger: Logger;
  /** How long to wait for a new account or a lock to reach the read model (default 5000 ms). */
  readonly visibleTimeoutMs?: number;
  /** Where a lockout's end is reckoned from (default the system clock). */
  readonly clock?: Clock;
  /** Counts answered code and password steps by method and result (default: not counted). */
  readonly telemetry?: Telemetry;
}

export class SignInFlow {
  private readonly clock: Clock;

  constructor(private readonly deps: SignInFlowDeps) {
    this.clock = deps.clock ?? new SystemClock();
  }

  /** Where a code for the pending step went, or null when there is none. */
  async pending(uid: string): Promise<{ readonly masked: string } | null> {
    const step = await this.step(uid);
    return step ? { masked: maskIdentifier(step.identifier) } : null;
  }

  /** Parses what the person typed and sends a code to it. */
  async start(uid: string, input: string, context: StepContext): Promise<StartOutcome> {
    let identifier: Identifier;
    try {
      identifier = parseIdentifier(input, this.deps.defaultCountry);
    } catch (err) {
      if (err instanceof IdentifierError) return { ok: false, reason: err.problem };
      throw err;
    }
    return this.send(uid, identifier, context);
  }

  /** Sends a fresh code to the identifier of the pending step. */
  async resend(uid: string, context: StepContext): Promise<StartOutcome> {
    const step = await this.step(uid);
    if (!step) return { ok: false, reason: 'no_step' };
    return this.send(uid, step.identifier, context);
  }

  /**
   * Checks the code; when it is right, finds or creates the account holding the identifier and waits
   * until the read model shows it (the provider asks for its claims right after).
   */
  async finish(uid: string, code: string, context: StepContext): Promise<FinishOutcome> {
    const step = await this.step(uid);
    if (!step) return { ok: false, reason: 'no_step' };
    const outcome = await this.finishStep(uid, step, code, context);
    const result = codeResult(outcome);
    if (result !== null)
      this.deps.telemetry?.signIn(step.identifier.kind === 'phone' ? 'sms' : 'email', result);
    return outcome;
  }

  private async finishStep(
    uid: string,
    step: PendingStep,
    code: string,
    context: StepContext,
  ): Promise<FinishOutcome> {
    const verdict = await this.deps.codes.verify(step.challengeId, code, { ip: context.ip });
    if (!verdict.ok) return verdict;
    await this.deps.store.delete(SIGNIN_STEP_NAMESPACE, uid);

    const registered = await this.deps.users.registerWithIdentifier(
      verdict.identifier,
      { actor: { kind: 'system', id: 'sign-in' }, correlationId: context.correlationId },
      { locale: context.locale },
    );
    await this.visible(registered.position);
    const user = await this.deps.accounts.getUser(registered.sub);
    if (user.signInLock !== null) return { ok: false, reason: 'account_locked' };
    const amr = [verdict.identifier.kind === 'phone' ? 'sms' : 'otp'];
    const clientId = clientOf(context);
    if (passwordDemand(context.interaction?.params ?? {}) === 'none') {
      const recorded = await this.recordSignIn(registered.sub, amr, false, clientId, context.correlationId);
      if (!recorded) return { ok: false, reason: 'account_locked' };
    } else {
      await this.deps.store.set(
        SIGNIN_CLIENT_NAMESPACE,
        uid,
        { clientId },
        { ttlSeconds: PASSWORD_STEP_TTL_SECONDS },
      );
    }
    this.deps.logger.info(
      { sub: registered.sub, created: registered.created, via: verdict.identifier.kind },
      'signed in with a one-time code',
    );
    return { ok: true, sub: registered.sub, amr };
  }

  /**
   * Keeps the signed-in account of a right code waiting for its password; returns the step, whose
   * `hasPassword` tells which page comes next.
   */
  async awaitPassword(
    uid: string,
    signedIn: { readonly sub: string; readonly amr: readonly string[]; readonly remember: boolean },
    demand: Exclude<PasswordDemand, 'none'>,
  ): Promise<PasswordStep> {
    const user = await this.deps.accounts.getUser(signedIn.sub);
    const pendingClient = await this.deps.store.get<{ clientId: string | null }>(
      SIGNIN_CLIENT_NAMESPACE,
      uid,
    );
    const clientId = pendingClient?.value.clientId ?? null;
    const step: PasswordStep = { ...signedIn, demand, hasPassword: user.hasPassword, clientId };
    await this.deps.store.set(SIGNIN_PASSWORD_NAMESPACE, uid, step, {
      ttlSeconds: PASSWORD_STEP_TTL_SECONDS,
    });
    return step;
  }

  /** The account waiting for its password in this interaction, or null. */
  async pendingPassword(uid: string): Promise<PasswordStep | null> {
    const entry = await this.deps.store.get<PasswordStep>(SIGNIN_PASSWORD_NAMESPACE, uid);
    return entry && entry.consumedAt === null ? entry.value : null;
  }

  /**
   * Checks the password of the waiting account, unless its sign-in is locked. Each try is counted
   * before the check, per interaction and per account, so parallel guesses cannot exceed either
   * limit; the try after the last one an interaction allows ends the step, and the try that reaches
   * the account's limit locks its sign-in as well. A right password clears the account's count.
   */
  async checkPassword(
    uid: string,
    password: string,
    context: Pick<StepContext, 'correlationId'>,
  ): Promise<PasswordOutcome> {
    const outcome = await this.passwordStep(uid, password, context);
    const result = passwordResult(outcome);
    if (result !== null) this.deps.telemetry?.signIn('password', result);
    return outcome;
  }

  private async passwordStep(
    uid: string,
    password: string,
    context: Pick<StepContext, 'correlationId'>,
  ): Promise<PasswordOutcome> {
    const step = await this.pendingPassword(uid);
    if (!step) return { ok: false, reason: 'no_step' };
    if ((await this.deps.accounts.getUser(step.sub)).signInLock !== null) {
      await this.deps.store.delete(SIGNIN_PASSWORD_NAMESPACE, uid);
      this.deps.logger.warn({ sub: step.sub }, 'password step of a locked account refused');
      return { ok: false, reason: 'account_locked' };
    }
    const tries = await this.deps.store.increment(
      PASSWORD_ATTEMPTS_NAMESPACE,
      uid,
      PASSWORD_STEP_TTL_SECONDS,
    );
    if (tries > MAX_PASSWORD_ATTEMPTS) return this.refuse(uid, step.sub);
    const failures = await this.deps.store.increment(
      ACCOUNT_PASSWORD_FAILURES_NAMESPACE,
      step.sub,
      ACCOUNT_PASSWORD_WINDOW_SECONDS,
    );
    if (failures > MAX_ACCOUNT_PASSWORD_FAILURES) return this.refuse(uid, step.sub);
    if (await this.deps.users.verifyPassword(step.sub, password)) {
      await this.deps.store.delete(SIGNIN_PASSWORD_NAMESPACE, uid);
      await this.deps.store.delete(ACCOUNT_PASSWORD_FAILURES_NAMESPACE, step.sub);
      const recorded = await this.recordSignIn(
        step.sub,
        step.amr,
        true,
        step.clientId ?? null,
        context.correlationId,
      );
      if (!recorded) return { ok: false, reason: 'account_locked' };
      return { ok: true, sub: step.sub, amr: [...step.amr, 'pwd'], remember: step.remember };
    }
    if (failures >= MAX_ACCOUNT_PASSWORD_FAILURES) {
      await this.lockOut(step.sub, context.correlationId);
      return this.refuse(uid, step.sub);
    }
    if (tries >= MAX_PASSWORD_ATTEMPTS) return this.refuse(uid, step.sub);
    return {
      ok: false,
      reason: 'wrong_password',
      attemptsLeft: Math.min(MAX_PASSWORD_ATTEMPTS - tries, MAX_ACCOUNT_PASSWORD_FAILURES - failures),
    };
  }

  /** Goes on with the code alone, allowed only for an account without a password and a mere wish. */
  async skipPassword(uid: string, context?: Pick<StepContext, 'correlationId'>): Promise<SkipOutcome> {
    const step = await this.pendingPassword(uid);
    if (!step) return { ok: false, reason: 'no_step' };
    if (step.hasPassword) return { ok: false, reason: 'has_password' };
    await this.deps.store.delete(SIGNIN_PASSWORD_NAMESPACE, uid);
    if (step.demand === 'essential') return { ok: false, reason: 'password_required' };
    const correlationId = context?.correlationId ?? `signin-${uid}`;
    if (!(await this.recordSignIn(step.sub, step.amr, false, step.clientId ?? null, correlationId))) {
      return { ok: false, reason: 'no_step' };
    }
    return { ok: true, sub: step.sub, amr: step.amr, remember: step.remember };
  }

  /**
   * Records the completed sign-in on the account, as the person's own act. False when the account's
   * sign-in was locked in the meantime (the sign-in must then be refused).
   */
  private async recordSignIn(
    sub: string,
    amr: readonly string[],
    withPassword: boolean,
    clientId: string | null,
    correlationId: string,
  ): Promise<boolean> {
    const record = this.deps.users.recordSignIn;
    if (record === undefined) return true;
    try {
      await record.call(
        this.deps.users,
        sub,
        { method: amr.includes('sms') ? 'sms' : 'email', withPassword, clientId },
        { actor: { kind: 'user', id: sub }, correlationId },
      );
      return true;
    } catch (err) {
      if (err instanceof DomainError && err.code === 'sign_in_locked') {
        this.deps.logger.warn({ sub }, 'sign-in of a locked account refused');
        return false;
      }
      throw err;
    }
  }

  private async refuse(uid: string, sub: string): Promise<PasswordOutcome> {
    await this.deps.store.delete(SIGNIN_PASSWORD_NAMESPACE, uid);
    this.deps.logger.warn({ sub }, 'too many wrong passwords');
    return { ok: false, reason: 'too_many_attempts' };
  }

  /**
   * Locks the account's sign-in for PASSWORD_LOCKOUT_SECONDS and waits until the read model shows
   * the lock, so the next step of any interaction sees it. The count then starts afresh, so the
   * account is usable again as soon as the lock ends. When recording fails the count is kept: it
   * still refuses every further try until its window ends.
   */
  private async lockOut(sub: string, correlationId: string): Promise<void> {
    const until = new Date(this.clock.now().getTime() + PASSWORD_LOCKOUT_SECONDS * 1000).toISOString();
    try {
      const locked = await this.deps.users.lockSignIn(
        sub,
        { reason: PASSWORD_LOCK_REASON, until },
        { actor: { kind: 'system', id: 'sign-in' }, correlationId },
      );
      await this.visible(locked.position);
      await this.deps.store.delete(ACCOUNT_PASSWORD_FAILURES_NAMESPACE, sub);
      this.deps.logger.warn({ sub, until }, 'sign-in locked after too many wrong passwords');
    } catch (err) {
      this.deps.logger.error({ err, sub }, 'recording a password lockout failed');
    }
  }

  /** Waits until the users read model has applied a write (bounded by `visibleTimeoutMs`). */
  private async visible(position: number | null): Promise<void> {
    if (position === null) return;
    await this.deps.views.waitFor(position, {
      projections: [USERS_PROJECTION],
      timeoutMs: this.deps.visibleTimeoutMs ?? 5000,
    });
  }

  private async send(uid: string, identifier: Identifier, context: StepContext): Promise<StartOutcome> {
    let result;
    try {
      result = await this.deps.codes.request(identifier, { ip: context.ip, locale: context.locale });
    } catch (err) {
      if (err instanceof MessageDeliveryError) return { ok: false, reason: 'delivery_failed' };
      throw err;
    }
    if (!result.ok) return { ok: false, reason: 'throttled', retryAfterSeconds: result.retryAfterSeconds };
    const step: PendingStep = { challengeId: result.challengeId, identifier };
    await this.deps.store.set(SIGNIN_STEP_NAMESPACE, uid, step, {
      ttlSeconds: this.deps.codes.policy.codeTtlSeconds,
    });
    return { ok: true, masked: maskIdentifier(identifier) };
  }

  private async step(uid: string): Promise<PendingStep | null> {
    const entry = await this.deps.store.get<PendingStep>(SIGNIN_STEP_NAMESPACE, uid);
    return entry && entry.consumedAt === null ? entry.value : null;
  }
}

/** The client an interaction's authorization request came from, or null. */
function clientOf(context: StepContext): string | null {
  const clientId = context.interaction?.params.client_id;
  return typeof clientId === 'string' && clientId !== '' ? clientId : null;
}
