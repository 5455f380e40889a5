import type { LoggerService, LogLevel } from '@nestjs/common';
import { currentOperation } from './operation-context.js';
import { activeTraceId } from './trace-context.js';

export type LogFormat = 'json' | 'text';

type Write = (line: string) => void;

/**
 * The Nest logger of every Wharf process. `json`: one object per line — time, level, service, context,
 * message, and requestId / taskId / traceId / actor when the code logging runs for a request or a task — for
 * log collectors. `text`: the same facts on one readable line. Messages are what the code wrote; secrets
 * never reach them (settings print `[redacted]`, credentials are sealed before they are stored).
 */
export class WharfLogger implements LoggerService {
  constructor(
    private readonly service: string,
    private readonly format: LogFormat,
    private readonly write: Write = (line) => process.stdout.write(line + '\n'),
    private readonly writeError: Write = (line) => process.stderr.write(line + '\n'),
  ) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.print('log', message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.print('error', message, rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.print('warn', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.print('debug', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.print('verbose', message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.print('fatal', message, rest);
  }

  private print(level: LogLevel, message: unknown, rest: unknown[]): void {
    // Nest's convention: the last string argument is the context; error() may carry a stack before it.
    const params = [...rest];
    const context = typeof params[params.length - 1] === 'string' ? (params.pop() as string) : undefined;
    const stack =
      level === 'error' || level === 'fatal'
        ? params.find((p): p is string => typeof p === 'string' && p.includes('\n    at '))
        : undefined;
    const operation = currentOperation();
    const fields = {
      time: new Date().toISOString(),
      level,
      service: this.service,
      ...(context ? { context } : {}),
      message: messageText(message),
      ...(operation?.requestId ? { requestId: operation.requestId } : {}),
      ...(operation?.taskId ? { taskId: operation.taskId } : {}),
      ...(activeTraceId() ? { traceId: activeTraceId() } : {}),
      ...(operation?.actor ? { actor: operation.actor } : {}),
      ...(stack ? { stack } : {}),
    };
    const line = this.format === 'json' ? JSON.stringify(fields) : textLine(fields);
    if (level === 'error' || level === 'fatal' || level === 'warn') this.writeError(line);
    else this.write(line);
  }
}

function messageText(message: unknown): string {
  if (typeof message === 'string') return message;
  if (message instanceof Error) return message.stack ?? message.message;
  try {
    return JSON.stringify(message);
  } catch {
    return String(message);
  }
}

function textLine(fields: Record<string, string | undefined>): string {
  const { time, level, service, context, message, stack, ...ids } = fields;
  const where = context ? `${service} [${context}]` : service;
  const tail = Object.entries(ids)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  return `${time} ${level!.toUpperCase().padEnd(7)} ${where} ${message}${tail ? `  (${tail})` : ''}${stack ? `\n${stack}` : ''}`;
}
