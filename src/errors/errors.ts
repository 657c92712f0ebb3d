/**
 * Tool errors. A finding is never an error: errors mean idem-audit could not do its job
 * (bad scenario, unreachable target, broken observer). Each carries a stable code that
 * scripts may match on, and a hint that tells the user what to do next.
 */
export type ErrorCode =
  | 'IDEM_USAGE'
  | 'IDEM_SCENARIO_NOT_FOUND'
  | 'IDEM_SCENARIO_INVALID'
  | 'IDEM_HOST_REFUSED'
  | 'IDEM_TARGET_UNREACHABLE'
  | 'IDEM_OBSERVER_FAILED'
  | 'IDEM_REQUEST_BUDGET_EXHAUSTED'
  | 'IDEM_ATTACK_CRASHED'
  | 'IDEM_REPORT_WRITE_FAILED'
  | 'IDEM_NOTHING_AUDITED'
  | 'IDEM_DEADLINE_REACHED'
  | 'IDEM_SETUP_FAILED'
  | 'IDEM_TEARDOWN_FAILED'
  | 'IDEM_HOOK_FAILED'
  | 'IDEM_INTERRUPTED';

export class IdemAuditError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, hint?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.hint = hint;
  }
}

export class UsageError extends IdemAuditError {
  constructor(message: string, hint?: string) {
    super('IDEM_USAGE', message, hint);
  }
}

/** A host the run may not send to (host policy: not loopback, not allowed, or production without consent). */
export class HostRefusedError extends IdemAuditError {
  readonly hosts: readonly string[];
  constructor(hosts: readonly string[], message: string, hint: string) {
    super('IDEM_HOST_REFUSED', message, hint);
    this.hosts = hosts;
  }
}

/** One problem in a scenario file, located as precisely as the YAML allows. */
export interface ScenarioIssue {
  file: string;
  /** 1-based; 0 when the problem has no position (e.g. an unreadable file). */
  line: number;
  col: number;
  /** Dotted path to the field, e.g. `endpoints.create-payment.attacks.concurent-burst`; '' for the document. */
  path: string;
  message: string;
  hint?: string;
}

export class ScenarioError extends IdemAuditError {
  readonly issues: readonly ScenarioIssue[];

  constructor(
    issues: readonly ScenarioIssue[],
    code: 'IDEM_SCENARIO_INVALID' | 'IDEM_SCENARIO_NOT_FOUND' = 'IDEM_SCENARIO_INVALID',
  ) {
    const first = issues[0];
    super(
      code,
      issues.length === 1 && first
        ? formatScenarioIssue(first)
        : `${issues.length} problems in ${first?.file ?? 'scenario'}`,
      'Fix the fields listed above; `idem-audit schema` prints the full format.',
    );
    this.issues = issues;
  }
}

export function formatScenarioIssue(issue: ScenarioIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.col}` : issue.file;
  const path = issue.path === '' ? '(document)' : issue.path;
  return `${where}  ${path}  ${issue.message}${issue.hint ? ` (${issue.hint})` : ''}`;
}

export class TargetUnreachableError extends IdemAuditError {
  readonly url: string;
  constructor(url: string, reason: string) {
    super(
      'IDEM_TARGET_UNREACHABLE',
      `cannot reach ${url}: ${reason}`,
      'Check target.baseUrl (or the API_URL-style variable behind it) and that the service is running.',
    );
    this.url = url;
  }
}

export class ObserverError extends IdemAuditError {
  readonly observer: string;
  constructor(observer: string, message: string, hint?: string, options?: ErrorOptions) {
    super('IDEM_OBSERVER_FAILED', `observer ${observer}: ${message}`, hint, options);
    this.observer = observer;
  }
}

export class RequestBudgetError extends IdemAuditError {
  constructor(limit: number) {
    super(
      'IDEM_REQUEST_BUDGET_EXHAUSTED',
      `request budget of ${limit} requests exhausted`,
      'Raise settings.maxRequests / --max-requests, or audit fewer attacks at once (--only).',
    );
  }
}

/**
 * A setup step (scenario `setup:`) got no answer, an answer outside its `expect`, or nothing to
 * capture: what needed it cannot be audited, and the message says what the target answered.
 */
export class SetupFailedError extends IdemAuditError {
  constructor(message: string) {
    super(
      'IDEM_SETUP_FAILED',
      message,
      'Check the setup step against the target (credentials, request body, the JSON path of each capture).',
    );
  }
}

export class InterruptedError extends IdemAuditError {
  constructor() {
    super('IDEM_INTERRUPTED', 'interrupted');
  }
}
