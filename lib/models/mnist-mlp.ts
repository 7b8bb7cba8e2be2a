import { Linear, ReLU, Sequential } from '../nn/index.js';

/** The default job's network: 784-256-128-10 with ReLU (logits out; pair with crossEntropy). */
export function mnistMlp(): Sequential {
  return new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 128), new ReLU(), new Linear(128, 10));
}
