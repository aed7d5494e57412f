/**
 * What JSON would silently change in `value`, as a path and a reason, or undefined if it
 * survives a round trip unchanged: non-finite numbers (stored as null), undefined (dropped, or
 * null in an array), functions, symbols and bigints (dropped or refused), values of classes
 * such as Date, Map and Set (stored as a string or `{}`), and cycles.
 *
 * @example
 * jsonProblem({ type: 'priced', price: Number.NaN }, 'event'); // { path: 'event.price', problem: 'is NaN ...' }
 */
export function jsonProblem(value: unknown, path: string): { path: string; problem: string } | undefined {
  return walk(value, path, new Set());
}

function walk(value: unknown, path: string, ancestors: Set<object>): { path: string; problem: string } | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : { path, problem: `is ${value}, which JSON stores as null; use a finite number, or null` };
    case 'undefined':
      return { path, problem: 'is undefined, which JSON drops (or stores as null in an array); leave the field out, or use null' };
    case 'bigint':
      return { path, problem: 'is a bigint, which JSON cannot hold; use a number, or a string of its digits' };
    case 'function':
    case 'symbol':
      return { path, problem: `is a ${typeof value}, which JSON drops; events hold data only` };
  }
  if (value === null) return undefined;
  const object = value as object;
  if (ancestors.has(object)) return { path, problem: 'refers back to an object that contains it; JSON cannot hold a cycle' };
  ancestors.add(object);
  try {
    if (Array.isArray(object)) {
      for (let i = 0; i < object.length; i++) {
        const found = walk(object[i], `${path}[${i}]`, ancestors);
        if (found) return found;
      }
      return undefined;
    }
    const proto = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null) {
      if (object instanceof Date) return { path, problem: 'is a Date, which JSON reads back as a string; use date.toISOString() or a number of milliseconds' };
      const kind = (object.constructor as { name?: string } | undefined)?.name || 'object of a class';
      return { path, problem: `is a ${kind}, which JSON would not store as it is; use a plain object or an array` };
    }
    for (const key of Object.keys(object)) {
      const found = walk(
        (object as Record<string, unknown>)[key],
        /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`,
        ancestors,
      );
      if (found) return found;
    }
    return undefined;
  } finally {
    ancestors.delete(object);
  }
}
