/**
 * `WWW-Authenticate` challenges (RFC 9110 §11.6.1): `scheme param=value, param="quoted, value"`, several
 * challenges possibly in one header. Registries send `Basic realm="…"` or, per Docker's token spec,
 * `Bearer realm="https://auth…/token",service="registry",scope="repository:x:pull"`.
 */
export interface AuthChallenge {
  /** Lowercased, e.g. `bearer`. */
  readonly scheme: string;
  /** Parameter names lowercased; values unquoted. */
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

class ChallengeScanner {
  private position = 0;

  constructor(private readonly text: string) {}

  get done(): boolean {
    this.skip(/[\s,]/);
    return this.position >= this.text.length;
  }

  readChallenge(): AuthChallenge | undefined {
    const scheme = this.readToken();
    if (!scheme) {
      this.position = this.text.length;
      return undefined;
    }
    const params: Record<string, string> = {};
    for (;;) {
      this.skip(/[\s,]/);
      const start = this.position;
      const name = this.readToken();
      this.skip(/\s/);
      if (!name || this.text[this.position] !== '=') {
        // Not `name=`: the next challenge's scheme (or a token68 value, which registries do not use).
        this.position = start;
        break;
      }
      this.position++;
      this.skip(/\s/);
      params[name.toLowerCase()] = this.text[this.position] === '"' ? this.readQuoted() : this.readToken();
    }
    return { scheme: scheme.toLowerCase(), params };
  }

  private readToken(): string {
    const start = this.position;
    while (this.position < this.text.length && TOKEN_CHAR.test(this.text[this.position])) this.position++;
    return this.text.slice(start, this.position);
  }

  private readQuoted(): string {
    let value = '';
    this.position++;
    while (this.position < this.text.length && this.text[this.position] !== '"') {
      if (this.text[this.position] === '\\') this.position++;
      value += this.text[this.position] ?? '';
      this.position++;
    }
    this.position++;
    return value;
  }

  private skip(pattern: RegExp): void {
    while (this.position < this.text.length && pattern.test(this.text[this.position])) this.position++;
  }
}

export function parseAuthChallenges(header: string | readonly string[] | undefined): AuthChallenge[] {
  const values = header === undefined ? [] : typeof header === 'string' ? [header] : header;
  const challenges: AuthChallenge[] = [];
  for (const value of values) {
    const scanner = new ChallengeScanner(value);
    while (!scanner.done) {
      const challenge = scanner.readChallenge();
      if (challenge) challenges.push(challenge);
    }
  }
  return challenges;
}
