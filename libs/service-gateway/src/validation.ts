import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { FieldValidationException } from './pulp-exception.filter.js';

/** class-validator failures → `{"field": ["message", ...]}`, worded as Pulp words them where it matters. */
function fieldErrors(errors: ValidationError[], prefix = ''): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const error of errors) {
    const field = `${prefix}${error.property}`;
    const constraints = error.constraints ?? {};
    const messages = Object.entries(constraints).map(([key, message]) => {
      if (key === 'whitelistValidation') return 'Unexpected field.';
      if (error.value === undefined) return 'This field is required.';
      return message;
    });
    if (messages.length) out[field] = [...new Set(messages)];
    Object.assign(out, fieldErrors(error.children ?? [], `${field}.`));
  }
  return out;
}

export const pulpValidationPipe = new ValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  exceptionFactory: (errors) => new FieldValidationException(fieldErrors(errors)),
});
