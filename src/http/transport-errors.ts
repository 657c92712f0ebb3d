/**
 * Transport failures classified by `err.code` (never by instanceof: undici and node:net
 * errors cross realm and version boundaries). The class is what reports show and what attacks
 * branch on: a timeout is not evidence of anything, a refused connection means "not audited".
 */
export type TransportErrorCode =
  | 'timeout'
  | 'connect-refused'
  | 'connect-timeout'
  | 'dns'
  | 'reset'
  | 'closed'
  | 'tls'
  | 'protocol'
  | 'aborted'
  | 'body-too-large'
  | 'other';

const BY_CODE: Readonly<Record<string, TransportErrorCode>> = {
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'connect-timeout',
  ETIMEDOUT: 'timeout',
  ECONNREFUSED: 'connect-refused',
  EHOSTUNREACH: 'connect-refused',
  ENETUNREACH: 'connect-refused',
  EADDRNOTAVAIL: 'connect-refused',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'closed',
  UND_ERR_CLOSED: 'closed',
  UND_ERR_DESTROYED: 'closed',
  UND_ERR_INFO: 'protocol',
  HPE_INVALID_CONSTANT: 'protocol',
  HPE_INVALID_STATUS: 'protocol',
  HPE_INVALID_HEADER_TOKEN: 'protocol',
  HPE_INVALID_CHUNK_SIZE: 'protocol',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'protocol',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'protocol',
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: 'protocol',
  // Our own HTTP/2 frame layer (single-packet) reports the peer's protocol violations with this code.
  ERR_HTTP2_ERROR: 'protocol',
  UND_ERR_RES_EXCEEDED_MAX_SIZE: 'body-too-large',
  UND_ERR_ABORTED: 'aborted',
  ABORT_ERR: 'aborted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'tls',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'tls',
  SELF_SIGNED_CERT_IN_CHAIN: 'tls',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'tls',
  CERT_HAS_EXPIRED: 'tls',
  ERR_SSL_WRONG_VERSION_NUMBER: 'tls',
};

const DESCRIPTIONS: Readonly<Record<TransportErrorCode, string>> = {
  timeout: 'the target did not answer in time',
  'connect-refused': 'connection refused (nothing listening, or not routable)',
  'connect-timeout': 'connecting timed out',
  dns: 'the host name does not resolve',
  reset: 'the connection was reset by the peer',
  closed: 'the connection closed before a complete answer',
  tls: 'TLS handshake failed (certificate or protocol)',
  protocol: 'the target sent malformed HTTP',
  aborted: 'the request was aborted',
  'body-too-large': 'the response body exceeded the limit',
  other: 'transport error',
};

function codeOf(err: unknown): string | undefined {
  let cur: unknown = err;
  // undici wraps socket errors (`cause`); the innermost code is the informative one.
  for (let depth = 0; depth < 5 && typeof cur === 'object' && cur !== null; depth++) {
    const c = (cur as { code?: unknown }).code;
    const cause = (cur as { cause?: unknown }).cause;
    if (typeof c === 'string' && (c in BY_CODE || cause === undefined)) return c;
    if (cause === undefined) return typeof c === 'string' ? c : undefined;
    cur = cause;
  }
  return undefined;
}

export function classifyTransportError(err: unknown): { code: TransportErrorCode; message: string } {
  const raw = codeOf(err);
  const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
  let code: TransportErrorCode = raw !== undefined ? (BY_CODE[raw] ?? 'other') : 'other';
  // Some undici errors carry no code at all; their class name is the only stable signal.
  if (code === 'other' && name === 'HTTPParserError') code = 'protocol';
  if (code === 'other' && name === 'TimeoutError') code = 'timeout';
  if (code === 'other' && name === 'AbortError') code = 'aborted';
  const detail = err instanceof Error ? err.message : String(err);
  return { code, message: `${DESCRIPTIONS[code]}${raw ? ` [${raw}]` : ''}: ${detail}` };
}

export function describeTransportError(code: TransportErrorCode): string {
  return DESCRIPTIONS[code];
}
