/**
 * A finding's fix, as its message carries it: the message ends with one `Fix:` line that says what to
 * do, naming the component that declares it (`aks-acr-guard's <Component>`), and every command to
 * run in it is a code span (`cmd`). The engine passes a violation on as its message alone, so this
 * is the finding's structure on the wire: `readFix` reads back exactly what `cmd` and the `Fix:` line
 * wrote (the report's `fix.commands`, the commands the plan leaves), and reads nothing else.
 */

/** A command in a Fix line: one code span, one command. */
export function cmd(command: string): string {
  if (command.includes("`")) throw new Error(`a command in a finding cannot hold a backtick: ${command}`);
  return `\`${command}\``;
}

/** Commands to run in order. */
export function cmds(commands: readonly string[]): string {
  return commands.map(cmd).join(", then ");
}

export interface FindingFix {
  /** The aks-acr-guard component that declares the fix, where one does. */
  component?: string;
  /** The Fix line, as the message says it. */
  text: string;
  /** Each command the Fix line gives, in order, as it runs. */
  commands: string[];
}

const COMPONENT = /aks-acr-guard's ([A-Z][A-Za-z]+)/;

/** The fix a message gives: its `Fix:` line's component and commands; undefined where it has none. */
export function readFix(message: string): FindingFix | undefined {
  const line = message.split("\n").find((l) => l.startsWith("Fix: "));
  if (line === undefined) return undefined;
  const text = line.slice("Fix: ".length);
  const component = COMPONENT.exec(text)?.[1];
  return {
    ...(component ? { component } : {}),
    text,
    commands: [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]),
  };
}
