/** The REST API as the CLI sees it: JSON over HTTP Basic, Pulp's lists, and errors that say what went wrong. */

export const API_ROOT = '/pulp/api/v3/';

export interface Connection {
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
}

/** A request the server refused or could not answer; the CLI exits 1 with its message. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface PulpList<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export type Json = Record<string, unknown>;

/** Every asynchronous operation answers 202 with the task doing the work. */
export interface AsyncOperation {
  task: string;
}

export class ApiClient {
  private readonly base: string;
  private readonly authorization?: string;

  constructor(readonly connection: Connection) {
    this.base = connection.url.replace(/\/+$/, '');
    if (connection.username !== undefined) {
      const pair = `${connection.username}:${connection.password ?? ''}`;
      this.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    }
  }

  /** `path` is an href (`/pulp/api/v3/...`) or a path below the API root (`repositories/...`). */
  url(path: string, query: Record<string, string | number | undefined> = {}): string {
    const href = path.startsWith('/') ? path : `${API_ROOT}${path}`;
    const url = new URL(`${this.base}${href}`);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  get<T = Json>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    return this.request<T>('GET', this.url(path, query));
  }

  post<T = Json>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', this.url(path), body);
  }

  patch<T = Json>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', this.url(path), body);
  }

  delete<T = Json>(path: string): Promise<T> {
    return this.request<T>('DELETE', this.url(path));
  }

  /** Raw bytes (a chunk of an upload), with the headers that place them. */
  put<T = Json>(path: string, body: Uint8Array, headers: Record<string, string>): Promise<T> {
    return this.request<T>('PUT', this.url(path), body, headers);
  }

  /** Every item of a Pulp list, following `next` until the end. */
  async listAll<T = Json>(
    path: string,
    query: Record<string, string | number | undefined> = {},
  ): Promise<T[]> {
    const items: T[] = [];
    let next: string | null = this.url(path, { limit: 100, ...query });
    while (next) {
      const page: PulpList<T> = await this.request<PulpList<T>>('GET', next);
      items.push(...page.results);
      // `next` is absolute on the server's own host; keep ours (the server may sit behind a proxy).
      next = page.next ? this.rebase(page.next) : null;
    }
    return items;
  }

  private rebase(absolute: string): string {
    const url = new URL(absolute);
    return `${this.base}${url.pathname}${url.search}`;
  }

  private async request<T>(
    method: string,
    url: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json', ...extraHeaders };
    if (this.authorization) headers.Authorization = this.authorization;
    let payload: Uint8Array | string | undefined;
    if (body instanceof Uint8Array) {
      payload = body;
      headers['Content-Type'] ??= 'application/octet-stream';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body: payload });
    } catch (error) {
      const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
      throw new ApiError(`Cannot reach ${this.base}: ${cause}`);
    }
    const text = await response.text();
    if (!response.ok)
      throw new ApiError(describeFailure(method, url, response.status, text), response.status);
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(`${method} ${new URL(url).pathname} answered ${response.status} with no JSON`);
    }
  }
}

/** The server's own words: Pulp's `{detail}` or its field errors, flattened to one line per field. */
function describeFailure(method: string, url: string, status: number, text: string): string {
  const where = `${method} ${new URL(url).pathname}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return `${where} failed with HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`;
  }
  if (status === 401) return `${where}: authentication failed (HTTP 401); check the username and password`;
  if (parsed && typeof parsed === 'object') {
    const record = parsed as Record<string, unknown>;
    if (typeof record.detail === 'string') return `${where} failed with HTTP ${status}: ${record.detail}`;
    const fields = Object.entries(record).map(
      ([field, problems]) =>
        `${field}: ${Array.isArray(problems) ? problems.join(' ') : JSON.stringify(problems)}`,
    );
    if (fields.length) return `${where} failed with HTTP ${status}:\n  ${fields.join('\n  ')}`;
  }
  return `${where} failed with HTTP ${status}`;
}
