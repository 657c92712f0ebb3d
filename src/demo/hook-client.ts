/**
 * The demo scenario's hook command: `node hook-client.js <control url>/<action>` asks the demo's
 * control endpoint (control.ts) to crash, restart or check the target, or to switch its key store
 * off or on; prints the answer and exits 0 when it was done, 1 when not. A script of its own with
 * nothing but node:http to load, so a hook costs a Node start-up and no more: the crash must land
 * while the target is still in the middle of its operation.
 */
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';

export function callControl(url: string, timeoutMs = 60_000): Promise<{ ok: boolean; text: string }> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        resolve({ ok: status >= 200 && status < 300, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => resolve({ ok: false, text: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ ok: false, text: `${err.message}\n` }));
    req.end();
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const url = process.argv[2];
  if (url === undefined) {
    process.stderr.write('usage: node hook-client.js <control url>/<crash|restart|ready|store-down|store-up>\n');
    process.exitCode = 2;
  } else {
    void callControl(url).then(({ ok, text }) => {
      (ok ? process.stdout : process.stderr).write(text);
      process.exitCode = ok ? 0 : 1;
    });
  }
}
