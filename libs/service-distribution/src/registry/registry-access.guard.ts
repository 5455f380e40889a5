import { createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Injectable } from '@nestjs/common';
import { decodeSecretKey, Infrastructure } from '@wharf/runtime';
import { RegistryTokens, type RegistryGrant } from './registry-tokens.js';
import { RegistryError } from './registry.errors.js';

/** The `service` of the Bearer challenge, which clients send back to the token endpoint. */
const SERVICE = 'wharf-registry';
const TOKEN_LIFETIME_SECONDS = 300;

/** The token endpoint's answer, in the shape docker, podman and skopeo read. */
export interface TokenResponse {
  readonly token: string;
  readonly access_token: string;
  readonly expires_in: number;
  readonly issued_at: string;
}

/**
 * Who may pull a private distribution: the Wharf admin (WHARF_ADMIN_USERNAME / WHARF_ADMIN_PASSWORD), with
 * HTTP Basic on each request or, as docker and podman do, with a bearer token from `/token` after a
 * `WWW-Authenticate: Bearer` challenge. Public distributions need nobody.
 *
 * Tokens are signed with a key derived from WHARF_SECRET_KEY, so replicas of the distribution service accept
 * each other's; without that key each process signs with a key of its own. Without an admin password no
 * credentials match, and private distributions are served to no one.
 */
@Injectable()
export class RegistryAccess {
  private readonly tokens: RegistryTokens;
  private readonly admin?: { readonly username: Buffer; readonly password: Buffer };
  private readonly adminUsername: string;

  constructor(infrastructure: Infrastructure) {
    const { secretKey, adminUsername, adminPassword } = infrastructure.settings;
    this.adminUsername = adminUsername;
    const root = secretKey && decodeSecretKey(secretKey.reveal());
    // A key of its own, so that a token is no use as anything else sealed under WHARF_SECRET_KEY.
    const key = root
      ? Buffer.from(hkdfSync('sha256', root, '', 'wharf registry tokens', 32))
      : randomBytes(32);
    this.tokens = new RegistryTokens(key);
    if (adminPassword) {
      this.admin = { username: sha256(adminUsername), password: sha256(adminPassword.reveal()) };
    }
  }

  /**
   * The base endpoint, where clients learn whether and how to authenticate: podman and skopeo send
   * credentials later only if this first answer challenged them. So with credentials configured it
   * challenges requests that carry neither a token (an anonymous one will do) nor the admin's credentials.
   */
  assertMayEnter(request: IncomingMessage, now: Date): void {
    if (!this.admin || this.grantOf(request, now) !== undefined) return;
    throw this.challenge(request, 'authentication required', {});
  }

  /** Throws UNAUTHORIZED, with the challenge that tells a client where to get a token, unless allowed. */
  assertMayPull(request: IncomingMessage, name: string, now: Date): void {
    const grant = this.grantOf(request, now);
    if (grant === 'admin' || grant?.pull.includes(name)) return;
    throw this.challenge(request, `authentication required to pull ${name}`, { name, action: 'pull' });
  }

  /**
   * Push (uploads, manifests, deletes) is the admin's alone, with Basic or a token whose grant names `name`
   * for push. The challenge asks for `pull,push`, the scope docker and skopeo then request from `/token`.
   */
  assertMayPush(request: IncomingMessage, name: string, now: Date): void {
    const grant = this.grantOf(request, now);
    if (grant === 'admin' || grant?.push?.includes(name)) return;
    throw this.challenge(request, `authentication required to push to ${name}`, {
      name,
      action: 'pull,push',
    });
  }

  /** Whether the request's credentials let it read `name` even were it private (a mount's source). */
  mayPullPrivate(request: IncomingMessage, name: string, now: Date): boolean {
    const grant = this.grantOf(request, now);
    return grant === 'admin' || grant?.pull.includes(name) === true;
  }

  /**
   * Answers the token endpoint (the Docker token protocol): the admin gets pull and push on every repository
   * scope that asks for them; anonymous clients get a token that grants nothing, as registries hand out for
   * public pulls.
   */
  issueToken(request: IncomingMessage, scopes: readonly string[], now: Date): TokenResponse {
    const authorization = request.headers.authorization;
    const admin = authorization !== undefined && this.isAdmin(authorization);
    if (authorization !== undefined && !admin) {
      throw new RegistryError('UNAUTHORIZED', 'invalid username or password', {}, 401, {
        'WWW-Authenticate': `Basic realm="${SERVICE}"`,
      });
    }
    const token = this.tokens.issue({
      subject: admin ? 'admin' : 'anonymous',
      pull: admin ? scopesAsking('pull', scopes) : [],
      push: admin ? scopesAsking('push', scopes) : [],
      expiresAt: Math.floor(now.getTime() / 1000) + TOKEN_LIFETIME_SECONDS,
    });
    return { token, access_token: token, expires_in: TOKEN_LIFETIME_SECONDS, issued_at: now.toISOString() };
  }

  /** Who the client is, for the audit log: `admin` (Basic or its token), a token's subject, or `anonymous`. */
  clientOf(request: IncomingMessage, now: Date): string {
    const grant = this.grantOf(request, now);
    if (grant === 'admin') return this.adminUsername;
    return grant?.subject === 'admin' ? this.adminUsername : 'anonymous';
  }

  /** What the request's credentials allow: everything (the admin's Basic), a token's grant, or nothing. */
  private grantOf(request: IncomingMessage, now: Date): RegistryGrant | 'admin' | undefined {
    const authorization = request.headers.authorization ?? '';
    const [scheme, value = ''] = authorization.trim().split(/\s+/, 2);
    if (scheme?.toLowerCase() === 'bearer') return this.tokens.verify(value, now);
    return this.isAdmin(authorization) ? 'admin' : undefined;
  }

  private challenge(
    request: IncomingMessage,
    message: string,
    detail: Record<string, string>,
  ): RegistryError {
    const scope =
      detail.name === undefined ? '' : `,scope="repository:${detail.name}:${detail.action ?? 'pull'}"`;
    return new RegistryError('UNAUTHORIZED', message, detail, 401, {
      'WWW-Authenticate': `Bearer realm="${realm(request)}",service="${SERVICE}"${scope}`,
    });
  }

  private isAdmin(authorization: string): boolean {
    if (!this.admin) return false;
    const [scheme, encoded = ''] = authorization.trim().split(/\s+/, 2);
    if (scheme?.toLowerCase() !== 'basic') return false;
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    // Both comparisons always run, on fixed-length digests: timing tells nothing about either.
    const userMatches = timingSafeEqual(sha256(decoded.slice(0, colon)), this.admin.username);
    const passwordMatches = timingSafeEqual(sha256(decoded.slice(colon + 1)), this.admin.password);
    return userMatches && passwordMatches;
  }
}

/** Repository names of `repository:<name>:<actions>` scopes asking for `action` (a request may hold several). */
function scopesAsking(action: 'pull' | 'push', scopes: readonly string[]): string[] {
  const names: string[] = [];
  for (const scope of scopes.flatMap((s) => s.split(' '))) {
    const parts = scope.split(':');
    if (parts.length < 3 || parts[0] !== 'repository') continue;
    const actions = parts.at(-1)!.split(',');
    if (actions.includes(action) || actions.includes('*')) names.push(parts.slice(1, -1).join(':'));
  }
  return names;
}

/** The token endpoint's URL as this client reached the registry (behind a TLS proxy, with its scheme). */
function realm(request: IncomingMessage): string {
  const forwarded = request.headers['x-forwarded-proto'];
  const scheme = (Array.isArray(forwarded) ? forwarded[0] : forwarded) === 'https' ? 'https' : 'http';
  return `${scheme}://${request.headers.host ?? 'localhost'}/token`;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
