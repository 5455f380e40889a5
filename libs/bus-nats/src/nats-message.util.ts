import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { RemoteError } from '@wharf/ports';

/** NATS and JetStream put their own headers (Nats-Msg-Id, Nats-Expected-*) under this prefix. */
const NATS_HEADER_PREFIX = 'nats-';
/** Where JetStream keeps the id a message was published with (the dedupe key). */
export const MESSAGE_ID_HEADER = 'Nats-Msg-Id';
/** Marks a reply that carries a request handler's error instead of its result. */
export const REPLY_ERROR_HEADER = 'Wharf-Reply-Error';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** JSON bytes; `undefined` travels as an empty payload so it arrives as `undefined` again. */
export function encodeJson(data: unknown, subject: string): Uint8Array {
  let text: string | undefined;
  try {
    text = JSON.stringify(data);
  } catch (error) {
    throw new Error(`payload for '${subject}' is not JSON-serializable: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return text === undefined ? new Uint8Array() : encoder.encode(text);
}

export function decodeJson<T>(bytes: Uint8Array): T {
  return (bytes.length === 0 ? undefined : JSON.parse(decoder.decode(bytes))) as T;
}

export function toNatsHeaders(headers: Readonly<Record<string, string>> | undefined): MsgHdrs {
  const result = natsHeaders();
  for (const [name, value] of Object.entries(headers ?? {})) result.set(name, value);
  return result;
}

/** The application's headers, without the ones NATS and Wharf use for transport. */
export function fromNatsHeaders(headers: MsgHdrs | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name of headers?.keys() ?? []) {
    const lower = name.toLowerCase();
    if (lower.startsWith(NATS_HEADER_PREFIX) || lower === REPLY_ERROR_HEADER.toLowerCase()) continue;
    result[name] = headers!.get(name);
  }
  return result;
}

interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly details?: unknown;
}

export function encodeError(thrown: unknown): Uint8Array {
  if (!(thrown instanceof Error)) {
    return encodeJson({ name: 'Error', message: String(thrown) }, 'error reply');
  }
  const error: SerializedError = { name: thrown.name, message: thrown.message };
  try {
    return encodeJson({ ...error, details: (thrown as { details?: unknown }).details }, 'error reply');
  } catch {
    // Details JSON cannot carry (a cycle, a BigInt) must not hide the error itself.
    return encodeJson(error, 'error reply');
  }
}

export function decodeError(bytes: Uint8Array): RemoteError {
  const error = decodeJson<SerializedError>(bytes);
  return new RemoteError(error.name, error.message, error.details);
}
