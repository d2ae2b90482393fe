/** The API's own shapes (the records themselves are src/settings/schema.ts), for validation and the OpenAPI file. */
import { z } from 'zod';

export const listQuery = z.strictObject({
  search: z.string().max(320).optional(),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const problem = z.object({ path: z.string(), message: z.string() });

export const errorBody = z.object({
  error: z
    .string()
    .describe('a fixed code: unauthenticated, csrf, invalid, not-found, exists, conflict, busy, rate-limited'),
  message: z.string(),
  problems: z.array(problem).optional(),
});

export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int(), offset: z.number().int(), limit: z.number().int() });
