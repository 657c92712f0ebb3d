/**
 * What `init --from-openapi` drafts, before it is written as YAML: endpoints with their requests,
 * key placements and setup flows, in the terms of the scenario format (docs/scenario.md).
 */
import type { JsonValue } from '../scenario/types.js';

export type DraftBody =
  | { kind: 'json'; value: JsonValue }
  /** A form mapping as the scenario writes it (nested objects and lists, bracket-encoded when sent). */
  | { kind: 'form'; value: Record<string, JsonValue> }
  | { kind: 'text'; text: string; contentType: string };

/** Where the spec documents the idempotency key. */
export type DraftKeyPlacement =
  | { in: 'header'; name: string }
  | { in: 'body'; field: string }
  | { in: 'form'; field: string }
  | { in: 'query'; name: string };

export interface DraftKey {
  /** Undefined: the spec documents no key for the operation (the scenario's key header is a guess). */
  placement: DraftKeyPlacement | undefined;
  /** True only where the spec marks that parameter or property required. */
  required: boolean;
}

export interface DraftRequest {
  /** Upper case. */
  method: string;
  /** Server prefix, path and query, with `{{capture}}` where a setup step provides the value. */
  path: string;
  headers: Record<string, string>;
  body: DraftBody | undefined;
}

/** A JSONPath into the answer, or a response header. */
export type DraftCapture = { json: string } | { header: string };

/** A step that runs once per audited operation (flows.ts says why). */
export interface DraftSetupStep {
  name: string;
  request: DraftRequest;
  capture: Record<string, DraftCapture>;
  /** Why the step is there, written above it. */
  reason: string;
}

export interface DraftOperation {
  endpoint: string;
  summary: string | undefined;
  request: DraftRequest;
  key: DraftKey;
  /** JSONPath of the id in the success response, when the response schema has one. */
  idPath: string | undefined;
  /** Steps that create what the request needs, in the order they run. */
  setup: DraftSetupStep[];
  /** What the reviewer must check: guessed path parameters, links that could not be followed. */
  notes: string[];
}

export interface CredentialHeader {
  scheme: string;
  header: string;
  /** Header value with ${ENV} placeholders. */
  value: string;
  /** Environment variable for a second caller. */
  otherValue: string;
}

export interface OpenApiDraft {
  title: string;
  baseUrl: string;
  /** Set when the server was chosen as a sandbox/staging/test system: its host is allowed, and why. */
  testHost?: { host: string; why: string };
  operations: DraftOperation[];
  credentials: CredentialHeader[];
  /** `METHOD /path (reason)` for every write operation not drafted. */
  skipped: string[];
  /** Problems of the description itself (unresolved references), written at the top of the draft. */
  warnings: string[];
}
