import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ROOT_CONTEXT, SpanKind, trace, type Context } from '@opentelemetry/api';
import { httpRequestDuration } from './metrics.js';
import { runInContext, setActor, withOperation } from './operation-context.js';
import { ensureTrace, extractTraceContext } from './trace-context.js';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** Which server answered, as the latency metric's `server` label. */
export type HttpServerName = 'api' | 'registry';

const routes = new WeakMap<ServerResponse, string>();
const contexts = new WeakMap<IncomingMessage, Context>();

/**
 * Names the route template that answers `response` (`/pulp/api/v3/tasks/:id/`, `manifest`), the only path
 * the latency metric shows: raw paths would make a series per repository and digest.
 */
export function setHttpRoute(response: ServerResponse, template: string): void {
  routes.set(response, template);
}

/** The context a request runs in, for code that runs after the stream events that lost it (body parsing). */
export function requestContext(request: IncomingMessage): Context | undefined {
  return contexts.get(request);
}

/** Names who made `request` once authentication knows: its log lines, messages and events carry it. */
export function setRequestActor(request: IncomingMessage, actor: string): void {
  const active = contexts.get(request);
  if (active) setActor(actor, active);
}

/**
 * Runs `handle` for one HTTP exchange inside the request's context: the client's `X-Request-Id` (or a new
 * one), echoed on the response; the `traceparent` it sent (or a new trace); a server span when an
 * OpenTelemetry SDK is registered. Records the exchange's latency when the response ends.
 */
export function observeHttpExchange<T>(
  server: HttpServerName,
  request: IncomingMessage,
  response: ServerResponse,
  handle: () => T,
): T {
  const given = request.headers['x-request-id'];
  const requestId = (Array.isArray(given) ? given[0] : given)?.trim() || randomUUID();
  const traced = ensureTrace(extractTraceContext(request.headers, ROOT_CONTEXT));
  const span = trace
    .getTracer('wharf')
    .startSpan(
      `${request.method} ${server}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method ?? '' } },
      traced,
    );
  const active = withOperation({ requestId }, trace.setSpan(traced, span));
  contexts.set(request, active);
  response.setHeader(REQUEST_ID_HEADER, requestId.replace(/[^\x20-\x7e]/g, '').slice(0, 200));
  const stop = httpRequestDuration.startTimer();
  response.once('close', () => {
    const route = routes.get(response) ?? 'unmatched';
    const labels = { server, method: request.method ?? 'OTHER', route, status: String(response.statusCode) };
    stop(labels);
    span.setAttribute('http.route', route);
    span.setAttribute('http.response.status_code', response.statusCode);
    span.end();
  });
  return runInContext(active, handle);
}
