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
import { GPT_DEFAULTS, generateFromDir, trainGpt } from './cli-gpt.js';
import { registerFinetuneCommand, loadForGenerate } from './cli-finetune.js';
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
    .description(`train a model: ${[...recipeNames(), 'gpt'].join(', ')}, or an mlp on your data (--data FILE)`)
    .argument('[model]', `one of ${[...recipeNames(), 'gpt'].join(', ')}; or mlp / linear with --data`)
    .option('--epochs <n>', 'passes over the training set (default: 8 for mnist-mlp, 3 for mnist-cnn)', int('--epochs', 1))
    .option('--batch-size <n>', `samples per step (default: 128 for mnist-mlp, 64 for mnist-cnn, ${GPT_DEFAULTS.batchSize} for gpt)`, int('--batch-size', 1))
    .option('--lr <x>', `peak learning rate (default: Adam 1e-3; gpt: AdamW ${GPT_DEFAULTS.lr})`, positive('--lr'))
    .option('--backend <name>', 'native or js (default: the active backend)')
    .option('--threads <n>', 'native kernel threads', int('--threads', 1))
    .option('--seed <n>', `seed for init, shuffling and dropout (default: 0; gpt: ${GPT_DEFAULTS.seed})`, int('--seed', 0))
    .option('--out <dir>', 'where to save the trained model (default: models/<model>)')
    .option('--no-progress', 'no progress bar')
    .optionsGroup('gpt options:')
    .option('--corpus <name>', `gpt: text to train on, moby-dick or sotu (default: ${GPT_DEFAULTS.corpus})`)
    .option('--tokenizer <kind>', `gpt: char or gpt2 (default: ${GPT_DEFAULTS.tokenizer})`)
    .option('--n-layer <n>', `gpt: transformer blocks (default: ${GPT_DEFAULTS.nLayer})`, int('--n-layer', 1))
    .option('--n-head <n>', `gpt: attention heads (default: ${GPT_DEFAULTS.nHead})`, int('--n-head', 1))
    .option('--n-embd <n>', `gpt: embedding width (default: ${GPT_DEFAULTS.nEmbd})`, int('--n-embd', 1))
    .option('--block-size <n>', `gpt: context length in tokens (default: ${GPT_DEFAULTS.blockSize})`, int('--block-size', 1))
    .option('--steps <n>', `gpt: optimizer steps (default: ${GPT_DEFAULTS.steps})`, int('--steps', 1))
    .option('--warmup-steps <n>', `gpt: linear warm-up steps before the cosine decay (default: ${GPT_DEFAULTS.warmupSteps})`, int('--warmup-steps', 0))
    .option('--weight-decay <x>', `gpt: AdamW decay on 2-D weights (default: ${GPT_DEFAULTS.weightDecay})`, nonNegative('--weight-decay'))
    .option('--dropout <p>', `gpt: dropout probability (default: ${GPT_DEFAULTS.dropout})`, nonNegative('--dropout'))
    .option('--grad-clip <x>', `gpt: clip the gradient norm to this, 0 = off (default: ${GPT_DEFAULTS.gradClip})`, nonNegative('--grad-clip'))
    .option('--eval-interval <n>', `gpt: steps between validation losses and checkpoints (default: ${GPT_DEFAULTS.evalInterval})`, int('--eval-interval', 1))
    .option('--eval-iters <n>', `gpt: batches per validation loss (default: ${GPT_DEFAULTS.evalIters})`, int('--eval-iters', 1))
    .option('--sample-tokens <n>', `gpt: tokens of the sample printed at the end (default: ${GPT_DEFAULTS.sampleTokens})`, int('--sample-tokens', 0))
    .option('--resume', 'gpt: continue from <out>/checkpoint.safetensors when it exists')
    .option('--stop-after <n>', 'gpt: stop after this step, with a checkpoint, though the schedule spans --steps (continue with --resume)', int('--stop-after', 1))
    .action(async (model: string | undefined, o: Record<string, unknown>) => {
      const gptKeys = ['corpus', 'tokenizer', 'nLayer', 'nHead', 'nEmbd', 'blockSize', 'steps', 'warmupSteps', 'weightDecay', 'dropout', 'gradClip', 'evalInterval', 'evalIters', 'sampleTokens', 'resume', 'stopAfter'];
      if (model === 'gpt') {
        const out = (o.out as string | undefined) ?? path.join('models', model);
        if (o.epochs !== undefined) throw new Error('train gpt: use --steps, not --epochs (training samples random windows of the text)');
        const defined = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
        await trainGpt({ ...GPT_DEFAULTS, ...defined, out, resume: o.resume === true, progress: o.progress !== false } as Parameters<typeof trainGpt>[0]);
        return;
      }
      const misplaced = gptKeys.filter((k) => o[k] !== undefined);
      if (misplaced.length > 0) throw new Error(`train ${model ?? ''}: ${misplaced.map((k) => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())).join(', ')} ${misplaced.length === 1 ? 'is a gpt option' : 'are gpt options'}`);
      const to = { ...o, lr: (o.lr as number | undefined) ?? 1e-3, seed: (o.seed as number | undefined) ?? 0 } as unknown as TrainCommandOptions;
      if (isGenericTrain(model, to)) {
        await runGenericTrain(model, to);
        return;
      }
      if (model === undefined) throw new Error(`train: name a model (${[...recipeNames(), 'gpt'].join(', ')}), or train an mlp on your data with --data FILE`);
      await train(model, { ...to, out: to.out ?? path.join('models', model) });
    });

  program
    .command('generate')
    .description('stream text from a GPT saved by `nodegrad train gpt`')
    .argument('<dir>', 'model folder')
    .option('--prompt <text>', 'text to continue', '\n')
    .option('--max-new-tokens <n>', 'tokens to generate', int('--max-new-tokens', 0), 500)
    .option('--temperature <t>', 'softmax temperature (0 = greedy)', nonNegative('--temperature'), 0.8)
    .option('--top-k <k>', 'sample from the k most likely tokens', int('--top-k', 1))
    .option('--top-p <p>', 'nucleus sampling: the smallest set of tokens with probability ≥ p', positive('--top-p'))
    .option('--seed <n>', 'sampling seed', int('--seed', 0), 0)
    .option('--backend <name>', 'native or js')
    .option('--threads <n>', 'native kernel threads', int('--threads', 1))
    .option('--adapter <dir>', 'a LoRA adapter folder (nodegrad finetune) to apply to the model')
    .action((dir: string, o: { prompt: string; maxNewTokens: number; temperature: number; topK?: number; topP?: number; seed: number; backend?: string; threads?: number; adapter?: string }) => {
      if (o.topP !== undefined && o.topP > 1) throw new InvalidArgumentError('--top-p must be in (0, 1]');
      const { adapter, ...rest } = o;
      generateFromDir(dir, { ...rest, prompt: o.prompt === '\\n' ? '\n' : o.prompt, load: (d) => loadForGenerate(d, adapter) });
    });
  registerFinetuneCommand(program, { int, positive, nonNegative });
  trainCmd.optionsGroup('options for your own data (--data):');
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

function nonNegative(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number ≥ 0`);
    return n;
  };
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
