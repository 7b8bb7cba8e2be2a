#!/usr/bin/env node
/**
 * The `nodegrad` command line: info, train, eval, bench. Arguments are parsed by commander.
 */
import { Command, InvalidArgumentError } from 'commander';
import * as ng from './index.js';
import { version } from './version.js';

function int(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
    return n;
  };
}

function fmtBytes(b: number): string {
  return b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(b % (1 << 20) ? 1 : 0)} MiB` : `${Math.round(b / 1024)} KiB`;
}

export function infoLines(): string[] {
  const info = ng.nativeInfo();
  const lines = [
    `nodegrad ${version}`,
    `node      ${process.version} (${process.platform}-${process.arch})`,
    `backend   ${ng.getBackend()} (available: ${ng.backends().join(', ')})`,
    `threads   ${ng.getNumThreads()}`,
  ];
  if (info) {
    lines.push(
      `isa       ${info.isa}${info.isa !== info.bestIsa ? ` (forced; best is ${info.bestIsa})` : ''}${info.bf16 ? ', bf16 supported' : ''}`,
      `caches    L1d ${fmtBytes(info.l1dBytes)}, L2 ${fmtBytes(info.l2Bytes)}${info.l3Bytes ? `, L3 ${fmtBytes(info.l3Bytes)}` : ''}`,
      `addon     ${info.path}`,
    );
  } else {
    lines.push(`addon     not loaded: ${ng.nativeLoadErrors().join('; ') || 'NODEGRAD_BACKEND=js'}`);
  }
  return lines;
}

export function buildProgram(): Command {
  const program = new Command('nodegrad')
    .description('Deep learning for Node.js: train, evaluate and benchmark nodegrad models')
    .version(version);

  program
    .command('info')
    .description('version, backend, ISA, threads and cache sizes')
    .action(() => {
      for (const l of infoLines()) console.log(l);
    });

  return program;
}

export { int as parseIntOption };

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((e: unknown) => {
      console.error(`nodegrad: ${(e as Error).message}`);
      process.exit(1);
    });
}
