import { describe, expect, it } from 'vitest';
import { NatsLayout, natsStreamNames } from './nats-layout.util.js';

describe('NatsLayout', () => {
  const layout = new NatsLayout('wharf');

  it('puts commands, events and requests under the prefix and maps them back', () => {
    expect(layout.commandSubject('repository.sync')).toBe('wharf.cmd.repository.sync');
    expect(layout.eventSubject('repository.>')).toBe('wharf.evt.repository.>');
    expect(layout.requestSubject('repository.get')).toBe('wharf.req.repository.get');
    expect(layout.portSubject('wharf.evt.repository.created')).toBe('repository.created');
    expect(natsStreamNames('wharf')).toEqual({ commands: 'wharf-commands', events: 'wharf-events' });
  });

  it('names command consumers validly and apart for subjects that differ only in punctuation', () => {
    const dotted = layout.commandConsumer('repository.sync');
    const underscored = layout.commandConsumer('repository_sync');

    expect(dotted).toMatch(/^cmd-repository_sync-[0-9a-f]{8}$/);
    expect(underscored).not.toBe(dotted);
    expect(layout.commandConsumer('repository.sync')).toBe(dotted);
  });

  it('refuses a prefix that cannot be a subject token and part of a stream name', () => {
    expect(() => new NatsLayout('wharf.prod')).toThrow("stream prefix 'wharf.prod'");
  });
});
