/** A config problem: which file, which key path, and why. Printed as `file:line: path: reason`. */
export class ConfigError extends Error {
  readonly code = 'GW_ERR_CONFIG_INVALID';
  constructor(
    readonly file: string,
    readonly keyPath: string,
    readonly reason: string,
    readonly line?: number,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${keyPath || '(root)'}: ${reason}`);
    this.name = 'ConfigError';
  }
}

/** Several problems found in one pass, so an operator fixes them all at once. */
export class ConfigErrors extends Error {
  readonly code = 'GW_ERR_CONFIG_INVALID';
  constructor(readonly errors: ConfigError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'ConfigErrors';
  }
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out;
}
