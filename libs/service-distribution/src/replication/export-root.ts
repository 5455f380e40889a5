import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { ValidationError } from '@wharf/contracts';

/**
 * Exports are written, and imports read, only under WHARF_EXPORT_ROOT: a REST client names a path relative
 * to it and can reach nothing else, neither by `..` nor through a symbolic link inside the root.
 */
export async function pathUnderExportRoot(root: string | undefined, path: string): Promise<string> {
  if (root === undefined) {
    throw new ValidationError({ path: ['Exports and imports are disabled: WHARF_EXPORT_ROOT is not set.'] });
  }
  const outside = () => new ValidationError({ path: ['The path must stay under the export root.'] });
  if (isAbsolute(path) || path.split(/[\\/]/).includes('..')) throw outside();
  const realRoot = await realpath(root).catch(() => {
    throw new ValidationError({ path: ['The export root (WHARF_EXPORT_ROOT) does not exist.'] });
  });
  const full = resolve(realRoot, path);
  if (full === realRoot) throw outside();
  // The deepest existing ancestor decides where the path really leads.
  let existing = full;
  for (;;) {
    const real = await realpath(existing).catch(() => undefined);
    if (real !== undefined) {
      const inside = relative(realRoot, real);
      if (inside.startsWith('..') || isAbsolute(inside)) throw outside();
      break;
    }
    existing = dirname(existing);
  }
  return full;
}
