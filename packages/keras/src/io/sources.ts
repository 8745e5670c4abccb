import { checkRelativePath } from '@recur/files';
import { ConfigError, RecurError } from '@recur/tensor';

/** Reads the files of one model: the main file and the files it names (shards), all inside one folder. */
export interface ModelFiles {
  /** A description for error messages (a path, a URL). */
  readonly where: string;
  /** The main file's name (model.json, model.keras, ...). */
  readonly main: string;
  read(name: string): Promise<Uint8Array>;
}

/**
 * A model on disk (Node): files resolved next to it, never outside its folder (symlinks included).
 * Synchronous reads: a model's few files load faster than through the thread pool.
 */
let nodeModules: {
  fs: typeof import('node:fs');
  p: typeof import('node:path');
  folder: typeof import('@recur/files/node');
} | null = null;

export async function nodeFiles(path: string): Promise<ModelFiles> {
  nodeModules ??= {
    fs: await import('node:fs'),
    p: await import('node:path'),
    folder: await import('@recur/files/node'),
  };
  const { fs, p, folder } = nodeModules;
  const abs = p.resolve(path);
  let isDir: boolean;
  try {
    isDir = fs.statSync(abs).isDirectory();
  } catch {
    throw new RecurError(`cannot read the model: ${abs} does not exist`, 'io');
  }
  const dir = isDir ? abs : p.dirname(abs);
  const main = isDir ? 'model.json' : p.basename(abs);
  return {
    where: abs,
    main,
    async read(name: string) {
      return folder.readFileInFolder(dir, name, abs);
    },
  };
}

/** A model behind a URL: files fetched relative to it (same folder only). */
export function urlFiles(url: string): ModelFiles {
  const base = new URL(url, (globalThis as { location?: { href: string } }).location?.href);
  const main = base.pathname.split('/').pop() || 'model.json';
  return {
    where: base.href,
    main,
    async read(name: string) {
      if (name !== main) checkRelativePath(name, base.href);
      const target = new URL(name, base);
      const response = await fetch(target.href);
      if (!response.ok)
        throw new RecurError(`${base.href}: fetching '${name}' (${target.href}) failed: HTTP ${response.status}`, 'io');
      return new Uint8Array(await response.arrayBuffer());
    },
  };
}

/** Browser Files (a model.json and its shards chosen together): looked up by file name. */
export function fileListFiles(files: ArrayLike<Blob & { name: string }>): ModelFiles {
  const list = Array.from(files);
  const main =
    list.find((f) => f.name.endsWith('.json'))?.name ??
    list.find((f) => /\.(keras|h5|hdf5|safetensors)$/.test(f.name))?.name ??
    list[0]?.name;
  if (!main) throw new ConfigError('loadModel: no files given');
  return {
    where: main,
    main,
    async read(name: string) {
      const base = name.replace(/^\.\//, '').split('/').pop();
      const f = list.find((x) => x.name === name || x.name === base);
      if (!f)
        throw new RecurError(
          `${main}: the file '${name}' it refers to was not among the files given (${list.map((x) => x.name).join(', ')})`,
          'io',
        );
      return new Uint8Array(await f.arrayBuffer());
    },
  };
}

/** In-memory bytes of a single-file model (.keras, .h5, recur's .safetensors, or a model.json without shards). */
export function bytesFiles(bytes: Uint8Array, name = 'model'): ModelFiles {
  return {
    where: name,
    main: name,
    async read(n: string) {
      if (n === name) return bytes;
      throw new RecurError(`${name}: the model refers to the file '${n}', but only the model's bytes were given`, 'io');
    },
  };
}
