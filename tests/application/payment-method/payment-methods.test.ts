import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { DomainError } from '../../../domain/kernel/decider.js';
import { EventRegistry } from '../../../domain/kernel/registry.js';
import { paymentMethodEvents } from '../../../domain/payment-method/events.js';
import { MAX_PAYMENT_METHODS } from '../../../domain/payment-method/values.js';
import { userEvents } from '../../../domain/user/events.js';
import { type CommandContext, CommandHandler } from '../../../application/kernel/command-handler.js';
import {
  PaymentMethodCommands,
  type SaveCardInput,
} from '../../../application/payment-method/payment-method-commands.js';
import {
  PaymentMethodQueries,
  providerRef,
} from '../../../application/payment-method/payment-method-queries.js';
import type { PersonalDataVault } from '../../../application/ports/personal-data-vault.js';
import { UserCommands } from '../../../application/user/user-commands.js';
import { ManualClock } from '../../../infrastructure/clock.js';
import { SqliteEventStore } from '../../../infrastructure/eventstore/sqlite-event-store.js';
import { SandboxCardProcessor } from '../../../infrastructure/payments/sandbox-card/card-processor.js';
import { SqliteReadModelStore } from '../../../infrastructure/readmodels/sqlite-read-model-store.js';
import { openSqliteVault } from '../../../infrastructure/vault/sqlite-vault.js';
import { paymentMethodsProjection } from '../../../projections/payment-methods.js';
import { ProjectionRunner } from '../../../projections/runner.js';

const ctx: CommandContext = { actor: { kind: 'user', id: 'test' }, correlationId: 'corr-test' };
const T0 = '2026-01-01T00:00:00.000Z';
const VISA = '4242424242424242';
const MASTERCARD = '5555555555554444';
const AMEX = '378282246310005';

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

describe('Saved payment methods (SQLite stores, vault, sandbox card processor)', function () {
  let dir: string;
  let clock: ManualClock;
  let store: SqliteEventStore;
  let readModels: SqliteReadModelStore;
  let vault: PersonalDataVault;
  let runner: ProjectionRunner;
  let users: UserCommands;
  let commands: PaymentMethodCommands;
  let queries: PaymentMethodQueries;
  let processor: SandboxCardProcessor;
  let sub: string;

  async function caughtUp(): Promise<void> {
    const head = await store.headPosition();
    if (!(await runner.waitFor(head, { timeoutMs: 5000 }))) throw new Error('projections lag behind');
  }

  /** Tokenises a card at the sandbox processor, as its hosted form would, and describes the token. */
  function tokenise(number: string, expiry = '12/30'): SaveCardInput {
    const result = processor.tokenize({ number, expiry, cvc: number.startsWith('3') ? '1234' : '123' });
    if ('problem' in result) throw new Error(`sandbox refused the card: ${result.problem}`);
    return {
      token: result.id,
      brand: result.brand,
      last4: result.last4,
      expMonth: result.exp_month,
      expYear: result.exp_year,
    };
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-wallet-'));
    clock = new ManualClock(T0);
    store = SqliteEventStore.open({
      file: join(dir, 'events.db'),
      registry: new EventRegistry([...userEvents, ...paymentMethodEvents]),
      clock,
    });
    readModels = SqliteReadModelStore.open({ file: join(dir, 'readmodels.db') });
    vault = await openSqliteVault({ file: join(dir, 'vault.db'), masterKey: randomBytes(32) });
    runner = new ProjectionRunner({
      store,
      readModels,
      projections: [paymentMethodsProjection],
      checkpointIntervalMs: 10,
    });
    await runner.start();
    const handler = new CommandHandler(store, clock);
    const settings = { defaultCountry: 'NO' };
    users = new UserCommands(handler, store, vault, settings);
    commands = new PaymentMethodCommands(handler, vault, settings);
    queries = new PaymentMethodQueries(runner, handler, clock, vault);
    processor = new SandboxCardProcessor({
      clock,
      secretKey: 'sk_test_wallet',
      publicUrl: 'http://127.0.0.1:1/sandbox/card',
      allowedReturnOrigins: [],
    });
    sub = (await users.registerWithIdentifier({ kind: 'phone', value: '412 34 567' }, ctx)).sub;
  });

  afterEach(async () => {
    await runner.stop();
    await vault.close();
    await readModels.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('saves, lists, moves the default and removes cards', async () => {
    const visa = await commands.saveCard(sub, tokenise(VISA), ctx);
    const mc = await commands.saveCard(sub, tokenise(MASTERCARD), ctx);
    expect([visa.isDefault, mc.isDefault]).to.deep.equal([true, false]);
    await caughtUp();
    const listed = await queries.list(sub);
    expect(
      listed.map((m) => [m.methodId, m.brand, m.last4, m.isDefault, m.expired, m.available]),
    ).to.deep.equal([
      [visa.methodId, 'visa', '4242', true, false, true],
      [mc.methodId, 'mastercard', '4444', false, false, true],
    ]);
    expect(listed[0]).to.include({
      kind: 'card',
      expMonth: 12,
      expYear: 2030,
      maskedPhone: null,
      createdAt: T0,
    });

    expect((await commands.setDefault(sub, mc.methodId, ctx)).isDefault).to.equal(true);
    await caughtUp();
    expect((await queries.defaultFor(sub))?.methodId).to.equal(mc.methodId);
    expect((await queries.list(sub)).filter((m) => m.isDefault)).to.have.length(1);

    await commands.remove(sub, mc.methodId, ctx);
    await caughtUp();
    expect((await queries.list(sub)).map((m) => [m.methodId, m.isDefault])).to.deep.equal([
      [visa.methodId, false],
    ]);
    expect(await queries.defaultFor(sub)).to.equal(null);
    expect(await queries.chargeableDefault(sub)).to.equal(null);
    expect((await refusal(queries.chargeableMethod(sub, mc.methodId))).code).to.equal(
      'payment_method_not_found',
    );
    expect((await commands.remove(sub, mc.methodId, ctx)).position).to.equal(null);
    expect(await queries.list('0190f3c2-7a1b-7c3d-8e4f-0000000000ff')).to.deep.equal([]);
  });

  it('gives the payment flow the token the processor issued, and the default', async () => {
    const card = tokenise(AMEX);
    const saved = await commands.saveCard(sub, card, ctx);
    const chargeable = await queries.chargeableMethod(sub, saved.methodId);
    expect(chargeable).to.deep.equal({
      methodId: saved.methodId,
      method: { kind: 'card', token: card.token, brand: 'amex', last4: '0005', expMonth: 12, expYear: 2030 },
      label: 'amex •••• 0005',
      isDefault: true,
    });
    expect(await queries.chargeableDefault(sub)).to.deep.equal(chargeable);
    expect(providerRef(chargeable.method)).to.deep.equal({ kind: 'card', token: card.token });
  });

  it('refuses the same card twice: the same token, or the same fingerprint', async () => {
    const card = tokenise(VISA);
    await commands.saveCard(sub, card, ctx);
    const again = await refusal(commands.saveCard(sub, card, ctx));
    expect([again.code, again.kind]).to.deep.equal(['payment_method_exists', 'conflict']);

    await commands.saveCard(sub, { ...tokenise(MASTERCARD), fingerprint: 'fp_mc_1' }, ctx);
    const retokenised = { ...tokenise(MASTERCARD), fingerprint: 'fp_mc_1' };
    expect((await refusal(commands.saveCard(sub, retokenised, ctx))).code).to.equal('payment_method_exists');

    // A retried save with the caller's own method id is recorded once, not refused.
    const methodId = '0190f3c2-7a1b-7c3d-8e4f-0000000000aa';
    const amex = tokenise(AMEX);
    const first = await commands.saveCard(sub, { ...amex, methodId }, ctx);
    const retry = await commands.saveCard(sub, { ...amex, methodId }, ctx);
    expect(first.position).to.be.a('number');
    expect(retry).to.deep.equal({ methodId, position: null, isDefault: false });
    await caughtUp();
    expect(await queries.list(sub)).to.have.length(3);
  });

  it(`holds at most ${MAX_PAYMENT_METHODS} methods`, async () => {
    for (let i = 0; i < MAX_PAYMENT_METHODS; i++) await commands.saveCard(sub, tokenise(VISA), ctx);
    const err = await refusal(commands.saveCard(sub, tokenise(VISA), ctx));
    expect([err.code, err.kind]).to.deep.equal(['wallet_full', 'conflict']);
    await caughtUp();
    expect(await queries.list(sub)).to.have.length(MAX_PAYMENT_METHODS);
  });

  it('derives expiry at the query instant: listed as expired, not chargeable, never the default', async () => {
    const march = await commands.saveCard(sub, tokenise(VISA, '03/26'), ctx);
    const later = await commands.saveCard(sub, tokenise(MASTERCARD, '12/30'), ctx);
    await commands.setDefault(sub, later.methodId, ctx);
    await caughtUp();
    expect((await queries.list(sub)).map((m) => m.expired)).to.deep.equal([false, false]);

    clock.set('2026-03-31T23:59:59.999Z');
    expect((await queries.list(sub))[0]?.expired).to.equal(false);
    expect((await queries.chargeableMethod(sub, march.methodId)).method.kind).to.equal('card');

    clock.set('2026-04-01T00:00:00.000Z');
    expect((await queries.list(sub)).map((m) => m.expired)).to.deep.equal([true, false]);
    expect((await refusal(queries.chargeableMethod(sub, march.methodId))).code).to.equal('card_expired');
    expect((await refusal(commands.setDefault(sub, march.methodId, ctx))).code).to.equal('card_expired');
    const tooLate = { ...tokenise(AMEX), expMonth: 3, expYear: 2026 };
    expect((await refusal(commands.saveCard(sub, tooLate, ctx))).code).to.equal('card_expired');
  });

  it('saves a verified phone for carrier billing and stops charging it once it leaves the account', async () => {
    const primary = await commands.saveCarrier(sub, {}, ctx);
    await caughtUp();
    expect(await queries.list(sub)).to.deep.equal([
      {
        methodId: primary.methodId,
        kind: 'carrier',
        brand: null,
        last4: null,
        expMonth: null,
        expYear: null,
        maskedPhone: '+47 ••••••67',
        isDefault: true,
        expired: false,
        available: true,
        createdAt: T0,
      },
    ]);
    expect((await queries.chargeableMethod(sub, primary.methodId)).method).to.deep.equal({
      kind: 'carrier',
      msisdn: '+4741234567',
    });
    const twice = await refusal(commands.saveCarrier(sub, { phone: '+47 41 23 45 67' }, ctx));
    expect(twice.code).to.equal('payment_method_exists');

    await users.addIdentifier(sub, { kind: 'phone', value: '98765432' }, ctx);
    const unverified = await refusal(commands.saveCarrier(sub, { phone: '98765432' }, ctx));
    expect([unverified.code, unverified.field]).to.deep.equal(['phone_not_verified', 'phone']);
    await users.verifyIdentifier(sub, { kind: 'phone', value: '98765432' }, ctx);
    const second = await commands.saveCarrier(sub, { phone: '98765432' }, ctx);
    expect((await queries.chargeableMethod(sub, second.methodId)).method).to.deep.equal({
      kind: 'carrier',
      msisdn: '+4798765432',
    });

    await users.removeIdentifier(sub, { kind: 'phone', value: '98765432' }, ctx);
    expect((await refusal(queries.chargeableMethod(sub, second.methodId))).code).to.equal(
      'phone_not_verified',
    );
  });

  it('after erasure lists the methods without their sealed parts and charges none of them', async () => {
    const card = await commands.saveCard(sub, tokenise(VISA), ctx);
    const phone = await commands.saveCarrier(sub, {}, ctx);
    await users.erase(sub, ctx);
    await caughtUp();
    const listed = await queries.list(sub);
    expect(listed.map((m) => [m.kind, m.available])).to.deep.equal([
      ['card', false],
      ['carrier', false],
    ]);
    expect(listed[0]).to.include({ brand: 'visa', last4: '4242' });
    for (const methodId of [card.methodId, phone.methodId]) {
      const err = await refusal(queries.chargeableMethod(sub, methodId));
      expect(err.code).to.equal('payment_method_unavailable');
    }
    expect((await refusal(commands.saveCard(sub, tokenise(MASTERCARD), ctx))).code).to.equal('user_erased');
  });

  it('keeps card numbers, tokens and phone numbers out of the log and the read models', async () => {
    const cards = [tokenise(VISA), tokenise(MASTERCARD), tokenise(AMEX)];
    for (const card of cards) await commands.saveCard(sub, card, ctx);
    await commands.saveCarrier(sub, {}, ctx);
    await caughtUp();

    const events = await store.readAll({ after: 0, maxCount: 1000 });
    expect(events.filter((e) => e.type === 'PaymentMethodSaved')).to.have.length(4);
    for (const event of events) {
      const text = JSON.stringify({ data: event.data, metadata: event.metadata });
      expect(text, `${event.type} holds a 13+ digit run`).not.to.match(/\d{13,}/);
      for (const card of cards) expect(text, `${event.type} holds a token`).not.to.include(card.token);
      expect(text).not.to.include('41234567');
    }

    // The files themselves, write-ahead logs included, hold none of it either.
    await runner.stop();
    await readModels.close();
    await store.close();
    const files = readdirSync(dir).filter((f) => f.startsWith('events.db') || f.startsWith('readmodels.db'));
    expect(files).to.include.members(['events.db', 'readmodels.db']);
    for (const file of files) {
      const bytes = readFileSync(join(dir, file)).toString('latin1');
      for (const secret of [VISA, MASTERCARD, AMEX, '+4741234567', ...cards.map((c) => c.token)]) {
        expect(bytes.includes(secret), `${file} holds ${secret}`).to.equal(false);
      }
    }
    // Reopen so afterEach can close everything as usual.
    store = SqliteEventStore.open({
      file: join(dir, 'events.db'),
      registry: new EventRegistry([...userEvents, ...paymentMethodEvents]),
      clock,
    });
    readModels = SqliteReadModelStore.open({ file: join(dir, 'readmodels.db') });
    runner = new ProjectionRunner({ store, readModels, projections: [paymentMethodsProjection] });
    await runner.start();
  });
});
