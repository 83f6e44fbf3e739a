/**
 * A bare JSON-RPC call with an optional admin bearer token (admin methods need no scope or envelope).
 * `T` is the result the caller expects; nothing checks it.
 */
export async function adminCall<T = unknown>(url: string, method: string, params: unknown, token?: string): Promise<{ result?: T; error?: { code: number; data?: string } }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { result?: T; error?: { code: number; data?: string } };
}
