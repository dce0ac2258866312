import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import type { Logger } from '../../../application/ports/logger.js';
import type { EmailMessage, SmsMessage } from '../../../application/ports/message-sender.js';
import { MessageDeliveryError } from '../../../application/ports/message-sender.js';
import type { Identifier } from '../../../application/signin/identifier.js';
import type { OneTimeCodePolicy } from '../../../application/signin/limits.js';
import {
  type ChallengeRecord,
  OneTimeCodes,
  OTP_NAMESPACES,
} from '../../../application/signin/one-time-codes.js';
import type { CodeIssued, CodeRequestResult } from '../../../application/signin/results.js';
import { ManualClock } from '../../../infrastructure/clock.js';
import { SqliteEphemeralStore } from '../../../infrastructure/ephemeral/sqlite-ephemeral-store.js';

const SECRET = 'test-secret-test-secret-test-secret-0123456789';
const PHONE: Identifier = { kind: 'phone', value: '+4741234567' };
const EMAIL: Identifier = { kind: 'email', value: 'kari@example.no' };
const CTX = { ip: '192.0.2.10', locale: 'en' as const };

class Recorder {
  readonly sms: SmsMessage[] = [];
  readonly emails: EmailMessage[] = [];
  failNext = 0;
  readonly smsSender = {
    send: async (m: SmsMessage): Promise<void> => {
      if (this.failNext > 0) {
        this.failNext -= 1;
        throw new MessageDeliveryError('sms', 'gateway down', true);
      }
      this.sms.push(m);
    },
  };
  readonly emailSender = {
    send: async (m: EmailMessage): Promise<void> => {
      this.emails.push(m);
    },
  };
  /** The six digits of the last message to `to`. */
  codeFor(to: string): string {
    const texts = [...this.sms.filter((m) => m.to === to), ...this.emails.filter((m) => m.to === to)];
    const last = texts[texts.length - 1];
    const match = last?.text.match(/\b(\d{6})\b/);
    if (!match?.[1]) throw new Error(`no code sent to ${to}`);
    return match[1];
  }
}

function issued(result: CodeRequestResult): CodeIssued {
  if (!result.ok) throw new Error(`expected a code to be issued, got ${JSON.stringify(result)}`);
  return result;
}

/** Every string and number inside a JSON value. */
function leaves(value: unknown): unknown[] {
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(leaves);
  return [value];
}

/** A different six-digit code. */
function wrong(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

describe('OneTimeCodes', () => {
  let dir: string;
  let file: string;
  let clock: ManualClock;
  let store: SqliteEphemeralStore;
  let sent: Recorder;
  let lockouts: { identifier: Identifier; until: Date }[];
  let codes: OneTimeCodes;

  function service(policy: Partial<OneTimeCodePolicy> = {}, onStore = store): OneTimeCodes {
    return new OneTimeCodes({
      store: onStore,
      clock,
      sms: sent.smsSender,
      email: sent.emailSender,
      secret: SECRET,
      policy,
      onLockout: (identifier, until) => {
        lockouts.push({ identifier, until });
      },
    });
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-otp-'));
    file = join(dir, 'ephemeral.db');
    clock = new ManualClock('2026-05-01T10:00:00.000Z');
    store = SqliteEphemeralStore.open({ file, clock, purgeIntervalMs: 0 });
    sent = new Recorder();
    lockouts = [];
    codes = service();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends a six-digit code and accepts it exactly once', async () => {
    const result = issued(await codes.request(PHONE, CTX));
    expect(result.channel).to.equal('sms');
    expect(result.challengeId).to.match(/^[A-Za-z0-9_-]{22}$/);
    expect(result.expiresAt.toISOString()).to.equal('2026-05-01T10:10:00.000Z');
    expect(result.resendAfterSeconds).to.equal(30);
    expect(sent.sms).to.have.length(1);
    const code = sent.codeFor(PHONE.value);

    expect(await codes.verify(result.challengeId, code, { ip: CTX.ip })).to.deep.equal({
      ok: true,
      identifier: PHONE,
    });
    expect(await codes.verify(result.challengeId, code, { ip: CTX.ip })).to.deep.equal({
      ok: false,
      reason: 'expired',
    });
  });

  it('accepts the code with spaces, and treats unknown challenges as expired', async () => {
    const { challengeId } = issued(await codes.request(EMAIL, CTX));
    const code = sent.codeFor(EMAIL.value);
    expect(await codes.verify('AAAAAAAAAAAAAAAAAAAAAA', code, CTX)).to.deep.equal({
      ok: false,
      reason: 'expired',
    });
    expect(await codes.verify('not an id', code, CTX)).to.deep.equal({ ok: false, reason: 'expired' });
    expect((await codes.verify(challengeId, `${code.slice(0, 3)} ${code.slice(3)}`, CTX)).ok).to.equal(true);
  });

  it('stores only a keyed hash of the code, and no identifier in counter keys', async () => {
    const { challengeId } = issued(await codes.request(PHONE, CTX));
    const code = sent.codeFor(PHONE.value);
    const entry = await store.get<ChallengeRecord>(OTP_NAMESPACES.challenge, challengeId);
    expect(entry?.value.identifier).to.deep.equal(PHONE);
    expect(entry?.value.codeHash).to.be.a('string').and.have.length(43);
    expect(leaves(entry?.value)).not.to.include(code);

    const db = new Database(file, { readonly: true });
    try {
      const rows = db.prepare('SELECT namespace, key, value FROM ephemeral_entries').all() as {
        namespace: string;
        key: string;
        value: string;
      }[];
      expect(rows.length).to.be.greaterThan(2);
      for (const row of rows) {
        expect(leaves(JSON.parse(row.value)), row.namespace).not.to.include(code);
        expect(leaves(JSON.parse(row.value)), row.namespace).not.to.include(Number(code));
        expect(row.key, row.namespace).not.to.equal(code);
        expect(row.key, row.namespace).not.to.include('41234567');
        expect(row.key, row.namespace).not.to.include(CTX.ip);
      }
    } finally {
      db.close();
    }
  });

  it('counts wrong codes and kills the challenge after five, even for the right code', async () => {
    const { challengeId } = issued(await codes.request(PHONE, CTX));
    const code = sent.codeFor(PHONE.value);
    for (let left = 4; left >= 0; left -= 1) {
      expect(await codes.verify(challengeId, wrong(code), CTX)).to.deep.equal({
        ok: false,
        reason: 'wrong_code',
        attemptsLeft: left,
      });
    }
    expect(await codes.verify(challengeId, code, CTX)).to.deep.equal({
      ok: false,
      reason: 'too_many_attempts',
    });
  });

  it('counts malformed input as a wrong attempt', async () => {
    const { challengeId } = issued(await codes.request(PHONE, CTX));
    expect(await codes.verify(challengeId, '12ab', CTX)).to.deep.equal({
      ok: false,
      reason: 'wrong_code',
      attemptsLeft: 4,
    });
  });

  it('expires a code at the exact instant', async () => {
    const first = issued(await codes.request(PHONE, CTX));
    clock.advance(600_000 - 1);
    expect((await codes.verify(first.challengeId, sent.codeFor(PHONE.value), CTX)).ok).to.equal(true);

    const second = issued(await codes.request(EMAIL, CTX));
    clock.advance(600_000);
    expect(await codes.verify(second.challengeId, sent.codeFor(EMAIL.value), CTX)).to.deep.equal({
      ok: false,
      reason: 'expired',
    });
  });

  it('throttles resends with a doubling wait and a cap per hour', async () => {
    const gaps: number[] = [];
    let previous = issued(await codes.request(PHONE, CTX));
    for (let send = 2; send <= 5; send += 1) {
      const refused = await codes.request(PHONE, CTX);
      expect(refused).to.deep.equal({
        ok: false,
        reason: 'throttled',
        scope: 'identifier',
        retryAfterSeconds: previous.resendAfterSeconds,
      });
      gaps.push(previous.resendAfterSeconds);
      clock.advance(previous.resendAfterSeconds * 1000 - 1000);
      expect(await codes.request(PHONE, CTX)).to.include({ ok: false, retryAfterSeconds: 1 });
      clock.advance(1000);
      const next = issued(await codes.request(PHONE, CTX));
      // A resend replaces the earlier code.
      expect(await codes.verify(previous.challengeId, '000000', CTX)).to.deep.equal({
        ok: false,
        reason: 'expired',
      });
      previous = next;
    }
    expect(gaps).to.deep.equal([30, 60, 120, 240]);
    expect(sent.sms).to.have.length(5);

    // Five codes used up the hour (started 450 s ago): the sixth waits for the window to end.
    clock.advance(previous.resendAfterSeconds * 1000);
    expect(await codes.request(PHONE, CTX)).to.deep.equal({
      ok: false,
      reason: 'throttled',
      scope: 'identifier',
      retryAfterSeconds: 3600 - 450 - 480,
    });
    clock.advance((3600 - 450 - 480) * 1000);
    issued(await codes.request(PHONE, CTX));
    expect(sent.sms).to.have.length(6);
  });

  it('limits code requests per IP address across identifiers', async () => {
    for (let i = 0; i < 20; i += 1) {
      issued(await codes.request({ kind: 'email', value: `user${i}@example.com` }, CTX));
    }
    expect(await codes.request({ kind: 'email', value: 'user20@example.com' }, CTX)).to.deep.equal({
      ok: false,
      reason: 'throttled',
      scope: 'ip',
      retryAfterSeconds: 3600,
    });
    clock.advance(600_000);
    expect(await codes.request(PHONE, CTX)).to.include({ scope: 'ip', retryAfterSeconds: 3000 });
    issued(await codes.request(PHONE, { ...CTX, ip: '198.51.100.7' }));
  });

  it('locks an identifier after ten wrong codes across challenges, with growing lockouts', async () => {
    let challenge = issued(await codes.request(PHONE, CTX));
    for (let i = 0; i < 5; i += 1)
      await codes.verify(challenge.challengeId, wrong(sent.codeFor(PHONE.value)), CTX);
    clock.advance(30_000);
    challenge = issued(await codes.request(PHONE, CTX));
    const code = sent.codeFor(PHONE.value);
    for (let i = 0; i < 4; i += 1) {
      expect(await codes.verify(challenge.challengeId, wrong(code), CTX)).to.include({
        reason: 'wrong_code',
      });
    }
    const locked = await codes.verify(challenge.challengeId, wrong(code), CTX);
    const until = new Date(clock.now().getTime() + 900_000);
    expect(locked).to.deep.equal({ ok: false, reason: 'locked', until, retryAfterSeconds: 900 });
    expect(lockouts).to.deep.equal([{ identifier: PHONE, until }]);
    expect(await codes.lockedUntil(PHONE)).to.deep.equal(until);
    expect(await codes.lockedUntil(EMAIL)).to.equal(null);

    // While locked: no new code, and even the right code on a live challenge is refused.
    clock.advance(60_000);
    expect(await codes.request(PHONE, CTX)).to.include({ reason: 'throttled', retryAfterSeconds: 840 });
    // Other identifiers are unaffected.
    issued(await codes.request(EMAIL, CTX));

    clock.advance(840_000);
    challenge = issued(await codes.request(PHONE, CTX));
    const again = await codes.verify(challenge.challengeId, wrong(sent.codeFor(PHONE.value)), CTX);
    expect(again).to.include({ reason: 'locked', retryAfterSeconds: 1800 });
    expect(lockouts).to.have.length(2);
    expect(lockouts[1]?.until.getTime()).to.equal(clock.now().getTime() + 1_800_000);
  });

  it('clears the failure count on success', async () => {
    codes = service({ failuresBeforeLock: 3 });
    let challenge = issued(await codes.request(PHONE, CTX));
    await codes.verify(challenge.challengeId, wrong(sent.codeFor(PHONE.value)), CTX);
    await codes.verify(challenge.challengeId, wrong(sent.codeFor(PHONE.value)), CTX);
    expect((await codes.verify(challenge.challengeId, sent.codeFor(PHONE.value), CTX)).ok).to.equal(true);
    clock.advance(30_000);
    challenge = issued(await codes.request(PHONE, CTX));
    await codes.verify(challenge.challengeId, wrong(sent.codeFor(PHONE.value)), CTX);
    expect(await codes.verify(challenge.challengeId, wrong(sent.codeFor(PHONE.value)), CTX)).to.include({
      reason: 'wrong_code',
    });
    expect(lockouts).to.deep.equal([]);
  });

  it('limits wrong codes per IP address across identifiers', async () => {
    codes = service({ maxFailuresPerIp: 3 });
    const challenges: string[] = [];
    for (const identifier of [PHONE, EMAIL])
      challenges.push(issued(await codes.request(identifier, CTX)).challengeId);
    await codes.verify(challenges[0] ?? '', wrong(sent.codeFor(PHONE.value)), CTX);
    await codes.verify(challenges[1] ?? '', wrong(sent.codeFor(EMAIL.value)), CTX);
    await codes.verify(challenges[1] ?? '', wrong(sent.codeFor(EMAIL.value)), CTX);
    expect(await codes.verify(challenges[0] ?? '', sent.codeFor(PHONE.value), CTX)).to.deep.equal({
      ok: false,
      reason: 'rate_limited',
      retryAfterSeconds: 3600,
    });
    expect(
      (await codes.verify(challenges[0] ?? '', sent.codeFor(PHONE.value), { ip: '203.0.113.5' })).ok,
    ).to.equal(true);
  });

  it('lets exactly one of many concurrent verifications of the right code succeed, across processes', async () => {
    const other = SqliteEphemeralStore.open({ file, clock, purgeIntervalMs: 0 });
    try {
      const second = service({}, other);
      const { challengeId } = issued(await codes.request(PHONE, CTX));
      const code = sent.codeFor(PHONE.value);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? codes : second).verify(challengeId, code, CTX)),
      );
      expect(results.filter((r) => r.ok)).to.have.length(1);
      expect(results.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.reason))).to.satisfy(
        (reasons: string[]) =>
          reasons.every((reason) => reason === 'expired' || reason === 'too_many_attempts'),
      );
    } finally {
      await other.close();
    }
  });

  it('never compares more than five guesses, however many arrive at once', async () => {
    const { challengeId } = issued(await codes.request(PHONE, CTX));
    const code = sent.codeFor(PHONE.value);
    const guesses = Array.from({ length: 30 }, (_, i) => String(i).padStart(6, '0')).filter(
      (g) => g !== code,
    );
    const results = await Promise.all(guesses.map((guess) => codes.verify(challengeId, guess, CTX)));
    expect(results.filter((r) => !r.ok && r.reason === 'wrong_code')).to.have.length(5);
    expect(results.filter((r) => !r.ok && r.reason === 'too_many_attempts')).to.have.length(
      guesses.length - 5,
    );
  });

  it('writes the message in English or Norwegian, with the expiry', async () => {
    issued(await codes.request(PHONE, { ...CTX, locale: 'nb' }));
    const code = sent.codeFor(PHONE.value);
    expect(sent.sms[0]).to.deep.equal({
      to: PHONE.value,
      text: `Din Tessera-kode er ${code}. Den utløper om 10 minutter.`,
    });

    issued(await codes.request(EMAIL, { ...CTX, locale: 'en' }));
    const emailCode = sent.codeFor(EMAIL.value);
    const email = sent.emails[0];
    expect(email?.to).to.equal(EMAIL.value);
    expect(email?.subject).to.equal(`Your Tessera code is ${emailCode}`);
    expect(email?.text).to.include(`Your Tessera code is ${emailCode}`).and.include('within 10 minutes');
    expect(email?.html).to.include(`<p>Your Tessera code is ${emailCode}.`).and.include('lang="en"');

    const nbEmail = new OneTimeCodes({
      store,
      clock,
      sms: sent.smsSender,
      email: sent.emailSender,
      secret: SECRET,
      policy: { codeTtlSeconds: 60 },
    });
    issued(await nbEmail.request({ kind: 'email', value: 'ola@example.no' }, { ...CTX, locale: 'nb' }));
    expect(sent.emails[1]?.subject).to.match(/^Din Tessera-kode er \d{6}$/);
    expect(sent.emails[1]?.text).to.include('innen 1 minutt.');
  });

  it('undoes a request whose message could not be sent, so the person can retry at once', async () => {
    sent.failNext = 1;
    let error: unknown;
    await codes.request(PHONE, CTX).catch((err: unknown) => (error = err));
    expect(error).to.be.instanceOf(MessageDeliveryError);
    const retry = issued(await codes.request(PHONE, CTX));
    expect(retry.resendAfterSeconds).to.equal(30);
    expect((await codes.verify(retry.challengeId, sent.codeFor(PHONE.value), CTX)).ok).to.equal(true);
  });

  it('never logs a code', async () => {
    const lines: string[] = [];
    const logger: Logger = {
      debug: (f, m) => lines.push(JSON.stringify([f, m])),
      info: (f, m) => lines.push(JSON.stringify([f, m])),
      warn: (f, m) => lines.push(JSON.stringify([f, m])),
      error: (f, m) => lines.push(JSON.stringify([f, m])),
      child: () => logger,
    };
    codes = new OneTimeCodes({
      store,
      clock,
      sms: sent.smsSender,
      email: sent.emailSender,
      secret: SECRET,
      logger,
      policy: { failuresBeforeLock: 1 },
    });
    const { challengeId } = issued(await codes.request(PHONE, CTX));
    const code = sent.codeFor(PHONE.value);
    await codes.verify(challengeId, wrong(code), CTX);
    expect(lines.length).to.be.greaterThan(1);
    for (const line of lines) {
      expect(line).not.to.include(code);
      expect(line).not.to.include(PHONE.value);
    }
  });

  it('refuses a short secret and a nonsensical policy', () => {
    const deps = { store, clock, sms: sent.smsSender, email: sent.emailSender };
    expect(() => new OneTimeCodes({ ...deps, secret: 'short' })).to.throw(RangeError, /32 bytes/);
    expect(() => new OneTimeCodes({ ...deps, secret: SECRET, policy: { maxAttemptsPerCode: 0 } })).to.throw(
      RangeError,
      /maxAttemptsPerCode/,
    );
  });
});
