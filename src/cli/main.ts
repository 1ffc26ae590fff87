import { ConfigError, loadConfig } from '../config/config.js';
import { DaifaError } from '../lib/errors.js';
import { commands, usage } from './commands.js';

/** `daifa <command> [subcommand] [--flags]` — see `daifa help`. */
async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv);
  const [cmd, ...rest] = positionals;
  if (!cmd || cmd === 'help' || values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const handler = commands[cmd];
  if (!handler) {
    process.stderr.write(`未知命令 / unknown command: ${cmd}\n\n${usage}`);
    return 2;
  }
  const config = loadConfig();
  return handler({ config, args: rest, flags: values as Record<string, string | boolean | undefined> });
}

/** `--key value`, `--key=value`, bare `--flag` (boolean); everything else is positional. */
export function parseFlags(argv: string[]): { values: Record<string, string | boolean>; positionals: string[] } {
  const values: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  const BOOLEAN = new Set(['json', 'help', 'all', 'encrypted', 'stock-out', 'dismiss', 'token']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h') values.help = true;
    else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const key = a.slice(2, eq > 0 ? eq : undefined);
      if (eq > 0) values[key] = a.slice(eq + 1);
      else if (!BOOLEAN.has(key) && i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) values[key] = argv[++i]!;
      else values[key] = true;
    } else positionals.push(a);
  }
  return { values, positionals };
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== -1) process.exitCode = code;
  },
  (err) => {
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else if (err instanceof DaifaError) {
      process.stderr.write(`错误 / error [${err.code}]: ${err.message}\n`);
      if (Array.isArray(err.details)) for (const d of err.details) process.stderr.write(`  - ${d.field}: ${d.message}\n`);
    } else process.stderr.write(`${(err as Error)?.stack ?? err}\n`);
    process.exitCode = 1;
  },
);
