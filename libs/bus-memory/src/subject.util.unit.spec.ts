import { describe, expect, it } from 'vitest';
import { assertConcreteSubject, assertSubscriberName, compileSubjectFilter } from './subject.util.js';

describe('subject filters (NATS semantics)', () => {
  it.each([
    ['repo.created', 'repo.created', true],
    ['repo.created', 'repo.deleted', false],
    ['repo.*', 'repo.created', true],
    ['repo.*', 'repo.version.created', false],
    ['*.created', 'repo.created', true],
    ['repo.>', 'repo.created', true],
    ['repo.>', 'repo.version.created', true],
    ['repo.>', 'repo', false],
    ['repo.>', 'repository.created', false],
    ['>', 'anything.at.all', true],
  ])('%s matches %s: %s', (filter, subject, expected) => {
    expect(compileSubjectFilter(filter)(subject)).toBe(expected);
  });

  it.each(['repo.>.created', 'repo..created', '', 'repo created', 'repo.cr*'])(
    'rejects the malformed filter %j',
    (filter) => {
      expect(() => compileSubjectFilter(filter)).toThrow(/subject filter/);
    },
  );

  it('rejects wildcards where a message is sent', () => {
    expect(() => assertConcreteSubject('repo.*', 'event')).toThrow("event subject 'repo.*'");
    expect(() => assertConcreteSubject('repo.created', 'event')).not.toThrow();
  });

  it('accepts subscriber names that can serve as JetStream durable names only', () => {
    expect(() => assertSubscriberName('audit_v2-log')).not.toThrow();
    expect(() => assertSubscriberName('audit.log')).toThrow("subscriber name 'audit.log'");
  });
});
