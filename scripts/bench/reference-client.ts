import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { SoftAuthenticator } from '../lib/soft-authenticator.js';

/** The reference server's client: the same ceremonies as scripts/lib/ceremonies.ts, plain JSON over REST. */
export function referenceClient(baseUrl: string, pageOrigin: string) {
  async function post<T>(path: string, body: unknown): Promise<T> {
    const response = await fetch(baseUrl + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await response.json()) as T & { error?: string };
    if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status} ${json.error ?? ''}`);
    return json;
  }

  return {
    async register(authenticator: SoftAuthenticator, username: string): Promise<void> {
      const started = await post<{ challengeId: string; options: PublicKeyCredentialCreationOptionsJSON }>('/register/options', { username });
      await post('/register/verify', { challengeId: started.challengeId, response: authenticator.createCredential(started.options, pageOrigin) });
    },
    async signIn(authenticator: SoftAuthenticator, username: string): Promise<void> {
      const started = await post<{ challengeId: string; options: PublicKeyCredentialRequestOptionsJSON }>('/login/options', { username });
      await post('/login/verify', { challengeId: started.challengeId, response: authenticator.getAssertion(started.options, pageOrigin) });
    },
  };
}
