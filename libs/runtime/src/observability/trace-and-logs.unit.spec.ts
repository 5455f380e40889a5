import { describe, expect, it } from 'vitest';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { loadSettings, SettingsError } from '../settings.js';
import { contextFromHeaders, operationHeaders, runInContext, withOperation } from './operation-context.js';
import { registerTraceContext } from './trace-context.js';
import { WharfLogger } from './wharf-logger.js';

registerTraceContext();

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

function capture(format: 'json' | 'text') {
  const lines: string[] = [];
  const logger = new WharfLogger(
    'content',
    format,
    (l) => lines.push(l),
    (l) => lines.push(l),
  );
  return { logger, lines };
}

describe('trace context and operation fields', () => {
  it('carries traceparent, tracestate and the operation through headers unchanged', () => {
    const active = contextFromHeaders(
      { traceparent: TRACEPARENT, tracestate: 'vendor=x', requestId: 'r-1', actor: 'alice', taskId: 't-1' },
      ROOT_CONTEXT,
    );
    expect(operationHeaders(active)).toEqual({
      traceparent: TRACEPARENT,
      tracestate: 'vendor=x',
      requestId: 'r-1',
      actor: 'alice',
      taskId: 't-1',
    });
  });

  it('ignores a malformed or all-zero traceparent', () => {
    for (const traceparent of [
      'garbage',
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-${TRACE_ID}-xyz-01`,
    ]) {
      expect(operationHeaders(contextFromHeaders({ traceparent }, ROOT_CONTEXT))).toEqual({});
    }
  });

  it('keeps client-supplied values on one bounded line', () => {
    const active = withOperation({ requestId: `a\r\nb${'x'.repeat(500)}` }, ROOT_CONTEXT);
    const { requestId } = operationHeaders(active);
    expect(requestId).not.toMatch(/[\r\n]/);
    expect(requestId!.length).toBeLessThanOrEqual(200);
  });
});

describe('WharfLogger', () => {
  it('writes one JSON object per line with the ids of the operation it runs for', () => {
    const { logger, lines } = capture('json');
    runInContext(
      contextFromHeaders({ traceparent: TRACEPARENT, requestId: 'r-1', taskId: 't-1' }, ROOT_CONTEXT),
      () => logger.warn('task t-1 failed', 'content-tasks'),
    );
    logger.log('outside any request');
    const [inside, outside] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(inside).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      level: 'warn',
      service: 'content',
      context: 'content-tasks',
      message: 'task t-1 failed',
      requestId: 'r-1',
      taskId: 't-1',
      traceId: TRACE_ID,
    });
    expect(outside).toEqual({
      time: expect.any(String),
      level: 'log',
      service: 'content',
      message: 'outside any request',
    });
  });

  it('keeps a multi-line message and an error stack inside one JSON line', () => {
    const { logger, lines } = capture('json');
    logger.error('failed:\nsecond line', 'Error: boom\n    at somewhere (file.js:1:1)', 'ctx');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'error',
      context: 'ctx',
      stack: expect.stringContaining('boom'),
    });
  });

  it('writes the same facts on a readable line in text format', () => {
    const { logger, lines } = capture('text');
    runInContext(withOperation({ requestId: 'r-2' }, ROOT_CONTEXT), () => logger.log('hello', 'api'));
    expect(lines[0]).toMatch(/^\S+ LOG +content \[api\] hello {2}\(requestId=r-2\)$/);
  });
});

describe('observability settings', () => {
  const defaults = {
    bus: 'memory',
    eventStore: 'sqlite',
    blobStore: 'fs',
    httpPortVariable: 'X',
    httpPort: 0,
  } as const;

  it('logs JSON by default on NATS (several services) and text alone, unless WHARF_LOG_FORMAT says', () => {
    expect(loadSettings({}, defaults).logFormat).toBe('text');
    expect(loadSettings({ NATS_URL: 'nats://localhost:4222' }, { ...defaults, bus: 'nats' }).logFormat).toBe(
      'json',
    );
    expect(loadSettings({ WHARF_LOG_FORMAT: 'json' }, defaults).logFormat).toBe('json');
  });

  it('takes webhook URLs with a secret, and names the variable of a bad one', () => {
    const settings = loadSettings(
      {
        WHARF_AUDIT_WEBHOOKS: 'https://a.example/hook, http://b.example/x',
        WHARF_AUDIT_WEBHOOK_SECRET: 's3cret',
      },
      defaults,
    );
    expect(settings.auditWebhooks.map((w) => w.url)).toEqual([
      'https://a.example/hook',
      'http://b.example/x',
    ]);
    expect(JSON.stringify(settings)).not.toContain('s3cret');
    expect(() => loadSettings({ WHARF_AUDIT_WEBHOOKS: 'https://a.example/hook' }, defaults)).toThrow(
      /WHARF_AUDIT_WEBHOOK_SECRET/,
    );
    expect(() =>
      loadSettings({ WHARF_AUDIT_WEBHOOKS: 'ftp://a.example', WHARF_AUDIT_WEBHOOK_SECRET: 's' }, defaults),
    ).toThrow(SettingsError);
  });
});
