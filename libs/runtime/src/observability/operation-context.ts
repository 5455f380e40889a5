import { context, ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import { extractTraceContext, OPERATION_KEY, traceHeaders } from './trace-context.js';

/**
 * Who and what the code running now works for: the HTTP request that started it, the user behind it, the
 * task running it. It travels with the trace context — in bus message headers and in the metadata of every
 * stored event, under these same names — so log lines, events and audit records of every service name it.
 */
export interface Operation {
  requestId?: string;
  /** The API user, or the registry client's identity. Never a secret. */
  actor?: string;
  taskId?: string;
}

/** Header and event-metadata names of the operation's fields; the trace travels as `traceparent`/`tracestate`. */
const FIELDS = ['requestId', 'actor', 'taskId'] as const satisfies readonly (keyof Operation)[];
const FIELD_LENGTH_LIMIT = 200;

export function currentOperation(active: Context = context.active()): Readonly<Operation> | undefined {
  return active.getValue(OPERATION_KEY) as Operation | undefined;
}

/** A context whose operation is the current one with `fields` added (a new object: the parent stays as it was). */
export function withOperation(fields: Operation, active: Context = context.active()): Context {
  return active.setValue(OPERATION_KEY, { ...currentOperation(active), ...definedFields(fields) });
}

/** Runs `fn` inside `active`. */
export function runInContext<T>(active: Context, fn: () => T): T {
  return context.with(active, fn);
}

/**
 * Names the actor of the operation of `active` once it is known (after authentication). Changes the operation
 * object shared by the rest of that request, which is why only the code that owns the request calls it.
 */
export function setActor(actor: string, active: Context = context.active()): void {
  const operation = currentOperation(active) as Operation | undefined;
  if (operation) operation.actor = definedFields({ actor }).actor;
}

/** What a message or request leaving this process carries: the trace context and the operation's fields. */
export function operationHeaders(active: Context = context.active()): Record<string, string> {
  const headers = traceHeaders(active);
  const operation = currentOperation(active);
  for (const field of FIELDS) {
    const value = operation?.[field];
    if (value) headers[field] = value;
  }
  return headers;
}

/** The context a received message or stored event describes, on top of `base`. */
export function contextFromHeaders(
  headers: Readonly<Record<string, string | undefined>>,
  base: Context = context.active(),
): Context {
  const fields: Operation = {};
  for (const field of FIELDS) {
    const value = headers[field];
    if (value) fields[field] = value;
  }
  return withOperation(fields, extractTraceContext(headers, base));
}

// Values come from outside (a client's X-Request-Id): bounded and single-line before they reach logs and headers.
function definedFields(fields: Operation): Operation {
  const result: Operation = {};
  for (const field of FIELDS) {
    const value = fields[field];
    if (value) result[field] = value.replace(/[\r\n]/g, ' ').slice(0, FIELD_LENGTH_LIMIT);
  }
  return result;
}

/**
 * Runs `fn` outside any operation and trace: for background work (scheduling passes, relays) that a request
 * merely woke up and that must not be attributed to it.
 */
export function runDetached<T>(fn: () => T): T {
  return context.with(ROOT_CONTEXT, fn);
}
