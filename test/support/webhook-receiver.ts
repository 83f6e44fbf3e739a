import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST as the receiver got it. */
export interface ReceivedWebhook {
  headers: Record<string, string>;
  body: string;
  /** The parsed body's type and data.event_id / data.account_id, for ordering checks. */
  type: string;
  eventId: number;
  accountId: string | null;
}

/** How the receiver answers: 2xx, a server error, or never (until the client gives up). */
export type ReceiverMode = 'ok' | 'error' | 'hang';

/**
 * A local webhook receiver on loopback, as a security team's endpoint would be: it records every
 * POST and keeps its own dedup by webhook-id. It can be switched to failing or hanging, and taken
 * down (connections refused) and brought back on the same port.
 */
export interface WebhookReceiver {
  url: string;
  /** Every POST, repeats included, in arrival order. */
  readonly received: ReceivedWebhook[];
  /** The first arrival of each webhook-id, in arrival order (the receiver's dedup). */
  unique(): ReceivedWebhook[];
  mode: ReceiverMode;
  /** Waited before answering each request (to make deliveries overlap). */
  delayMs: number;
  /** Requests that arrived, whatever the answer (hanging ones too). */
  readonly arrivals: number;
  /** The webhook-id of every request that arrived, whatever the answer. */
  readonly arrivalIds: string[];
  /** Answers this instead (a redirect, for instance) when set. */
  answer?: (res: ServerResponse) => void;
  down(): Promise<void>;
  up(): Promise<void>;
  /** Resolves once `predicate` holds, polling; fails after `timeoutMs`. */
  waitFor(predicate: (receiver: WebhookReceiver) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(path = '/hook'): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const hanging = new Set<ServerResponse>();
  let server: Server | undefined;
  let port = 0;
  let arrivals = 0;
  const receiver: WebhookReceiver = {
    url: '',
    received,
    mode: 'ok',
    delayMs: 0,
    arrivalIds: [],
    get arrivals() {
      return arrivals;
    },
    unique() {
      const seen = new Set<string>();
      return received.filter((entry) => {
        const id = entry.headers['webhook-id']!;
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      });
    },
    async down() {
      if (server === undefined) return;
      const closing = server;
      server = undefined;
      for (const res of hanging) res.destroy();
      hanging.clear();
      closing.closeAllConnections();
      await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
    async up() {
      if (server !== undefined) return;
      server = createServer((req, res) => void handle(req, res));
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, '127.0.0.1', () => resolve());
      });
      port = (server.address() as AddressInfo).port;
      receiver.url = `http://127.0.0.1:${port}${path}`;
    },
    async waitFor(predicate, timeoutMs = 15_000, what = 'the expected webhooks') {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(receiver)) {
        if (Date.now() > deadline) throw new Error(`receiver did not get ${what} within ${timeoutMs} ms (got ${received.length}: ${received.map((r) => r.type).join(', ')})`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    close: () => receiver.down(),
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    arrivals += 1;
    receiver.arrivalIds.push(String(req.headers['webhook-id']));
    if (receiver.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, receiver.delayMs));
    if (receiver.answer !== undefined) return receiver.answer(res);
    if (receiver.mode === 'hang') {
      hanging.add(res);
      return;
    }
    if (receiver.mode === 'error') {
      res.writeHead(503).end();
      return;
    }
    const body = Buffer.concat(chunks).toString('utf8');
    const parsed = JSON.parse(body) as { type: string; data: { event_id: number; account_id: string | null } };
    received.push({
      headers: Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, String(value)])),
      body,
      type: parsed.type,
      eventId: parsed.data.event_id,
      accountId: parsed.data.account_id,
    });
    res.writeHead(204).end();
  };
  await receiver.up();
  return receiver;
}

/** Whether each account's events arrived oldest first (by first arrival of each webhook-id). */
export function inOrderPerAccount(webhooks: readonly ReceivedWebhook[]): boolean {
  const last = new Map<string, number>();
  for (const webhook of webhooks) {
    const key = webhook.accountId ?? '';
    if ((last.get(key) ?? -1) > webhook.eventId) return false;
    last.set(key, webhook.eventId);
  }
  return true;
}
