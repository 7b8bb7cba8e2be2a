import { Flatten, Linear, ReLU, Sequential } from '../nn/index.js';
import { BatchNorm2d } from '../nn/norm.js';
import { Conv2d } from '../nn/conv.js';
import { MaxPool2d } from '../nn/pool.js';

/**
 * LeNet-style CNN for [N, 1, 28, 28] MNIST images (logits out; pair with crossEntropy):
 * conv 5×5 1→16 (pad 2) → BN → ReLU → maxpool 2 → conv 5×5 16→32 (pad 2) → BN → ReLU → maxpool 2
 * → flatten → linear 32·7·7 → 10. Layer names match the same nn.Sequential in PyTorch.
 */
export function mnistCnn(): Sequential {
  return new Sequential(
    new Conv2d(1, 16, 5, { padding: 2 }), new BatchNorm2d(16), new ReLU(), new MaxPool2d(2),
    new Conv2d(16, 32, 5, { padding: 2 }), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2),
    new Flatten(), new Linear(32 * 7 * 7, 10),
  );
}
