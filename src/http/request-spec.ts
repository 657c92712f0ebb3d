/** What an attack asks the engine to send. The engine adds nothing it does not record. */
export interface RequestSpec {
  method: string;
  /** Absolute URL. */
  url: string;
  headers: Readonly<Record<string, string>>;
  body: string | undefined;
  /** Attack-chosen label shown in reports (`first`, `replay[2]`, `burst[7]`). */
  label: string;
  /** The idempotency key this request carries, if any (for attribution and reports). */
  key: string | undefined;
  /** Name of the principal whose credentials it carries. */
  principal: string;
  /** Overrides the scenario timeout for this request. */
  timeoutMs?: number;
  /** Set on requests that prepare or clean up the audit (scenario setup and teardown steps), not audited ones. */
  phase?: ExchangePhase;
}

/** What a non-audited request was for: creating what the audited ones need, or removing it after. */
export type ExchangePhase = 'setup' | 'teardown';
