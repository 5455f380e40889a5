import { SetMetadata } from '@nestjs/common';

const PUBLIC = 'wharf:public';

/** Lets anonymous callers in: only `status/` and `docs/` are public, as in Pulp. */
export function Public(): MethodDecorator & ClassDecorator {
  return SetMetadata(PUBLIC, true);
}

export function isPublic(controller: object, handler: object): boolean {
  return Reflect.getMetadata(PUBLIC, handler) === true || Reflect.getMetadata(PUBLIC, controller) === true;
}
