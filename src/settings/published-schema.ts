/**
 * The JSON schemas published in schemas/ are generated from the zod schemas that validate the files, so the two
 * cannot drift. One function for all of them: same options, same header, same formatting.
 */
import { type ZodType, z } from 'zod';

export interface PublishedOptions {
  /**
   * Write "T or null" as `type: [T, "null"]` (with the `$ref` beside it) instead of zod's `anyOf`: one error per
   * wrong value instead of one per branch, as the hand-written report schema had it.
   */
  nullableAsType?: boolean;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The def a `{$ref}` node names, if it is one of `#/$defs/...`. */
function refName(node: Json): string | undefined {
  const ref = node['$ref'];
  return typeof ref === 'string' && ref.startsWith('#/$defs/') ? ref.slice('#/$defs/'.length) : undefined;
}

/** `anyOf: [X, {type: "null"}]` → X with "null" added to its type, where X's type is one plain name. */
function nullableAsType(node: unknown, defs: Json, nullableRefs: Set<string>): unknown {
  if (Array.isArray(node)) return node.map((n) => nullableAsType(n, defs, nullableRefs));
  if (!isObject(node)) return node;
  const out: Json = Object.fromEntries(
    Object.entries(node).map(([k, v]) => [k, nullableAsType(v, defs, nullableRefs)]),
  );
  const anyOf = out['anyOf'];
  if (!Array.isArray(anyOf) || anyOf.length !== 2) return out;
  const [other, none] = anyOf as unknown[];
  if (!isObject(other) || !isObject(none) || none['type'] !== 'null' || Object.keys(none).length !== 1) return out;
  const name = refName(other);
  const target = name === undefined ? undefined : defs[name];
  const type = isObject(target) ? target['type'] : other['type'];
  if (typeof type !== 'string' || 'enum' in other || 'const' in other) return out;
  if (name !== undefined) nullableRefs.add(name);
  const { anyOf: _anyOf, ...rest } = out;
  return { ...other, ...rest, type: [type, 'null'] };
}

/**
 * A def referenced as "T or null" cannot say `type: T` itself (null would fail inside the $ref): its type moves to
 * every place that references it.
 */
function moveTypesToRefs(node: unknown, defs: Json, names: Set<string>): unknown {
  if (Array.isArray(node)) return node.map((n) => moveTypesToRefs(n, defs, names));
  if (!isObject(node)) return node;
  const out: Json = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, moveTypesToRefs(v, defs, names)]));
  const name = refName(out);
  const target = name === undefined ? undefined : defs[name];
  if (name !== undefined && names.has(name) && out['type'] === undefined && isObject(target))
    out['type'] = target['type'];
  return out;
}

function simplifyNullables(document: Json): Json {
  const defs = isObject(document['$defs']) ? document['$defs'] : {};
  const names = new Set<string>();
  const simplified = nullableAsType(document, defs, names) as Json;
  const withTypes = moveTypesToRefs(simplified, defs, names) as Json;
  const newDefs = isObject(withTypes['$defs']) ? withTypes['$defs'] : {};
  for (const name of names) {
    const def = newDefs[name];
    if (isObject(def)) delete def['type'];
  }
  return withTypes;
}

export function publishedSchema(
  schema: ZodType,
  file: string,
  title: string,
  description: string,
  options: PublishedOptions = {},
): string {
  let generated: Json = {
    ...z.toJSONSchema(schema, {
      io: 'input',
      unrepresentable: 'any',
      // A schema whose metadata says `published` is written as that: the TypeScript type can be narrower than the
      // contract (the report's `client` is one of today's profiles; the contract accepts any profile name).
      override: ({ zodSchema, jsonSchema }) => {
        const published = z.globalRegistry.get(zodSchema)?.['published'];
        if (published && typeof published === 'object') {
          for (const key of Object.keys(jsonSchema)) if (key !== 'description') delete jsonSchema[key];
          Object.assign(jsonSchema, published);
        }
        delete jsonSchema['published'];
      },
    }),
  };
  if (options.nullableAsType) {
    generated = simplifyNullables(generated);
  }
  const document = {
    ...generated,
    $id: `https://autodisco.invalid/schemas/${file}`,
    title,
    description,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
