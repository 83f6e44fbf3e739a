/**
 * The demo page: register, sign in (with a username, without one, or through autofill), see the
 * account, manage passkeys and recovery codes, get back in with a recovery code, sign out here or
 * everywhere. Built on the browser client in src/client,
 * which keeps the session across reloads; bundled by scripts/build-client.mjs. The gateway puts
 * {scopeId, publicKey} into #gateway-config.
 */
import { GatewayClient, GatewayClientError, isGatewayClientError, supportsAutofill, type Passkey } from '../../client/index.js';
import { $, formValue, runSessionAction, setStatus, showError } from './page-kit.js';

interface PageConfig {
  scopeId: string | null;
  publicKey: string;
}

const config = JSON.parse($('gateway-config').textContent ?? '{}') as PageConfig;
const client = new GatewayClient({
  url: new URL('/', location.href).href,
  scopeId: config.scopeId ?? '',
  publicKey: config.publicKey,
  // Adding or deleting a passkey may need a fresh sign-in; the client then asks for the passkey itself.
  onReauthenticate: () => setStatus('Confirm it is you with your passkey.'),
});
// ?autofill=off turns conditional UI off: automation with virtual authenticators needs it, since those
// answer a conditional request at once instead of waiting for a person to pick a passkey.
const autofillWanted = new URLSearchParams(location.search).get('autofill') !== 'off';
let linkToken: string | null = null;
let autofill: AbortController | undefined;

/** Runs one user action: buttons disabled meanwhile, autofill stopped, errors shown. */
function act(work: () => Promise<void>): Promise<void> {
  stopAutofill();
  return runSessionAction(work, { client, signedOut: showSignedOut });
}

function showSignedOut(): void {
  showRecoveryCodes(null);
  $('signed-in').hidden = true;
  $('signed-out').hidden = false;
  document.body.dataset.state = 'signed-out';
  void startAutofill();
}

async function showAccount(): Promise<void> {
  const [account, passkeys] = await Promise.all([client.getAccount(), client.listCredentials()]);
  $('account-username').textContent = account.display_name === account.username ? account.username : `${account.display_name} (${account.username})`;
  $('account-id').textContent = account.account_id;
  $('account-identifier-hash').textContent = account.identifier_hash;
  $('account-address').textContent = account.address;
  $<HTMLInputElement>('display-name').value = account.display_name;
  renderPasskeys(passkeys);
  $('signed-out').hidden = true;
  $('signed-in').hidden = false;
  document.body.dataset.state = 'signed-in';
}

/** Shows recovery codes once, as the gateway handed them over; null hides them. */
function showRecoveryCodes(codes: string[] | null): void {
  $('recovery-codes-box').hidden = codes === null;
  $('recovery-codes').replaceChildren(
    ...(codes ?? []).map((code) => {
      const item = document.createElement('li');
      item.textContent = code;
      return item;
    }),
  );
}

function renderPasskeys(passkeys: Passkey[]): void {
  const list = $('passkeys');
  list.replaceChildren(
    ...passkeys.map((passkey, index) => {
      const item = document.createElement('li');
      item.dataset.credentialId = passkey.credential_id;
      const label = passkey.name ?? passkey.provider ?? `Passkey ${index + 1}`;
      const title = document.createElement('strong');
      title.textContent = label;
      const details = document.createElement('span');
      details.className = 'muted';
      const used = passkey.last_used_at === null ? 'never used' : `last used ${new Date(passkey.last_used_at).toLocaleString()}`;
      details.textContent = `${passkey.provider ?? 'Unknown provider'} · added ${new Date(passkey.created_at).toLocaleString()} · ${used}${passkey.possibly_cloned ? ' · possibly cloned' : ''}`;

      const row = document.createElement('form');
      row.className = 'row';
      const input = document.createElement('input');
      input.value = passkey.name ?? '';
      input.placeholder = label;
      input.maxLength = 100;
      input.required = true;
      input.setAttribute('aria-label', `New name for ${label}`);
      const rename = document.createElement('button');
      rename.type = 'submit';
      rename.className = 'secondary';
      rename.textContent = 'Rename';
      rename.setAttribute('aria-label', `Rename ${label}`);
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'danger';
      remove.textContent = 'Delete';
      remove.setAttribute('aria-label', `Delete ${label}`);
      row.append(input, rename, remove);

      row.addEventListener('submit', (event) => {
        event.preventDefault();
        void act(async () => {
          await client.renameCredential(passkey.credential_id, input.value.trim());
          await showAccount();
          setStatus(`Passkey renamed to “${input.value.trim()}”.`);
        });
      });
      remove.addEventListener('click', () => {
        void act(async () => {
          await client.deleteCredential(passkey.credential_id);
          // The gateway ends the sessions a deleted passkey started, this one included.
          if (!client.signedIn) {
            setStatus(`Passkey “${label}” deleted. You had signed in with it, so you are signed out: sign in with another passkey.`);
            return;
          }
          await showAccount();
          setStatus(`Passkey “${label}” deleted.`);
        });
      });
      item.append(title, details, row);
      return item;
    }),
  );
}

/** Conditional UI: passkeys offered in the username field's autofill, where the browser can. */
async function startAutofill(): Promise<void> {
  if (!autofillWanted || autofill !== undefined || config.scopeId === null || !(await supportsAutofill())) return;
  const controller = new AbortController();
  autofill = controller;
  try {
    await client.signIn({ autofill: true, signal: controller.signal });
    autofill = undefined;
    await showAccount();
    setStatus('Signed in with autofill.');
  } catch (error) {
    if (autofill === controller) autofill = undefined;
    // Cancelled means another action took over; an expired challenge just needs a fresh one.
    if (isGatewayClientError(error) && error.reason === 'challenge_not_found' && !controller.signal.aborted) void startAutofill();
    else if (!(isGatewayClientError(error) && error.reason === 'ceremony_cancelled')) showError(error);
  }
}

function stopAutofill(): void {
  autofill?.abort();
  autofill = undefined;
}

$<HTMLFormElement>('register-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  void act(async () => {
    const username = formValue(form, 'username');
    const displayName = formValue(form, 'displayName');
    const registration = await client.register({ username, ...(displayName === '' ? {} : { displayName }) });
    form.reset();
    await showAccount();
    showRecoveryCodes(registration.recovery_codes?.codes ?? null);
    setStatus(`Welcome, ${displayName || username}! Your passkey is registered.`);
  });
});

$<HTMLFormElement>('sign-in-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  void act(async () => {
    const username = formValue(form, 'username');
    await client.signIn(username === '' ? {} : { username });
    form.reset();
    await showAccount();
    setStatus('Signed in.');
  });
});

$('sign-in-usernameless').addEventListener('click', () => {
  void act(async () => {
    await client.signIn();
    await showAccount();
    setStatus('Signed in.');
  });
});

/**
 * A recovery link (an app's createRegistrationToken, an operator's createRecoveryToken) carries its token in the fragment,
 * which browsers never send to a server; it leaves the address bar at once, so a reload or a shared URL does not carry it.
 */
function takeLinkToken(): void {
  const token = new URLSearchParams(location.hash.slice(1)).get('registration_token');
  if (token === null) return;
  history.replaceState(null, '', location.pathname + location.search);
  linkToken = token;
  $('link-card').hidden = false;
}
takeLinkToken();
// A link opened while the page is already open changes only the fragment.
window.addEventListener('hashchange', takeLinkToken);
$('use-link').addEventListener('click', () => {
  void act(async () => {
    if (linkToken === null) return;
    // The token alone says which account the new passkey joins.
    await client.register({ registrationToken: linkToken });
    linkToken = null;
    $('link-card').hidden = true;
    await showAccount();
    setStatus('A new passkey was added to your account with your link.');
  });
});

$<HTMLFormElement>('recover-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  void act(async () => {
    // The code gives a session that can only add a passkey; the client adds one with it at once.
    const { remaining } = await client.recoverAccount({ username: formValue(form, 'username'), code: formValue(form, 'code') });
    form.reset();
    await showAccount();
    setStatus(`A new passkey was added to your account. ${remaining} recovery code${remaining === 1 ? '' : 's'} left.`);
  });
});

$('regenerate-recovery-codes').addEventListener('click', () => {
  void act(async () => {
    const { codes } = await client.regenerateRecoveryCodes();
    showRecoveryCodes(codes);
    setStatus('New recovery codes: the old ones no longer work.');
  });
});

$('add-passkey').addEventListener('click', () => {
  void act(async () => {
    await client.addPasskey();
    await showAccount();
    setStatus('Passkey added.');
  });
});

$<HTMLFormElement>('display-name-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void act(async () => {
    // The client also tells the browser's passkeys the new name, where the browser has the Signal API.
    const { display_name } = await client.updateDisplayName(formValue(event.currentTarget as HTMLFormElement, 'displayName'));
    await showAccount();
    setStatus(`Display name changed to “${display_name}”.`);
  });
});

$('sign-out').addEventListener('click', () => {
  void act(async () => {
    await client.signOut();
    setStatus('Signed out.');
  });
});

$('sign-out-everywhere').addEventListener('click', () => {
  void act(async () => {
    await client.signOut({ everywhere: true });
    setStatus('Signed out on every device.');
  });
});

if (config.scopeId === null) {
  showError(new GatewayClientError('scope_required', 'no scope configured: open /demo?scope=<scope id>'));
  $('signed-out').hidden = false;
} else {
  // A session kept from an earlier visit signs in at once; act() shows the sign-in forms if it was refused.
  void client.ready().then(() => (client.signedIn ? act(showAccount) : showSignedOut()));
}
