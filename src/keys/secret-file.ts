import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Returns the file's text, creating it first with `generate()` when missing. The text is written
 * to a private temporary file (mode 0600) and then hard-linked into place, which fails if the
 * file appeared meanwhile: two processes starting together never see half a file or two secrets.
 */
export async function writeSecretFileOnce(path: string, generate: () => string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const text = generate();
  await writeFile(temporary, text, { encoding: 'utf8', mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, path);
    return text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readFile(path, 'utf8');
  } finally {
    await unlink(temporary);
  }
}

/** A 32-byte secret kept as base64 text in `path`, generated on first use. */
export async function loadSecret(path: string): Promise<Buffer> {
  const text = await writeSecretFileOnce(path, () => `${randomBytes(32).toString('base64')}\n`);
  const secret = Buffer.from(text.trim(), 'base64');
  if (secret.length < 32) throw new Error(`secret file ${path} must hold at least 32 bytes of base64`);
  return secret;
}
