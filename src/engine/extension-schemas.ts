/** The registries as the scenario loader sees them: option schemas by id. */
import { DEFAULT_SUITE, attacks } from '../attacks/index.js';
import type { ExtensionSchemas } from '../config/index.js';
import { observers } from '../observers/index.js';

export function extensionSchemas(): ExtensionSchemas {
  return {
    attacks: Object.fromEntries(Object.entries(attacks).map(([id, a]) => [id, a.meta.options])),
    observers: Object.fromEntries(Object.entries(observers).map(([id, o]) => [id, o.meta.options])),
    defaultSuite: DEFAULT_SUITE,
  };
}
