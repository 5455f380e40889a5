import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import {
  context,
  createContextKey,
  createTraceState,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
  type Context,
  type ContextManager,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';

/**
 * Trace context on the OpenTelemetry API, without its SDK: an AsyncLocalStorage context manager and a W3C
 * `traceparent`/`tracestate` propagator, both registered globally once per process. @opentelemetry/core ships
 * both, but its releases need Node 22; these are small and follow the W3C Trace Context spec. When an
 * OpenTelemetry SDK is registered too (see docs/operations.md), its tracer makes real spans under this context.
 */

const TRACEPARENT = 'traceparent';
const TRACESTATE = 'tracestate';
const TRACEPARENT_FORMAT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const INVALID_TRACE_ID = /^0+$/;

class AsyncLocalStorageContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    active: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(active, () => fn.call(thisArg, ...args));
  }

  bind<T>(active: Context, target: T): T {
    if (typeof target !== 'function') return target;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const manager = this;
    return function (this: unknown, ...args: unknown[]) {
      return manager.with(active, () => (target as (...a: unknown[]) => unknown).apply(this, args));
    } as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.storage.disable();
    return this;
  }
}

class W3CTraceContextPropagator implements TextMapPropagator {
  inject(active: Context, carrier: unknown, setter: TextMapSetter): void {
    const span = trace.getSpanContext(active);
    if (!span || !isSpanContextValid(span)) return;
    const flags = (span.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
    setter.set(carrier, TRACEPARENT, `00-${span.traceId}-${span.spanId}-${flags}`);
    const state = span.traceState?.serialize();
    if (state) setter.set(carrier, TRACESTATE, state);
  }

  extract(active: Context, carrier: unknown, getter: TextMapGetter): Context {
    const header = first(getter.get(carrier, TRACEPARENT));
    const match = header ? TRACEPARENT_FORMAT.exec(header.trim()) : null;
    if (!match) return active;
    const [, traceId, spanId, flags] = match as unknown as [string, string, string, string];
    if (INVALID_TRACE_ID.test(traceId) || INVALID_TRACE_ID.test(spanId)) return active;
    const state = first(getter.get(carrier, TRACESTATE));
    return trace.setSpanContext(active, {
      traceId,
      spanId,
      traceFlags: parseInt(flags, 16) & TraceFlags.SAMPLED,
      isRemote: true,
      ...(state ? { traceState: createTraceState(state) } : {}),
    });
  }

  fields(): string[] {
    return [TRACEPARENT, TRACESTATE];
  }
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

let registered = false;

/** Registers the context manager and propagator unless another (an SDK's) was registered first. */
export function registerTraceContext(): void {
  if (registered) return;
  registered = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

const recordGetter: TextMapGetter<Readonly<Record<string, string | string[] | undefined>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key] ?? carrier[key.toLowerCase()],
};

const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** The trace context `headers` carry, on top of `base`. */
export function extractTraceContext(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  base: Context = context.active(),
): Context {
  return propagation.extract(base, headers, recordGetter);
}

/** `traceparent` (and `tracestate`) of the active context, for a message or request leaving the process. */
export function traceHeaders(active: Context = context.active()): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(active, headers, recordSetter);
  return headers;
}

/**
 * A context with a trace when `active` has none: a new trace id and span id, not sampled. Every request then
 * has a trace id that logs of every service it reaches share, even with no tracing backend.
 */
export function ensureTrace(active: Context): Context {
  if (trace.getSpanContext(active)) return active;
  return trace.setSpanContext(active, {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    traceFlags: TraceFlags.NONE,
    isRemote: true,
  });
}

/** The active trace id, for log lines; undefined outside any trace. */
export function activeTraceId(): string | undefined {
  const span = trace.getSpanContext(context.active());
  return span && isSpanContextValid(span) ? span.traceId : undefined;
}

export const OPERATION_KEY = createContextKey('wharf.operation');
