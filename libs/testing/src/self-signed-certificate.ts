import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireBinary } from './servers.js';

export interface SelfSignedCertificate {
  readonly certificatePath: string;
  readonly keyPath: string;
  /** PEM of the certificate: what a client passes as its trusted CA. */
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

export interface SelfSignedCertificateOptions {
  readonly commonName: string;
  /** Adds an IP subjectAltName so TLS clients accept the certificate for that address. */
  readonly ipAddress?: string;
}

/**
 * An ECDSA P-256 key and a self-signed certificate for it, written into `directory`. node:crypto cannot
 * create X.509 certificates, so Debian's openssl does it.
 */
export function createSelfSignedCertificate(
  directory: string,
  name: string,
  options: SelfSignedCertificateOptions,
): SelfSignedCertificate {
  const openssl = requireBinary('openssl', 'openssl');
  const certificatePath = join(directory, `${name}.crt`);
  const keyPath = join(directory, `${name}.key`);
  const args = [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${options.commonName}`,
    '-keyout',
    keyPath,
    '-out',
    certificatePath,
  ];
  if (options.ipAddress) args.push('-addext', `subjectAltName=IP:${options.ipAddress}`);
  execFileSync(openssl, args, { stdio: 'pipe' });
  return {
    certificatePath,
    keyPath,
    certificatePem: readFileSync(certificatePath, 'utf8'),
    privateKeyPem: readFileSync(keyPath, 'utf8'),
  };
}
