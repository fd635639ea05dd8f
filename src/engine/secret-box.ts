/**
 * Registry passwords are sealed at rest with AES-256-GCM under the engine key: a random 12-byte
 * nonce per value, stored as `v1:nonce:ciphertext:tag` (base64). The key comes from
 * DRYDOCK_ENCRYPTION_KEY (or the config), else a key file made once in the data directory.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DrydockError } from '../model/index.js';

export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** Any passphrase becomes a 256-bit key by SHA-256; a generated key is 32 random bytes. */
  static fromPassphrase(passphrase: string): SecretBox {
    return new SecretBox(createHash('sha256').update(passphrase).digest());
  }

  /** The key file in `dataDir`, created (mode 0600) when missing. */
  static async fromDataDir(dataDir: string): Promise<SecretBox> {
    const file = join(dataDir, 'engine.key');
    try {
      return SecretBox.fromPassphrase((await readFile(file, 'utf8')).trim());
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    await mkdir(dataDir, { recursive: true });
    const passphrase = randomBytes(32).toString('base64');
    // `wx`: if another process made the file first, use its key, not ours.
    await writeFile(file, `${passphrase}\n`, { mode: 0o600, flag: 'wx' }).catch(
      (error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      },
    );
    return SecretBox.fromPassphrase((await readFile(file, 'utf8')).trim());
  }

  seal(plain: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', nonce, body, cipher.getAuthTag()]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64')))
      .join(':');
  }

  open(sealed: string): string {
    const [version, nonce, body, tag] = sealed.split(':');
    if (version !== 'v1' || nonce === undefined || body === undefined || tag === undefined)
      throw sealError();
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(nonce, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([
        decipher.update(Buffer.from(body, 'base64')),
        decipher.final(),
      ]).toString('utf8');
    } catch (error) {
      throw sealError(error);
    }
  }
}

const sealError = (cause?: unknown): DrydockError =>
  new DrydockError(
    'config-error',
    'a stored registry password cannot be decrypted with this engine key; set DRYDOCK_ENCRYPTION_KEY to the key it was stored with, or add the registry again',
    { cause },
  );
