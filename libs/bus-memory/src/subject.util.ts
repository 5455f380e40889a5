/**
 * Subject rules shared by every part of the in-memory broker. They follow NATS so that code written against
 * the in-process bus behaves the same on JetStream: tokens separated by dots, `*` matches one token and `>`
 * (only as the last token) matches one or more.
 */
const CONCRETE_TOKEN = /^[^\s.*>]+$/;

/** Subjects that messages are sent to: no wildcards, no empty tokens. */
export function assertConcreteSubject(subject: string, purpose: string): void {
  if (!subject.split('.').every((token) => CONCRETE_TOKEN.test(token))) {
    throw new Error(`${purpose} subject '${subject}' must be dot-separated tokens without wildcards`);
  }
}

/** Returns a predicate telling whether a subject falls under `filter`. */
export function compileSubjectFilter(filter: string): (subject: string) => boolean {
  const pattern = filter.split('.');
  const valid = pattern.every(
    (token, index) =>
      CONCRETE_TOKEN.test(token) || token === '*' || (token === '>' && index === pattern.length - 1),
  );
  if (!valid) {
    throw new Error(`subject filter '${filter}' must be dot-separated tokens, '*', or a final '>'`);
  }
  return (subject) => {
    const tokens = subject.split('.');
    for (let i = 0; i < pattern.length; i++) {
      if (pattern[i] === '>') return tokens.length > i;
      if (i >= tokens.length || (pattern[i] !== '*' && pattern[i] !== tokens[i])) return false;
    }
    return tokens.length === pattern.length;
  };
}

const SUBSCRIBER_NAME = /^[A-Za-z0-9_-]+$/;

/** Subscriber names become JetStream durable names on NATS, so the in-process bus holds them to the same rule. */
export function assertSubscriberName(name: string): void {
  if (!SUBSCRIBER_NAME.test(name)) {
    throw new Error(`subscriber name '${name}' may contain only letters, digits, '-' and '_'`);
  }
}
