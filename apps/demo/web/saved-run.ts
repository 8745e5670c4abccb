/** The newest checkpoint of the Train page, kept in IndexedDB so a reload can continue the run. */
const DB = 'recur-train';
const STORE = 'checkpoints';
const KEY = 'latest';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function withStore<T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const req = f(db.transaction(STORE, mode).objectStore(STORE));
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  } finally {
    db.close();
  }
}

export interface SavedRun {
  bytes: Uint8Array;
  /** The file's name, which says its kind (.safetensors, .onnx); absent in runs saved before names were kept. */
  fileName?: string;
  step: number;
  savedAt: number;
}

export const saveRun = (run: SavedRun) => withStore('readwrite', (s) => s.put(run, KEY));
export const loadRun = () => withStore<SavedRun | undefined>('readonly', (s) => s.get(KEY));
