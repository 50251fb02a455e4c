/**
 * Compact job ids for the stored state: 6 base64url characters (36 bits) per job, kept as one
 * string per group. A collision (another job with the same hash in the same group) makes the
 * trigger take the new job for one it already handled; with n hashes in a group the chance is
 * n / 2^36 per job (1.5e-8 with 1 000 hashes). Pure, no node builtins.
 */
export const HASH_CHARS = 6;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** cyrb53-style 53-bit hash of a string, as 6 base64url characters (its low 36 bits). */
export function shortHash(value: string): string {
	let h1 = 0xdeadbeef;
	let h2 = 0x41c6ce57;
	for (let i = 0; i < value.length; i++) {
		const c = value.charCodeAt(i);
		h1 = Math.imul(h1 ^ c, 2654435761);
		h2 = Math.imul(h2 ^ c, 1597334677);
	}
	h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
	h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
	// 32 bits of h1 and 4 of h2
	let out = '';
	let low = h1 >>> 0;
	for (let i = 0; i < 5; i++) {
		out += ALPHABET[low & 63];
		low = Math.floor(low / 64);
	}
	out += ALPHABET[(low & 3) | ((h2 & 3) << 2) | (((h2 >>> 2) & 3) << 4)];
	return out;
}

/** Whether a group string holds the hash (groups are concatenated fixed-width hashes). */
export function groupHas(group: string | undefined, hash: string): boolean {
	if (!group) return false;
	for (let at = group.indexOf(hash); at !== -1; at = group.indexOf(hash, at + 1)) {
		if (at % HASH_CHARS === 0) return true;
	}
	return false;
}

/** Adds a hash to a group, keeping at most `max` hashes (the oldest go first). */
export function groupAdd(group: string | undefined, hash: string, max = Number.POSITIVE_INFINITY): string {
	const base = group ?? '';
	if (groupHas(base, hash)) return base;
	const next = base + hash;
	const overflow = next.length / HASH_CHARS - max;
	return overflow > 0 ? next.slice(overflow * HASH_CHARS) : next;
}

export function groupSize(group: string | undefined): number {
	return (group ?? '').length / HASH_CHARS;
}
