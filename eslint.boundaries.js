// @ts-check
/**
 * Which folder of src/ may import which: the table in ARCHITECTURE.md, enforced by `npm run lint`
 * through eslint-plugin-boundaries. Every import counts, type-only ones and re-exports included:
 * a cycle of types is still a design cycle. The table itself must stay acyclic: loading it fails
 * on a cycle, so the lint does too.
 */
import boundaries from 'eslint-plugin-boundaries';

/** What the audit loop builds on; the attack-authoring kit builds on the same plus the engine itself. */
const ENGINE_IMPORTS = [
  'attacks',
  'config',
  'errors',
  'findings',
  'hooks',
  'http',
  'observers',
  'random',
  'result',
  'scenario',
  'verdict',
];

/**
 * Folder under src/ → the folders it may import besides its own. `entry` is the files at the
 * root of src/: the public API (index.ts, api.ts) and package-info.ts.
 * @type {Record<string, readonly string[] | 'everything'>}
 */
export const LAYERS = {
  errors: [],
  scenario: [],
  random: [],
  demo: [],
  // The scenario's hook commands: a runner (child processes, output capped and redacted) and what attacks see of it.
  hooks: ['scenario'],
  config: ['errors', 'scenario'],
  http: ['errors', 'scenario'],
  observers: ['errors', 'http', 'scenario'],
  findings: ['http', 'observers', 'scenario'],
  attacks: ['errors', 'findings', 'hooks', 'http', 'observers', 'random', 'scenario'],
  result: ['findings', 'hooks', 'http', 'scenario'],
  verdict: ['errors', 'findings', 'result', 'scenario'],
  engine: ENGINE_IMPORTS,
  reporters: ['errors', 'findings', 'http', 'result', 'scenario', 'verdict'],
  init: ['errors', 'scenario'],
  // The attack-authoring kit: a fake AttackContext over the engine's own request and finding builders.
  testing: [...ENGINE_IMPORTS, 'engine'].sort(),
  // Everything but the CLI and the demo target (its own entry, no part of the API).
  entry: [
    'attacks',
    'config',
    'engine',
    'errors',
    'findings',
    'hooks',
    'http',
    'init',
    'observers',
    'random',
    'reporters',
    'result',
    'scenario',
    'verdict',
  ],
  cli: 'everything',
};

/**
 * The layers in an order where each comes after everything it may import; throws on a cycle.
 * @param {Record<string, readonly string[] | 'everything'>} layers
 * @returns {string[]}
 */
export function layerOrder(layers) {
  const names = Object.keys(layers);
  /** @type {string[]} */
  const order = [];
  /** @type {Map<string, 'open' | 'done'>} */
  const state = new Map();
  /** @param {string} name @param {string[]} path */
  const visit = (name, path) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'open') throw new Error(`folder import cycle: ${[...path, name].join(' → ')}`);
    const allowed = layers[name];
    if (allowed === undefined) throw new Error(`${path.at(-1)} may import ${name}, which is no layer`);
    state.set(name, 'open');
    const next = allowed === 'everything' ? names.filter((n) => n !== name) : allowed;
    for (const n of next) visit(n, [...path, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of names) visit(name, []);
  return order;
}

layerOrder(LAYERS);

/**
 * The files at the root of src/ are a file category: element patterns name folders only.
 * @param {string} layer
 */
const entity = (layer) => (layer === 'entry' ? { file: { categories: 'entry' } } : { element: { type: layer } });
const anything = [{ element: { type: '*' } }, entity('entry')];
const folders = Object.keys(LAYERS).filter((n) => n !== 'entry');

export default [
  {
    files: ['src/**/*.ts', 'test/helpers/**/*.ts', 'examples/**/*.ts'],
    plugins: { boundaries },
    settings: {
      // Imports name the compiled `.js`; the TypeScript resolver maps them to the `.ts` sources.
      'import/resolver': { typescript: { project: 'tsconfig.json' } },
      'boundaries/root-path': import.meta.dirname,
      'boundaries/elements': [
        ...folders.map((type) => ({ type, pattern: `src/${type}`, partialMatch: false })),
        { type: 'test-helpers', pattern: 'test/helpers', partialMatch: false },
        { type: 'examples', pattern: 'examples', partialMatch: false },
      ],
      'boundaries/files': [
        { category: 'entry', pattern: 'src/*.ts' },
        { category: 'test', pattern: ['src/**/*.test.ts', 'src/**/__fixtures__/**'] },
      ],
    },
    rules: {
      // A new folder under src/ must get a row in LAYERS before it lints.
      'boundaries/no-unknown-files': 'error',
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          // An import the resolver cannot place is a violation, not a blind spot.
          checkUnknownLocals: true,
          policies: [
            // A layer's own files are allowed too: the root files of src/ are no folder, so the
            // plugin does not see their imports of each other as internal.
            ...Object.entries(LAYERS).map(([layer, allowed]) => ({
              from: entity(layer),
              allow: {
                to: allowed === 'everything' ? anything : [...allowed, layer].map(entity),
              },
            })),
            // Tests assemble whole runs against the demo target; only the CLI (driven through
            // test/helpers/cli.ts) and the public entry (tested by its own tests) stay out of reach.
            { from: { file: { categories: 'test' } }, allow: { to: { element: { type: '!cli' } } } },
            { from: { element: { type: 'test-helpers' } }, allow: { to: anything } },
            // Examples use the package as users get it: its public entry and the demo's.
            {
              from: { element: { type: 'examples' } },
              allow: { to: { file: { path: ['src/index.ts', 'src/demo/index.ts'] } } },
            },
          ],
        },
      ],
    },
  },
];
