import { RequestMethod, type Type } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { MetadataScanner } from '@nestjs/core';
import { API_ROOT } from '../hrefs.js';
import type { HttpVerb } from './openapi.types.js';

/** One request handler of a controller, as Nest routes it. */
export interface RouteHandler {
  readonly controller: Type;
  /** `Controller.method`, for messages. */
  readonly name: string;
  readonly handler: object;
  readonly verb: HttpVerb | undefined;
  /** Full route paths with Nest's parameter syntax, e.g. `/pulp/api/v3/tasks/:id`. */
  readonly paths: readonly string[];
  /** The status a successful call answers with (Nest: 201 for POST, else 200, unless @HttpCode says). */
  readonly successStatus: number;
}

const VERBS: Partial<Record<RequestMethod, HttpVerb>> = {
  [RequestMethod.GET]: 'get',
  [RequestMethod.POST]: 'post',
  [RequestMethod.PUT]: 'put',
  [RequestMethod.DELETE]: 'delete',
  [RequestMethod.PATCH]: 'patch',
  [RequestMethod.HEAD]: 'head',
  [RequestMethod.OPTIONS]: 'options',
};

const scanner = new MetadataScanner();

function pathsIn(metadata: unknown): string[] {
  if (metadata === undefined) return [''];
  return Array.isArray(metadata) ? metadata.map(String) : [String(metadata)];
}

function joinPath(controllerPath: string, handlerPath: string): string {
  const joined = `/${controllerPath}/${handlerPath}`.replace(/\/{2,}/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

/** Every path a handler answers on: the controller's paths times the handler's. */
export function routePaths(controller: object, handler: object): string[] {
  const controllerPaths = pathsIn(Reflect.getMetadata(PATH_METADATA, controller));
  const handlerPaths = pathsIn(Reflect.getMetadata(PATH_METADATA, handler));
  return controllerPaths.flatMap((c) => handlerPaths.map((h) => joinPath(c, h)));
}

export function isPulpApiPath(path: string): boolean {
  return `${path}/`.startsWith(API_ROOT);
}

export function routeHandlersOf(controller: Type): RouteHandler[] {
  const prototype = controller.prototype as Record<string, unknown>;
  return scanner.getAllMethodNames(prototype).flatMap((methodName) => {
    const handler = prototype[methodName] as object;
    const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
    if (method === undefined) return [];
    const verb = VERBS[method];
    const httpCode = Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined;
    return [
      {
        controller,
        name: `${controller.name}.${methodName}`,
        handler,
        verb,
        paths: routePaths(controller, handler),
        successStatus: httpCode ?? (verb === 'post' ? 201 : 200),
      },
    ];
  });
}
