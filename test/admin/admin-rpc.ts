/** A bare JSON-RPC call with an optional admin bearer token (admin methods need no scope or envelope). */
export async function adminCall(url: string, method: string, params: unknown, token?: string): Promise<{ result?: any; error?: { code: number; data?: string } }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { result?: any; error?: { code: number; data?: string } };
}
