/**
 * The operators' console at GET /admin. Operators sign in with a passkey of the operators' scope
 * through the browser client in src/client, like any app's users; every admin call then carries
 * that session (never an admin token), and changes ask for the passkey again when the sign-in is
 * no longer recent. A first operator registers through an invite link (#invite=… in the URL).
 * Bundled by scripts/build-client.mjs; the gateway puts {scopeId, publicKey} into #gateway-config.
 */
import { GatewayClient } from '../../client/index.js';
import { $, formValue, runSessionAction, setStatus } from '../../demo/page/page-kit.js';
import { consolePanels } from './panels.js';
import { PanelQuery, renderPanel, type ConsoleEnv, type Params, type Values } from './panel-view.js';

interface PageConfig {
  scopeId: string;
  publicKey: string;
}

const config = JSON.parse($('gateway-config').textContent ?? '{}') as PageConfig;
const client = new GatewayClient({
  url: new URL('/', location.href).href,
  scopeId: config.scopeId,
  publicKey: config.publicKey,
  onReauthenticate: () => setStatus('This change needs a recent sign-in: confirm it is you with your passkey.'),
});
// The invite travels in the fragment, which the browser never sends to a server or in a Referer.
let invite = new URLSearchParams(location.hash.slice(1)).get('invite') ?? undefined;

/** Runs one operator action: buttons disabled meanwhile, errors shown (a form's bad JSON or value as "Not valid"), signed out when the session ended. */
function act(work: () => Promise<void>): Promise<void> {
  return runSessionAction(work, {
    client,
    signedOut: showSignedOut,
    text: (error) => (error instanceof SyntaxError || error instanceof TypeError ? `Not valid: ${error.message}` : undefined),
  });
}

/** Shows a panel, its list read with `values` (set once the panels are built). */
let openPanel: (panel: string, values: Values) => void = () => {};
let scopeList: Promise<Array<{ scope_id: string; name: string }>> | undefined;
const env: ConsoleEnv = {
  async call<T>(method: string, params: Params): Promise<T> {
    const result = await client.call<T>(method, params);
    // Scope choices follow a scope change.
    if (/Scope$/.test(method)) scopeList = undefined;
    return result;
  },
  scopes() {
    scopeList ??= client.call<{ scopes: Array<{ scope_id: string; name: string }> }>('listScopes', {}).then(
      (result) => result.scopes,
      (error: unknown) => {
        scopeList = undefined;
        throw error;
      },
    );
    return scopeList;
  },
  act,
  status: setStatus,
  confirm: (text) => window.confirm(text),
  open: (panel, values) => openPanel(panel, values),
};

let built = false;
function buildPanels(): void {
  if (built) return;
  built = true;
  const panels = consolePanels(config.scopeId);
  const tabs = $('tabs');
  const container = $('panels');
  const sections = panels.map((panel) => renderPanel(panel, env));
  const open = (index: number) => {
    sections.forEach((section, i) => (section.hidden = i !== index));
    Array.from(tabs.children).forEach((tab, i) => (i === index ? tab.setAttribute('aria-current', 'page') : tab.removeAttribute('aria-current')));
    document.body.dataset.panel = panels[index]?.id ?? '';
    sections[index]?.dispatchEvent(new Event('panel-open'));
  };
  openPanel = (id, values) => {
    const index = panels.findIndex((panel) => panel.id === id);
    if (index < 0) return;
    open(index);
    sections[index]?.dispatchEvent(new PanelQuery(values));
  };
  panels.forEach((panel, index) => {
    const tab = document.createElement('button');
    tab.type = 'button';
    tab.textContent = panel.title;
    tab.addEventListener('click', () => open(index));
    tabs.append(tab);
  });
  container.append(...sections);
  open(0);
}

function showSignedOut(): void {
  $('signed-in').hidden = true;
  $('signed-out').hidden = false;
  $('register-form').hidden = invite === undefined;
  $('who').textContent = 'Operators sign in with a passkey. No token ever reaches this page.';
  document.body.dataset.state = 'signed-out';
}

async function showConsole(): Promise<void> {
  const account = await client.getAccount();
  $('who').textContent = `Signed in as ${account.display_name === account.username ? account.username : `${account.display_name} (${account.username})`}. Changes ask for your passkey again after a few minutes.`;
  $('signed-out').hidden = true;
  $('signed-in').hidden = false;
  document.body.dataset.state = 'signed-in';
  buildPanels();
}

$<HTMLFormElement>('register-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  void act(async () => {
    const displayName = formValue(form, 'displayName');
    await client.register({ username: formValue(form, 'username'), ...(displayName === '' ? {} : { displayName }), invite });
    // Used up: the link is of no more use, and should not stay in the address bar or the history.
    invite = undefined;
    history.replaceState(null, '', location.pathname);
    form.reset();
    await showConsole();
    setStatus('Your passkey is registered: you are signed in as an operator.');
  });
});

$<HTMLFormElement>('sign-in-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  void act(async () => {
    const username = formValue(form, 'username');
    await client.signIn(username === '' ? {} : { username });
    form.reset();
    await showConsole();
    setStatus('Signed in.');
  });
});

$('sign-out').addEventListener('click', () => {
  void act(async () => {
    await client.signOut();
    setStatus('Signed out.');
  });
});

// A session kept from an earlier visit (short-lived) signs in at once; act() shows the forms if it was refused.
void client.ready().then(() => (client.signedIn ? act(showConsole) : showSignedOut()));
