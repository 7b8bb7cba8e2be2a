export * from './lib/index.js';
import * as base from './lib/nn/index.js';
import { Conv2d } from './lib/nn/conv.js';
import { MaxPool2d, AvgPool2d } from './lib/nn/pool.js';
import { BatchNorm2d } from './lib/nn/batchnorm2d.js';
export const nn = { ...base, Conv2d, MaxPool2d, AvgPool2d, BatchNorm2d };
export * as optim from './lib/optim/index.js';
