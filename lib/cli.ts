#!/usr/bin/env node
/**
 * The `nodegrad` command line: info, train, eval, bench. Arguments are parsed by commander.
 */
import { Command, InvalidArgumentError } from 'commander';
import * as ng from './index.js';
import { evaluateSaved, recipeNames, train } from './cli-train.js';
import { addGenericTrainOptions, isGenericTrain, registerPredictCommand, runGenericTrain, type TrainCommandOptions } from './cli-fit.js';
import { infoJson } from './cli-info.js';
import { runBench } from './cli-bench.js';
import { version } from './version.js';
import * as path from 'node:path';

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
    .option('--json', 'print one JSON object instead')
    .action((o: { json?: boolean }) => {
      if (o.json) console.log(JSON.stringify(infoJson(), null, 2));
      else for (const l of infoLines()) console.log(l);
    });

  const trainCmd = program
    .command('train')
    .description(`train a model: ${recipeNames().join(', ')}, or an mlp on your data (--data FILE)`)
    .argument('[model]', `one of ${recipeNames().join(', ')}; or mlp / linear with --data`)
    .option('--epochs <n>', 'passes over the training set (default: 8 for mnist-mlp, 3 for mnist-cnn)', int('--epochs', 1))
    .option('--batch-size <n>', 'samples per step (default: 128 for mnist-mlp, 64 for mnist-cnn)', int('--batch-size', 1))
    .option('--lr <x>', 'Adam learning rate', positive('--lr'), 1e-3)
    .option('--backend <name>', 'native or js (default: the active backend)')
    .option('--threads <n>', 'native kernel threads', int('--threads', 1))
    .option('--seed <n>', 'seed for init, shuffling and dropout', int('--seed', 0), 0)
    .option('--out <dir>', 'where to save the trained model (default: models/<model>)')
    .option('--no-progress', 'no progress bar')
    .action(async (model: string | undefined, o: TrainCommandOptions) => {
      if (isGenericTrain(model, o)) {
        await runGenericTrain(model, o);
        return;
      }
      if (model === undefined) throw new Error(`train: name a model (${recipeNames().join(', ')}), or train an mlp on your data with --data FILE`);
      await train(model, { ...o, out: o.out ?? path.join('models', model) });
    });
  addGenericTrainOptions(trainCmd);

  program
    .command('eval')
    .description('evaluate a saved model (nodegrad train ... --out <dir>) on its test set')
    .argument('<dir>', 'model folder')
    .option('--backend <name>', 'native or js')
    .option('--threads <n>', 'native kernel threads', int('--threads', 1))
    .option('--batch-size <n>', 'samples per forward pass', int('--batch-size', 1), 1000)
    .action(async (dir: string, o: { backend?: string; threads?: number; batchSize: number }) => {
      await evaluateSaved(dir, o);
    });

  program
    .command('bench')
    .description('run the benchmark suite (GFLOP/s vs measured peak, op overhead, training throughput)')
    .option('--quick', 'fewer sizes and repetitions')
    .option('--only <list>', 'comma-separated subset: gemm,ops,xor,mlp,adam,cnn')
    .option('--no-peers', 'skip PyTorch, numpy, tfjs, brain.js and onnxruntime even when installed')
    .option('--results <dir>', 'where the report goes (default: bench/results in a clone, ./nodegrad-bench otherwise)')
    .action((o: { quick?: boolean; only?: string; peers: boolean; results?: string }) => {
      process.exitCode = runBench(o);
    });

  registerPredictCommand(program, int);

  return program;
}

function positive(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
    return n;
  };
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
