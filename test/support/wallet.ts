/**
 * What the wallet tests share: delegate keys as an app makes them for @0xpass/key-signer (a P-256
 * PKCS#8 key, base64 DER), and typed data and transactions as apps send them.
 */
import { generateKeyPairSync } from 'node:crypto';
import { KeySigner } from '@0xpass/key-signer';

export interface DelegateKeyPair {
  signer: KeySigner;
  /** base64 SPKI DER, what the scope registers (and what KeySigner puts in `id`). */
  publicKey: string;
  /** base64 PKCS#8 DER, what KeySigner is built from. */
  privateKey: string;
}

export function newDelegateKey(curve: 'prime256v1' | 'secp384r1' = 'prime256v1'): DelegateKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
  const privateDer = privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64');
  return {
    signer: new KeySigner(privateDer, true),
    publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    privateKey: privateDer,
  };
}

/** EIP-712's own example ("Ether Mail"), with the domain type listed as wallets send it. */
export function mailTypedData(chainId: number, contents = 'Hello, Bob!') {
  return {
    types: {
      EIP712Domain: [
        { name: 'name', type: 'string' },
        { name: 'version', type: 'string' },
        { name: 'chainId', type: 'uint256' },
        { name: 'verifyingContract', type: 'address' },
      ],
      Person: [
        { name: 'name', type: 'string' },
        { name: 'wallet', type: 'address' },
      ],
      Mail: [
        { name: 'from', type: 'Person' },
        { name: 'to', type: 'Person' },
        { name: 'contents', type: 'string' },
      ],
    },
    primaryType: 'Mail',
    domain: { name: 'Ether Mail', version: '1', chainId, verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC' as `0x${string}` },
    message: {
      from: { name: 'Cow', wallet: '0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826' },
      to: { name: 'Bob', wallet: '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB' },
      contents,
    },
  };
}

/** A type-2 transfer with call data, fields as 0x quantities (Ethereum JSON-RPC's form). */
export function eip1559Transaction(chainId: number, extra: Record<string, unknown> = {}) {
  return {
    type: '0x2',
    chainId: `0x${chainId.toString(16)}`,
    nonce: '0x7',
    gas: '0x5208',
    maxFeePerGas: '0x77359400',
    maxPriorityFeePerGas: '0x3b9aca00',
    to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    value: '0xde0b6b3a7640000',
    data: '0xa9059cbb',
    ...extra,
  };
}

/** A legacy transaction, fields as JSON numbers and decimal strings. */
export function legacyTransaction(chainId: number, extra: Record<string, unknown> = {}) {
  return { chainId, nonce: 3, gasLimit: 21000, gasPrice: '20000000000', to: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC', value: '1000', ...extra };
}
