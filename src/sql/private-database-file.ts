import { chmodSync, closeSync, openSync, statSync } from 'node:fs';

/**
 * Makes a SQLite database file and its WAL and shared-memory files readable by this user only,
 * before SQLite opens them: they hold usernames and audit rows with client addresses, and SQLite
 * would create the database with 0644 less the umask, whatever the folder's mode.
 *
 * The database file is created here with 0600 when missing; SQLite then gives the -wal and -shm
 * it creates the database file's mode. Files left readable by others, by an older start or by
 * hand (the database, or a WAL never checkpointed), lose their group and other bits: SQLite keeps
 * the mode of files that exist and are not empty.
 */
export function makeDatabaseFilesPrivate(path: string): void {
  // 'a' creates the file if missing and never truncates it.
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) removeOthersAccess(file);
}

function removeOthersAccess(path: string): void {
  let mode: number;
  try {
    ({ mode } = statSync(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if ((mode & 0o077) !== 0) chmodSync(path, mode & 0o700);
}
