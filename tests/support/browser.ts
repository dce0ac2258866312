/**
 * A minimal browser for end-to-end tests of server-rendered pages: fetch with a cookie jar (names,
 * paths, expiry), redirects followed by hand until they leave the server, and form helpers that
 * read hidden fields from the page. No JavaScript, which is the point: the pages must work without.
 */

export interface StoredCookie {
  readonly name: string;
  readonly value: string;
  readonly path: string;
  /** Epoch ms, or null for a session cookie. */
  readonly expires: number | null;
}

export class CookieJar {
  private readonly cookies = new Map<string, StoredCookie>();

  /** Takes the Set-Cookie headers of a response to `url`. */
  store(url: string, headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq < 1) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = defaultPath(new URL(url).pathname);
      let expires: number | null = null;
      for (const attribute of attributes) {
        const [key = '', val = ''] = attribute.split('=').map((s) => s.trim());
        const lower = key.toLowerCase();
        if (lower === 'path' && val.startsWith('/')) path = val;
        if (lower === 'max-age') expires = Date.now() + Number(val) * 1000;
        if (lower === 'expires' && expires === null) expires = Date.parse(val);
      }
      const id = `${name};${path}`;
      if (expires !== null && expires <= Date.now()) this.cookies.delete(id);
      else this.cookies.set(id, { name, value, path, expires });
    }
  }

  /** The Cookie header for a request to `url` (longest paths first, as browsers send them). */
  header(url: string): string {
    const path = new URL(url).pathname;
    return [...this.cookies.values()]
      .filter((c) => (c.expires === null || c.expires > Date.now()) && pathMatches(path, c.path))
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  /** The first stored cookie called `name`, or undefined. */
  find(name: string): StoredCookie | undefined {
    return [...this.cookies.values()].find((c) => c.name === name);
  }
}

function defaultPath(pathname: string): string {
  const slash = pathname.lastIndexOf('/');
  return slash <= 0 ? '/' : pathname.slice(0, slash);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

export interface Visit {
  readonly status: number;
  /** The URL of the final response. */
  readonly url: string;
  readonly headers: Headers;
  readonly body: string;
  /** Set when a redirect left the server (e.g. to a client's redirect URI); not followed. */
  readonly leftTo: string | null;
}

export class Browser {
  readonly jar = new CookieJar();

  constructor(
    private readonly origin: string,
    private readonly headers: Readonly<Record<string, string>> = {},
  ) {}

  /** GET, following redirects within the server. */
  get(url: string): Promise<Visit> {
    return this.visit(new URL(url, this.origin).href, { method: 'GET' });
  }

  /** Posts a urlencoded form to `action` (relative to the server), following redirects. */
  post(action: string, fields: Readonly<Record<string, string>>): Promise<Visit> {
    return this.visit(new URL(action, this.origin).href, {
      method: 'POST',
      body: new URLSearchParams(fields).toString(),
      contentType: 'application/x-www-form-urlencoded',
    });
  }

  private async visit(
    start: string,
    request: { method: string; body?: string; contentType?: string },
  ): Promise<Visit> {
    let url = start;
    let init = request;
    for (let hops = 0; hops < 20; hops++) {
      const headers: Record<string, string> = { ...this.headers };
      const cookie = this.jar.header(url);
      if (cookie !== '') headers.cookie = cookie;
      if (init.contentType) headers['content-type'] = init.contentType;
      const res = await fetch(url, {
        method: init.method,
        headers,
        redirect: 'manual',
        ...(init.body !== undefined ? { body: init.body } : {}),
      });
      this.jar.store(url, res.headers);
      const body = await res.text();
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location !== null) {
        const next = new URL(location, url).href;
        if (new URL(next).origin !== new URL(this.origin).origin) {
          return { status: res.status, url, headers: res.headers, body, leftTo: next };
        }
        url = next;
        init = { method: 'GET' };
        continue;
      }
      return { status: res.status, url, headers: res.headers, body, leftTo: null };
    }
    throw new Error(`Too many redirects from ${start}`);
  }
}

/** The value of a hidden input on a page. */
export function hiddenField(html: string, name: string): string {
  const match = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`).exec(html);
  if (!match?.[1]) throw new Error(`No hidden field ${name} on the page`);
  return match[1];
}

/** The action of the form whose action ends with `suffix`. */
export function formAction(html: string, suffix: string): string {
  const actions = [...html.matchAll(/<form method="post" action="([^"]+)"/g)].map((m) => m[1] ?? '');
  const action = actions.find((a) => a.endsWith(suffix));
  if (action === undefined) throw new Error(`No form posting to …${suffix} (found ${actions.join(', ')})`);
  return action.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)));
}
