import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError, RecurError } from '@recur/tensor';
import { describe, expect, it } from 'vitest';
import { checkRelativePath } from '../relative-path';
import { atomicWriteFile, readFileInFolder } from './index';

function thrown(f: () => unknown): RecurError {
  try {
    f();
  } catch (e) {
    return e as RecurError;
  }
  throw new Error('expected an error');
}

describe('atomicWriteFile', () => {
  it('an I/O failure names the path and leaves nothing behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recur-write-'));
    const missing = join(dir, 'no-such-folder', 'model.onnx');
    const e = thrown(() => atomicWriteFile(missing, new Uint8Array(4)));
    expect(e).toBeInstanceOf(RecurError);
    expect(e.code).toBe('io');
    expect(e.message).toContain(`cannot write ${missing}`);
    expect(e.message).toContain('ENOENT');
    // A folder where the file should go: the rename fails, the temporary file is removed.
    mkdirSync(join(dir, 'taken'));
    const taken = thrown(() => atomicWriteFile(join(dir, 'taken'), new Uint8Array(4)));
    expect(taken.code).toBe('io');
    expect(taken.message).toMatch(/cannot write .*taken: renaming .* over it failed/);
    expect(readdirSync(dir).sort()).toEqual(['taken']);
    atomicWriteFile(join(dir, 'ok.bin'), new Uint8Array([1, 2, 3]));
    expect([...readFileSync(join(dir, 'ok.bin'))]).toEqual([1, 2, 3]);
  });
});

describe('files a model refers to stay inside its folder', () => {
  it('refuses absolute paths, .., URL schemes, drive letters and symlinks out', () => {
    for (const name of ['/etc/passwd', '../x', 'a/../../x', 'C:\\x', 'file:///etc/passwd', '..\\x', '', 'a\0b']) {
      const e = thrown(() => checkRelativePath(name, 'model.json'));
      expect(e, name).toBeInstanceOf(FormatError);
      expect(e.message).toContain('model.json');
    }
    expect(thrown(() => checkRelativePath(7, 'model.json')).message).toMatch(/non-empty string, got 7/);
    checkRelativePath('weights/group1-shard1of1.bin', 'model.json');
    const dir = mkdtempSync(join(tmpdir(), 'recur-folder-'));
    mkdirSync(join(dir, 'weights'));
    writeFileSync(join(dir, 'weights', 'a.bin'), new Uint8Array([9]));
    expect([...readFileInFolder(dir, 'weights/a.bin', 'm')]).toEqual([9]);
    symlinkSync('/etc/hostname', join(dir, 'out.bin'));
    const out = thrown(() => readFileInFolder(dir, 'out.bin', 'm'));
    expect(out).toBeInstanceOf(FormatError);
    expect(out.message).toMatch(/'out\.bin' resolves to \/etc\/hostname, outside the model's folder/);
    const missing = thrown(() => readFileInFolder(dir, 'gone.bin', 'm'));
    expect(missing.code).toBe('io');
    expect(missing.message).toMatch(/the file 'gone\.bin' it refers to does not exist/);
  });
});
