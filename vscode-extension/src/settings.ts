// The extension's settings: the server's settings tree (generated into package.json from
// `linewright.config.describe()`), plus a few that only the extension reads. Pure: no
// `vscode` import, so it is unit-tested in plain Node.

export const SECTION = 'linewright';

/** One entry of `linewright.config.describe()`. */
export interface DescribedSetting {
  default: boolean | number | string;
  doc: string;
  type: 'boolean' | 'integer' | 'number' | 'string';
  enum?: string[];
  minimum?: number;
  maximum?: number;
  /** "machine": a repository's own files may not set it (see `MACHINE_NOTE` in config.py). */
  scope?: 'machine';
}

/** One property of package.json's `contributes.configuration.properties`. */
export interface ConfigurationProperty {
  type: string;
  default: boolean | number | string;
  description: string;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  scope?: string;
}

/** Settings the extension reads itself; they are never sent to the server. */
export const CLIENT_SETTINGS: Record<string, ConfigurationProperty> = {
  'linewright.server.path': {
    type: 'string',
    default: '',
    description:
      'Path of the `linewright` executable; empty: look for it (the trusted workspace\'s .venv, ' +
      'the selected Python interpreter, PATH, ~/.local/bin, ~/bin). Changing it restarts the server.',
    // it names a program to run: a repository's .vscode/settings.json must not set it
    scope: 'machine',
  },
  'linewright.trace.server': {
    type: 'string',
    default: 'off',
    enum: ['off', 'messages', 'verbose'],
    description:
      'Log the LSP messages between VS Code and the server in the "Linewright Trace" output channel.',
  },
};

/**
 * `capabilities.untrustedWorkspaces.restrictedConfigurations`: every machine-scoped setting,
 * the server's (`scope: "machine"` in `described`) and the extension's own.
 */
export function restrictedConfigurations(described: Record<string, DescribedSetting>): string[] {
  const server = Object.entries(described)
    .filter(([, setting]) => setting.scope === 'machine')
    .map(([key]) => `${SECTION}.${key}`);
  const client = Object.entries(CLIENT_SETTINGS)
    .filter(([, property]) => property.scope === 'machine')
    .map(([key]) => key);
  return [...server, ...client];
}

/** `contributes.configuration.properties` for the server settings in `described`. */
export function contributedProperties(
  described: Record<string, DescribedSetting>,
): Record<string, ConfigurationProperty> {
  const properties: Record<string, ConfigurationProperty> = {};
  for (const [key, setting] of Object.entries(described)) {
    const property: ConfigurationProperty = {
      type: setting.type,
      default: setting.default,
      description: setting.doc,
    };
    if (setting.enum !== undefined) property.enum = setting.enum;
    if (setting.minimum !== undefined) property.minimum = setting.minimum;
    if (setting.maximum !== undefined) property.maximum = setting.maximum;
    if (setting.scope !== undefined) property.scope = setting.scope;
    properties[`${SECTION}.${key}`] = property;
  }
  return { ...properties, ...CLIENT_SETTINGS };
}

/** A JSON object as the server reads it (`{"completion": {"debounceMs": 100}}`). */
export type SettingsTree = { [key: string]: SettingsTree | boolean | number | string };

/**
 * The server settings the user set explicitly, as one nested object.
 *
 * `explicit` holds full keys (`linewright.completion.debounceMs`) with the value the user
 * set; defaults are left out on purpose, so that the workspace's `linewright.toml` and the
 * user's config file still apply to everything the editor does not override.
 */
export function serverSettings(explicit: ReadonlyArray<[string, unknown]>): SettingsTree {
  const tree: SettingsTree = {};
  for (const [fullKey, value] of explicit) {
    if (fullKey in CLIENT_SETTINGS || !fullKey.startsWith(`${SECTION}.`)) continue;
    if (typeof value !== 'boolean' && typeof value !== 'number' && typeof value !== 'string') {
      continue;
    }
    const path = fullKey.slice(SECTION.length + 1).split('.');
    const leaf = path.pop();
    if (leaf === undefined) continue;
    let node = tree;
    for (const part of path) {
      const next = node[part];
      if (typeof next === 'object') {
        node = next;
      } else {
        const created: SettingsTree = {};
        node[part] = created;
        node = created;
      }
    }
    node[leaf] = value;
  }
  return tree;
}
