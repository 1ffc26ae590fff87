import { startSandbox } from './server.js';

/**
 * The simulators as their own process (tests that SIGKILL Daifa, and benchmarks that keep simulator CPU out
 * of Daifa's numbers). Prints its URL as the first line of stdout. Knobs come as JSON in SANDBOX_KNOBS.
 */
const knobs = process.env.SANDBOX_KNOBS ? JSON.parse(process.env.SANDBOX_KNOBS) : {};
const sandbox = await startSandbox({ port: Number(process.env.SANDBOX_PORT ?? 0), push: knobs.push, api: knobs.api });
process.stdout.write(`${sandbox.url}\n`);
const stop = async () => {
  await sandbox.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
