import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../infrastructure/config.js';

function problemsOf(env: Record<string, string>): Array<{ variable: string; message: string }> {
  try {
    loadConfig(env, '/srv/tessera');
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

const TOKEN = 'x'.repeat(32);

describe('loadConfig', () => {
  it('defaults to embedded mode with data under ./data', () => {
    expect(loadConfig({}, '/srv/tessera')).to.deep.equal({
      mode: 'embedded',
      dataDir: '/srv/tessera/data',
      port: 3000,
      host: '127.0.0.1',
      eventStoreDbUrl: null,
      mongoDbUrl: null,
      adminToken: null,
      logLevel: 'info',
      readyMaxLag: 100,
      demoSeed: true,
      publicUrl: null,
      secretKey: null,
      defaultPhoneCountry: 'NO',
      devOutbox: true,
      smsGateway: null,
      emailGateway: null,
      signingKeyRotationDays: 90,
      sandboxPayments: true,
      paymentProviderTimeoutMs: 10_000,
      signInCodesPerIpPerHour: 20,
    });
  });

  it('serves sandbox payments by default only in embedded mode, and reads the provider timeout', () => {
    expect(loadConfig({ SANDBOX_PAYMENTS: 'false' }).sandboxPayments).to.equal(false);
    const distributed = loadConfig({
      EVENTSTOREDB_URL: 'esdb://localhost:2113?tls=false',
      MONGODB_URL: 'mongodb://localhost:27017/tessera',
      ADMIN_TOKEN: TOKEN,
      SECRET_KEY: TOKEN,
      DEV_OUTBOX: 'true',
    });
    expect(distributed.sandboxPayments).to.equal(false);
    expect(loadConfig({ PAYMENT_PROVIDER_TIMEOUT_MS: '2500' }).paymentProviderTimeoutMs).to.equal(2500);
    const problems = problemsOf({ PAYMENT_PROVIDER_TIMEOUT_MS: '50', SANDBOX_PAYMENTS: 'sometimes' });
    expect(problems.map((p) => p.variable)).to.have.members([
      'PAYMENT_PROVIDER_TIMEOUT_MS',
      'SANDBOX_PAYMENTS',
    ]);
  });

  it('reads how many sign-in codes one address may ask for per hour, 20 by default', () => {
    expect(loadConfig({}).signInCodesPerIpPerHour).to.equal(20);
    expect(loadConfig({ SIGNIN_CODES_PER_IP_PER_HOUR: '500' }).signInCodesPerIpPerHour).to.equal(500);
    for (const bad of ['0', 'many', '2.5']) {
      expect(problemsOf({ SIGNIN_CODES_PER_IP_PER_HOUR: bad }).map((p) => p.variable)).to.deep.equal([
        'SIGNIN_CODES_PER_IP_PER_HOUR',
      ]);
    }
  });

  it('reads the signing key rotation period, 0 meaning never, and names a bad one', () => {
    expect(loadConfig({ SIGNING_KEY_ROTATION_DAYS: '30' }).signingKeyRotationDays).to.equal(30);
    expect(loadConfig({ SIGNING_KEY_ROTATION_DAYS: '0' }).signingKeyRotationDays).to.equal(0);
    expect(() => loadConfig({ SIGNING_KEY_ROTATION_DAYS: 'monthly' })).to.throw(/SIGNING_KEY_ROTATION_DAYS/);
  });

  it('reads every variable', () => {
    const config = loadConfig(
      {
        DATA_DIR: '/var/lib/tessera',
        PORT: '0',
        HOST: '0.0.0.0',
        ADMIN_TOKEN: TOKEN,
        LOG_LEVEL: 'debug',
        READY_MAX_LAG: '5',
        DEMO_SEED: 'no',
      },
      '/srv/tessera',
    );
    expect(config).to.include({
      dataDir: '/var/lib/tessera',
      port: 0,
      host: '0.0.0.0',
      adminToken: TOKEN,
      logLevel: 'debug',
      readyMaxLag: 5,
      demoSeed: false,
    });
  });

  it('switches to distributed mode when both server URLs are set, without demo data by default', () => {
    const config = loadConfig({
      EVENTSTOREDB_URL: 'esdb://localhost:2113?tls=false',
      MONGODB_URL: 'mongodb://localhost:27017/tessera',
      ADMIN_TOKEN: TOKEN,
      SECRET_KEY: TOKEN,
      DEV_OUTBOX: 'true',
    });
    expect(config).to.include({
      mode: 'distributed',
      eventStoreDbUrl: 'esdb://localhost:2113?tls=false',
      mongoDbUrl: 'mongodb://localhost:27017/tessera',
      demoSeed: false,
    });
  });

  it('reads PUBLIC_URL and SECRET_KEY, and names bad values without echoing the secret', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://id.example.com', SECRET_KEY: TOKEN })).to.include({
      publicUrl: 'https://id.example.com',
      secretKey: TOKEN,
    });
    for (const PUBLIC_URL of ['ftp://x', 'https://id.example.com/', 'https://x/?a=1', 'id.example.com']) {
      expect(problemsOf({ PUBLIC_URL }).map((p) => p.variable)).to.deep.equal(['PUBLIC_URL']);
    }
    const [problem] = problemsOf({ SECRET_KEY: 'too-short-secret' });
    expect(problem?.variable).to.equal('SECRET_KEY');
    expect(problem?.message).to.not.include('too-short-secret');
  });

  it('reads DEFAULT_PHONE_COUNTRY in any case and refuses countries without a numbering plan', () => {
    expect(loadConfig({ DEFAULT_PHONE_COUNTRY: 'se' }).defaultPhoneCountry).to.equal('SE');
    for (const DEFAULT_PHONE_COUNTRY of ['XX', 'NOR', '47']) {
      expect(problemsOf({ DEFAULT_PHONE_COUNTRY }).map((p) => p.variable)).to.deep.equal([
        'DEFAULT_PHONE_COUNTRY',
      ]);
    }
  });

  it('reads the SMS and email gateways, and needs a delivery for each channel', () => {
    const config = loadConfig({
      SMS_GATEWAY_URL: 'https://sms.example.com/send',
      SMS_GATEWAY_TOKEN: 'sms-token-0123456789',
      EMAIL_GATEWAY_URL: 'http://127.0.0.1:8025/mail',
      EMAIL_GATEWAY_TOKEN: 'mail-token-0123456789',
      DEV_OUTBOX: 'false',
    });
    expect(config.smsGateway).to.deep.equal({
      url: 'https://sms.example.com/send',
      token: 'sms-token-0123456789',
    });
    expect(config.emailGateway?.url).to.equal('http://127.0.0.1:8025/mail');
    expect(config.devOutbox).to.equal(false);

    const missing = problemsOf({ DEV_OUTBOX: 'false' });
    expect(missing.map((p) => p.variable)).to.deep.equal(['SMS_GATEWAY_URL', 'EMAIL_GATEWAY_URL']);
    expect(missing[0]?.message).to.include('DEV_OUTBOX=true');

    const half = problemsOf({ SMS_GATEWAY_URL: 'ftp://sms', EMAIL_GATEWAY_TOKEN: 'secret-mail-token-123' });
    expect(half.map((p) => p.variable)).to.deep.equal([
      'SMS_GATEWAY_URL',
      'SMS_GATEWAY_URL, SMS_GATEWAY_TOKEN',
      'EMAIL_GATEWAY_URL, EMAIL_GATEWAY_TOKEN',
    ]);
    expect(JSON.stringify(half)).to.not.include('secret-mail-token-123');
  });

  it('requires SECRET_KEY in distributed mode', () => {
    const problems = problemsOf({
      EVENTSTOREDB_URL: 'esdb://localhost:2113?tls=false',
      MONGODB_URL: 'mongodb://localhost:27017/tessera',
      ADMIN_TOKEN: TOKEN,
      DEV_OUTBOX: 'true',
    });
    expect(problems.map((p) => p.variable)).to.deep.equal(['SECRET_KEY']);
  });

  it('treats blank variables as unset', () => {
    expect(loadConfig({ PORT: '', MONGODB_URL: ' ' }).port).to.equal(3000);
  });

  it('names a bad PORT and shows the value', () => {
    for (const PORT of ['abc', '-1', '65536', '30.5']) {
      const [problem, ...rest] = problemsOf({ PORT });
      expect(rest).to.deep.equal([]);
      expect(problem?.variable).to.equal('PORT');
      expect(problem?.message).to.include('0 to 65535').and.include(JSON.stringify(PORT));
    }
    expect(new ConfigError(problemsOf({ PORT: 'abc' })).message).to.match(/PORT: must be an integer/);
  });

  it('names every bad variable at once', () => {
    const variables = problemsOf({
      LOG_LEVEL: 'loud',
      DEMO_SEED: 'maybe',
      READY_MAX_LAG: 'lots',
      HOST: 'bad host',
    }).map((p) => p.variable);
    expect(variables).to.have.members(['LOG_LEVEL', 'DEMO_SEED', 'READY_MAX_LAG', 'HOST']);
  });

  it('refuses only one of the two server URLs, naming both', () => {
    const [problem] = problemsOf({ MONGODB_URL: 'mongodb://db' });
    expect(problem?.variable).to.equal('EVENTSTOREDB_URL, MONGODB_URL');
    expect(problem?.message).to.include('only MONGODB_URL is set');
    expect(problemsOf({ EVENTSTOREDB_URL: 'esdb://es' })[0]?.message).to.include(
      'only EVENTSTOREDB_URL is set',
    );
  });

  it('refuses malformed URLs without echoing them (they may hold passwords)', () => {
    const problems = problemsOf({
      EVENTSTOREDB_URL: 'http://user:secret@es',
      MONGODB_URL: 'postgres://user:secret@db',
      ADMIN_TOKEN: TOKEN,
      SECRET_KEY: TOKEN,
      DEV_OUTBOX: 'true',
    });
    expect(problems.map((p) => p.variable)).to.have.members(['EVENTSTOREDB_URL', 'MONGODB_URL']);
    expect(JSON.stringify(problems)).to.not.include('secret');
  });

  it('requires ADMIN_TOKEN in distributed mode and a long enough token everywhere, never echoing it', () => {
    const [missing] = problemsOf({ EVENTSTOREDB_URL: 'esdb://es', MONGODB_URL: 'mongodb://db' });
    expect(missing?.variable).to.equal('ADMIN_TOKEN');
    expect(missing?.message).to.include('required in distributed mode');
    const [short] = problemsOf({ ADMIN_TOKEN: 'hunter2' });
    expect(short?.variable).to.equal('ADMIN_TOKEN');
    expect(short?.message).to.include('at least 32').and.not.include('hunter2');
  });
});
