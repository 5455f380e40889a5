import { JsonObjectReader } from './json-object.reader.js';

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

function decodeBase64Url(reader: JsonObjectReader, key: string, value: string): Uint8Array {
  if (!BASE64URL.test(value)) throw reader.invalid(key, 'not base64url');
  return Buffer.from(value, 'base64url');
}

interface PayloadFormat {
  readonly length: number;
  readonly tail: Uint8Array;
}

function readPayloadFormat(signature: JsonObjectReader): PayloadFormat {
  const encoded = decodeBase64Url(signature, 'protected', signature.requiredString('protected'));
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(encoded));
  } catch {
    throw signature.invalid('protected', 'not a base64url-encoded JSON object');
  }
  const protectedHeader = JsonObjectReader.of(header, signature.pathOf('protected'));
  const length = protectedHeader.optionalNumber('formatLength');
  if (length === undefined || !Number.isSafeInteger(length) || length < 0) {
    throw protectedHeader.invalid('formatLength', 'missing or not a non-negative integer');
  }
  const tail = decodeBase64Url(protectedHeader, 'formatTail', protectedHeader.requiredString('formatTail'));
  return { length, tail };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((byte, index) => byte === b[index]);
}

/**
 * The signed payload of a schema 1 manifest in JWS "pretty" form (libtrust's format): the signer cut the
 * manifest's JSON before its closing brace, appended a `signatures` array, and recorded in each signature's
 * protected header where it cut (`formatLength`) and what it cut off (`formatTail`). The payload is therefore
 * `bytes[0, formatLength) + formatTail`, and every signature must agree on both.
 *
 * Signatures are checked for form, not verified cryptographically: schema 1 keys are ad-hoc keys that vouch
 * for nobody, and the content's integrity is what the manifest digest (taken over this payload) guarantees.
 */
export function signedSchema1Payload(bytes: Uint8Array, root: JsonObjectReader): Uint8Array {
  const signatures = root.requiredObjectArray('signatures');
  const formats = signatures.map((signature) => {
    signature.requiredString('signature');
    signature.requiredObject('header').requiredString('alg');
    return readPayloadFormat(signature);
  });
  const [format] = formats;
  if (!format) throw root.invalid('signatures', 'empty; a signed manifest needs one or more');
  formats.forEach((other, index) => {
    if (other.length !== format.length || !sameBytes(other.tail, format.tail)) {
      throw signatures[index].invalid('protected', 'formatLength/formatTail disagree with signatures[0]');
    }
  });
  if (format.length > bytes.byteLength) {
    throw signatures[0].invalid('protected', `formatLength exceeds the manifest's ${bytes.byteLength} bytes`);
  }
  const payload = new Uint8Array(format.length + format.tail.byteLength);
  payload.set(bytes.subarray(0, format.length));
  payload.set(format.tail, format.length);
  return payload;
}
