/**
 * The js backend: plain TypeScript loops, the executable specification every native kernel is
 * checked against. Each kernel family lives in its own file.
 */
import type { Backend } from '../backend.js';
import { gemm } from './gemm.js';
import { gemmBf16 } from './gemm-bf16.js';
import { binary, unary, unaryBackward } from './elementwise.js';
import { binaryInt, cast, classify, compare, copyTyped, indexAdd, indexSelect, logical, reduceInt, scan, scanBackward, sortAlong, where } from './typed.js';
import { copy, reduce, softmax, softmaxBackward } from './reduce.js';
import { adamStep, gatherRows, rmspropStep, scatterAddRows, sgdStep, softmaxCrossEntropy } from './fused.js';
import {
  avgPool2d, avgPool2dBackward, batchNormBackward, batchNormForward, batchNormStats, conv2d, conv2dBackward,
  maxPool2d, maxPool2dBackward,
} from './conv.js';
import { layerNorm, layerNormBackward, sdpa, sdpaBackward } from './attention.js';
import { dropout, indexCheck, nllLoss, nllLossBackward, pointwiseLoss, pointwiseLossBackward } from './nn.js';

export function createJsBackend(): Backend {
  return {
    name: 'js',
    copyTyped,
    cast,
    compare,
    logical,
    where,
    binaryInt,
    reduceInt,
    scan,
    scanBackward,
    sortAlong,
    indexSelect,
    indexAdd,
    classify,
    gemm,
    gemmBf16,
    unary,
    unaryBackward,
    binary,
    reduce,
    copy,
    softmax,
    softmaxBackward,
    softmaxCrossEntropy,
    gatherRows,
    scatterAddRows,
    adamStep,
    sgdStep,
    rmspropStep,
    conv2d,
    conv2dBackward,
    maxPool2d,
    maxPool2dBackward,
    avgPool2d,
    avgPool2dBackward,
    batchNormStats,
    batchNormForward,
    batchNormBackward,
    layerNorm,
    layerNormBackward,
    sdpa,
    sdpaBackward,
    pointwiseLoss,
    pointwiseLossBackward,
    nllLoss,
    nllLossBackward,
    dropout,
    indexCheck,
  };
}
