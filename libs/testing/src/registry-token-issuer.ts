import {
  X509Certificate,
  createPrivateKey,
  randomUUID,
  sign,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSelfSignedCertificate } from './self-signed-certificate.js';

/**
 * A token server as Docker's token authentication spec describes it, for tests against docker-registry
 * configured with `auth.token`: `GET /token?service=…&scope=…` answers `{token, access_token, expires_in}`
 * with an ES256 JWT whose header carries the signing certificate (`x5c`), the chain the registry checks
 * against its `rootcertbundle`.
 */
export interface RegistryTokenIssuerOptions {
  /** Where the key and certificate are written. */
  readonly directory: string;
  readonly service: string;
  readonly issuer: string;
  readonly username: string;
  readonly password: string;
  /** Lifetime of issued tokens (also sent as `expires_in`); default 300 s. */
  readonly expiresInSeconds?: number;
  /** Grant `pull` to requests without credentials (as public registries do); default false. */
  readonly anonymousPull?: boolean;
}

export interface ResourceAccess {
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
}

/** One request the issuer answered, for assertions on how a client authenticates. */
export interface TokenRequestRecord {
  readonly scopes: readonly string[];
  readonly service: string | null;
  /** 'refused' when the basic credentials were wrong (answered 401). */
  readonly identity: 'anonymous' | 'user' | 'refused';
}

const ALL_ACTIONS = ['pull', 'push', 'delete', '*'];

// The registry's token verification allows clock skew; a token this far in the past is refused for sure.
const EXPIRED_TOKEN_AGE_SECONDS = 600;

export class RegistryTokenIssuer {
  readonly requests: TokenRequestRecord[] = [];
  /** Lifetime of the next tokens; tests shorten it to make tokens expire mid-run. */
  expiresInSeconds: number;
  /** Whether requests without credentials get `pull`. */
  anonymousPull: boolean;
  private expiredTokensToIssue = 0;

  private constructor(
    private readonly server: Server,
    private readonly options: RegistryTokenIssuerOptions,
    private readonly signingKey: KeyObject,
    private readonly certificateChain: readonly string[],
    /** PEM file the registry trusts (`auth.token.rootcertbundle`). */
    readonly rootCertificatePath: string,
  ) {
    this.expiresInSeconds = options.expiresInSeconds ?? 300;
    this.anonymousPull = options.anonymousPull ?? false;
  }

  static async start(options: RegistryTokenIssuerOptions): Promise<RegistryTokenIssuer> {
    const certificate = createSelfSignedCertificate(options.directory, 'token-issuer', {
      commonName: options.issuer,
    });
    const chain = [new X509Certificate(certificate.certificatePem).raw.toString('base64')];
    const server = createServer();
    const issuer = new RegistryTokenIssuer(
      server,
      options,
      createPrivateKey(certificate.privateKeyPem),
      chain,
      certificate.certificatePath,
    );
    server.on('request', (request, response) => issuer.handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return issuer;
  }

  /** The realm a registry names in its `WWW-Authenticate: Bearer` challenge. */
  get realm(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/token`;
  }

  /**
   * The next `count` tokens are already expired when issued although `expires_in` claims otherwise, as
   * after a revocation or a clock jump: the registry refuses them and a client must fetch a new one.
   */
  issueExpiredTokens(count: number): void {
    this.expiredTokensToIssue = count;
  }

  /** A token for `access`, signed like the ones the HTTP endpoint hands out (for test helpers that push). */
  mintToken(
    subject: string,
    access: readonly ResourceAccess[],
    lifetimeSeconds = this.expiresInSeconds,
  ): string {
    const now = Math.floor(Date.now() / 1000);
    const issuedAt = lifetimeSeconds > 0 ? now : now - EXPIRED_TOKEN_AGE_SECONDS;
    const header = { typ: 'JWT', alg: 'ES256', x5c: this.certificateChain };
    const claims = {
      iss: this.options.issuer,
      sub: subject,
      aud: this.options.service,
      iat: issuedAt,
      nbf: issuedAt,
      exp: lifetimeSeconds > 0 ? now + lifetimeSeconds : issuedAt + 1,
      jti: randomUUID(),
      access,
    };
    const signingInput = `${base64Url(JSON.stringify(header))}.${base64Url(JSON.stringify(claims))}`;
    // JWS wants the raw r||s form of an ECDSA signature, not node's default DER.
    const signature = sign('sha256', Buffer.from(signingInput), {
      key: this.signingKey,
      dsaEncoding: 'ieee-p1363',
    });
    return `${signingInput}.${base64Url(signature)}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://issuer');
    if (request.method !== 'GET' || url.pathname !== '/token') {
      response.writeHead(404).end();
      return;
    }
    const scopes = url.searchParams.getAll('scope');
    const service = url.searchParams.get('service');
    const identity = this.identify(request.headers.authorization);
    this.requests.push({ scopes, service, identity });
    if (identity === 'refused') {
      response.writeHead(401, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ details: 'incorrect username or password' }));
      return;
    }
    const access = scopes.flatMap((scope) => this.grant(scope, identity));
    const lifetime = this.expiredTokensToIssue > 0 ? 0 : this.expiresInSeconds;
    if (this.expiredTokensToIssue > 0) this.expiredTokensToIssue--;
    const token = this.mintToken(identity === 'user' ? this.options.username : '', access, lifetime);
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(
      JSON.stringify({
        token,
        access_token: token,
        expires_in: this.expiresInSeconds,
        issued_at: new Date().toISOString(),
      }),
    );
  }

  private identify(authorization: string | undefined): TokenRequestRecord['identity'] {
    if (!authorization) return 'anonymous';
    const [scheme, encoded] = authorization.split(' ');
    if (scheme?.toLowerCase() !== 'basic' || !encoded) return 'refused';
    const expected = Buffer.from(`${this.options.username}:${this.options.password}`);
    const given = Buffer.from(encoded, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected) ? 'user' : 'refused';
  }

  private grant(scope: string, identity: 'anonymous' | 'user'): ResourceAccess[] {
    // scope = type ":" name ":" actions; the name itself may hold a ':' (a registry host with a port).
    const first = scope.indexOf(':');
    const last = scope.lastIndexOf(':');
    if (first <= 0 || last === first) return [];
    const allowed = identity === 'user' ? ALL_ACTIONS : this.anonymousPull ? ['pull'] : [];
    const actions = scope
      .slice(last + 1)
      .split(',')
      .filter((action) => allowed.includes(action));
    return actions.length > 0
      ? [{ type: scope.slice(0, first), name: scope.slice(first + 1, last), actions }]
      : [];
  }
}

function base64Url(value: string | Uint8Array): string {
  return Buffer.from(value).toString('base64url');
}
