import { describe, expect, it } from 'vitest';
import { DigestMismatchError, RegistryAuthError, RegistryError } from './registry.errors.js';

const digest = `sha256:${'a'.repeat(64)}`;

describe('registry errors', () => {
  it('name the operation, repository, reference and registry with status and code', () => {
    const error = new RegistryError(
      'http://127.0.0.1:5000',
      { method: 'GET', object: 'manifest', repository: 'library/alpine', reference: '3.19' },
      { status: 404, code: 'MANIFEST_UNKNOWN', registryMessage: 'manifest unknown' },
    );
    expect(error.message).toBe(
      'GET manifest library/alpine:3.19 from http://127.0.0.1:5000: 404 MANIFEST_UNKNOWN',
    );
    expect(error).toMatchObject({
      status: 404,
      code: 'MANIFEST_UNKNOWN',
      repository: 'library/alpine',
      reference: '3.19',
    });
  });

  it('write digest references with @ and add the reason', () => {
    const error = new RegistryAuthError(
      'https://r.example',
      { method: 'HEAD', object: 'blob', repository: 'x/y', reference: digest },
      { status: 401, reason: 'the registry requires credentials' },
    );
    expect(error.message).toBe(
      `HEAD blob x/y@${digest} from https://r.example: 401 (the registry requires credentials)`,
    );
    expect(error).toBeInstanceOf(RegistryError);
    expect(error.name).toBe('RegistryAuthError');
  });

  it('say which digest was expected and which arrived', () => {
    const actual = `sha256:${'b'.repeat(64)}`;
    const error = new DigestMismatchError(
      'https://r.example',
      { method: 'GET', object: 'blob', repository: 'x', reference: digest },
      digest,
      actual,
    );
    expect(error.message).toBe(
      `GET blob x@${digest} from https://r.example: content digest is ${actual}, expected ${digest}`,
    );
  });
});
