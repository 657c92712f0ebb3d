/**
 * Which of a description's servers a drafted scenario points at: the one whose description or
 * URL says it is a sandbox, staging or test system when there is one (an audit sends duplicate
 * writes on purpose), else the first. Server variables take their defaults.
 */
import { isRecord } from './example-body.js';

export interface ChosenServer {
  /** Origin (and base path) for `target.baseUrl`. */
  baseUrl: string;
  /** A path prefix every operation path gets (a relative server URL, Swagger 2's basePath). */
  prefix: string;
  /** Set when the server was chosen as a test system: the host the scenario may audit, and why. */
  testHost?: { host: string; why: string };
}

const TEST_WORDS = /\b(sandbox|staging|stage|test|testing|preprod|uat|qa|dev|development)\b/i;
const TEST_HOST = /sandbox|staging|(^|[.-])(test|uat|qa|dev)([.-]|$)/i;

export function chooseServer(api: Record<string, unknown>, fallback: string): ChosenServer {
  const servers = Array.isArray(api['servers']) ? api['servers'].filter(isRecord) : [];
  const usable = servers.filter((s) => typeof s['url'] === 'string');
  if (usable.length > 0) {
    const test = usable.find((s) => testReason(s) !== undefined);
    const server = test ?? usable[0];
    if (server !== undefined) return fromServer(server, fallback);
  }
  if (typeof api['host'] === 'string') {
    // Swagger 2: one host, https when offered.
    const schemes = Array.isArray(api['schemes']) ? api['schemes'] : [];
    const scheme = schemes.includes('https') ? 'https' : 'http';
    const prefix = typeof api['basePath'] === 'string' ? api['basePath'].replace(/\/$/, '') : '';
    const url = `${scheme}://${api['host']}`;
    return plainUrl(url) ? withTestHost({ baseUrl: url, prefix }, url, undefined) : { baseUrl: fallback, prefix };
  }
  return { baseUrl: fallback, prefix: '' };
}

function fromServer(server: Record<string, unknown>, fallback: string): ChosenServer {
  const url = substitute(String(server['url']), server['variables']).replace(/\/$/, '');
  if (/^https?:\/\//.test(url))
    return plainUrl(url) ? withTestHost({ baseUrl: url, prefix: '' }, url, testReason(server)) : noServer(fallback);
  // A relative server URL (Petstore's `/api/v3`) is a path prefix on whatever host serves the spec.
  return { baseUrl: fallback, prefix: url.startsWith('/') && plainPath(url) ? url : '' };
}

function noServer(fallback: string): ChosenServer {
  return { baseUrl: fallback, prefix: '' };
}

function withTestHost(chosen: ChosenServer, url: string, reason: string | undefined): ChosenServer {
  const why = reason ?? hostReason(url);
  return why === undefined ? chosen : { ...chosen, testHost: { host: new URL(url).hostname, why } };
}

function testReason(server: Record<string, unknown>): string | undefined {
  const description = typeof server['description'] === 'string' ? server['description'] : '';
  const word = TEST_WORDS.exec(description)?.[1];
  if (word !== undefined) return `its description says "${word}"`;
  return typeof server['url'] === 'string' ? hostReason(substitute(server['url'], server['variables'])) : undefined;
}

function hostReason(url: string): string | undefined {
  if (!URL.canParse(url)) return undefined;
  const host = new URL(url).hostname;
  const word = TEST_HOST.exec(host)?.[0];
  return word === undefined ? undefined : `its host names a test system (${host})`;
}

/** `{region}` → the variable's default (or its first enum value); unknown variables stay unusable. */
function substitute(url: string, variables: unknown): string {
  const vars = isRecord(variables) ? variables : {};
  return url.replace(/\{([^}]*)\}/g, (whole, name: string) => {
    const v = vars[name];
    if (!isRecord(v)) return whole;
    if (typeof v['default'] === 'string') return v['default'];
    const first: unknown = Array.isArray(v['enum']) ? v['enum'][0] : undefined;
    return typeof first === 'string' ? first : whole;
  });
}

/**
 * The base URL is written unquoted inside `${API_URL:-…}`: a spec's URL with spaces, quotes,
 * braces, `#` or line breaks would end the default early or inject YAML, so it is not used.
 */
export function plainUrl(url: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/[\s{}#?"'\\\u0000-\u001f\u007f]/.test(url) && URL.canParse(url);
}

function plainPath(path: string): boolean {
  return /^[A-Za-z0-9/._~%-]*$/.test(path);
}
