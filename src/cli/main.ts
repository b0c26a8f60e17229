#!/usr/bin/env node
/**
 * The labrun command. The only place that prints for the library or ends the process: every path ends in
 * an exit code (0 passed, 1 assertion failed, 2 invalid runbook or usage, 3 step failed, 130 interrupted),
 * and nothing but a real bug ever shows a stack trace (exit 70, and even then only its message).
 */
import { CliExit, EXIT } from './exit-codes.js';
import { processOutput } from './output.js';
import { runCli } from './program.js';

// The SDK warns on every run that Node 20 support ends in 2027; that is noise for a lab tool's users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const output = processOutput();
runCli(process.argv.slice(2), output).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof CliExit) process.exit(error.code);
    const message = error instanceof Error ? error.message : String(error);
    output.err(`labrun: internal error: ${message}`);
    if (process.env.LABRUN_DEBUG && error instanceof Error && error.stack) output.err(error.stack);
    process.exit(EXIT.internal);
  },
);
