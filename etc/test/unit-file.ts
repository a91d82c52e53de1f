/** A minimal systemd unit-file reader: enough to assert directives of the shipped units. */
export type UnitFile = Map<string, Array<[key: string, value: string]>>;

export function parseUnitFile(text: string): UnitFile {
  const sections: UnitFile = new Map();
  let current: Array<[string, string]> | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    if (line.endsWith('\\')) throw new Error(`line ${index + 1}: continuation lines are not supported by this reader`);
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = [];
      sections.set(section[1]!, current);
      return;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || current === undefined) throw new Error(`line ${index + 1}: not a key=value inside a section: ${line}`);
    current.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  });
  return sections;
}

/** Every value of a key in a section, in file order (systemd keys may repeat). */
export function values(unit: UnitFile, section: string, key: string): string[] {
  return (unit.get(section) ?? []).filter(([k]) => k === key).map(([, v]) => v);
}

/** The effective single value: the last assignment wins, as in systemd. */
export function value(unit: UnitFile, section: string, key: string): string | undefined {
  return values(unit, section, key).at(-1);
}

/** Splits a command line of our units (no quoting used in them) into argv. */
export function argv(command: string): string[] {
  if (/["'\\]/.test(command)) throw new Error(`quoted command lines are not supported: ${command}`);
  return command.split(/\s+/).filter(Boolean);
}

/** The value after `flag` in argv, if present. */
export function flagValue(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}
