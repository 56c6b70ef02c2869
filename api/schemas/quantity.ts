import { z } from 'zod';

/** Units of one product on one line: a whole number from 1 to 10,000 (API.md "Orders"). */
export const quantity = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(10_000, 'must be at most 10000');
