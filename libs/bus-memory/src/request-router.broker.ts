import { compileSubjectFilter } from './subject.util.js';

export type RequestHandler = (data: unknown, headers: Readonly<Record<string, string>>) => Promise<unknown>;

interface Route {
  readonly matches: (subject: string) => boolean;
  readonly handler: RequestHandler;
}

/** Live request handlers. Like a NATS queue group, each request goes to one of the handlers that match. */
export class RequestRouter {
  private routes: Route[] = [];
  private rotation = 0;

  /** Returns the function that removes the handler again. */
  add(subjectFilter: string, handler: RequestHandler): () => void {
    const route: Route = { matches: compileSubjectFilter(subjectFilter), handler };
    this.routes.push(route);
    return () => {
      this.routes = this.routes.filter((r) => r !== route);
    };
  }

  /** One matching handler, rotating between them so load spreads; undefined when nobody answers. */
  route(subject: string): RequestHandler | undefined {
    const candidates = this.routes.filter((r) => r.matches(subject));
    if (candidates.length === 0) return undefined;
    return candidates[this.rotation++ % candidates.length]!.handler;
  }
}
