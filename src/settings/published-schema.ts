/**
 * The JSON schemas published in schemas/ are generated from the zod schemas that validate the files, so the two
 * cannot drift. One function for all of them: same options, same header, same formatting.
 */
import { type ZodType, z } from 'zod';

export function publishedSchema(schema: ZodType, file: string, title: string, description: string): string {
  const document = {
    ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }),
    $id: `https://autodisco.invalid/schemas/${file}`,
    title,
    description,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
