import { MongoClient, type Db } from 'mongodb';

/** The database used when neither the options nor the connection string name one. */
export const DEFAULT_DATABASE = 'tessera';

export interface MongoConnectOptions {
  /** A `mongodb://` or `mongodb+srv://` connection string. */
  readonly url: string;
  /** Overrides the database named in the connection string's path. */
  readonly dbName?: string;
}

export interface MongoConnection {
  readonly client: MongoClient;
  readonly db: Db;
}

/**
 * The database named in a connection string's path (`mongodb://host/name?opts`), or null when it
 * names none. Parsed by hand because WHATWG URL rejects multi-host strings (`mongodb://a,b/name`),
 * and the driver's own parse silently substitutes `test`, which would hide a missing name.
 */
export function databaseNameFromUrl(url: string): string | null {
  const scheme = url.indexOf('://');
  if (scheme < 0) return null;
  const rest = url.slice(scheme + 3);
  const slash = rest.indexOf('/');
  if (slash < 0) return null;
  const path = rest.slice(slash + 1).split('?')[0] ?? '';
  if (path === '') return null;
  return decodeURIComponent(path);
}

/**
 * Opens a client and checks the server answers, so a wrong URL fails at start-up with the
 * driver's message rather than on the first query. The caller owns the client and closes it.
 */
export async function connectMongo(options: MongoConnectOptions): Promise<MongoConnection> {
  const dbName = options.dbName ?? databaseNameFromUrl(options.url) ?? DEFAULT_DATABASE;
  const client = new MongoClient(options.url);
  try {
    await client.connect();
    const db = client.db(dbName);
    await db.command({ ping: 1 });
    return { client, db };
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
}
