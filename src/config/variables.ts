/**
 * Which template variables a place in the scenario renders beyond its field's own built-ins: the
 * captures of setup steps visible there, and `{{key}}` in the steps that run for one operation.
 *
 * - Scenario setup captures are visible everywhere, from the step after the one that captures
 *   them (target and principal headers included: such a header is sent from the moment its
 *   capture exists).
 * - An endpoint's setup captures are visible in that endpoint (request, observers, attack
 *   options), its later setup steps and its teardown; a `per: run` step sees no capture of a
 *   `per: operation` step (it runs once, before any operation).
 * - `{{key}}` is rendered in `per: operation` steps and, when the endpoint has one, its teardown.
 * - The key template renders no capture: keys are drawn before any setup runs.
 *
 * Also checks that step names are unique and that no capture is defined twice where both would
 * be visible.
 */
import type { PathSegment } from './locate.js';
import type { Problem } from './messages.js';
import type { ScenarioInput } from './schema.js';

interface StepInput {
  name: string;
  per?: 'run' | 'operation';
  capture?: Readonly<Record<string, unknown>> | undefined;
}

export interface VariableScope {
  /** Extra variables rendered at `path` (a template field's path in the parsed scenario). */
  variables(path: readonly PathSegment[]): readonly string[];
  /** Why a built-in that is not rendered at `path` is missing there, when there is more to say. */
  hint(path: readonly PathSegment[], name: string): string | undefined;
}

const captures = (steps: readonly StepInput[] | undefined, before = Infinity): string[] =>
  (steps ?? []).slice(0, Math.max(0, before)).flatMap((s) => Object.keys(s.capture ?? {}));

export function variableScope(input: Pick<ScenarioInput, 'setup' | 'endpoints'>): VariableScope {
  const scenarioSteps = input.setup ?? [];
  const all = captures(scenarioSteps);
  const endpointSteps = (name: string): StepInput[] => input.endpoints[name]?.setup ?? [];
  const hasOperationStep = (name: string): boolean => endpointSteps(name).some((s) => s.per === 'operation');

  const variables = (path: readonly PathSegment[]): readonly string[] => {
    const [root, a, b, c] = path;
    if (root === 'setup') return captures(scenarioSteps, typeof a === 'number' ? a : 0);
    if (root !== 'endpoints' || typeof a !== 'string') return all;
    const steps = endpointSteps(a);
    if (b === 'key') return [];
    if (b === 'setup' && typeof c === 'number') {
      const step = steps[c];
      const earlier = steps.slice(0, c).filter((s) => step?.per === 'operation' || s.per !== 'operation');
      return [...all, ...captures(earlier), ...(step?.per === 'operation' ? ['key'] : [])];
    }
    if (b === 'teardown') return [...all, ...captures(steps), ...(hasOperationStep(a) ? ['key'] : [])];
    return [...all, ...captures(steps)];
  };

  const hint = (path: readonly PathSegment[], name: string): string | undefined => {
    const [root, a, b] = path;
    if (name !== 'key') return undefined;
    if (root === 'setup' || root === 'teardown')
      return 'scenario-level setup and teardown run outside any operation; only an endpoint’s `per: operation` steps render {{key}}';
    if (root === 'endpoints' && typeof a === 'string' && (b === 'setup' || b === 'teardown'))
      return b === 'setup'
        ? 'a `per: run` step runs outside any operation; give the step `per: operation` to render the operation’s {{key}}'
        : 'the endpoint’s teardown renders {{key}} only when it has a `per: operation` setup step';
    return undefined;
  };

  return { variables, hint };
}

/** Step names unique in the scenario (scenario and each endpoint together); captures defined once where visible. */
export function checkSteps(input: Pick<ScenarioInput, 'setup' | 'endpoints'>): Problem[] {
  const problems: Problem[] = [];
  const scenarioSteps = input.setup ?? [];
  const scenarioNames = new Map<string, number>();
  const scenarioCaptures = new Map<string, PathSegment[]>();
  scenarioSteps.forEach((s, i) => {
    if (scenarioNames.has(s.name))
      problems.push(duplicateName(['setup', i, 'name'], s.name, `setup[${scenarioNames.get(s.name) ?? 0}]`));
    else scenarioNames.set(s.name, i);
    for (const name of Object.keys(s.capture ?? {})) {
      const earlier = scenarioCaptures.get(name);
      if (earlier) problems.push(duplicateCapture(['setup', i, 'capture', name], name, earlier));
      else scenarioCaptures.set(name, ['setup', i, 'capture', name]);
    }
  });
  for (const [endpoint, ep] of Object.entries(input.endpoints)) {
    const names = new Map<string, string>();
    const seen = new Map<string, PathSegment[]>(scenarioCaptures);
    (ep.setup ?? []).forEach((s, i) => {
      const where = scenarioNames.has(s.name) ? `setup[${scenarioNames.get(s.name) ?? 0}]` : names.get(s.name);
      if (where !== undefined) problems.push(duplicateName(['endpoints', endpoint, 'setup', i, 'name'], s.name, where));
      else names.set(s.name, `endpoints.${endpoint}.setup[${i}]`);
      for (const name of Object.keys(s.capture ?? {})) {
        const at: PathSegment[] = ['endpoints', endpoint, 'setup', i, 'capture', name];
        const earlier = seen.get(name);
        if (earlier) problems.push(duplicateCapture(at, name, earlier));
        else seen.set(name, at);
      }
    });
  }
  return problems;
}

const pathText = (p: readonly PathSegment[]): string =>
  p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');

function duplicateName(path: PathSegment[], name: string, where: string): Problem {
  return {
    path,
    message: `setup step name '${name}' is already used by ${where}`,
    hint: 'reports name steps by it: give each its own name',
    anchor: 'value',
  };
}

function duplicateCapture(path: PathSegment[], name: string, earlier: readonly PathSegment[]): Problem {
  return {
    path,
    message: `{{${name}}} is already captured at ${pathText(earlier)}`,
    hint: 'give each capture its own name',
    anchor: 'key',
  };
}
