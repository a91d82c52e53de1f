#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { withConfig, withPidFile, withStartOptions, withStopOptions } from './options.js';

// Commands are loaded on use: status/reload/version then skip the config stack (zod, yaml),
// which is most of this CLI's start-up time.

/** gatewayd's CLI; exit codes follow the SPEC's CLI table. */
// `gatewayd status | head`: a reader that leaves early is no failure of the command, whose exit
// code stays its own (an unhandled EPIPE made every such run exit 1 with a stack trace).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

await yargs(hideBin(process.argv))
  .scriptName('gatewayd')
  .usage('$0 <command> [options]')
  .command('start', 'start the gateway (foreground, or --daemon)', withStartOptions, async (argv) => {
    const { runStart } = await import('./commands/start.js');
    process.exitCode = await runStart(argv);
  })
  .command('stop', 'drain and stop a running gateway', withStopOptions, async (argv) => {
    const { runStop } = await import('./commands/stop.js');
    process.exitCode = await runStop(argv);
  })
  .command('reload', 'validate the config, then roll the workers onto it; waits for the result', withPidFile, async (argv) => {
    const { runReload } = await import('./commands/reload.js');
    process.exitCode = await runReload(argv);
  })
  .command('restart', 'stop, then start with the same options', (y) => withStopOptions(withStartOptions(y)), async (argv) => {
    const { runRestart } = await import('./commands/restart.js');
    process.exitCode = await runRestart(argv);
  })
  .command('status', 'show the running gateway (exit 3 when not running)', (y) => withPidFile(y).option('json', { type: 'boolean', default: false, describe: 'print the status report as JSON' }), async (argv) => {
    const { runStatus } = await import('./commands/status.js');
    process.exitCode = await runStatus(argv);
  })
  .command('test', 'validate the config and print a summary', withConfig, async (argv) => {
    const { runTest } = await import('./commands/test.js');
    process.exitCode = runTest(argv);
  })
  .command('version', 'print the version', (y) => y, async () => {
    const { runVersion } = await import('./commands/version.js');
    process.exitCode = runVersion();
  })
  .demandCommand(1, 'name a command: start, stop, reload, restart, status, test or version')
  .strict()
  .help()
  .version(false)
  .parseAsync();
