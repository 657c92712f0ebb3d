/**
 * A hand-built audit result for reporter tests: one finding whose evidence carries what a
 * hostile target can send back (markup in bodies and headers, control characters, backticks,
 * table pipes), and attacks in every status. Independent of any run, so a reporter test fails
 * only when the reporter does.
 */
import type { RunEvent } from '../../result/events.js';
import type { AuditResult } from '../../result/result.js';
import type { Exchange } from '../../http/exchange.js';

export const HOSTILE = {
  script: '<script>window.__pwned = 1</script>',
  attribute: '"><img src=x onerror="window.__pwned = 2">',
  textarea: '</textarea><svg onload="window.__pwned = 3">',
  pipe: 'a | b\n| c',
  backticks: '```\nrm -rf /\n```',
} as const;

const exchange = (id: number, label: string): Exchange => ({
  id,
  label,
  attack: 'concurrent-burst',
  endpoint: 'pay<ments>',
  key: `k-${HOSTILE.attribute}`,
  principal: 'default',
  burst: 1,
  request: {
    method: 'POST',
    url: 'http://127.0.0.1:1/payments?q=<b>',
    headers: { Authorization: '[REDACTED]', 'Idempotency-Key': 'k-1' },
    body: `{"note":"${HOSTILE.textarea}"}`,
  },
  response: {
    status: 201,
    headers: { 'x-evil': HOSTILE.attribute, 'content-type': 'text/html' },
    body: `${HOSTILE.script}${HOSTILE.textarea}\u0000\u001b[31m`,
    bytes: 120,
    truncated: false,
  },
  timings: { queued: 1, sent: 1.2, headers: 3.4, done: 3.5 },
  serverArrivalNs: '1000',
});

export function hostileResult(): AuditResult {
  return {
    schemaVersion: 1,
    tool: { name: 'idem-audit', version: '0.0.0' },
    scenario: { name: `demo ${HOSTILE.pipe}`, file: 'x.yaml', endpoints: [{ name: 'pay<ments>', line: 12, col: 3 }] },
    target: { baseUrl: 'http://127.0.0.1:1/`evil`', nodes: [] },
    contract: {
      profile: 'ietf',
      keyHeader: 'Idempotency-Key',
      keyRequired: true,
      ttlMs: 86_400_000,
      onMissingKey: [400],
      onMismatch: [422],
      onInFlight: [409],
      inFlightMayWait: false,
      errorsReplayed: true,
      replayHeader: undefined,
      recoveryMs: 30_000,
    },
    status: 'completed',
    seed: 7,
    failOn: 'high',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    durationMs: 1000,
    requests: 3,
    summary: {
      findings: { info: 0, low: 1, medium: 0, high: 1, critical: 1 },
      attacks: { passed: 1, failed: 1, skipped: 1, inconclusive: 0, error: 0 },
    },
    attacks: [
      {
        attack: 'concurrent-burst',
        endpoint: 'pay<ments>',
        title: 'burst',
        status: 'failed',
        notes: [],
        requests: 2,
        durationMs: 5,
        findings: 2,
        bursts: [{ id: 1, size: 2, releaseSpreadMs: 0.01, arrivalSpreadMs: 0.2 }],
      },
      {
        attack: 'missing-key',
        endpoint: 'pay<ments>',
        title: 'missing',
        status: 'passed',
        notes: [HOSTILE.script],
        requests: 1,
        durationMs: 1,
        findings: 0,
        bursts: [],
      },
      {
        attack: 'ttl-probe',
        endpoint: 'pay<ments>',
        title: 'ttl',
        status: 'skipped',
        reason: `no ttl ${HOSTILE.pipe}`,
        notes: [],
        requests: 0,
        durationMs: 0,
        findings: 0,
        bursts: [],
      },
    ],
    findings: [
      {
        attack: 'concurrent-burst',
        endpoint: 'pay<ments>',
        kind: 'duplicate-write',
        severity: 'critical',
        title: 'Two writes for one key',
        message: `Key k-1 executed twice ${HOSTILE.script}`,
        fingerprint: '0123456789abcdef',
        expected: '1 side effect',
        observed: `2 side effects ${HOSTILE.pipe}`,
        sideEffects: {
          expected: 1,
          observed: 2,
          counts: [{ observer: 'responseId', count: 2, detail: `2 ids ${HOSTILE.attribute}`, evidence: [] }],
        },
        exchanges: [exchange(1, 'burst[1]'), exchange(2, 'burst[2]')],
        remediation: 'Reserve the key atomically.',
        references: ['IK-24'],
        reproduce: {
          seed: 7,
          command: `idem-audit run x.yaml --seed 7 ${HOSTILE.backticks}`,
          curl: [
            '# not simultaneous: a burst of 2 requests, which curl sends one after another; to release them together: idem-audit replay report.json --finding 0123456789abcdef',
            `curl -X POST 'http://127.0.0.1:1/payments' -H "Authorization: Bearer \${API_TOKEN}" --data-raw '${HOSTILE.textarea}'`,
          ],
          env: [{ name: 'API_TOKEN', meaning: `the variable the audit read for target.headers.Authorization` }],
          timingDependent: true,
        },
      },
      {
        attack: 'concurrent-burst',
        endpoint: 'pay<ments>',
        kind: 'race-error',
        severity: 'high',
        title: 'A concurrent duplicate got a 5xx',
        message: 'One of 2 concurrent duplicates got 500.',
        fingerprint: '00112233aabbccdd',
        expected: '2xx replay or 409',
        observed: '500',
        sideEffects: undefined,
        exchanges: [],
        remediation: 'Answer 409 while the first request runs.',
        references: ['IK-25'],
        reproduce: { seed: 7, command: 'idem-audit run x.yaml --seed 7', curl: [], timingDependent: true },
        baseline: { reason: `accepted until the rewrite ${HOSTILE.script}`, expires: '2026-12-31', expired: false },
      },
      {
        attack: 'missing-key',
        endpoint: 'pay<ments>',
        kind: 'missing-key-status',
        severity: 'low',
        title: 'Undocumented status',
        message: 'A request without a key got 403.',
        fingerprint: 'fedcba9876543210',
        expected: '400',
        observed: '403',
        sideEffects: undefined,
        exchanges: [],
        remediation: 'Answer 400.',
        references: ['IK-8'],
        reproduce: { seed: 7, command: 'idem-audit run x.yaml --seed 7', curl: [], timingDependent: false },
      },
    ],
    errors: [],
    baseline: { file: 'baseline.json', entries: 1 },
  };
}

/** The events a run producing `result` would have emitted, in order: what live reporters see. */
export function hostileRunEvents(result: AuditResult = hostileResult()): RunEvent[] {
  const events: RunEvent[] = [
    {
      type: 'run-start',
      at: result.startedAt,
      scenario: result.scenario.name,
      seed: result.seed,
      keySalt: 'salt-7',
      attacks: result.attacks.length,
    },
  ];
  for (const a of result.attacks) {
    events.push({ type: 'attack-start', attack: a.attack, endpoint: a.endpoint });
    const findings = result.findings.filter((f) => f.attack === a.attack && f.endpoint === a.endpoint);
    const exchanges = new Map(findings.flatMap((f) => f.exchanges).map((x) => [x.id, x]));
    for (const exchange of exchanges.values()) events.push({ type: 'exchange', exchange });
    for (const finding of findings) events.push({ type: 'finding', finding });
    events.push({ type: 'attack-end', result: a });
  }
  events.push({ type: 'run-end', status: result.status, findings: result.findings.length, requests: result.requests });
  return events;
}
