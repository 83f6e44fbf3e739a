import { z } from 'zod';
import { publicMethod } from '../rpc/rpc-method.js';
import { noParams } from './no-params.js';


/**
 * `rpc.discover`: the OpenRPC document of the gateway (OpenRPC's service-discovery method), the
 * same as rpc-schema/openrpc.json. Needs no scope, key or envelope: it describes, it holds no secret.
 */
export function discover(document: () => Record<string, unknown>) {
  return publicMethod({
    name: 'rpc.discover',
    summary: 'The OpenRPC document of every method (OpenRPC service discovery)',
    description: 'Needs no scope and no envelope. The same document as rpc-schema/openrpc.json.',
    params: noParams,
    result: z.record(z.string(), z.unknown()),
    handler: () => document(),
  });
}
