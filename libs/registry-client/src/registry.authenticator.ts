import { parseAuthChallenges } from './auth-challenge.parser.js';
import type { HttpResponse, HttpTransport } from './http.transport.js';
import { readBodyUpTo } from './response-body.util.js';
import { RegistryAuthError, RegistryError, type RegistryOperation } from './registry.errors.js';

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

export type AuthScheme = 'none' | 'basic' | 'bearer';

type KnownChallenge =
  | { readonly scheme: 'basic' }
  | { readonly scheme: 'bearer'; readonly realm: URL; readonly service?: string };

interface CachedToken {
  readonly token: string;
  /** Local clock, ms: when to stop using it (a margin before it really expires). */
  readonly refreshAt: number;
}

// The token spec's default lifetime when a token server omits `expires_in`.
const DEFAULT_TOKEN_LIFETIME_SECONDS = 60;
// A sync touching thousands of repositories holds a token per repository; expired ones are swept beyond this.
const MAX_CACHED_TOKENS = 512;
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;

/**
 * The client's side of registry authentication. The scheme is learnt from the registry's 401 challenge
 * (Basic, or Bearer per Docker's token spec) and credentials are only sent after that. Bearer tokens are
 * cached per set of scopes until shortly before `expires_in` runs out; a 401 on a cached token drops it.
 */
export class RegistryAuthenticator {
  private challenge: KnownChallenge | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pendingTokens = new Map<string, Promise<CachedToken>>();

  constructor(
    private readonly http: HttpTransport,
    private readonly credentials: RegistryCredentials | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** The scheme the registry's last challenge asked for; undefined while none was seen. */
  get scheme(): Exclude<AuthScheme, 'none'> | undefined {
    return this.challenge?.scheme;
  }

  get hasCredentials(): boolean {
    return this.credentials !== undefined;
  }

  /**
   * Remembers the challenge of a 401 response. Returns whether a retry with (new) credentials could succeed:
   * false when the registry wants credentials nobody gave, or refused the ones just sent.
   */
  learnChallenge(
    response: HttpResponse,
    sentAuthorization: string | undefined,
    scopes: readonly string[],
  ): boolean {
    const challenges = parseAuthChallenges(response.headers['www-authenticate']);
    const bearer = challenges.find((challenge) => challenge.scheme === 'bearer');
    const basic = challenges.find((challenge) => challenge.scheme === 'basic');
    if (bearer?.params['realm']) {
      const realm = parseRealm(bearer.params['realm']);
      if (!realm) return false;
      this.challenge = { scheme: 'bearer', realm, service: bearer.params['service'] };
      const cacheKey = tokenCacheKey(scopes);
      if (sentAuthorization === `Bearer ${this.tokens.get(cacheKey)?.token}`) this.tokens.delete(cacheKey);
      return true;
    }
    if (basic) {
      this.challenge = { scheme: 'basic' };
      return this.credentials !== undefined && sentAuthorization === undefined;
    }
    return false;
  }

  /** The Authorization header value for a request needing `scopes`, fetching a token when needed. */
  async authorization(scopes: readonly string[], operation: RegistryOperation): Promise<string | undefined> {
    const challenge = this.challenge;
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') return this.credentials && basicAuthorization(this.credentials);
    const token = await this.token(challenge, scopes, operation);
    return `Bearer ${token.token}`;
  }

  private async token(
    challenge: Extract<KnownChallenge, { scheme: 'bearer' }>,
    scopes: readonly string[],
    operation: RegistryOperation,
  ): Promise<CachedToken> {
    const key = tokenCacheKey(scopes);
    const cached = this.tokens.get(key);
    if (cached && cached.refreshAt > this.now()) return cached;
    let pending = this.pendingTokens.get(key);
    if (!pending) {
      pending = this.fetchToken(challenge, scopes, operation).finally(() => this.pendingTokens.delete(key));
      this.pendingTokens.set(key, pending);
    }
    const token = await pending;
    this.remember(key, token);
    return token;
  }

  private remember(key: string, token: CachedToken): void {
    if (this.tokens.size >= MAX_CACHED_TOKENS) {
      const now = this.now();
      for (const [cachedKey, cached] of this.tokens)
        if (cached.refreshAt <= now) this.tokens.delete(cachedKey);
      // Still full of live tokens: drop the oldest, it is simply fetched again when needed.
      const oldest = this.tokens.keys().next();
      if (this.tokens.size >= MAX_CACHED_TOKENS && !oldest.done) this.tokens.delete(oldest.value);
    }
    this.tokens.set(key, token);
  }

  private async fetchToken(
    challenge: Extract<KnownChallenge, { scheme: 'bearer' }>,
    scopes: readonly string[],
    registryOperation: RegistryOperation,
  ): Promise<CachedToken> {
    const url = new URL(challenge.realm);
    if (challenge.service !== undefined) url.searchParams.set('service', challenge.service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const source = `${url.origin}${url.pathname}`;
    const operation: RegistryOperation = {
      method: 'GET',
      object: 'token',
      detail: scopes.length > 0 ? `for ${scopes.join(' ')}` : 'for login',
    };
    const requestedAt = this.now();
    const response = await this.http.send({
      method: 'GET',
      url,
      kind: 'token',
      source,
      operation,
      credentialOrigin: url.origin,
      privateHeaders: this.credentials && { authorization: basicAuthorization(this.credentials) },
    });
    const { bytes: body } = await readBodyUpTo(response, MAX_TOKEN_RESPONSE_BYTES);
    if (response.status === 401 || response.status === 403) {
      throw new RegistryAuthError(source, operation, {
        status: response.status,
        reason: this.credentials
          ? `the token server refused the credentials (needed for ${describeShort(registryOperation)})`
          : `the token server requires credentials (needed for ${describeShort(registryOperation)})`,
      });
    }
    if (response.status !== 200) {
      throw new RegistryError(source, operation, { status: response.status, reason: 'token request failed' });
    }
    const parsed = parseTokenResponse(body);
    if (!parsed) {
      throw new RegistryError(source, operation, { reason: 'the token server answered without a token' });
    }
    const lifetimeMs = parsed.expiresInSeconds * 1000;
    // Renew a little early so a token never expires between being picked and reaching the registry.
    const margin = Math.min(10_000, lifetimeMs / 10);
    return { token: parsed.token, refreshAt: requestedAt + lifetimeMs - margin };
  }
}

function tokenCacheKey(scopes: readonly string[]): string {
  return [...scopes].sort().join(' ');
}

function basicAuthorization(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

function parseRealm(realm: string): URL | undefined {
  try {
    const url = new URL(realm);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

function describeShort(operation: RegistryOperation): string {
  return `${operation.object}${operation.repository ? ` ${operation.repository}` : ''}`;
}

function parseTokenResponse(body: Buffer): { token: string; expiresInSeconds: number } | undefined {
  let document: unknown;
  try {
    document = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof document !== 'object' || document === null) return undefined;
  const fields = document as Record<string, unknown>;
  // The spec's `token`; OAuth2-style servers send `access_token` (both are equal when both are present).
  const token =
    typeof fields['token'] === 'string' && fields['token'] ? fields['token'] : fields['access_token'];
  if (typeof token !== 'string' || !token) return undefined;
  const expiresIn = fields['expires_in'];
  const expiresInSeconds =
    typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : DEFAULT_TOKEN_LIFETIME_SECONDS;
  return { token, expiresInSeconds };
}
