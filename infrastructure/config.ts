import { resolve } from 'node:path';
import { isSupportedCountry } from 'libphonenumber-js';
import { z } from 'zod';
import { DEFAULT_POLICY } from '../application/signin/limits.js';

/**
 * Tessera's whole configuration, read once from the environment and validated with zod. A bad value
 * stops start-up with a ConfigError naming every offending variable (values of secrets are never
 * echoed).
 *
 * | variable          | default            | meaning                                                       |
 * |-------------------|--------------------|---------------------------------------------------------------|
 * | DATA_DIR          | ./data             | embedded mode: where the SQLite files and the admin token live |
 * | PORT              | 3000               | HTTP port; 0 picks a free one                                 |
 * | HOST              | 127.0.0.1          | interface to listen on; set 0.0.0.0 in containers              |
 * | EVENTSTOREDB_URL  | (unset)            | esdb:// connection string; with MONGODB_URL: distributed mode |
 * | MONGODB_URL       | (unset)            | mongodb:// connection string; with EVENTSTOREDB_URL            |
 * | ADMIN_TOKEN       | generated (embedded) | bearer token of the admin API, at least 32 characters; required in distributed mode |
 * | LOG_LEVEL         | info               | fatal, error, warn, info, debug, trace or silent               |
 * | READY_MAX_LAG     | 100                | /readyz fails while a projection is more events behind         |
 * | DEMO_SEED         | true embedded, false distributed | seed the demo provider and products once         |
 * | PUBLIC_URL        | the listening URL  | external base URL, the OpenID Connect issuer (https in production) |
 * | DEFAULT_PHONE_COUNTRY | NO             | ISO 3166-1 alpha-2 country whose national phone numbers are accepted without a country code |
 * | DEV_OUTBOX        | true embedded, false distributed | keep SMS and email in the development outbox (/dev/outbox) instead of sending them |
 * | SMS_GATEWAY_URL, SMS_GATEWAY_TOKEN | (unset) | HTTP gateway that sends SMS (POST {to, text}, bearer token); both or neither |
 * | EMAIL_GATEWAY_URL, EMAIL_GATEWAY_TOKEN | (unset) | HTTP gateway that sends email (POST {to, subject, text, html}); both or neither |
 * | SIGNING_KEY_ROTATION_DAYS | 90         | age at which the OpenID Connect signing key is replaced (the old one stays published until its tokens expire); 0 turns automatic rotation off |
 * | SANDBOX_PAYMENTS  | true embedded, false distributed | serve the sandbox card processor (/sandbox/card) and carrier operator (/sandbox/carrier) in-process and pay through them; with false and no real provider configured, payments are unavailable (paying answers payment_method_unavailable; transactions can still be created and read) |
 * | PAYMENT_PROVIDER_TIMEOUT_MS | 10000    | per call to a payment provider; a call without an answer in time leaves the payment `unknown` until reconciled |
 * | SIGNIN_CODES_PER_IP_PER_HOUR | 20      | one-time codes one client IP address may ask for per hour, across phone numbers and addresses; raise it where many people share an address (carrier-grade NAT, offices) |
 * | SECRET_KEY        | generated (embedded) | master secret (≥ 32 characters) from which cookie, code-hashing and key-wrapping keys are derived; required in distributed mode, identical in every process |
 *
 * HOST defaults to the loopback interface: the embedded default is for a developer's machine, and
 * /metrics and /readyz are unauthenticated. Deployments opt into wider exposure explicitly.
 */

export type RuntimeMode = 'embedded' | 'distributed';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  readonly mode: RuntimeMode;
  /** Absolute path. Used by the embedded stores and for the generated admin token. */
  readonly dataDir: string;
  readonly port: number;
  readonly host: string;
  /** Both set in distributed mode, both null in embedded mode. */
  readonly eventStoreDbUrl: string | null;
  readonly mongoDbUrl: string | null;
  /** Null means "use (or generate) DATA_DIR/admin-token" (embedded mode only). */
  readonly adminToken: string | null;
  readonly logLevel: LogLevel;
  readonly readyMaxLag: number;
  readonly demoSeed: boolean;
  /** External base URL without trailing slash; null means the URL the server listens on. */
  readonly publicUrl: string | null;
  /** Null means "use (or generate) DATA_DIR/secret-key" (embedded mode only). */
  readonly secretKey: string | null;
  /** ISO 3166-1 alpha-2 code, upper case. */
  readonly defaultPhoneCountry: string;
  /** Messages go to the development outbox (channels without a gateway). */
  readonly devOutbox: boolean;
  readonly smsGateway: Gateway | null;
  readonly emailGateway: Gateway | null;
  /** Days after which the current signing key is replaced; 0: never automatically. */
  readonly signingKeyRotationDays: number;
  /**
   * The in-process sandbox card processor and carrier operator are the payment providers. They keep
   * their books in memory, per process: for development, demos and tests only.
   */
  readonly sandboxPayments: boolean;
  /** Milliseconds each payment-provider call may take before its outcome counts as unknown. */
  readonly paymentProviderTimeoutMs: number;
  /** One-time codes one client IP may request per hour (SIGNIN_CODES_PER_IP_PER_HOUR). */
  readonly signInCodesPerIpPerHour: number;
}

export interface Gateway {
  readonly url: string;
  readonly token: string;
}

/** The configuration is unusable; `problems` has one entry per offending variable. */
export class ConfigError extends Error {
  constructor(readonly problems: ReadonlyArray<{ readonly variable: string; readonly message: string }>) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const opt = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());

const Int = (min: number, max: number, what: string) =>
  z
    .string()
    .regex(/^\d+$/, `must be ${what}`)
    .transform(Number)
    .pipe(z.int().min(min, `must be ${what}`).max(max, `must be ${what}`));

const Bool = z
  .string()
  .transform((v) => v.trim().toLowerCase())
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' }))
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const GatewayToken = z
  .string()
  .min(16, 'must be at least 16 characters')
  .regex(/^[\x21-\x7E]+$/, 'must be printable ASCII without spaces');

const EnvSchema = z.object({
  DATA_DIR: opt(z.string()),
  PORT: opt(Int(0, 65535, 'an integer from 0 to 65535 (0 picks a free port)')),
  HOST: opt(z.string().regex(/^[A-Za-z0-9.:[\]-]+$/, 'must be a host name or IP address')),
  EVENTSTOREDB_URL: opt(
    z
      .string()
      .regex(
        /^esdb(\+discover)?:\/\/\S+$/,
        'must be an EventStoreDB connection string (esdb://… or esdb+discover://…)',
      ),
  ),
  MONGODB_URL: opt(
    z
      .string()
      .regex(
        /^mongodb(\+srv)?:\/\/\S+$/,
        'must be a MongoDB connection string (mongodb://… or mongodb+srv://…)',
      ),
  ),
  ADMIN_TOKEN: opt(
    z
      .string()
      .min(32, 'must be at least 32 characters')
      .regex(/^[\x21-\x7E]+$/, 'must be printable ASCII without spaces'),
  ),
  LOG_LEVEL: opt(
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    }),
  ),
  READY_MAX_LAG: opt(Int(0, 1_000_000_000, 'a non-negative integer (events)')),
  SIGNING_KEY_ROTATION_DAYS: opt(Int(0, 3650, 'a whole number of days from 0 (off) to 3650')),
  DEMO_SEED: opt(Bool),
  SANDBOX_PAYMENTS: opt(Bool),
  PAYMENT_PROVIDER_TIMEOUT_MS: opt(Int(100, 120_000, 'an integer number of milliseconds from 100 to 120000')),
  SIGNIN_CODES_PER_IP_PER_HOUR: opt(Int(1, 1_000_000, 'an integer from 1 to 1000000 (codes per hour)')),
  PUBLIC_URL: opt(
    z
      .string()
      .regex(
        /^https?:\/\/[^\s/?#]+(\/[^\s?#]*[^\s?#/])?$/,
        'must be an http(s) URL without query, fragment or trailing slash (e.g. https://id.example.com)',
      ),
  ),
  DEFAULT_PHONE_COUNTRY: opt(
    z
      .string()
      .transform((v) => v.trim().toUpperCase())
      .pipe(
        z
          .string()
          .refine(
            (v) => /^[A-Z]{2}$/.test(v) && isSupportedCountry(v),
            'must be a two-letter ISO 3166-1 country code with a phone numbering plan (e.g. NO)',
          ),
      ),
  ),
  DEV_OUTBOX: opt(Bool),
  SMS_GATEWAY_URL: opt(HttpUrl),
  SMS_GATEWAY_TOKEN: opt(GatewayToken),
  EMAIL_GATEWAY_URL: opt(HttpUrl),
  EMAIL_GATEWAY_TOKEN: opt(GatewayToken),
  SECRET_KEY: opt(
    z
      .string()
      .min(32, 'must be at least 32 characters')
      .regex(/^[\x21-\x7E]+$/, 'must be printable ASCII without spaces'),
  ),
});

/** Variables whose values may hold credentials and are therefore never repeated in messages. */
const SECRET = new Set([
  'ADMIN_TOKEN',
  'SECRET_KEY',
  'SMS_GATEWAY_TOKEN',
  'EMAIL_GATEWAY_TOKEN',
  'EVENTSTOREDB_URL',
  'MONGODB_URL',
]);

function shown(variable: string, value: string | undefined): string {
  if (value === undefined || SECRET.has(variable)) return '';
  return ` (got ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)})`;
}

/**
 * Reads the configuration from an environment (normally `process.env`). Relative DATA_DIR paths are
 * resolved against `cwd`. Throws ConfigError listing every problem at once.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string = process.cwd(),
): Config {
  const parsed = EnvSchema.safeParse(env);
  const problems: Array<{ variable: string; message: string }> = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const variable = String(issue.path[0] ?? '(environment)');
      problems.push({ variable, message: issue.message + shown(variable, env[variable]) });
    }
  }
  const e = parsed.success ? parsed.data : null;
  const esdb = e?.EVENTSTOREDB_URL ?? null;
  const mongo = e?.MONGODB_URL ?? null;
  const esdbSet = blankToUndefined(env.EVENTSTOREDB_URL) !== undefined;
  const mongoSet = blankToUndefined(env.MONGODB_URL) !== undefined;
  if (esdbSet !== mongoSet) {
    problems.push({
      variable: 'EVENTSTOREDB_URL, MONGODB_URL',
      message: `distributed mode needs both; only ${esdbSet ? 'EVENTSTOREDB_URL' : 'MONGODB_URL'} is set (unset both for the embedded default)`,
    });
  }
  const mode: RuntimeMode = esdbSet && mongoSet ? 'distributed' : 'embedded';
  if (mode === 'distributed' && blankToUndefined(env.ADMIN_TOKEN) === undefined) {
    problems.push({
      variable: 'ADMIN_TOKEN',
      message: 'is required in distributed mode (at least 32 characters)',
    });
  }
  if (mode === 'distributed' && blankToUndefined(env.SECRET_KEY) === undefined) {
    problems.push({
      variable: 'SECRET_KEY',
      message: 'is required in distributed mode (at least 32 characters, the same in every process)',
    });
  }
  const devOutbox = e?.DEV_OUTBOX ?? mode === 'embedded';
  for (const channel of ['SMS', 'EMAIL'] as const) {
    const urlSet = blankToUndefined(env[`${channel}_GATEWAY_URL`]) !== undefined;
    const tokenSet = blankToUndefined(env[`${channel}_GATEWAY_TOKEN`]) !== undefined;
    if (urlSet !== tokenSet) {
      problems.push({
        variable: `${channel}_GATEWAY_URL, ${channel}_GATEWAY_TOKEN`,
        message: `set both or neither; only ${urlSet ? `${channel}_GATEWAY_URL` : `${channel}_GATEWAY_TOKEN`} is set`,
      });
    } else if (!urlSet && !devOutbox && e !== null) {
      // Only judged once the variables parsed: a bad DEV_OUTBOX is reported on its own.
      problems.push({
        variable: `${channel}_GATEWAY_URL`,
        message: `no ${channel === 'SMS' ? 'SMS' : 'email'} delivery: set ${channel}_GATEWAY_URL and ${channel}_GATEWAY_TOKEN, or DEV_OUTBOX=true`,
      });
    }
  }
  if (problems.length > 0 || !e) throw new ConfigError(problems);

  return {
    mode,
    dataDir: resolve(cwd, e.DATA_DIR ?? './data'),
    port: e.PORT ?? 3000,
    host: e.HOST ?? '127.0.0.1',
    eventStoreDbUrl: mode === 'distributed' ? esdb : null,
    mongoDbUrl: mode === 'distributed' ? mongo : null,
    adminToken: e.ADMIN_TOKEN ?? null,
    logLevel: e.LOG_LEVEL ?? 'info',
    readyMaxLag: e.READY_MAX_LAG ?? 100,
    signingKeyRotationDays: e.SIGNING_KEY_ROTATION_DAYS ?? 90,
    demoSeed: e.DEMO_SEED ?? mode === 'embedded',
    sandboxPayments: e.SANDBOX_PAYMENTS ?? mode === 'embedded',
    paymentProviderTimeoutMs: e.PAYMENT_PROVIDER_TIMEOUT_MS ?? 10_000,
    signInCodesPerIpPerHour: e.SIGNIN_CODES_PER_IP_PER_HOUR ?? DEFAULT_POLICY.maxRequestsPerIp,
    publicUrl: e.PUBLIC_URL ?? null,
    secretKey: e.SECRET_KEY ?? null,
    defaultPhoneCountry: e.DEFAULT_PHONE_COUNTRY ?? 'NO',
    devOutbox,
    smsGateway:
      e.SMS_GATEWAY_URL && e.SMS_GATEWAY_TOKEN
        ? { url: e.SMS_GATEWAY_URL, token: e.SMS_GATEWAY_TOKEN }
        : null,
    emailGateway:
      e.EMAIL_GATEWAY_URL && e.EMAIL_GATEWAY_TOKEN
        ? { url: e.EMAIL_GATEWAY_URL, token: e.EMAIL_GATEWAY_TOKEN }
        : null,
  };
}
