/** A public key a scope lets create accounts (delegatedRegistration) and act for the accounts it created. */
export interface DelegateKey {
  scope_id: string;
  /** base64url of the SHA-256 of the key's SPKI DER: how the gateway, the CLI and the audit log name it. */
  key_id: string;
  /** base64 of the SPKI DER, the form @0xpass/key-signer's getPublicKey() gives. */
  public_key: string;
  /** An operator's label (at most 100 characters), or null. */
  name: string | null;
  created_at: string;
}

/** Which delegate key created an account: the only key that may act for it. */
export interface DelegatedAccount {
  account_id: string;
  scope_id: string;
  key_id: string;
}

/** A key signature that was accepted once, kept until it would have expired anyway. */
export interface KeySignatureUse {
  /** base64url SHA-256 of the signed text (the sealed user), whatever the scope. */
  digest: string;
  scope_id: string;
  expires_at: string;
}

/** Why adding a delegate key was refused. */
export type AddDelegateKeyResult = { ok: true; key: DelegateKey } | { ok: false; conflict: 'delegate_key_exists' | 'too_many_delegate_keys' | 'scope_not_found' };
