export * from './gateway.module.js';
export * from './openapi/pulp-operation.decorator.js';
export * from './openapi/query-parameters.js';
export * from './openapi/openapi.types.js';
export * from './openapi/openapi-generator.js';
export * from './openapi/render-openapi.js';
export * from './auth/public.decorator.js';
