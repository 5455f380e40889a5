import { Injectable, Logger } from '@nestjs/common';
import { Infrastructure, SecretBox } from '@wharf/runtime';
import {
  REMOTE_CREDENTIAL_FIELDS,
  type RemoteCredentials,
  type RemoteFields,
  type RemoteInput,
} from '@wharf/contracts';

export class SecretKeyMissingError extends Error {
  override readonly name = 'SecretKeyMissingError';
  constructor() {
    super(
      'the sync service cannot store or read remote credentials: WHARF_SECRET_KEY is not set ' +
        '(32 random bytes in base64, the same in every process that runs the sync service)',
    );
  }
}

/**
 * Seals a remote's credentials (username, password, client key, proxy username and password) before they
 * are decided on and stored, and opens them for the sync service's own downloads. The clear text exists
 * only in memory, in the request that brought it and in whoever asked `remote.credentials`: never in an
 * event, a task payload, a read model, a response or a log line.
 *
 * A process without WHARF_SECRET_KEY still runs and serves remotes without credentials; only sealing or
 * opening fails, naming the setting, so the rest of a deployment is not held hostage by this one.
 */
@Injectable()
export class RemoteCredentialSealer {
  private readonly box: SecretBox | undefined;

  constructor(infrastructure: Infrastructure) {
    const key = infrastructure.settings.secretKey;
    this.box = key ? SecretBox.fromBase64Key(key.reveal()) : undefined;
    if (!this.box) new Logger('sync').warn(new SecretKeyMissingError().message);
  }

  /** The input with every credential it sets replaced by its sealed form; other fields untouched. */
  seal(input: RemoteInput): RemoteInput {
    const sealed: Record<string, unknown> = { ...input };
    for (const field of REMOTE_CREDENTIAL_FIELDS) {
      const value = input[field];
      if (typeof value === 'string') sealed[field] = this.requireBox().seal(value);
    }
    return sealed as RemoteInput;
  }

  open(fields: RemoteFields): RemoteCredentials {
    const open = (value: string | null) => (value === null ? null : this.requireBox().open(value));
    return {
      username: open(fields.username),
      password: open(fields.password),
      clientKey: open(fields.clientKey),
      proxyUsername: open(fields.proxyUsername),
      proxyPassword: open(fields.proxyPassword),
    };
  }

  private requireBox(): SecretBox {
    if (!this.box) throw new SecretKeyMissingError();
    return this.box;
  }
}
