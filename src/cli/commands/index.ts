/**
 * Every CLI command, one file each. Add a command by adding its file and one line here.
 */

import type { Command } from 'commander';
import { registerCoverage } from './coverage.js';
import { registerMonitor } from './monitor.js';
import { registerServe } from './serve.js';
import { registerValidate } from './validate.js';

type Register = (program: Command) => void;

const commands: Register[] = [registerValidate, registerCoverage, registerServe, registerMonitor];

export function registerCommands(program: Command): void {
  for (const register of commands) register(program);
}
