import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Returns the file's text, creating it first with `generate()` when missing. The file is created
 * with O_EXCL and mode 0600, so two processes starting together cannot both write a different secret.
 */
export async function writeSecretFileOnce(path: string, generate: () => string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    const handle = await open(path, 'wx', 0o600);
    try {
      const text = generate();
      await handle.writeFile(text, 'utf8');
      return text;
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readFile(path, 'utf8');
  }
}

/** A 32-byte secret kept as base64 text in `path`, generated on first use. */
export async function loadSecret(path: string): Promise<Buffer> {
  const text = await writeSecretFileOnce(path, () => `${randomBytes(32).toString('base64')}\n`);
  const secret = Buffer.from(text.trim(), 'base64');
  if (secret.length < 32) throw new Error(`secret file ${path} must hold at least 32 bytes of base64`);
  return secret;
}
