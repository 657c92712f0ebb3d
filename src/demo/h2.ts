/**
 * The demo target over HTTP/2: h2c (prior knowledge) on loopback, or h2 over TLS with a
 * self-signed certificate generated at startup. Same request handling as the HTTP/1.1 server
 * (createDemoApp), so every flaw behaves identically whichever protocol carries it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DemoConfigError } from './flaws.js';
import { createDemoApp, DEMO_DEFAULTS, listenDemo, type DemoOptions, type DemoServer } from './server.js';

export interface DemoH2Options extends DemoOptions {
  /** h2 over TLS with a fresh self-signed certificate (needs the openssl CLI); default h2c. */
  tls?: boolean;
}

export interface DemoH2Server extends DemoServer {
  /** PEM certificate of the TLS server, for clients that must trust it. */
  cert: string | undefined;
}

export async function startDemoH2Server(opts: DemoH2Options): Promise<DemoH2Server> {
  const app = createDemoApp(opts);
  const host = opts.host ?? DEMO_DEFAULTS.host;
  const pair = opts.tls ? selfSignedCertificate(host) : undefined;
  const server = pair
    ? http2.createSecureServer({ key: pair.key, cert: pair.cert, allowHTTP1: true }, app.listener)
    : http2.createServer(app.listener);
  // Sessions outlive server.close(); they are ended explicitly on close.
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s: http2.ServerHttp2Session) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  const { port, url } = await listenDemo(server, opts, pair ? 'https' : 'http');
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    cert: pair?.cert,
    close() {
      closing ??= new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        for (const s of sessions) s.destroy();
      }).then(() => app.close());
      return closing;
    },
  };
}

/**
 * node:crypto makes keys but cannot sign X.509 certificates, so the openssl CLI does it; CI
 * images without it need `apt-get install -y openssl`.
 */
function selfSignedCertificate(host: string): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'idem-demo-tls-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    const san = /^[\d.]+$|:/.test(host) ? `IP:${host}` : `DNS:${host}`;
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          keyPath,
          '-out',
          certPath,
          '-subj',
          '/CN=idem-audit demo',
          '-days',
          '2',
          '-addext',
          `subjectAltName=${san},DNS:localhost`,
        ],
        { stdio: 'pipe', timeout: 20_000 },
      );
    } catch (err) {
      const missing = (err as { code?: string }).code === 'ENOENT';
      throw new DemoConfigError(
        missing
          ? 'the TLS demo needs the openssl command to generate its certificate (apt-get install -y openssl)'
          : `openssl could not generate the demo certificate: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
