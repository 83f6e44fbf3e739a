import { isStoredClientState, type ClientStateStorage, type StoredClientState } from './client-state-storage.js';

/**
 * ClientStateStorage in the browser's IndexedDB. A CryptoKey is structured-cloneable, so the
 * non-extractable AES key is stored as the key object itself: page scripts can use it after a reload
 * but can never read its bytes. Each operation opens the database and closes it again, so no
 * connection stays open to block a later version upgrade.
 */
const DATABASE = 'passkey-gateway-client';
const STORE = 'client-state';

// The few IndexedDB shapes used here, typed by hand: the client compiles with Node's types as well
// as the DOM's, and Node has no IndexedDB.
interface IdbRequest<T> {
  readonly result: T;
  readonly error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: (() => void) | null;
}
interface IdbDatabase {
  readonly version: number;
  readonly objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string): unknown;
  transaction(store: string, mode: 'readonly' | 'readwrite'): IdbTransaction;
  close(): void;
}
interface IdbTransaction {
  readonly error: unknown;
  objectStore(name: string): IdbObjectStore;
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}
interface IdbObjectStore {
  get(key: string): IdbRequest<unknown>;
  put(value: unknown, key: string): IdbRequest<unknown>;
  delete(key: string): IdbRequest<unknown>;
}
interface IdbFactory {
  open(name: string, version?: number): IdbOpenRequest;
}

/** IndexedDB storage, or undefined where there is no IndexedDB (Node, some embedded browsers). */
export function indexedDbStorage(): ClientStateStorage | undefined {
  const factory = (globalThis as { indexedDB?: IdbFactory }).indexedDB;
  if (factory === undefined) return undefined;
  return {
    async load(id) {
      const value = await inTransaction(factory, 'readonly', (store) => request(store.get(id)));
      return isStoredClientState(value) ? value : undefined;
    },
    async save(id, state: StoredClientState) {
      await inTransaction(factory, 'readwrite', (store) => request(store.put(state, id)));
    },
    async remove(id, session) {
      // Read and delete in one transaction, so a save from another tab cannot slip in between.
      await inTransaction(factory, 'readwrite', async (store) => {
        const stored = await request(store.get(id));
        // A record that is not a client state at all is of no use to anyone either.
        if (isStoredClientState(stored) ? stored.session === session : stored !== undefined) await request(store.delete(id));
      });
    },
  };
}

/** Runs `work` in one transaction on the store and resolves with its result once the transaction has committed. */
async function inTransaction<T>(factory: IdbFactory, mode: 'readonly' | 'readwrite', work: (store: IdbObjectStore) => Promise<T>): Promise<T> {
  const database = await openDatabase(factory);
  try {
    const transaction = database.transaction(STORE, mode);
    const committed = new Promise<void>((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(asError(transaction.error, 'IndexedDB transaction failed'));
      transaction.onabort = () => reject(asError(transaction.error, 'IndexedDB transaction aborted'));
    });
    // Awaited together, so a failure of either is handled and the result counts only once committed.
    const [result] = await Promise.all([work(transaction.objectStore(STORE)), committed]);
    return result;
  } finally {
    database.close();
  }
}

async function openDatabase(factory: IdbFactory): Promise<IdbDatabase> {
  const database = await openVersion(factory, undefined);
  if (database.objectStoreNames.contains(STORE)) return database;
  // The database exists without the store (made by other code, or a first run cut short): a version upgrade adds it.
  const version = database.version + 1;
  database.close();
  return openVersion(factory, version);
}

/** Opens the database (at its current version when none is given), creating the store whenever an upgrade runs. */
function openVersion(factory: IdbFactory, version: number | undefined): Promise<IdbDatabase> {
  return new Promise((resolve, reject) => {
    const opening = version === undefined ? factory.open(DATABASE) : factory.open(DATABASE, version);
    opening.onupgradeneeded = () => {
      if (!opening.result.objectStoreNames.contains(STORE)) opening.result.createObjectStore(STORE);
    };
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(asError(opening.error, 'IndexedDB could not be opened'));
  });
}

function request<T>(pending: IdbRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    pending.onsuccess = () => resolve(pending.result);
    pending.onerror = () => reject(asError(pending.error, 'IndexedDB request failed'));
  });
}

/** IndexedDB reports its failures as DOMExceptions (Errors), or null: always an Error to reject with. */
function asError(error: unknown, fallback: string): Error {
  return error instanceof Error ? error : new Error(fallback);
}
