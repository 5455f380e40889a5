import { describe, expect, it } from 'vitest';
import type { RemoteInput } from '@wharf/contracts';
import {
  decideRemote,
  evolveRemote,
  initialRemoteState,
  InvalidRemoteError,
  isRemoteEvent,
  RemoteAlreadyExistsError,
  RemoteNotFoundError,
  type RemoteCommand,
  type RemoteCreatedData,
  type RemoteEvent,
} from './index.js';

// ---- given / when / then ----------------------------------------------------------------------------

function given(...history: RemoteEvent[]) {
  const state = history.reduce(evolveRemote, initialRemoteState);
  return {
    state,
    when(command: RemoteCommand) {
      const decide = () => decideRemote(command, state);
      return {
        then: (expected: RemoteEvent[]) => expect(decide()).toEqual(expected),
        /** The refusal's class and its field-keyed details (for validation errors). */
        thenRefused(errorClass: new (...args: never[]) => Error, details?: Record<string, string[]>) {
          expect(decide).toThrow(errorClass);
          if (details) {
            try {
              decide();
            } catch (error) {
              expect((error as InvalidRemoteError).details).toEqual(details);
            }
          }
        },
      };
    },
  };
}

// ---- fixtures -----------------------------------------------------------------------------------

const remoteId = 'remote-1';
const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-02T00:00:00.000Z';

const minimal = { name: 'hub', url: 'https://registry-1.docker.io', upstreamName: 'library/busybox' };

const create = (fields: RemoteInput): RemoteCommand => ({ type: 'CreateRemote', remoteId, fields, at: T0 });
const patch = (changes: RemoteInput): RemoteCommand => ({
  type: 'UpdateRemote',
  remoteId,
  changes,
  partial: true,
  at: T1,
});
const put = (changes: RemoteInput): RemoteCommand => ({ ...patch(changes), partial: false }) as RemoteCommand;

const createdData: RemoteCreatedData = {
  remoteId,
  ...minimal,
  includeTags: null,
  excludeTags: null,
  policy: 'immediate',
  tlsValidation: true,
  caCert: null,
  clientCert: null,
  proxyUrl: null,
  downloadConcurrency: null,
  rateLimit: null,
  maxRetries: null,
  totalTimeout: null,
  connectTimeout: null,
  sockConnectTimeout: null,
  sockReadTimeout: null,
  headers: [],
  pulpLabels: {},
  platforms: null,
  includeForeignLayers: false,
  username: null,
  password: null,
  clientKey: null,
  proxyUsername: null,
  proxyPassword: null,
  createdAt: T0,
};
const created: RemoteEvent = { type: 'RemoteCreated', data: createdData };
const deleted: RemoteEvent = { type: 'RemoteDeleted', data: { deletedAt: T1 } };

const CERT = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n';

// ---- creation -----------------------------------------------------------------------------------

describe('creating a remote', () => {
  it('fills every field the client left out with its default', () => {
    given().when(create(minimal)).then([created]);
  });

  it('keeps every field the client gave, credentials as the opaque (sealed) strings they are', () => {
    const full: RemoteInput = {
      ...minimal,
      includeTags: ['1.*', 'latest'],
      excludeTags: ['*-rc?'],
      policy: 'on_demand',
      tlsValidation: false,
      caCert: CERT,
      clientCert: CERT,
      proxyUrl: 'http://proxy.internal:3128',
      downloadConcurrency: 4,
      rateLimit: 0,
      maxRetries: 2,
      totalTimeout: 300.5,
      connectTimeout: 0,
      sockConnectTimeout: 10,
      sockReadTimeout: 60,
      headers: [{ 'X-Team': 'platform' }],
      pulpLabels: { team: 'platform' },
      platforms: [
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
        { os: 'linux', architecture: 'amd64' },
      ],
      username: 'v1:sealed-user',
      password: 'v1:sealed-password',
      clientKey: 'v1:sealed-key',
      proxyUsername: 'v1:sealed-proxy-user',
      proxyPassword: 'v1:sealed-proxy-password',
    };
    given()
      .when(create(full))
      .then([{ type: 'RemoteCreated', data: { ...createdData, ...full } }]);
  });

  it('requires name, url and upstream_name, naming each missing one', () => {
    given()
      .when(create({ policy: 'immediate' }))
      .thenRefused(InvalidRemoteError, {
        name: ['This field is required.'],
        url: ['This field is required.'],
        upstream_name: ['This field is required.'],
      });
  });

  it('refuses a url that is not http(s), is no URL, or carries credentials, without echoing it', () => {
    given()
      .when(create({ ...minimal, url: 'ftp://mirror.example' }))
      .thenRefused(InvalidRemoteError, { url: ['The URL must start with http:// or https://.'] });
    given()
      .when(create({ ...minimal, url: 'registry.example' }))
      .thenRefused(InvalidRemoteError, { url: ['Enter a valid URL.'] });
    const withCredentials = () =>
      decideRemote(create({ ...minimal, url: 'https://bob:hunter2@registry.example' }), initialRemoteState);
    expect(withCredentials).toThrow(InvalidRemoteError);
    expect(withCredentials).not.toThrow(/hunter2/);
  });

  it('refuses an upstream_name outside the OCI repository name grammar', () => {
    given()
      .when(create({ ...minimal, upstreamName: 'Library/BusyBox' }))
      .thenRefused(InvalidRemoteError);
    given()
      .when(create({ ...minimal, upstreamName: 'library/busybox:latest' }))
      .thenRefused(InvalidRemoteError);
  });

  it('reports every bad field at once, keyed by its Pulp name', () => {
    given()
      .when(
        create({
          ...minimal,
          policy: 'lazy' as never,
          tlsValidation: 'yes' as never,
          includeForeignLayers: null as never,
          downloadConcurrency: 0,
          rateLimit: -1,
          maxRetries: 1.5,
          totalTimeout: -0.1,
          sockReadTimeout: '10' as never,
          includeTags: ['ok', 'has space'],
          excludeTags: 'latest' as never,
          headers: [{ 'Bad Header': 'x' }, { 'X-Ok': 'line\r\nbreak' }],
          pulpLabels: { 'a,b': 'x' },
          platforms: [{ os: 'linux' }, { os: 'linux', architecture: 'amd64', cpu: 'x' }] as never,
          caCert: 'not a certificate',
          password: '',
          name: null as never,
        }),
      )
      .thenRefused(InvalidRemoteError, {
        name: ['This field may not be null.'],
        policy: ['Expected one of immediate, on_demand, streamed.'],
        tls_validation: ['Must be a valid boolean.'],
        include_foreign_layers: ['This field may not be null.'],
        download_concurrency: ['Ensure this value is greater than or equal to 1.'],
        rate_limit: ['Ensure this value is greater than or equal to 0.'],
        max_retries: ['A valid integer is required.'],
        total_timeout: ['Ensure this value is greater than or equal to 0.'],
        sock_read_timeout: ['A valid number is required.'],
        include_tags: [
          'Item 1: Expected a tag pattern: tag characters and the wildcards *, ? and [...], at most 255 characters.',
        ],
        exclude_tags: ['Expected a list of items.'],
        headers: [
          'Item 0: "Bad Header" is not a header name.',
          'Item 1: The value of X-Ok must be a string on one line.',
        ],
        pulp_labels: ['Label "a,b": names hold letters, digits, underscores and spaces only.'],
        platforms: [
          'Item 0: architecture must be a lowercase name such as linux, amd64 or v8.',
          'Item 1: Unexpected cpu.',
        ],
        ca_cert: ['Expected a PEM encoded certificate (-----BEGIN CERTIFICATE----- ...).'],
        password: ['This field may not be blank.'],
      });
  });

  it('refuses fields a remote does not have', () => {
    given()
      .when(create({ ...minimal, colour: 'blue' } as RemoteInput))
      .thenRefused(InvalidRemoteError, { colour: ['Unexpected field.'] });
  });

  it('wants proxy credentials only with a proxy, and both of them', () => {
    given()
      .when(create({ ...minimal, proxyUsername: 'v1:u', proxyPassword: 'v1:p' }))
      .thenRefused(InvalidRemoteError, {
        proxy_url: ['Required when proxy_username or proxy_password is set.'],
      });
    given()
      .when(create({ ...minimal, proxyUrl: 'http://proxy:3128', proxyUsername: 'v1:u' }))
      .thenRefused(InvalidRemoteError, {
        proxy_password: ['proxy_username and proxy_password must be set together.'],
      });
  });

  it('refuses to create a remote twice under one id', () => {
    given(created).when(create(minimal)).thenRefused(RemoteAlreadyExistsError);
  });
});

// ---- updates ------------------------------------------------------------------------------------

describe('updating a remote', () => {
  it('records only the fields that change (PATCH)', () => {
    given(created)
      .when(patch({ url: 'https://quay.io', policy: 'immediate', password: 'v1:sealed' }))
      .then([
        {
          type: 'RemoteUpdated',
          data: { changes: { url: 'https://quay.io', password: 'v1:sealed' }, updatedAt: T1 },
        },
      ]);
  });

  it('records nothing when nothing changes, so a task run twice is harmless', () => {
    given(created)
      .when(patch({ name: 'hub', tlsValidation: true }))
      .then([]);
  });

  it('clears a credential set to null', () => {
    const withPassword = given(created, {
      type: 'RemoteUpdated',
      data: { changes: { username: 'v1:u', password: 'v1:p' }, updatedAt: T1 },
    });
    expect(withPassword.state.fields.password).toBe('v1:p');
    withPassword
      .when(patch({ password: null }))
      .then([{ type: 'RemoteUpdated', data: { changes: { password: null }, updatedAt: T1 } }]);
  });

  it('checks the cross-field rules on the remote as it would be after the change', () => {
    const proxied = given(created, {
      type: 'RemoteUpdated',
      data: {
        changes: { proxyUrl: 'http://proxy:3128', proxyUsername: 'v1:u', proxyPassword: 'v1:p' },
        updatedAt: T1,
      },
    });
    proxied.when(patch({ proxyUrl: null })).thenRefused(InvalidRemoteError, {
      proxy_url: ['Required when proxy_username or proxy_password is set.'],
    });
    proxied.when(patch({ proxyUrl: null, proxyUsername: null, proxyPassword: null })).then([
      {
        type: 'RemoteUpdated',
        data: { changes: { proxyUrl: null, proxyUsername: null, proxyPassword: null }, updatedAt: T1 },
      },
    ]);
  });

  it('wants name, url and upstream_name in a full update (PUT)', () => {
    given(created)
      .when(put({ url: 'https://quay.io' }))
      .thenRefused(InvalidRemoteError, {
        name: ['This field is required.'],
        upstream_name: ['This field is required.'],
      });
    given(created)
      .when(put({ ...minimal, upstreamName: 'library/alpine' }))
      .then([
        { type: 'RemoteUpdated', data: { changes: { upstreamName: 'library/alpine' }, updatedAt: T1 } },
      ]);
  });

  it('validates the changed fields as on creation', () => {
    given(created)
      .when(patch({ url: 'nope', downloadConcurrency: 0 }))
      .thenRefused(InvalidRemoteError, {
        url: ['Enter a valid URL.'],
        download_concurrency: ['Ensure this value is greater than or equal to 1.'],
      });
  });

  it('refuses to update a remote that does not exist or was deleted', () => {
    given()
      .when(patch({ url: 'https://quay.io' }))
      .thenRefused(RemoteNotFoundError);
    given(created, deleted)
      .when(patch({ url: 'https://quay.io' }))
      .thenRefused(RemoteNotFoundError);
  });
});

// ---- deletion -----------------------------------------------------------------------------------

describe('deleting a remote', () => {
  const remove: RemoteCommand = { type: 'DeleteRemote', remoteId, at: T1 };

  it('marks it deleted', () => {
    given(created).when(remove).then([deleted]);
    expect(given(created, deleted).state.deleted).toBe(true);
  });

  it('decides nothing when it is deleted already (a redelivered task)', () => {
    given(created, deleted).when(remove).then([]);
  });

  it('refuses to delete a remote that never existed', () => {
    given().when(remove).thenRefused(RemoteNotFoundError);
  });
});

describe('remote events', () => {
  it('are recognised by type among other streams’ events', () => {
    expect(isRemoteEvent(created)).toBe(true);
    expect(isRemoteEvent({ type: 'RepositoryCreated', data: {} })).toBe(false);
  });

  it('fold into the state reads show', () => {
    const state = given(created, {
      type: 'RemoteUpdated',
      data: { changes: { policy: 'streamed' }, updatedAt: T1 },
    }).state;
    expect(state).toMatchObject({ exists: true, deleted: false, remoteId, createdAt: T0, updatedAt: T1 });
    expect(state.fields.policy).toBe('streamed');
    expect(state.fields.name).toBe('hub');
  });
});
