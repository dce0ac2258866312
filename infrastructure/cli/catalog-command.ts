import { parseArgs } from 'node:util';
import type { CatalogCommands } from '../../application/catalog/catalog-commands.js';
import type { CatalogQueries } from '../../application/catalog/catalog-queries.js';
import type { CommandContext } from '../../application/kernel/command-handler.js';
import { newId } from '../../application/kernel/ids.js';
import { type CurrencyCode, formatMoney, isKnownCurrency, parseMoney } from '../../domain/shared/money.js';
import type { ProductDoc } from '../../projections/catalog.js';
import type { CliOutput } from './clients-command.js';

export interface CatalogCliServices {
  readonly commands: Pick<
    CatalogCommands,
    'registerProvider' | 'addProduct' | 'changePrice' | 'retireProduct'
  >;
  readonly queries: Pick<CatalogQueries, 'listProviders' | 'listProducts'>;
}

export const CATALOG_USAGE = `Usage:
  tessera providers add --name <name>
  tessera providers list
  tessera products add --provider <providerId> --sku <sku> --name <name> --price <amount> --currency <ISO 4217>
                       --vat <percent> (--valid <ISO 8601 duration>|perpetual | --period <ISO 8601 duration> [--trial <duration>])
  tessera products list --provider <providerId>
  tessera products price <productId> --price <amount> --currency <ISO 4217> [--vat <percent>]
  tessera products retire <productId> [--reason <text>]

Prices are VAT-inclusive decimal amounts in the currency's major unit ("49.00"), VAT a percentage
("25", "12.5"). --valid makes a one-time product whose right lasts that long; --period makes a
subscription plan billed each period.
`;

/** A mistake in the command line itself; the message includes the usage text. */
export class CatalogUsageError extends Error {
  constructor(problem: string) {
    super(`${problem}\n\n${CATALOG_USAGE}`);
    this.name = 'CatalogUsageError';
  }
}

const OPTIONS = {
  name: { type: 'string' },
  provider: { type: 'string' },
  sku: { type: 'string' },
  price: { type: 'string' },
  currency: { type: 'string' },
  vat: { type: 'string' },
  valid: { type: 'string' },
  period: { type: 'string' },
  trial: { type: 'string' },
  reason: { type: 'string' },
} as const;

type Parsed = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];
type Name = keyof typeof OPTIONS;

function parse(args: readonly string[]): { positionals: string[]; values: Parsed } {
  try {
    return parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CatalogUsageError(err instanceof Error ? err.message : String(err));
  }
}

function required(values: Parsed, name: Name): string {
  const value = values[name];
  if (value === undefined || value.trim() === '') throw new CatalogUsageError(`--${name} is required.`);
  return value.trim();
}

function context(): CommandContext {
  return { actor: { kind: 'system', id: 'cli' }, correlationId: newId() };
}

/** "25" → 2500 basis points; "12.5" → 1250. */
export function parseVatPercent(text: string): number {
  const match = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!match) throw new CatalogUsageError(`--vat must be a percentage such as 25 or 12.5, got "${text}".`);
  const basisPoints = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  if (basisPoints > 10_000) throw new CatalogUsageError('--vat must be at most 100.');
  return basisPoints;
}

function price(values: Parsed) {
  const currency = required(values, 'currency').toUpperCase();
  if (!isKnownCurrency(currency))
    throw new CatalogUsageError(`--currency: "${currency}" is not an ISO 4217 currency.`);
  try {
    return parseMoney(required(values, 'price'), currency as CurrencyCode);
  } catch (err) {
    throw new CatalogUsageError(`--price: ${err instanceof Error ? err.message : String(err)}.`);
  }
}

function describe(p: ProductDoc): string {
  const terms =
    p.kind === 'one_time'
      ? `one-time, valid ${p.timeSpec ?? '?'}`
      : `subscription, every ${p.period ?? '?'}${p.trial ? `, trial ${p.trial}` : ''}`;
  return `${p.id}  ${p.sku}  ${p.status.padEnd(7)}  ${formatMoney(p.price)} (VAT ${p.vatRate / 100} %)  ${terms}  ${p.name}\n`;
}

async function providers(
  services: CatalogCliServices,
  action: string | undefined,
  values: Parsed,
  out: CliOutput,
) {
  if (action === 'add') {
    const result = await services.commands.registerProvider({ name: required(values, 'name') }, context());
    out.write(`Registered provider ${result.id}.\n`);
    return;
  }
  if (action === 'list') {
    let cursor: string | null = null;
    do {
      const page = await services.queries.listProviders({ limit: 100, ...(cursor ? { cursor } : {}) });
      for (const p of page.items) out.write(`${p.id}  ${p.name}\n`);
      cursor = page.nextCursor;
    } while (cursor);
    return;
  }
  throw new CatalogUsageError(action === undefined ? 'Name an action.' : `Unknown action "${action}".`);
}

async function products(
  services: CatalogCliServices,
  action: string | undefined,
  target: string | undefined,
  values: Parsed,
  out: CliOutput,
) {
  switch (action) {
    case 'add': {
      const base = {
        sku: required(values, 'sku'),
        name: required(values, 'name'),
        price: price(values),
        vatRate: parseVatPercent(required(values, 'vat')),
      };
      if ((values.valid === undefined) === (values.period === undefined)) {
        throw new CatalogUsageError(
          'Give either --valid (a one-time product) or --period (a subscription plan).',
        );
      }
      const input =
        values.valid !== undefined
          ? { ...base, kind: 'one_time' as const, timeSpec: values.valid }
          : {
              ...base,
              kind: 'subscription' as const,
              period: values.period!,
              ...(values.trial ? { trial: values.trial } : {}),
            };
      const result = await services.commands.addProduct(required(values, 'provider'), input, context());
      out.write(`Added product ${result.id} (${base.sku}).\n`);
      return;
    }
    case 'list': {
      const providerId = required(values, 'provider');
      let cursor: string | null = null;
      let count = 0;
      do {
        const page = await services.queries.listProducts(providerId, {
          limit: 100,
          ...(cursor ? { cursor } : {}),
        });
        for (const p of page.items) out.write(describe(p));
        count += page.items.length;
        cursor = page.nextCursor;
      } while (cursor);
      out.write(`${count} product${count === 1 ? '' : 's'}.\n`);
      return;
    }
    case 'price': {
      if (target === undefined) throw new CatalogUsageError('Name the product id.');
      await services.commands.changePrice(
        target,
        {
          price: price(values),
          ...(values.vat !== undefined ? { vatRate: parseVatPercent(values.vat) } : {}),
        },
        context(),
      );
      out.write(`Changed the price of ${target}.\n`);
      return;
    }
    case 'retire': {
      if (target === undefined) throw new CatalogUsageError('Name the product id.');
      await services.commands.retireProduct(target, values.reason, context());
      out.write(`Retired ${target}.\n`);
      return;
    }
    default:
      throw new CatalogUsageError(action === undefined ? 'Name an action.' : `Unknown action "${action}".`);
  }
}

/**
 * `tessera providers …` and `tessera products …`: the service catalog from the command line.
 * Refusals (unknown provider, SKU taken, bad duration, …) surface as the DomainError the admin API
 * would report.
 */
export async function catalogCommand(
  services: CatalogCliServices,
  noun: 'providers' | 'products',
  args: readonly string[],
  out: CliOutput,
): Promise<void> {
  const { positionals, values } = parse(args);
  const [action, target, ...rest] = positionals;
  if (rest.length > 0) throw new CatalogUsageError(`Unexpected argument "${rest[0]}".`);
  if (noun === 'providers') {
    if (target !== undefined) throw new CatalogUsageError(`Unexpected argument "${target}".`);
    return providers(services, action, values, out);
  }
  if (target !== undefined && action !== 'price' && action !== 'retire') {
    throw new CatalogUsageError(`Unexpected argument "${target}".`);
  }
  return products(services, action, target, values, out);
}
