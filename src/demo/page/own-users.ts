/**
 * The "app with its own users" demo: the page of an app whose backend (scripts/own-users-app.ts)
 * keeps its own users and holds the gateway's API key. The page signs in with the app's password,
 * asks the app's backend for a registration token and registers a passkey with it; a later passkey
 * sign-in hands its sign_in_token to the app's backend, which checks it with verifySignIn. The
 * backend puts {gatewayUrl, scopeId, publicKey} into #app-config.
 */
import { GatewayClient } from '../../client/index.js';
import { $, formField, runAction, setStatus, showError } from './page-kit.js';

interface PageConfig {
  gatewayUrl: string;
  scopeId: string;
  publicKey: string;
}

/** What the app's backend answers about its signed-in user. */
interface AppUser {
  user_id: string;
  name: string;
  method: 'password' | 'passkey' | 'password+passkey';
  account_id: string | null;
}

const config = JSON.parse($('app-config').textContent ?? '{}') as PageConfig;
// The gateway session stays in memory: this app keeps its own session (a cookie of its backend).
const gateway = new GatewayClient({ url: config.gatewayUrl, scopeId: config.scopeId, publicKey: config.publicKey, persist: false });

/** An app-level failure: the backend's own reason (e.g. wrong_password, token_invalid). */
class AppError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** A call to the app's own backend (same origin, its cookie). */
async function app<T>(path: string, body: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), credentials: 'same-origin' });
  const reply = (await response.json()) as { error?: string } & T;
  if (!response.ok) throw new AppError(reply.error ?? `HTTP ${response.status}`);
  return reply;
}

const appMessages: Record<string, string> = {
  wrong_password: 'Wrong username or password.',
  not_signed_in: 'Please sign in first.',
  unknown_user: 'This passkey belongs to no user of this app.',
  second_factor_mismatch: 'That passkey does not belong to the user who entered the password.',
};

/** The app's own refusals in its words; the gateway's as the client describes them. */
function showAppError(error: unknown): void {
  if (error instanceof AppError) showError(error, { text: appMessages[error.reason] ?? `The app refused: ${error.reason}.`, reason: error.reason });
  else showError(error);
}

function act(work: () => Promise<void>): Promise<void> {
  return runAction(work, { onError: showAppError });
}

function showUser(user: AppUser | null): void {
  $('signed-in').hidden = user === null;
  $('signed-out').hidden = user !== null;
  document.body.dataset.state = user === null ? 'signed-out' : 'signed-in';
  if (user === null) return;
  $('user-name').textContent = user.name;
  $('user-id').textContent = user.user_id;
  $('user-method').textContent = { password: 'a password', passkey: 'a passkey', 'password+passkey': 'a password and a passkey' }[user.method];
  $('user-account-id').textContent = user.account_id ?? 'none yet';
}

function showRecoveryCodes(codes: string[] | null): void {
  $('recovery-codes-card').hidden = codes === null;
  $('recovery-codes').replaceChildren(
    ...(codes ?? []).map((code) => {
      const item = document.createElement('li');
      item.textContent = code;
      return item;
    }),
  );
}

$<HTMLFormElement>('password-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  void act(async () => {
    const reply = await app<{ user?: AppUser; second_factor?: { sign_in_token: string } }>('/api/login', { username: formField(form, 'username').trim(), password: formField(form, 'password') });
    form.reset();
    let user = reply.user;
    if (reply.second_factor !== undefined) {
      // This user has a passkey: the app asks for it as a second factor, offering only this user's passkeys.
      setStatus('Confirm it is you with your passkey.');
      const { sign_in_token } = await gateway.signIn({ signInToken: reply.second_factor.sign_in_token });
      if (sign_in_token === null) throw new AppError('gateway_without_sign_in_tokens');
      user = (await app<{ user: AppUser }>('/api/passkeys/second-factor', { sign_in_token })).user;
    }
    if (user === undefined) throw new AppError('unexpected_reply');
    showUser(user);
    setStatus(`Signed in as ${user.name} with your ${user.method === 'password+passkey' ? 'password and passkey' : 'password'}.`);
  });
});

$<HTMLFormElement>('add-passkey-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  const deviceName = formField(form, 'deviceName').trim();
  void act(async () => {
    // 1. The app's backend asks the gateway for a one-time token for this user's id (its API key never reaches the page).
    const { registration_token } = await app<{ registration_token: string }>('/api/passkeys/registration-token');
    // 2. The page registers the passkey with it: the token, not a username, says whose account it joins.
    const registration = await gateway.register({ registrationToken: registration_token, ...(deviceName === '' ? {} : { deviceName }) });
    // 3. The backend asks the gateway which account its user now has (findAccount by the username it gave the token) and records it.
    const { user } = await app<{ user: AppUser }>('/api/passkeys/registered');
    form.reset();
    showUser(user);
    showRecoveryCodes(registration.recovery_codes?.codes ?? null);
    setStatus('Passkey added. Next time, sign in with it.');
  });
});

$('passkey-sign-in').addEventListener('click', () => {
  void act(async () => {
    // A discoverable passkey; the gateway answers a one-time sign_in_token beside its session.
    const { sign_in_token } = await gateway.signIn();
    if (sign_in_token === null) throw new AppError('gateway_without_sign_in_tokens');
    // The app's backend trusts the sign-in only once verifySignIn has told it which user it was.
    const { user } = await app<{ user: AppUser }>('/api/passkeys/sign-in', { sign_in_token });
    showUser(user);
    setStatus(`Signed in as ${user.name} with your passkey.`);
  });
});

$('sign-out').addEventListener('click', () => {
  void act(async () => {
    await app('/api/logout');
    await gateway.signOut();
    showUser(null);
    showRecoveryCodes(null);
    setStatus('Signed out.');
  });
});

void act(async () => {
  const { user } = await app<{ user: AppUser | null }>('/api/me');
  showUser(user);
});
