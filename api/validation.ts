import type { z } from 'zod';
import { DomainError } from '../domain/errors';

/** Where in the request a value came from; reported with each validation problem. */
export type InputLocation = 'body' | 'query' | 'params' | 'headers';

/** Parses one part of a request, turning schema problems into 400 VALIDATION_ERROR. */
export function parseInput<S extends z.ZodType>(location: InputLocation, schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationError(parsed.error, location);
  return parsed.data;
}

/** `details` = `[{ path, location, message }]`, path dotted (`items.0.quantity`). */
export function validationError(error: z.ZodError, location?: InputLocation): DomainError {
  const detail = (path: PropertyKey[], message: string) => ({
    path: path.map(String).join('.'),
    ...(location ? { location } : {}),
    message,
  });
  // An unknown field is reported at its own path, so clients see which field to drop.
  const details = error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => detail([...issue.path, key], 'is not a known field'))
      : [detail(issue.path, issue.message)],
  );
  const first = details[0];
  const summary = first ? `${first.path || location || 'request'}: ${first.message}` : 'the request is not valid';
  return new DomainError('VALIDATION_ERROR', summary, details);
}
