/**
 * Which synchronisation a burst uses. `auto` takes the most precise one the target allows: the
 * single-packet attack when it speaks HTTP/2 (h2 negotiated by ALPN on https, or h2c when the
 * scenario declares it), last-byte sync otherwise.
 */
import { connectRaw } from './connect.js';

export const SYNC_MODES = ['auto', 'none', 'barrier', 'last-byte', 'single-packet'] as const;
export type SyncMode = (typeof SYNC_MODES)[number];
export type ConcreteSyncMode = Exclude<SyncMode, 'auto'>;

export interface TargetProtocol {
  /** The scenario says the cleartext target speaks HTTP/2 with prior knowledge. */
  h2c: boolean;
  /** Whether TLS negotiated h2 (only asked for https targets). */
  alpnH2: () => Promise<boolean>;
}

export async function chooseSyncMode(mode: SyncMode, url: string, proto: TargetProtocol): Promise<ConcreteSyncMode> {
  if (mode !== 'auto') return mode;
  const h2 = new URL(url).protocol === 'https:' ? await proto.alpnH2() : proto.h2c;
  return h2 ? 'single-packet' : 'last-byte';
}

/** Connects once and reports whether the server picked h2 from `h2, http/1.1`. */
export async function probeAlpnH2(url: string, timeoutMs: number, ca?: string): Promise<boolean> {
  const c = await connectRaw(url, { alpn: ['h2', 'http/1.1'], noDelay: true, timeoutMs, ca });
  if (c.error) return false;
  c.socket.destroy();
  return c.alpn === 'h2';
}
